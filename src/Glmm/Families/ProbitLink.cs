namespace Glmm.Families;

/// <summary>
/// The probit link η = Φ⁻¹(μ), as R's <c>make.link("probit")</c>: the inverse clamps η to
/// ±(−Φ⁻¹(ε)) so μ stays in [ε, 1−ε], and dμ/dη = max(φ(η), ε).
/// </summary>
internal sealed class ProbitLink : Link
{
    /// <summary>R's −qnorm(ε), as R computes it (a hand-computed quantile can be 1 ulp away, which
    /// moves the clamped μ by ~1e−14 relative).</summary>
    private const double Threshold = 8.125890664701906;

    /// <summary>The single instance.</summary>
    public static ProbitLink Instance { get; } = new();

    private ProbitLink() { }

    /// <inheritdoc/>
    public override string Name => "probit";

    /// <inheritdoc/>
    public override double Apply(double mu) => NormalDistribution.Quantile(mu);

    /// <inheritdoc/>
    public override double Inverse(double eta) => NormalDistribution.Cdf(Math.Clamp(eta, -Threshold, Threshold));

    /// <inheritdoc/>
    public override double MuEta(double eta) => Math.Max(NormalDistribution.Density(eta), DoubleEpsilon);

    /// <summary>−η φ(η).</summary>
    public override double MuEtaDerivative(double eta) => -eta * NormalDistribution.Density(eta);

    /// <summary>(η² − 1) φ(η).</summary>
    internal override double MuEtaSecondDerivative(double eta) => (eta * eta - 1.0) * NormalDistribution.Density(eta);

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
