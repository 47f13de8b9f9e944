using Glmm.Families;
using Glmm.Model;

namespace Glmm.Fitting;

/// <summary>What <see cref="SeparationCheck"/> found.</summary>
/// <param name="Separated">A direction exists along which the likelihood rises for ever: the estimates are infinite.</param>
/// <param name="Complete">Every row with only successes or only failures is fitted exactly (complete separation); else quasi-complete.</param>
/// <param name="Direction">The recession direction b found (internal scale), 0 for coefficients that stay finite.</param>
/// <param name="Coefficients">Names of the coefficients that diverge, with the sign of their direction.</param>
internal sealed record SeparationResult(bool Separated, bool Complete, double[] Direction, IReadOnlyList<(string Name, int Sign)> Coefficients)
{
    /// <summary>No separation.</summary>
    public static SeparationResult None(int p) => new(false, false, new double[p], []);

    /// <summary>The diverging coefficients for a message: <c>(Intercept) (towards +), fb (towards -)</c>.</summary>
    public string Describe() => string.Join(", ", Coefficients.Select(c => $"{c.Name} (towards {(c.Sign > 0 ? "+" : "-")})"));
}

/// <summary>
/// Detects complete and quasi-complete separation of the fixed effects by the linear program of Konis (2007), as R's
/// <c>detectseparation</c> does: with aᵢ = xᵢ for rows that are all successes and −xᵢ for rows that are all failures
/// (Poisson: −xᵢ for zero counts), and xᵢ'b = 0 for rows with both (positive counts),
/// maximise Σ aᵢ'b subject to aᵢ'b ≥ 0 and −1 ≤ b ≤ 1. The optimum is 0 unless the data are separated; then the
/// likelihood rises without bound along b (the random effects cannot stop it: they stay put while Xβ moves along Xb),
/// and the coefficients with bⱼ ≠ 0 are infinite. Solved by a dense primal simplex (Bland's rule) on the distinct
/// rows, each scaled to unit maximum; the columns are the engine's internally scaled ones.
/// </summary>
internal static class SeparationCheck
{
    /// <summary>Tableau entries (rows × columns) above which the check is skipped.</summary>
    public const long MaxTableauEntries = 20_000_000;

    private const double Eps = 1e-9;

    /// <summary>
    /// Runs the check on X, y and the prior weights of <paramref name="model"/> for <paramref name="family"/>;
    /// null when the problem is too large to decide.
    /// </summary>
    public static SeparationResult? Run(ModelStructure model, Family family)
    {
        var x = model.X;
        int n = x.Rows, p = x.Columns;
        if (p == 0) return SeparationResult.None(p);
        var ineq = new List<double[]>();
        var eq = new List<double[]>();
        var seenIneq = new HashSet<double[]>(RowComparer.Instance);
        var seenEq = new HashSet<double[]>(RowComparer.Instance);
        var row = new double[p];
        for (int i = 0; i < n; i++)
        {
            double w = model.Weights[i], y = model.Y[i];
            if (!(w > 0)) continue;
            int sign;
            if (family is Poisson or NegativeBinomial2 or NegativeBinomial1) sign = y == 0 ? -1 : 0;
            else sign = y <= 0 ? -1 : y >= 1 ? 1 : 0;
            double max = 0;
            for (int j = 0; j < p; j++)
            {
                row[j] = x[i, j];
                max = Math.Max(max, Math.Abs(row[j]));
            }
            if (max == 0 || !double.IsFinite(max)) continue;
            for (int j = 0; j < p; j++) row[j] = (sign == 0 ? 1 : sign) * row[j] / max;
            var seen = sign == 0 ? seenEq : seenIneq;
            if (seen.Contains(row)) continue; // a repeated row costs no allocation
            var a = (double[])row.Clone();
            seen.Add(a);
            (sign == 0 ? eq : ineq).Add(a);
        }
        if (ineq.Count == 0) return SeparationResult.None(p);
        long m = ineq.Count + 2L * eq.Count + 2L * p;
        if (m * (p + 1) > MaxTableauEntries) return null;
        var objective = new double[p];
        foreach (var a in ineq)
            for (int j = 0; j < p; j++) objective[j] += a[j];
        var b = Maximise(objective, ineq, eq, p);
        if (b is null) return null;
        double value = 0;
        for (int j = 0; j < p; j++) value += objective[j] * b[j];
        if (!(value > 1e-7)) return SeparationResult.None(p);
        // The simplex treats entries below its tolerance as 0; a direction found that way must still satisfy every
        // constraint up to rounding (relative to the sizes of its terms), or the data only look separated because one
        // covariate spans many orders of magnitude.
        if (!Satisfies(b, ineq, eq)) return SeparationResult.None(p);
        var names = new List<(string, int)>();
        for (int j = 0; j < p; j++)
            if (Math.Abs(b[j]) > 1e-6) names.Add((x.Names[j], Math.Sign(b[j])));
        if (names.Count == 0) return SeparationResult.None(p);
        return new SeparationResult(true, IsComplete(ineq, eq, p), b, names);
    }

    private static bool Satisfies(double[] b, List<double[]> ineq, List<double[]> eq)
    {
        foreach (var (rows, equality) in new[] { (ineq, false), (eq, true) })
            foreach (var a in rows)
            {
                double sum = 0, size = 0;
                for (int j = 0; j < b.Length; j++)
                {
                    sum += a[j] * b[j];
                    size += Math.Abs(a[j] * b[j]);
                }
                if (sum < -1e-9 * size || (equality && sum > 1e-9 * size)) return false;
            }
        return true;
    }

