using System.Globalization;
using MathNet.Numerics;

namespace Glmm.Inference;

/// <summary>
/// One test on simulation-based quantile residuals (DHARMa's): its name (<c>uniformity</c>, <c>dispersion</c>,
/// <c>zeroInflation</c>, <c>outliers</c>), the statistic and the two-sided p value.
/// </summary>
/// <param name="Name">The test's name as the JSON output spells it.</param>
/// <param name="Statistic">
/// uniformity: the Kolmogorov–Smirnov D against the uniform distribution; dispersion: the ratio of the observed to the
/// mean simulated variance of the responses' deviations from the population-level fitted values; zeroInflation: the
/// ratio of the observed to the mean simulated number of zeros; outliers: the number of residuals outside the
/// simulation envelope (below 1/(n+1) or above 1 − 1/(n+1) for n simulations).
/// </param>
/// <param name="P">The two-sided p value (in [0, 1]).</param>
/// <param name="StatisticName">A short label of the statistic, e.g. <c>D</c> or <c>ratio observed/simulated</c>.</param>
public sealed record ResidualTest(string Name, double Statistic, double P, string StatisticName)
{
    /// <summary>For the outlier test: the number of observations (the binomial test's trials); 0 otherwise.</summary>
    public int Observations { get; init; }

    /// <summary>For the outlier test: the frequency of outliers expected under the model, 2/(n + 1) for n simulations; NaN otherwise.</summary>
    public double ExpectedFrequency { get; init; } = double.NaN;

    /// <summary>For the outlier test: how its expectation was found, <c>binomial</c> or <c>bootstrap</c>; null otherwise.</summary>
    public string? Method { get; init; }

    /// <summary>For the bootstrapped outlier test: the number of bootstrap replicates; 0 otherwise.</summary>
    public int Replicates { get; init; }

    /// <summary>A caveat appended to the verdict (e.g. the binomial outlier test on an integer response), or null.</summary>
    public string? Note { get; init; }

    /// <summary>True when p ≤ <paramref name="alpha"/> (DHARMa marks a test significant at 0.05).</summary>
    public bool IsSignificant(double alpha = 0.05) => P <= alpha;

    /// <summary>One line: the test, its statistic and p, and what it means (DHARMa's reading at the 0.05 level).</summary>
    public string Verdict()
    {
        var ci = CultureInfo.InvariantCulture;
        string what = Name switch
        {
            "uniformity" => IsSignificant() ? "residuals deviate from uniform: the distribution of the response is misspecified" : "no deviation from uniform detected",
            "dispersion" => !IsSignificant() ? "no over- or underdispersion detected" : Statistic > 1 ? "overdispersion: more variation than the model simulates" : "underdispersion: less variation than the model simulates",
            "zeroInflation" => !IsSignificant() ? "no zero-inflation detected" : Statistic > 1 ? "zero-inflation: more zeros than the model simulates" : "fewer zeros than the model simulates",
            "outliers" => IsSignificant() ? "more (or fewer) observations outside the simulation envelope than expected" : "no excess of outliers detected",
            _ => IsSignificant() ? "significant" : "not significant",
        };
        string stat = Name == "outliers"
            ? string.Create(ci, $"{Statistic:0} of {Observations} outside the envelope (expected frequency {ExpectedFrequency:G3}{Method switch { "bootstrap" => string.Create(ci, $" from {Replicates} bootstrap replicates"), "exchangeable" => string.Create(ci, $" from the {Replicates} simulations"), _ => "" }})")
            : string.Create(ci, $"{StatisticName} = {Statistic:G4}");
        string verdict = string.Create(ci, $"{Name}: {stat}, p = {FormatP(P)}: {what}");
        return Note is null ? verdict : verdict + " (" + Note + ")";
    }

    private static string FormatP(double p) =>
        p < 1e-4 ? "< 1e-4" : p.ToString(p < 0.001 ? "G2" : "0.####", CultureInfo.InvariantCulture);
}

