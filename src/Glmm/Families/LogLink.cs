namespace Glmm.Families;

/// <summary>The log link η = log μ, as R's <c>make.link("log")</c>: μ = max(e^η, ε) and dμ/dη = max(e^η, ε).</summary>
internal sealed class LogLink : Link
{
    /// <summary>The single instance.</summary>
    public static LogLink Instance { get; } = new();

    private LogLink() { }

    /// <inheritdoc/>
    public override string Name => "log";

    /// <inheritdoc/>
    public override double Apply(double mu) => Math.Log(mu);

    /// <inheritdoc/>
    public override double Inverse(double eta) => Math.Max(Math.Exp(eta), DoubleEpsilon);

    /// <inheritdoc/>
    public override double MuEta(double eta) => Math.Max(Math.Exp(eta), DoubleEpsilon);

    /// <summary>e^η (at least machine epsilon, as μ).</summary>
    public override double MuEtaDerivative(double eta) => Math.Max(Math.Exp(eta), DoubleEpsilon);

    /// <summary>e^η (at least machine epsilon, as μ).</summary>
    internal override double MuEtaSecondDerivative(double eta) => Math.Max(Math.Exp(eta), DoubleEpsilon);

    /// <inheritdoc/>
    public override void InverseAndMuEta(ReadOnlySpan<double> eta, Span<double> mu, Span<double> muEta)
    {
        CheckLengths(eta.Length, mu.Length, muEta.Length);
        for (int i = 0; i < eta.Length; i++)
        {
            double m = Math.Max(Math.Exp(eta[i]), DoubleEpsilon);
            mu[i] = m;
            muEta[i] = m;
        }
    }
}
