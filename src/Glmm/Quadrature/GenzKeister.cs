using System.Globalization;

namespace Glmm.Quadrature;

/// <summary>
/// The nested Genz–Keister (1996) sequence of 1-D rules for the standard normal weight:
/// levels 1–5 have 1, 3, 9, 19, 35 nodes and are exact for polynomials of degree 1, 5, 15, 29, 51.
/// Each rule contains all nodes of the previous one, which makes Smolyak sparse grids built on them
/// much smaller (see <see cref="SparseGrid"/>).
/// </summary>
/// <remarks>
/// <para>Derivation (done here, not hard-coded): each level is a Kronrod–Patterson extension of the
/// previous one. Given the n old nodes with node polynomial Π_old, the m new nodes (m = 2, 6, 10,
/// 16) are the zeros of the degree-m polynomial Π_new that satisfies
/// ∫ Π_old(z) Π_new(z) p_j(z) φ(z) dz = 0 for j &lt; m; the interpolatory rule on the n + m nodes is
/// then exact to degree n + 2m − 1 (one more by symmetry). All polynomials are held as
/// coefficient vectors in the orthonormal Hermite basis p_j, which keeps the linear algebra well
/// conditioned; the zeros of the even polynomial Π_new are bracketed on a fine grid and bisected to
/// full precision; the weights solve the (even) moment equations Σ_k w_k p_j(z_k) = δ_{j0} in the same
/// basis. The first extension (1 → 3) gives the 3-point Gauss–Hermite rule. The nodes agree with the
/// published Genz–Keister values (Burkardt's tables, scaled by √2 to the normal weight) to ~1e-15.
/// Levels 1–3 and 5 have positive weights; level 4 (19 nodes) has one negative pair, at
/// ±2.0232301911005157·√2, as published.</para>
/// </remarks>
public static class GenzKeister
{
    /// <summary>The number of levels available (1 … 5).</summary>
    public const int MaxLevel = 5;

