using System.Collections.Concurrent;
using System.Globalization;

namespace Glmm.Quadrature;

/// <summary>
/// K-point Gauss–Hermite rules for the standard normal weight ("probabilists'" Hermite):
/// ∫ f(z) φ(z) dz ≈ Σ_k w_k f(z_k), exact for polynomials of degree ≤ 2K − 1, Σ_k w_k = 1.
/// </summary>
/// <remarks>
/// <para>Method: Golub–Welsch — the nodes are the eigenvalues of the K×K Jacobi matrix of the
/// orthonormal Hermite polynomials (zero diagonal, off-diagonal √1, …, √(K−1)), found with an
/// implicit QL iteration written here; each positive node is then polished by Newton's method on
/// the orthonormal three-term recurrence √(j+1) p_{j+1}(x) = x p_j(x) − √j p_{j−1}(x)
/// (p_K′ = √K p_{K−1}), and the weight is w = 1 / Σ_{j&lt;K} p_j(z)². Negative nodes are the exact
/// mirror images of the positive ones (z_k = −z_{K+1−k} bit for bit; the middle node of an odd rule
/// is exactly 0). The recurrence is rescaled by powers of two when it grows, so the log-weights are
/// exact even far beyond the point where weights underflow (K ≳ 390).</para>
/// <para>Accuracy (checked in the tests against moments and published values): nodes to ~1e-15
/// absolute and weights to ~1e-14 relative up to K = 100. The smallest weight at K = 100 is
/// about 1.5e-79, far from underflow.</para>
/// <para>Rules are computed once per K and cached (thread-safe).</para>
/// </remarks>
public static class GaussHermite
{
    /// <summary>The largest number of points supported.</summary>
    public const int MaxPoints = 1000;

    private static readonly ConcurrentDictionary<int, Lazy<QuadratureRule>> Cache = new();

    /// <summary>The K-point rule (1 ≤ K ≤ <see cref="MaxPoints"/>), nodes in increasing order.</summary>
    public static QuadratureRule Rule(int k)
    {
        if (k < 1 || k > MaxPoints)
            throw new ArgumentOutOfRangeException(nameof(k), "the number of Gauss-Hermite points must be between 1 and " + MaxPoints.ToString(CultureInfo.InvariantCulture));
        return Cache.GetOrAdd(k, n => new Lazy<QuadratureRule>(() => Build(n), LazyThreadSafetyMode.ExecutionAndPublication)).Value;
    }

