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

    /// <summary>P(Z &gt; z) for a standard normal Z, accurate in the far tail (the complementary error function).</summary>
    public static double UpperTail(double z) => 0.5 * MathNet.Numerics.SpecialFunctions.Erfc(z / Math.Sqrt(2.0));

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

    // Coefficients of Cody's near-minimax rational approximations to the normal CDF
    // (W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 1969;
    // as tabulated in ANORM of ACM TOMS Algorithm 715, a public-domain work).
    private static readonly double[] A =
        [2.2352520354606839287, 161.02823106855587881, 1067.6894854603709582, 18154.981253343561249, 0.065682337918207449113];
    private static readonly double[] B =
        [47.20258190468824187, 976.09855173777669322, 10260.932208618978205, 45507.789335026729956];
    private static readonly double[] C =
        [0.39894151208813466764, 8.8831497943883759412, 93.506656132177855979, 597.27027639480026226,
         2494.5375852903726711, 6848.1904505362823326, 11602.651437647350124, 9842.7148383839780218,
         1.0765576773720192317e-8];
    private static readonly double[] D =
        [22.266688044328115691, 235.38790178262499861, 1519.377599407554805, 6485.558298266760755,
         18615.571640885098091, 34900.952721145977266, 38912.003286093271411, 19685.429676859990727];
    private static readonly double[] P =
        [0.21589853405795699, 0.1274011611602473639, 0.022235277870649807, 0.001421619193227893466,
         2.9112874951168792e-5, 0.02307344176494017303];
    private static readonly double[] Q =
        [1.28426009614491121, 0.468238212480865118, 0.0659881378689285515, 0.00378239633202758244,
         7.29751555083966205e-5];

    /// <summary>
    /// Φ(x) by Cody's rational approximations (the method of R's <c>pnorm</c>): near 0 a rational
    /// function of x²; for |x| up to √32 and beyond, the smaller tail as e^(−x²/2)·R(|x|), with x² split
    /// on a 1/16 grid so it is formed exactly. Relative accuracy ≈1e−16 in the lower tail.
    /// </summary>
    public static double Cdf(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        if (x < -37.5193) return 0.0; // R's cut-off: below it the value is subnormal and R returns 0
        double y = Math.Abs(x);
        if (y <= 0.66291)
        {
            double xsq = y > 0.5 * Link.DoubleEpsilon ? x * x : 0.0;
            double num = A[4] * xsq, den = xsq;
            for (int i = 0; i < 3; i++)
            {
                num = (num + A[i]) * xsq;
                den = (den + B[i]) * xsq;
            }
            return 0.5 + x * (num + A[3]) / (den + B[3]);
        }
        double ratio;
        if (y <= 5.656854248)
        {
            double num = C[8] * y, den = y;
            for (int i = 0; i < 7; i++)
            {
                num = (num + C[i]) * y;
                den = (den + D[i]) * y;
            }
            ratio = (num + C[7]) / (den + D[7]);
        }
        else
        {
            double xsq = 1.0 / (x * x);
            double num = P[5] * xsq, den = xsq;
            for (int i = 0; i < 4; i++)
            {
                num = (num + P[i]) * xsq;
                den = (den + Q[i]) * xsq;
            }
            ratio = (InvSqrt2Pi - xsq * (num + P[4]) / (den + Q[4])) / y;
        }
        double y1 = Math.Truncate(y * 16.0) / 16.0;
        double del = (y - y1) * (y + y1);
        double small = Math.Exp(-0.5 * y1 * y1) * Math.Exp(-0.5 * del) * ratio;
        return x < 0 ? small : 1.0 - small;
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
