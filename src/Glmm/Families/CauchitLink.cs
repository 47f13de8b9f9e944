namespace Glmm.Families;

/// <summary>
/// The cauchit link η = F⁻¹(μ) for the standard Cauchy distribution, as R's
/// <c>make.link("cauchit")</c>: the inverse clamps η to ±(−qcauchy(ε)) and dμ/dη = max(f(η), ε).
/// The CDF and quantile are computed as R's <c>pcauchy</c>/<c>qcauchy</c> do (atan(1/x) in the tails,
/// 1/tan(πp)), so they keep full relative accuracy near 0 and 1.
/// </summary>
internal sealed class CauchitLink : Link
{
    /// <summary>−qcauchy(ε) = 1/tan(π ε).</summary>
    private static readonly double Threshold = -Quantile(DoubleEpsilon);

    /// <summary>The single instance.</summary>
    public static CauchitLink Instance { get; } = new();

    private CauchitLink() { }

    /// <inheritdoc/>
    public override string Name => "cauchit";

    /// <inheritdoc/>
    public override double Apply(double mu) => Quantile(mu);

    /// <inheritdoc/>
    public override double Inverse(double eta) => Cdf(Math.Clamp(eta, -Threshold, Threshold));

    /// <inheritdoc/>
    public override double MuEta(double eta) => Math.Max(1.0 / (Math.PI * (1.0 + eta * eta)), DoubleEpsilon);

    /// <summary>−2η / (π(1 + η²)²).</summary>
    public override double MuEtaDerivative(double eta) => -2.0 * eta / (Math.PI * (1.0 + eta * eta) * (1.0 + eta * eta));

    /// <summary>(6η² − 2) / (π(1 + η²)³).</summary>
    internal override double MuEtaSecondDerivative(double eta)
    {
        double a = 1.0 + eta * eta;
        return (6.0 * eta * eta - 2.0) / (Math.PI * a * a * a);
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

    /// <summary>Standard Cauchy CDF, accurate in both tails.</summary>
    internal static double Cdf(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        if (Math.Abs(x) > 1.0)
        {
            double y = Math.Atan(1.0 / x) / Math.PI;
            return x > 0 ? 1.0 - y : -y;
        }
        return 0.5 + Math.Atan(x) / Math.PI;
    }

    /// <summary>Standard Cauchy quantile, −1/tan(πp) for p &lt; ½ and its mirror image above.</summary>
    internal static double Quantile(double p)
    {
        if (double.IsNaN(p) || p < 0 || p > 1) return double.NaN;
        if (p == 0.5) return 0.0;
        bool upper = p > 0.5;
        double q = upper ? 1.0 - p : p;
        if (q == 0) return upper ? double.PositiveInfinity : double.NegativeInfinity;
        double t = 1.0 / TanPi(q);
        return upper ? t : -t;
    }

    /// <summary>tan(πx) for x in (0, ½], with exact values at ¼ and ½ (as R's tanpi).</summary>
    private static double TanPi(double x)
    {
        if (x == 0.25) return 1.0;
        if (x == 0.5) return double.PositiveInfinity;
        return Math.Tan(Math.PI * x);
    }
}