/// <summary>
/// The deterministic part of DHARMa's residual diagnostics: the randomized probability-integral-transform residual of
/// an observation among its simulations, and the tests on the residuals and on the simulated responses
/// (<c>testUniformity</c>, <c>testDispersion</c> with its default <c>type = "DHARMa"</c>, <c>testZeroInflation</c>,
/// <c>testOutliers</c> with <c>type = "binomial"</c>, margin both), each two-sided with its statistic and p value as
/// DHARMa defines them. Given the same simulated responses and the same uniforms, the results are DHARMa's.
/// </summary>
public static class ResidualTests
{
    /// <summary>The test names, in the order they are reported.</summary>
    public static IReadOnlyList<string> Names { get; } = ["uniformity", "dispersion", "zeroInflation", "outliers"];

    /// <summary>
    /// DHARMa's PIT residual (getQuantile, method "PIT"): with <paramref name="less"/> of the <paramref name="nsim"/>
    /// simulations below the observation and <paramref name="lessOrEqual"/> at or below it, the residual is
    /// less/nsim when the two agree (no simulation equals the observation), else uniform between them:
    /// less/nsim + <paramref name="uniform"/>·(lessOrEqual − less)/nsim, as R's <c>runif(1, lower, lowerOrEqual)</c>.
    /// </summary>
    public static double QuantileResidual(int less, int lessOrEqual, int nsim, double uniform)
    {
        double lower = less / (double)nsim;
        if (less == lessOrEqual) return lower;
        double upper = lessOrEqual / (double)nsim;
        return lower + (upper - lower) * uniform;
    }

    /// <summary>
    /// testUniformity: R's one-sample <c>ks.test(residuals, "punif")</c>, two-sided: D = max over the sorted residuals of
    /// max(x₍ᵢ₎ − (i−1)/n, i/n − x₍ᵢ₎); p exact (Marsaglia, Tsang and Wang 2003) for n &lt; 100 without ties, else the
    /// asymptotic Kolmogorov distribution, as R chooses.
    /// </summary>
    public static ResidualTest Uniformity(ReadOnlySpan<double> residuals)
    {
        int n = residuals.Length;
        if (n < 1) throw new GlmmInputException("the uniformity test needs at least one residual");
        var x = residuals.ToArray();
        Array.Sort(x);
        double d = 0;
        bool ties = false;
        for (int i = 0; i < n; i++)
        {
            double f = Math.Clamp(x[i], 0.0, 1.0);
            d = Math.Max(d, Math.Max(f - i / (double)n, (i + 1) / (double)n - f));
            if (i > 0 && x[i] == x[i - 1]) ties = true;
        }
        double p = n < 100 && !ties ? 1 - KolmogorovExact(d, n) : 1 - KolmogorovAsymptotic(Math.Sqrt(n) * d, 1e-6);
        return new ResidualTest("uniformity", d, Math.Clamp(p, 0.0, 1.0), "D");
    }

    /// <summary>
    /// testDispersion (type "DHARMa", no refits): the statistic is the observed spread over the mean simulated spread,
    /// where the spread of a response vector y is var(y − μ₀)/var(all simulated responses) with μ₀ the population-level
    /// fitted values (DHARMa's fittedPredictedResponse); p two-sided from the simulations (<see cref="SimulationP"/>).
    /// </summary>
    /// <param name="observedVariance">var(y − μ₀) of the observed responses.</param>
    /// <param name="simulatedVariances">var(y*ⱼ − μ₀) of each simulation j.</param>
    /// <param name="expectedVariance">The variance of all simulated responses (DHARMa's <c>sd(simulatedResponse)^2</c>).</param>
    public static ResidualTest Dispersion(double observedVariance, ReadOnlySpan<double> simulatedVariances, double expectedVariance)
    {
        if (simulatedVariances.Length < 1) throw new GlmmInputException("the dispersion test needs at least one simulation");
        var spread = new double[simulatedVariances.Length];
        for (int j = 0; j < spread.Length; j++) spread[j] = simulatedVariances[j] / expectedVariance;
        double observed = observedVariance / expectedVariance;
        return new ResidualTest("dispersion", observed / Mean(spread), SimulationP(spread, observed), "ratio observed/simulated");
    }

