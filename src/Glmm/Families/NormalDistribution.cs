using MathNet.Numerics;

namespace Glmm.Families;

/// <summary>
/// The standard normal density, CDF and quantile with full relative accuracy in both tails
/// (what the probit link needs to agree with R's <c>dnorm</c>/<c>pnorm</c>/<c>qnorm</c> to ~1e-15).
/// </summary>
internal static class NormalDistribution
{
    private const double InvSqrt2Pi = 0.398942280401432677939946059934;
    private const double Sqrt2 = 1.41421356237309504880168872421;

    /// <summary>Beyond this φ(x) is below the smallest subnormal: √(2·log 2·1073) ≈ 38.57.</summary>
    private static readonly double UnderflowCutoff = Math.Sqrt(2.0 * Math.Log(2.0) * 1073.0);

    /// <summary>φ(x). For |x| ≥ 5 the exponent is split as x = x₁ + x₂ with x₁ on a 2⁻¹⁶ grid, so that
    /// x² is formed without rounding error (the same device as R's dnorm).</summary>
    public static double Density(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        x = Math.Abs(x);
        if (x >= 2 * Math.Sqrt(double.MaxValue)) return 0.0;
        if (x < 5) return InvSqrt2Pi * Math.Exp(-0.5 * x * x);
        if (x > UnderflowCutoff) return 0.0;
        double x1 = Math.Round(x * 65536.0) / 65536.0;
        double x2 = x - x1;
        return InvSqrt2Pi * (Math.Exp(-0.5 * x1 * x1) * Math.Exp((-0.5 * x2 - x1) * x2));
    }

    /// <summary>Φ(x) = ½·erfc(−x/√2), accurate in the lower tail; the upper tail is 1 − ½·erfc(x/√2).</summary>
    public static double Cdf(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        if (x <= 0) return 0.5 * SpecialFunctions.Erfc(-x / Sqrt2);
        return 1.0 - 0.5 * SpecialFunctions.Erfc(x / Sqrt2);
    }

    /// <summary>Φ⁻¹(p), computed from the smaller tail so values near 0 and 1 keep their accuracy.</summary>
    public static double Quantile(double p)
    {
        if (double.IsNaN(p) || p < 0 || p > 1) return double.NaN;
        if (p == 0) return double.NegativeInfinity;
        if (p == 1) return double.PositiveInfinity;
        if (p == 0.5) return 0.0;
        if (p < 0.5) return -Sqrt2 * SpecialFunctions.ErfcInv(2.0 * p);
        return Sqrt2 * SpecialFunctions.ErfcInv(2.0 * (1.0 - p));
    }
}