    /// <summary>
    /// Complete separation (no rows with both outcomes, and some b with every aᵢ'b &gt; 0): max t subject to aᵢ'b ≥ t,
    /// −1 ≤ b, t ≤ 1, positive exactly when every row can be fitted strictly.
    /// </summary>
    private static bool IsComplete(List<double[]> ineq, List<double[]> eq, int p)
    {
        if (eq.Count > 0) return false;
        var rows = ineq.Select(a => a.Append(-1.0).ToArray()).ToList();
        var objective = new double[p + 1];
        objective[p] = 1;
        var bt = Maximise(objective, rows, [], p + 1);
        return bt is not null && bt[p] > 1e-7;
    }

    /// <summary>
    /// max c'b subject to aᵢ'b ≥ 0 (inequality rows), eᵢ'b = 0 (equality rows), −1 ≤ b ≤ 1, b free otherwise;
    /// the dictionary starts at b = 0 with the slacks basic (feasible). Null when the pivot limit is reached.
    /// </summary>
    private static double[]? Maximise(double[] c, List<double[]> ineq, List<double[]> eq, int p)
    {
        // Constraints g'b ≤ h as slack s = h − g'b ≥ 0: −aᵢ'b ≤ 0; eᵢ'b ≤ 0 and −eᵢ'b ≤ 0; bⱼ ≤ 1; −bⱼ ≤ 1.
        int m = ineq.Count + 2 * eq.Count + 2 * p;
        int cols = p + 1; // column 0: the constant; columns 1..p: the nonbasic variables
        var t = new double[(long)m * cols];
        int r = 0;
        void AddRow(double[] g, double h, double sign)
        {
            long o = (long)r * cols;
            t[o] = h;
            for (int j = 0; j < p; j++) t[o + 1 + j] = -sign * g[j];
            r++;
        }
        foreach (var a in ineq) AddRow(a, 0, -1);
        foreach (var e in eq) { AddRow(e, 0, 1); AddRow(e, 0, -1); }
        for (int j = 0; j < p; j++)
        {
            var ej = new double[p];
            ej[j] = 1;
            AddRow(ej, 1, 1);
            AddRow(ej, 1, -1);
        }
        // Variable ids: 0..p-1 are b (free), p..p+m-1 the slacks (≥ 0).
        var basic = new int[m];
        for (int i = 0; i < m; i++) basic[i] = p + i;
        var nonbasic = new int[p];
        for (int j = 0; j < p; j++) nonbasic[j] = j;
        var d = (double[])c.Clone();
        int maxPivots = 50 * (m + p) + 1000;
        for (int pivot = 0; pivot < maxPivots; pivot++)
        {
            // Bland: the entering variable with the smallest id among those that improve the objective.
            int enter = -1, dir = 0;
            for (int k = 0; k < p; k++)
            {
                bool free = nonbasic[k] < p;
                int cand = d[k] > Eps ? 1 : free && d[k] < -Eps ? -1 : 0;
                if (cand != 0 && (enter < 0 || nonbasic[k] < nonbasic[enter])) { enter = k; dir = cand; }
            }
            if (enter < 0) return Solution(t, basic, cols, m, p);
            int leave = -1;
            double best = double.PositiveInfinity;
            for (int i = 0; i < m; i++)
            {
                if (basic[i] < p) continue; // a free variable never leaves
                double coef = t[(long)i * cols + 1 + enter] * dir;
                if (coef >= -Eps) continue;
                double ratio = Math.Max(t[(long)i * cols], 0) / -coef;
                if (ratio < best - 1e-12) { leave = i; best = ratio; }
                else if (ratio <= best + 1e-12 && basic[i] < basic[leave]) leave = i;
            }
            if (leave < 0) return null; // unbounded: impossible with the box, so numerical trouble
            // Pivot: the entering variable becomes basic in row 'leave'.
            long lo = (long)leave * cols;
            double piv = t[lo + 1 + enter];
            // Row 'leave': x_B = t0 + Σ t_k N_k; solve for N_enter.
            var prow = new double[cols];
            for (int k = 0; k < cols; k++) prow[k] = -t[lo + k] / piv;
            prow[1 + enter] = 1.0 / piv;
            for (int i = 0; i < m; i++)
            {
                if (i == leave) continue;
                long o = (long)i * cols;
                double f = t[o + 1 + enter];
                if (f == 0) continue;
                for (int k = 0; k < cols; k++) t[o + k] += f * prow[k];
                t[o + 1 + enter] = f * prow[1 + enter];
            }
            for (int k = 0; k < cols; k++) t[lo + k] = prow[k];
            double fd = d[enter];
            for (int k = 0; k < p; k++) d[k] += fd * prow[1 + k];
            d[enter] = fd * prow[1 + enter];
            (basic[leave], nonbasic[enter]) = (nonbasic[enter], basic[leave]);
        }
        return null;
    }

    /// <summary>Rows compared bit for bit (the distinct rows of the linear program).</summary>
    private sealed class RowComparer : IEqualityComparer<double[]>
    {
        public static readonly RowComparer Instance = new();

        public bool Equals(double[]? x, double[]? y) => x is not null && y is not null && x.AsSpan().SequenceEqual(y);

        public int GetHashCode(double[] row)
        {
            var h = new HashCode();
            foreach (double v in row) h.Add(BitConverter.DoubleToInt64Bits(v));
            return h.ToHashCode();
        }
    }

    private static double[] Solution(double[] t, int[] basic, int cols, int m, int p)
    {
        var b = new double[p];
        for (int i = 0; i < m; i++)
            if (basic[i] < p) b[basic[i]] = t[(long)i * cols];
        return b;
    }
}