    /// <summary>
    /// testZeroInflation: the observed number of zeros over the mean simulated number; p two-sided from the simulations.
    /// </summary>
    public static ResidualTest ZeroInflation(double observedZeros, ReadOnlySpan<double> simulatedZeros)
    {
        if (simulatedZeros.Length < 1) throw new GlmmInputException("the zero-inflation test needs at least one simulation");
        return new ResidualTest("zeroInflation", observedZeros / Mean(simulatedZeros), SimulationP(simulatedZeros, observedZeros), "ratio observed/simulated");
    }

    /// <summary>
    /// testOutliers (type "binomial", margin "both", two-sided): the number of residuals below 1/(nsim + 1) or above
    /// 1 − 1/(nsim + 1), tested by R's exact <c>binom.test</c> against the frequency 2/(nsim + 1).
    /// </summary>
    public static ResidualTest Outliers(ReadOnlySpan<double> residuals, int nsim)
    {
        if (nsim < 1) throw new GlmmInputException($"the number of simulations must be at least 1, not {nsim}");
        double low = 1.0 / (nsim + 1), high = 1 - 1.0 / (nsim + 1);
        int outliers = 0;
        foreach (double r in residuals)
        {
            if (r < low) outliers++;
            if (r > high) outliers++;
        }
        double p0 = 2.0 / (nsim + 1);
        return new ResidualTest("outliers", outliers, BinomialTest(outliers, residuals.Length, p0), "outliers")
        { Observations = residuals.Length, ExpectedFrequency = p0, Method = "binomial" };
    }

    /// <summary>
    /// DHARMa's getP, two-sided: min(1, 2·min(mean(simulated ≤ observed), mean(simulated ≥ observed))).
    /// </summary>
    public static double SimulationP(ReadOnlySpan<double> simulated, double observed)
    {
        int le = 0, ge = 0;
        foreach (double s in simulated)
        {
            if (s <= observed) le++;
            if (s >= observed) ge++;
        }
        double n = simulated.Length;
        return Math.Min(2 * Math.Min(le / n, ge / n), 1.0);
    }

    /// <summary>
    /// R's <c>binom.test(x, n, p)$p.value</c>, two-sided: the probability of the outcomes no more likely than x
    /// (with R's relative tolerance 1 + 10⁻⁷).
    /// </summary>
    public static double BinomialTest(int x, int n, double p)
    {
        if (n < 1) return 1.0;
        double m = n * p;
        if (x == m) return 1.0;
        double d = BinomialPmf(x, n, p) * (1 + 1e-7);
        double result;
        if (x < m)
        {
            int y = 0;
            for (int i = (int)Math.Ceiling(m); i <= n; i++) if (BinomialPmf(i, n, p) <= d) y++;
            result = BinomialLower(x, n, p) + BinomialUpper(n - y, n, p);
        }
        else
        {
            int y = 0;
            int top = (int)Math.Floor(m);
            for (int i = 0; i <= top; i++) if (BinomialPmf(i, n, p) <= d) y++;
            result = BinomialLower(y - 1, n, p) + BinomialUpper(x - 1, n, p);
        }
        return Math.Min(1.0, result);
    }

    /// <summary>R's var: the sample variance with the n − 1 denominator, two passes (mean refined as R's mean is).</summary>
    internal static double Variance(ReadOnlySpan<double> x)
    {
        int n = x.Length;
        if (n < 2) return double.NaN;
        double mean = Mean(x), ss = 0;
        foreach (double v in x) ss += (v - mean) * (v - mean);
        return ss / (n - 1);
    }

    /// <summary>R's mean: the sum over n, refined by the mean of the deviations.</summary>
    internal static double Mean(ReadOnlySpan<double> x)
    {
        double s = 0;
        foreach (double v in x) s += v;
        double mean = s / x.Length, t = 0;
        foreach (double v in x) t += v - mean;
        return mean + t / x.Length;
    }

    private static double BinomialPmf(int k, int n, double p)
    {
        if (k < 0 || k > n) return 0;
        if (p <= 0) return k == 0 ? 1 : 0;
        if (p >= 1) return k == n ? 1 : 0;
        return Math.Exp(SpecialFunctions.BinomialLn(n, k) + k * Math.Log(p) + (n - k) * Math.Log(1 - p));
    }

