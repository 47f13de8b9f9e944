using Glmm.Quadrature;

namespace Glmm.Tests.Quadrature;

internal static class GridTestHelpers
{
    /// <summary>Σ_k w_k Π_d z_kd^α_d and Σ_k |w_k Π_d z_kd^α_d| (the scale for rounding error).</summary>
    public static (double Value, double Scale) Monomial(QuadratureRule rule, int[] alpha)
    {
        double s = 0, scale = 0;
        int q = rule.Dimension;
        for (int k = 0; k < rule.Count; k++)
        {
            double t = rule.Weights[k];
            for (int d = 0; d < q; d++) t *= Math.Pow(rule.Nodes[k * q + d], alpha[d]);
            s += t;
            scale += Math.Abs(t);
        }
        return (s, scale);
    }

    public static double ExactMonomial(int[] alpha)
    {
        double r = 1;
        foreach (var a in alpha) r *= GaussHermiteTests.NormalMoment(a);
        return r;
    }

    /// <summary>All exponent vectors α ∈ ℕ^q with |α| ≤ maxTotal.</summary>
    public static IEnumerable<int[]> TotalDegreeAtMost(int q, int maxTotal)
    {
        var a = new int[q];
        while (true)
        {
            yield return (int[])a.Clone();
            int d = q - 1;
            while (d >= 0)
            {
                a[d]++;
                if (a.Sum() <= maxTotal) break;
                a[d] = 0;
                d--;
            }
            if (d < 0) yield break;
        }
    }

    /// <summary>All exponent vectors with each α_d ≤ maxEach.</summary>
    public static IEnumerable<int[]> EachAtMost(int q, int maxEach)
    {
        var a = new int[q];
        while (true)
        {
            yield return (int[])a.Clone();
            int d = q - 1;
            while (d >= 0)
            {
                if (++a[d] <= maxEach) break;
                a[d] = 0;
                d--;
            }
            if (d < 0) yield break;
        }
    }

    /// <summary>Worst error over the monomials, relative to max(1, exact, Σ|terms|·1e-3).</summary>
    public static double WorstMonomialError(QuadratureRule rule, IEnumerable<int[]> monomials)
    {
        double worst = 0;
        foreach (var alpha in monomials)
        {
            var (value, _) = Monomial(rule, alpha);
            double exact = ExactMonomial(alpha);
            // Odd monomials vanish; measure them against the matching even moment.
            double scale = 1;
            foreach (var a in alpha) scale *= GaussHermiteTests.NormalMoment(a + (a & 1));
            worst = Math.Max(worst, Math.Abs(value - exact) / Math.Max(1, scale));
        }
        return worst;
    }

    /// <summary>Σ_k w_k f(z_k) for a function of the node.</summary>
    public static double Integrate(QuadratureRule rule, Func<double[], double> f)
    {
        var z = new double[rule.Dimension];
        double s = 0;
        for (int k = 0; k < rule.Count; k++)
        {
            rule.Node(k).CopyTo(z);
            s += rule.Weights[k] * f(z);
        }
        return s;
    }
}