    private static QuadratureRule Build(int k)
    {
        var nodes = new double[k];
        var weights = new double[k];
        var logWeights = new double[k];
        Compute(k, nodes, weights, logWeights);
        return new QuadratureRule(1, nodes, weights, logWeights, 2 * k - 1,
            "Gauss-Hermite, K = " + k.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Fills nodes (increasing), weights and log-weights of the K-point rule.</summary>
    internal static void Compute(int k, double[] nodes, double[] weights, double[] logWeights)
    {
        if (k == 1)
        {
            nodes[0] = 0; weights[0] = 1; logWeights[0] = 0;
            return;
        }
        var d = new double[k];
        var e = new double[k];
        for (int i = 0; i < k - 1; i++) e[i] = Math.Sqrt(i + 1.0);
        TridiagonalEigenvalues(d, e);
        Array.Sort(d);

        int half = k / 2;
        for (int i = 0; i < half; i++)
        {
            // Positive node i of the upper half: average the two eigenvalue estimates of ±x.
            double x0 = 0.5 * (d[k - 1 - i] - d[i]);
            double x = NewtonPolish(k, x0);
            nodes[k - 1 - i] = x;
            nodes[i] = -x;
        }
        if (k % 2 == 1) nodes[half] = 0.0;

        double sqrtK = Math.Sqrt(k);
        for (int i = half; i < k; i++)
        {
            double x = nodes[i];
            ChristoffelSum(k, x, out double sum, out double slope, out int scaleExponent);
            // True Σ p_j² = sum · 2^(2·scaleExponent); slope = d/dx log Σ p_j².
            // The stored node is the root rounded to double; its offset from the true root (the
            // Newton step too small to apply) would cost ~|x|·ulp(x) relative accuracy in the weight
            // (4e-14 for the outer nodes at K = 100), so correct the weight to first order.
            double correction = 0;
            if (x != 0)
            {
                Evaluate(k, x, out double pk, out double pkm1);
                double delta = -pk / (sqrtK * pkm1);
                double ulp = Math.BitIncrement(Math.Abs(x)) - Math.Abs(x);
                if (double.IsFinite(delta) && Math.Abs(delta) <= 4 * ulp)
                    correction = -slope * delta;
            }
            weights[i] = Math.ScaleB(1.0 / sum, -2 * scaleExponent) * (1 + correction);
            logWeights[i] = -Math.Log(sum) - 2 * scaleExponent * Math.Log(2.0) + correction;
            weights[k - 1 - i] = weights[i];
            logWeights[k - 1 - i] = logWeights[i];
        }
    }

    private const int RescaleExponent = 300;
    private const double RescaleThreshold = 2.037035976334486e90; // 2^300

    /// <summary>Newton iteration on p_K(x) = 0 with p_K′ = √K p_{K−1}.</summary>
    private static double NewtonPolish(int k, double x)
    {
        double sqrtK = Math.Sqrt(k);
        double lastStep = double.PositiveInfinity;
        for (int iter = 0; iter < 20; iter++)
        {
            Evaluate(k, x, out double pk, out double pkm1);
            double step = pk / (sqrtK * pkm1);
            if (!double.IsFinite(step)) break;
            double abs = Math.Abs(step);
            if (abs >= lastStep) break; // no further progress: rounding level reached
            x -= step;
            lastStep = abs;
            if (abs <= 1e-17 * Math.Max(1.0, Math.Abs(x))) break;
        }
        return x;
    }

    /// <summary>p_K(x) and p_{K−1}(x) (orthonormal), both scaled by the same power of two.</summary>
    private static void Evaluate(int k, double x, out double pk, out double pkm1)
    {
        double prev = 1.0, cur = x;
        for (int j = 1; j < k; j++)
        {
            double next = (x * cur - Math.Sqrt(j) * prev) / Math.Sqrt(j + 1.0);
            prev = cur;
            cur = next;
            if (Math.Abs(cur) > RescaleThreshold)
            {
                cur = Math.ScaleB(cur, -RescaleExponent);
                prev = Math.ScaleB(prev, -RescaleExponent);
            }
        }
        pk = cur;
        pkm1 = prev;
    }

    /// <summary>
    /// Σ_{j&lt;K} p_j(x)² = sum · 2^(2·scaleExponent), with rescaling against overflow, and
    /// slope = d/dx log Σ p_j² = 2 Σ √j p_j p_{j−1} / Σ p_j².
    /// </summary>
    private static void ChristoffelSum(int k, double x, out double sum, out double slope, out int scaleExponent)
    {
        double prev = 1.0, cur = x;
        sum = 1.0 + x * x;
        double cross = x; // Σ √j p_j p_{j−1}
        scaleExponent = 0;
        for (int j = 1; j < k - 1; j++)
        {
            double next = (x * cur - Math.Sqrt(j) * prev) / Math.Sqrt(j + 1.0);
            prev = cur;
            cur = next;
            if (Math.Abs(cur) > RescaleThreshold)
            {
                cur = Math.ScaleB(cur, -RescaleExponent);
                prev = Math.ScaleB(prev, -RescaleExponent);
                sum = Math.ScaleB(sum, -2 * RescaleExponent);
                cross = Math.ScaleB(cross, -2 * RescaleExponent);
                scaleExponent += RescaleExponent;
            }
            sum += cur * cur;
            cross += Math.Sqrt(j + 1.0) * cur * prev;
        }
        slope = 2 * cross / sum;
    }

    /// <summary>
    /// Eigenvalues of the symmetric tridiagonal matrix with diagonal <paramref name="d"/> and
    /// sub-diagonal <paramref name="e"/> (e[i] couples rows i and i+1; e[n−1] is ignored), by the
    /// implicit QL method with Wilkinson-type shifts. On return d holds the eigenvalues (unordered)
    /// and e is destroyed.
    /// </summary>
    internal static void TridiagonalEigenvalues(double[] d, double[] e)
    {
        int n = d.Length;
        if (n == 0) return;
        e[n - 1] = 0.0;
        for (int l = 0; l < n; l++)
        {
            int iterations = 0;
            while (true)
            {
                int m = l;
                for (; m < n - 1; m++)
                {
                    double dd = Math.Abs(d[m]) + Math.Abs(d[m + 1]);
                    if (Math.Abs(e[m]) <= double.Epsilon || Math.Abs(e[m]) <= 1.1102230246251565e-16 * dd) break;
                }
                if (m == l) break;
                if (++iterations > 60) throw new InvalidOperationException("tridiagonal QL iteration did not converge");

                // Shift from the leading 2×2 block.
                double g = (d[l + 1] - d[l]) / (2.0 * e[l]);
                double r = Hypot(g, 1.0);
                g = d[m] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
                double s = 1.0, c = 1.0, p = 0.0;
                int i = m - 1;
                bool deflated = false;
                for (; i >= l; i--)
                {
                    double f = s * e[i];
                    double b = c * e[i];
                    r = Hypot(f, g);
                    e[i + 1] = r;
                    if (r == 0.0)
                    {
                        // Underflow: the matrix splits; recover and restart this eigenvalue.
                        d[i + 1] -= p;
                        e[m] = 0.0;
                        deflated = true;
                        break;
                    }
                    s = f / r;
                    c = g / r;
                    g = d[i + 1] - p;
                    r = (d[i] - g) * s + 2.0 * c * b;
                    p = s * r;
                    d[i + 1] = g + p;
                    g = c * r - b;
                }
                if (deflated) continue;
                d[l] -= p;
                e[l] = g;
                e[m] = 0.0;
            }
        }
    }

    private static double Hypot(double a, double b)
    {
        double x = Math.Abs(a), y = Math.Abs(b);
        if (x < y) (x, y) = (y, x);
        if (x == 0.0) return 0.0;
        double t = y / x;
        return x * Math.Sqrt(1.0 + t * t);
    }
}
