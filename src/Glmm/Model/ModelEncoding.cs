namespace Glmm.Model;

/// <summary>Centre and scale that <c>scale(x)</c> used on the fitted data: new data are scaled by the same numbers.</summary>
/// <param name="Center">The mean subtracted.</param>
/// <param name="Scale">The standard deviation divided by.</param>
public readonly record struct ScaleParameters(double Center, double Scale);

/// <summary>
/// What the formula layer remembers of the fitted data so that new data are encoded the same way
/// (as R's <c>xlevels</c> and <c>predvars</c>): the levels of every factor (or logical) model variable
/// among the rows used, which variables were numeric, and the centre and scale of each <c>scale()</c> call.
/// Variables are keyed by their deparsed form (<c>factor(period)</c>, <c>urban</c>, <c>I(age^2)</c>).
/// </summary>
public sealed class ModelEncoding
{
    /// <summary>Creates an encoding.</summary>
    public ModelEncoding(IReadOnlyDictionary<string, IReadOnlyList<string>> factorLevels, IReadOnlyList<string> numericVariables,
        IReadOnlyDictionary<string, ScaleParameters> scales)
    {
        FactorLevels = factorLevels;
        NumericVariables = numericVariables;
        Scales = scales;
    }

    /// <summary>No factors, no numeric variables, no scale() calls.</summary>
    public static ModelEncoding Empty { get; } = new(new Dictionary<string, IReadOnlyList<string>>(), Array.Empty<string>(), new Dictionary<string, ScaleParameters>());

    /// <summary>Levels of each factor or logical variable (fixed part and random-term left sides) among the rows used.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> FactorLevels { get; }

    /// <summary>Variables that were numeric.</summary>
    public IReadOnlyList<string> NumericVariables { get; }

    /// <summary>Centre and scale of each <c>scale()</c> call, keyed by the deparsed call (<c>scale(age)</c>).</summary>
    public IReadOnlyDictionary<string, ScaleParameters> Scales { get; }
}
