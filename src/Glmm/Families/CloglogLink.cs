namespace Glmm.Families;

/// <summary>
/// The complementary log-log link η = log(−log(1−μ)), as R's <c>make.link("cloglog")</c>:
/// μ = −expm1(−e^η) clamped to [ε, 1−ε]; dμ/dη = max(e^η·exp(−e^η), ε) with η capped at 700.
/// </summary>
internal sealed class CloglogLink : Link
{
    /// <summary>The single instance.</summary>
    public static CloglogLink Instance { get; } = new();

    private CloglogLink() { }

    /// <inheritdoc/>
    public override string Name => "cloglog";

    /// <inheritdoc/>
    public override double Apply(double mu) => Math.Log(-Math.Log(1.0 - mu));

    /// <inheritdoc/>
    public override double Inverse(double eta)
    {
        double mu = -NumericalFunctions.ExpM1(-Math.Exp(eta));
        return Math.Max(Math.Min(mu, 1.0 - DoubleEpsilon), DoubleEpsilon);
    }

    /// <inheritdoc/>
    public override double MuEta(double eta)
    {
        eta = Math.Min(eta, 700.0);
        double e = Math.Exp(eta);
        return Math.Max(e * Math.Exp(-e), DoubleEpsilon);
    }

    /// <summary>e^η exp(−e^η)(1 − e^η).</summary>
    public override double MuEtaDerivative(double eta)
    {
        eta = Math.Min(eta, 700.0);
        double e = Math.Exp(eta);
        return e * Math.Exp(-e) * (1.0 - e);
    }

    /// <summary>e^η exp(−e^η)((1 − e^η)² − e^η).</summary>
    internal override double MuEtaSecondDerivative(double eta)
    {
        eta = Math.Min(eta, 700.0);
        double e = Math.Exp(eta);
        return e * Math.Exp(-e) * ((1.0 - e) * (1.0 - e) - e);
    }

    /// <inheritdoc/>
    public override void InverseAndMuEta(ReadOnlySpan<double> eta, Span<double> mu, Span<double> muEta)
    {
        CheckLengths(eta.Length, mu.Length, muEta.Length);
        for (int i = 0; i < eta.Length; i++)
        {
            mu[i] = Inverse(eta[i]);
            muEta[i] = MuEta(eta[i]);
        }
    }
}