    /// <summary>P(X ≤ k) for X ~ Binomial(n, p), from the regularized incomplete beta function.</summary>
    private static double BinomialLower(int k, int n, double p)
    {
        if (k < 0) return 0;
        if (k >= n) return 1;
        return SpecialFunctions.BetaRegularized(n - k, k + 1, 1 - p);
    }

    /// <summary>P(X &gt; k) for X ~ Binomial(n, p).</summary>
    private static double BinomialUpper(int k, int n, double p)
    {
        if (k < 0) return 1;
        if (k >= n) return 0;
        return SpecialFunctions.BetaRegularized(k + 1, n - k, p);
    }

    /// <summary>
    /// The limiting distribution of √n·D (R's pkstwo): for x &lt; 1 the theta-function series √(2π)/x Σ exp(−(2k−1)²π²/(8x²)),
    /// else 1 − 2 Σ (−1)^(k−1) exp(−2k²x²) to the tolerance.
    /// </summary>
    internal static double KolmogorovAsymptotic(double x, double tol)
    {
        if (x <= 0) return 0;
        if (x < 1)
        {
            int kMax = (int)Math.Sqrt(2 - Math.Log(tol));
            double z = -(Math.PI / 2 * Math.PI / 4) / (x * x), w = Math.Log(x), s = 0;
            for (int k = 1; k < kMax; k += 2) s += Math.Exp(k * k * z - w);
            return s / (1 / Math.Sqrt(2 * Math.PI));
        }
        else
        {
            double z = -2 * x * x, s = -1, oldValue = 0, newValue = 1;
            int k = 1;
            while (Math.Abs(oldValue - newValue) > tol)
            {
                oldValue = newValue;
                newValue += 2 * s * Math.Exp(z * k * k);
                s *= -1;
                k++;
            }
            return newValue;
        }
    }

    /// <summary>
    /// P(D ≤ d) for the two-sided one-sample statistic with n observations, exactly: Marsaglia, Tsang and Wang (2003),
    /// "Evaluating Kolmogorov's distribution", J. Stat. Softw. 8(18) (the matrix-power algorithm R's ks.test uses).
    /// </summary>
    internal static double KolmogorovExact(double d, int n)
    {
        if (d <= 0) return 0;
        if (d >= 1) return 1;
        int k = (int)(n * d) + 1;
        int m = 2 * k - 1;
        double h = k - n * d;
        var hm = new double[m * m];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < m; j++)
                hm[i * m + j] = i - j + 1 < 0 ? 0 : 1;
        for (int i = 0; i < m; i++)
        {
            hm[i * m] -= Math.Pow(h, i + 1);
            hm[(m - 1) * m + i] -= Math.Pow(h, m - i);
        }
        hm[(m - 1) * m] += 2 * h - 1 > 0 ? Math.Pow(2 * h - 1, m) : 0;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < m; j++)
                if (i - j + 1 > 0)
                    for (int g = 1; g <= i - j + 1; g++)
                        hm[i * m + j] /= g;
        var q = MatrixPower(hm, 0, m, n, out int eQ);
        double s = q[(k - 1) * m + k - 1];
        for (int i = 1; i <= n; i++)
        {
            s = s * i / n;
            if (s < 1e-140)
            {
                s *= 1e140;
                eQ -= 140;
            }
        }
        return s * Math.Pow(10.0, eQ);
    }

    private static double[] MatrixPower(double[] a, int eA, int m, int n, out int eV)
    {
        if (n == 1)
        {
            eV = eA;
            return (double[])a.Clone();
        }
        var v = MatrixPower(a, eA, m, n / 2, out eV);
        var b = Multiply(v, v, m);
        int eB = 2 * eV;
        if (n % 2 == 0)
        {
            v = b;
            eV = eB;
        }
        else
        {
            v = Multiply(a, b, m);
            eV = eA + eB;
        }
        if (v[m / 2 * m + m / 2] > 1e140)
        {
            for (int i = 0; i < m * m; i++) v[i] *= 1e-140;
            eV += 140;
        }
        return v;
    }

    private static double[] Multiply(double[] a, double[] b, int m)
    {
        var c = new double[m * m];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < m; j++)
            {
                double s = 0;
                for (int k = 0; k < m; k++) s += a[i * m + k] * b[k * m + j];
                c[i * m + j] = s;
            }
        return c;
    }
}
