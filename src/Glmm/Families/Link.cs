namespace Glmm.Families;

/// <summary>A link function g: η = g(μ), with its inverse and dμ/dη.</summary>
public abstract class Link
{
    /// <summary>R's name for the link ("logit", "probit", "cloglog", "cauchit", "log", "sqrt", "identity").</summary>
    public abstract string Name { get; }

    /// <summary>η = g(μ).</summary>
    public abstract double Apply(double mu);

    /// <summary>μ = g⁻¹(η).</summary>
    public abstract double Inverse(double eta);

    /// <summary>dμ/dη at η.</summary>
    public abstract double MuEta(double eta);
}