    private static readonly int[] SizesArray = { 1, 3, 9, 19, 35 };
    private static readonly int[] PrecisionsArray = { 1, 5, 15, 29, 51 };
    private static readonly Lazy<QuadratureRule[]> Rules = new(BuildAll, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Number of nodes of levels 1 … 5: 1, 3, 9, 19, 35.</summary>
    public static IReadOnlyList<int> Sizes => SizesArray;

    /// <summary>Degree of exactness of levels 1 … 5: 1, 5, 15, 29, 51.</summary>
    public static IReadOnlyList<int> Precisions => PrecisionsArray;

    /// <summary>The rule of the given level (1 ≤ level ≤ <see cref="MaxLevel"/>), nodes in increasing order.</summary>
    public static QuadratureRule Rule(int level)
    {
        if (level < 1 || level > MaxLevel)
            throw new ArgumentOutOfRangeException(nameof(level), "Genz-Keister level must be between 1 and " + MaxLevel.ToString(CultureInfo.InvariantCulture));
        return Rules.Value[level - 1];
    }

    /// <summary>The smallest level whose precision is at least <paramref name="degree"/>, or −1 if none.</summary>
    public static int LevelForPrecision(int degree)
    {
        for (int i = 0; i < PrecisionsArray.Length; i++) if (PrecisionsArray[i] >= degree) return i + 1;
        return -1;
    }

    private static QuadratureRule[] BuildAll()
    {
        var result = new QuadratureRule[MaxLevel];
        var positive = new List<double>(); // positive nodes so far; 0 is always a node
        result[0] = MakeRule(positive, 1);
        for (int level = 2; level <= MaxLevel; level++)
        {
            int m = SizesArray[level - 1] - SizesArray[level - 2];
            positive.AddRange(ExtensionNodes(positive, m));
            positive.Sort();
            result[level - 1] = MakeRule(positive, level);
        }
        return result;
    }

    /// <summary>The m/2 positive zeros of the Patterson extension polynomial of the current node set {0, ±positive}.</summary>
    private static double[] ExtensionNodes(List<double> positive, int m)
    {
        var oldNodes = new List<double> { 0.0 };
        foreach (var x in positive) { oldNodes.Add(x); oldNodes.Add(-x); }
        int n = oldNodes.Count;
        int len = n + m + 1;

        // Column l: Hermite coefficients of Π_old · p_l; keep rows j < m.
        var a = new double[m, m + 1];
        var f = new double[len];
        var g = new double[len];
        for (int l = 0; l <= m; l++)
        {
            Array.Clear(f);
            f[l] = 1.0;
            int deg = l;
            foreach (var c in oldNodes)
            {
                // g = (x − c) f, using x p_j = √(j+1) p_{j+1} + √j p_{j−1}.
                Array.Clear(g);
                for (int j = 0; j <= deg; j++)
                {
                    if (f[j] == 0) continue;
                    g[j + 1] += Math.Sqrt(j + 1.0) * f[j];
                    if (j > 0) g[j - 1] += Math.Sqrt(j) * f[j];
                    g[j] -= c * f[j];
                }
                deg++;
                (f, g) = (g, f);
            }
            for (int j = 0; j < m; j++) a[j, l] = f[j];
        }

        // Solve for c_0 … c_{m−1} with c_m = 1.
        var rhs = new double[m];
        var mat = new double[m, m];
        for (int j = 0; j < m; j++)
        {
            rhs[j] = -a[j, m];
            for (int l = 0; l < m; l++) mat[j, l] = a[j, l];
        }
        var coef = new double[m + 1];
        var sol = Solve(mat, rhs);
        for (int l = 0; l < m; l++) coef[l] = sol[l];
        coef[m] = 1.0;

        // Bracket the positive zeros of the even polynomial Σ c_l p_l on a fine grid, then bisect.
        var roots = new List<double>();
        double h = 1e-3;
        double xPrev = h * 0.5, fPrev = EvaluateSeries(coef, xPrev);
        for (double x = xPrev + h; roots.Count < m / 2 && x < 40; x += h)
        {
            double fx = EvaluateSeries(coef, x);
            if (Math.Sign(fx) != Math.Sign(fPrev))
                roots.Add(Bisect(coef, xPrev, x, fPrev));
            xPrev = x;
            fPrev = fx;
        }
        if (roots.Count != m / 2) throw new InvalidOperationException("Genz-Keister extension has complex or missing nodes");
        var y = roots.ToArray();
        Polish(oldNodes, y);
        return y;
    }

    /// <summary>
    /// Newton polish of the new positive nodes y on the defining conditions
    /// F_r(y) = ∫ Π_old(z) Π_i (z² − y_i²) p_{2r+1}(z) φ(z) dz = 0 (r &lt; m/2), with the integrals done
    /// exactly by a Gauss–Hermite rule and both polynomials kept in product form, which is far better
    /// conditioned than the coefficient representation used to bracket the roots.
    /// </summary>
    private static void Polish(List<double> oldNodes, double[] y)
    {
        int h = y.Length;
        int m = 2 * h;
        int n = oldNodes.Count;
        var gh = GaussHermite.Rule(n + m); // exact to degree 2(n+m)−1 ≥ n + 2m − 2
        int count = gh.Count;
        var a = new double[count];
        var p = new double[count, h];
        var values = new double[2 * h];
        for (int k = 0; k < count; k++)
        {
            double z = gh.Nodes[k];
            double prod = gh.Weights[k];
            foreach (var c in oldNodes) prod *= z - c;
            a[k] = prod;
            HermiteValues(z, values);
            for (int r = 0; r < h; r++) p[k, r] = values[2 * r + 1]; // Π_old is odd (0 is a node), so only odd p_j matter
        }
        var f = new double[h];
        var jac = new double[h, h];
        double lastNorm = double.PositiveInfinity;
        for (int iter = 0; iter < 8; iter++)
        {
            Array.Clear(f);
            Array.Clear(jac);
            for (int k = 0; k < count; k++)
            {
                double z2 = gh.Nodes[k] * gh.Nodes[k];
                double full = a[k];
                for (int i = 0; i < h; i++) full *= z2 - y[i] * y[i];
                for (int r = 0; r < h; r++) f[r] += full * p[k, r];
                for (int i = 0; i < h; i++)
                {
                    double partial = a[k] * (-2 * y[i]);
                    for (int l = 0; l < h; l++) if (l != i) partial *= z2 - y[l] * y[l];
                    for (int r = 0; r < h; r++) jac[r, i] += partial * p[k, r];
                }
            }
            var step = Solve(jac, f);
            double norm = 0;
            for (int i = 0; i < h; i++) norm = Math.Max(norm, Math.Abs(step[i]));
            if (!(norm < lastNorm)) break;
            for (int i = 0; i < h; i++) y[i] -= step[i];
            lastNorm = norm;
            if (norm < 1e-17) break;
        }
    }

    private static double Bisect(double[] coef, double lo, double hi, double fLo)
    {
        for (int it = 0; it < 200; it++)
        {
            double mid = 0.5 * (lo + hi);
            if (mid <= lo || mid >= hi) break;
            double fm = EvaluateSeries(coef, mid);
            if (fm == 0) return mid;
            if (Math.Sign(fm) == Math.Sign(fLo)) { lo = mid; fLo = fm; }
            else hi = mid;
        }
        // Choose the endpoint with the smaller residual.
        return Math.Abs(EvaluateSeries(coef, lo)) <= Math.Abs(EvaluateSeries(coef, hi)) ? lo : hi;
    }

    /// <summary>Σ_l c_l p_l(x) by the forward recurrence.</summary>
    private static double EvaluateSeries(double[] coef, double x)
    {
        double prev = 1.0, cur = x;
        double s = coef[0] + (coef.Length > 1 ? coef[1] * x : 0);
        for (int j = 1; j < coef.Length - 1; j++)
        {
            double next = (x * cur - Math.Sqrt(j) * prev) / Math.Sqrt(j + 1.0);
            prev = cur;
            cur = next;
            s += coef[j + 1] * cur;
        }
        return s;
    }

    /// <summary>Interpolatory weights on {0, ±positive} from the even moment equations.</summary>
    private static QuadratureRule MakeRule(List<double> positive, int level)
    {
        int h = positive.Count;
        int size = h + 1; // unknowns: w(0), w(±x_i)
        var mat = new double[size, size];
        var rhs = new double[size];
        rhs[0] = 1.0;
        var p = new double[2 * h + 1];
        for (int col = 0; col < size; col++)
        {
            double x = col == 0 ? 0.0 : positive[col - 1];
            HermiteValues(x, p);
            for (int row = 0; row < size; row++) mat[row, col] = (col == 0 ? 1.0 : 2.0) * p[2 * row];
        }
        var w = Solve(mat, rhs);

        int count = 2 * h + 1;
        var nodes = new double[count];
        var weights = new double[count];
        nodes[h] = 0.0;
        weights[h] = w[0];
        for (int i = 0; i < h; i++)
        {
            nodes[h + 1 + i] = positive[i];
            nodes[h - 1 - i] = -positive[i];
            weights[h + 1 + i] = w[i + 1];
            weights[h - 1 - i] = w[i + 1];
        }
        return new QuadratureRule(1, nodes, weights, null, PrecisionsArray[level - 1],
            "Genz-Keister level " + level.ToString(CultureInfo.InvariantCulture));
    }

    private static void HermiteValues(double x, double[] p)
    {
        p[0] = 1.0;
        if (p.Length > 1) p[1] = x;
        for (int j = 1; j < p.Length - 1; j++) p[j + 1] = (x * p[j] - Math.Sqrt(j) * p[j - 1]) / Math.Sqrt(j + 1.0);
    }

    /// <summary>Gaussian elimination with partial pivoting and one step of iterative refinement.</summary>
    internal static double[] Solve(double[,] a, double[] b)
    {
        int n = b.Length;
        var lu = (double[,])a.Clone();
        var perm = new int[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        for (int k = 0; k < n; k++)
        {
            int piv = k;
            for (int i = k + 1; i < n; i++) if (Math.Abs(lu[i, k]) > Math.Abs(lu[piv, k])) piv = i;
            if (lu[piv, k] == 0) throw new InvalidOperationException("singular system");
            if (piv != k)
            {
                for (int j = 0; j < n; j++) (lu[k, j], lu[piv, j]) = (lu[piv, j], lu[k, j]);
                (perm[k], perm[piv]) = (perm[piv], perm[k]);
            }
            for (int i = k + 1; i < n; i++)
            {
                double factor = lu[i, k] / lu[k, k];
                lu[i, k] = factor;
                for (int j = k + 1; j < n; j++) lu[i, j] -= factor * lu[k, j];
            }
        }
        double[] LuSolve(double[] r)
        {
            var y = new double[n];
            for (int i = 0; i < n; i++)
            {
                double s = r[perm[i]];
                for (int j = 0; j < i; j++) s -= lu[i, j] * y[j];
                y[i] = s;
            }
            for (int i = n - 1; i >= 0; i--)
            {
                double s = y[i];
                for (int j = i + 1; j < n; j++) s -= lu[i, j] * y[j];
                y[i] = s / lu[i, i];
            }
            return y;
        }
        var x = LuSolve(b);
        var res = new double[n];
        for (int i = 0; i < n; i++)
        {
            double s = b[i];
            for (int j = 0; j < n; j++) s -= a[i, j] * x[j];
            res[i] = s;
        }
        var dx = LuSolve(res);
        for (int i = 0; i < n; i++) x[i] += dx[i];
        return x;
    }
}
