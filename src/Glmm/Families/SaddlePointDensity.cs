using MathNet.Numerics;

namespace Glmm.Families;

/// <summary>
/// Binomial and Poisson log-probabilities by Loader's saddle-point expansion (C. Loader, 2000,
/// "Fast and accurate computation of binomial probabilities"), the method behind R's
/// <c>dbinom</c> and <c>dpois</c>. Differences of log-gamma values lose relative accuracy when the
/// counts are large; this form does not.
/// </summary>
internal static class SaddlePointDensity
{
    private const double LnSqrt2Pi = 0.918938533204672741780329736406;
    private const double Ln2Pi = 1.837877066409345483560659472811;

    // δ(n) = log n! − ((n + ½) log n − n + ½ log 2π) at n = 0, ½, 1, …, 15 (computed to 50 digits).
    private static readonly double[] StirlingErrorHalves =
    [
        0.0,
        0.15342640972002735, 0.081061466795327258, 0.054814121051917654, 0.041340695955409294,
        0.033162873519936287, 0.027677925684998339, 0.023746163656297496, 0.020790672103765093,
        0.018488450532673185, 0.016644691189821192, 0.015134973221917379, 0.013876128823070748,
        0.012810465242920227, 0.01189670994589177, 0.011104559758206917, 0.010411265261972096,
        0.0097994161261588033, 0.0092554621827127329, 0.0087687001341393855, 0.0083305634333628713,
        0.0079341145643140205, 0.0075736754879518408, 0.0072445543013203832, 0.0069428401072095299,
        0.0066652470327076824, 0.0064089941880042071, 0.0061717122630394576, 0.0059513701127588477,
        0.0057462165130101157, 0.0055547335519628014,
    ];

    /// <summary>δ(n) = log Γ(n+1) − (n + ½) log n + n − log √(2π), the error of Stirling's formula.</summary>
    public static double StirlingError(double n)
    {
        const double s0 = 1.0 / 12, s1 = 1.0 / 360, s2 = 1.0 / 1260, s3 = 1.0 / 1680, s4 = 1.0 / 1188;
        if (n <= 15.0)
        {
            double twice = n + n;
            if (twice == Math.Floor(twice)) return StirlingErrorHalves[(int)twice];
            return SpecialFunctions.GammaLn(n + 1.0) - (n + 0.5) * Math.Log(n) + n - LnSqrt2Pi;
        }
        double nn = n * n;
        if (n > 500) return (s0 - s1 / nn) / n;
        if (n > 80) return (s0 - (s1 - s2 / nn) / nn) / n;
        if (n > 35) return (s0 - (s1 - (s2 - s3 / nn) / nn) / nn) / n;
        return (s0 - (s1 - (s2 - (s3 - s4 / nn) / nn) / nn) / nn) / n;
    }

    /// <summary>
    /// The deviance term x·log(x/np) + np − x, by its series in v = (x − np)/(x + np) when x is close
    /// to np (where the direct formula cancels).
    /// </summary>
    public static double DevianceTerm(double x, double np)
    {
        if (Math.Abs(x - np) < 0.1 * (x + np))
        {
            double v = (x - np) / (x + np);
            double s = (x - np) * v;
            if (Math.Abs(s) < double.Epsilon * 4503599627370496.0) return s; // below DBL_MIN
            double ej = 2 * x * v;
            v *= v;
            for (int j = 1; j < 1000; j++)
            {
                ej *= v;
                double s1 = s + ej / (2 * j + 1);
                if (s1 == s) return s1;
                s = s1;
            }
        }
        return x * Math.Log(x / np) + np - x;
    }

    /// <summary>log of the binomial probability of x successes in n trials with success probability p
    /// (x and n whole numbers; q = 1 − p passed separately as in Loader's algorithm).</summary>
    public static double LogBinomial(double x, double n, double p, double q)
    {
        if (p == 0) return x == 0 ? 0.0 : double.NegativeInfinity;
        if (q == 0) return x == n ? 0.0 : double.NegativeInfinity;
        if (x == 0)
        {
            if (n == 0) return 0.0;
            return p < 0.1 ? -DevianceTerm(n, n * q) - n * p : n * Math.Log(q);
        }
        if (x == n)
            return q < 0.1 ? -DevianceTerm(n, n * p) - n * q : n * Math.Log(p);
        if (x < 0 || x > n) return double.NegativeInfinity;
        double lc = StirlingError(n) - StirlingError(x) - StirlingError(n - x)
                    - DevianceTerm(x, n * p) - DevianceTerm(n - x, n * q);
        double lf = Ln2Pi + Math.Log(x) + NumericalFunctions.Log1P(-x / n);
        return lc - 0.5 * lf;
    }

    /// <summary>
    /// R's <c>dbinom(x, n, p, log = TRUE)</c>: −∞ when x or n is not a whole number (R's tolerance
    /// 1e−7·max(1, |x|)), outside 0…n, or p outside [0, 1].
    /// </summary>
    public static double LogDbinom(double x, double n, double p)
    {
        if (double.IsNaN(x) || double.IsNaN(n) || double.IsNaN(p)) return double.NaN;
        if (p < 0 || p > 1 || n < 0 || NonInteger(n)) return double.NaN;
        if (NonInteger(x) || x < 0 || !double.IsFinite(x)) return double.NegativeInfinity;
        n = Math.Round(n);
        x = Math.Round(x);
        return LogBinomial(x, n, p, 1.0 - p);
    }

    /// <summary>R's <c>dpois(x, λ, log = TRUE)</c>: −∞ when x is negative or not a whole number.</summary>
    public static double LogDpois(double x, double lambda)
    {
        if (double.IsNaN(x) || double.IsNaN(lambda)) return double.NaN;
        if (lambda < 0) return double.NaN;
        if (NonInteger(x) || x < 0 || !double.IsFinite(x)) return double.NegativeInfinity;
        x = Math.Round(x);
        if (lambda == 0) return x == 0 ? 0.0 : double.NegativeInfinity;
        if (!double.IsFinite(lambda)) return double.NegativeInfinity;
        const double dblMin = 2.2250738585072014e-308;
        if (x <= lambda * dblMin) return -lambda;
        if (lambda < x * dblMin)
            return -lambda + x * Math.Log(lambda) - SpecialFunctions.GammaLn(x + 1);
        return -0.5 * Math.Log(2 * Math.PI * x) - StirlingError(x) - DevianceTerm(x, lambda);
    }

    private static bool NonInteger(double x) => Math.Abs(x - Math.Round(x)) > 1e-7 * Math.Max(1.0, Math.Abs(x));
}
