using System.Runtime.CompilerServices;

namespace Glmm.LinearAlgebra;

/// <summary>
/// The symbolic structure of the factor of the "dense" block C of <see cref="BlockedCholesky"/>: C's pattern is the
/// union of the cliques the levels' patterns form (after the levels are eliminated, a level couples every pair of
/// dense indices it touches), and the rows of L follow from it by the row-subtree algorithm on the elimination tree
/// (Liu 1986; Davis 2006, §4). Computed once per model. When L stays sparse — nested factors, whose block after
/// eliminating the finer one is diagonal or a forest; partially crossed designs with local fill — the factorisation,
/// the solves and the selected inversion of C visit only L's non-zeros, still in C's dense storage; otherwise
/// (<see cref="IsSparse"/> false) C is factored densely.
/// </summary>
internal sealed class DenseBlockSparsity
{
    /// <summary>Above this share of the lower triangle's entries, L counts as dense.</summary>
    public const double DenseShare = 0.25;

    private readonly int[] _rowStart = [], _rowCols = [], _colStart = [], _colRows = [];

    private DenseBlockSparsity(int m, long nonZeros, bool sparse, int[] rowStart, int[] rowCols)
    {
        Size = m;
        NonZeros = nonZeros;
        IsSparse = sparse;
        if (!sparse) return;
        _rowStart = rowStart;
        _rowCols = rowCols;
        // The column patterns (rows below the diagonal of each column), ascending.
        _colStart = new int[m + 1];
        foreach (int j in rowCols) _colStart[j + 1]++;
        for (int j = 0; j < m; j++) _colStart[j + 1] += _colStart[j];
        _colRows = new int[rowCols.Length];
        var fill = (int[])_colStart.Clone();
        for (int i = 0; i < m; i++)
            for (int p = rowStart[i]; p < rowStart[i + 1]; p++) _colRows[fill[rowCols[p]]++] = i;
    }

    /// <summary>The order m of C.</summary>
    public int Size { get; }

    /// <summary>Non-zeros of L's lower triangle with the diagonal (m(m+1)/2 when dense).</summary>
    public long NonZeros { get; }

    /// <summary>True when L is sparse enough for the sparse kernels.</summary>
    public bool IsSparse { get; }

    /// <summary>Multiply-adds of one factorisation of C (m³/6 when dense; over the inner products of L's rows when sparse).</summary>
    public double FactorFlops
    {
        get
        {
            if (!IsSparse) return (double)Size * Size * Size / 6.0;
            double f = 0;
            for (int i = 0; i < Size; i++)
                foreach (int j in Row(i)) f += _rowStart[j + 1] - _rowStart[j] + 1;
            return f + NonZeros;
        }
    }

    /// <summary>Columns j &lt; i of L's row i that may be non-zero, ascending.</summary>
    public ReadOnlySpan<int> Row(int i) => _rowCols.AsSpan(_rowStart[i], _rowStart[i + 1] - _rowStart[i]);

    /// <summary>Rows k &gt; j of L's column j that may be non-zero, ascending.</summary>
    public ReadOnlySpan<int> Column(int j) => _colRows.AsSpan(_colStart[j], _colStart[j + 1] - _colStart[j]);

    /// <summary>
    /// The analysis for C of order <paramref name="m"/> whose off-diagonal pattern is the union of the cliques
    /// <paramref name="patternIndex"/>[<paramref name="patternStart"/>[l] .. <paramref name="patternStart"/>[l + 1]) (each
    /// ascending). Gives up early (dense) when the cliques alone hold more pairs than a dense L.
    /// </summary>
    public static DenseBlockSparsity Analyze(int m, ReadOnlySpan<int> patternStart, ReadOnlySpan<int> patternIndex)
    {
        long dense = (long)m * (m + 1) / 2;
        if (m == 0) return new DenseBlockSparsity(0, 0, false, [], []);
        long pairs = 0;
        for (int l = 0; l + 1 < patternStart.Length; l++)
        {
            long s = patternStart[l + 1] - patternStart[l];
            pairs += s * (s - 1) / 2;
        }
        if (pairs > 4 * dense) return new DenseBlockSparsity(m, dense, false, [], []);
        // C's strictly lower rows: for each clique member, the members before it (duplicates removed per row).
        var count = new int[m + 1];
        for (int l = 0; l + 1 < patternStart.Length; l++)
            for (int b = patternStart[l]; b < patternStart[l + 1]; b++) count[patternIndex[b] + 1] += b - patternStart[l];
        for (int i = 0; i < m; i++) count[i + 1] += count[i];
        var lower = new int[count[m]];
        var put = (int[])count.Clone();
        for (int l = 0; l + 1 < patternStart.Length; l++)
            for (int b = patternStart[l]; b < patternStart[l + 1]; b++)
                for (int a = patternStart[l]; a < b; a++) lower[put[patternIndex[b]]++] = patternIndex[a];
        // Row subtrees on the elimination tree: row i of L is every node on the paths from C's row-i entries up to i.
        var parent = new int[m];
        var flag = new int[m];
        var rowStart = new int[m + 1];
        var rows = new List<int>();
        long nonZeros = m;
        for (int i = 0; i < m; i++)
        {
            parent[i] = -1;
            flag[i] = i;
            int before = rows.Count;
            for (int p = count[i]; p < count[i + 1]; p++)
            {
                for (int j = lower[p]; flag[j] != i; j = parent[j])
                {
                    if (parent[j] == -1) parent[j] = i;
                    rows.Add(j);
                    flag[j] = i;
                }
            }
            rows.Sort(before, rows.Count - before, null);
            nonZeros += rows.Count - before;
            if (nonZeros > DenseShare * dense) return new DenseBlockSparsity(m, dense, false, [], []);
            rowStart[i + 1] = rows.Count;
        }
        return new DenseBlockSparsity(m, nonZeros, true, rowStart, rows.ToArray());
    }

    /// <summary>Cholesky factor of the m×m row-major C in place (lower triangle), visiting L's non-zeros only; false when C is not positive definite.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool Factor(Span<double> c)
    {
        int m = Size;
        for (int i = 0; i < m; i++)
        {
            var ci = c.Slice(i * m, m);
            var row = Row(i);
            double d = ci[i];
            foreach (int j in row)
            {
                var cj = c.Slice(j * m, m);
                double s = ci[j];
                foreach (int k in Row(j)) s -= ci[k] * cj[k];
                s /= cj[j];
                ci[j] = s;
                d -= s * s;
            }
            if (!(d > 0.0) || !double.IsFinite(d)) return false;
            ci[i] = Math.Sqrt(d);
        }
        return true;
    }

    /// <summary>Solves L y = b in place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void SolveLower(ReadOnlySpan<double> l, Span<double> b)
    {
        int m = Size;
        for (int i = 0; i < m; i++)
        {
            var li = l.Slice(i * m, m);
            double s = b[i];
            foreach (int j in Row(i)) s -= li[j] * b[j];
            b[i] = s / li[i];
        }
    }

    /// <summary>Solves L' x = y in place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void SolveUpper(ReadOnlySpan<double> l, Span<double> b)
    {
        int m = Size;
        for (int i = m - 1; i >= 0; i--)
        {
            var li = l.Slice(i * m, m);
            double xi = b[i] / li[i];
            b[i] = xi;
            if (xi != 0.0) foreach (int j in Row(i)) b[j] -= li[j] * xi;
        }
    }

    /// <summary>
    /// The entries of (LL')⁻¹ on L's pattern (both triangles) and its diagonal, by Takahashi's recurrences from the last
    /// column back: Z_ij = (δ_ij / L_jj − Σ_{k ∈ col j} Z_ik L_kj) / L_jj for i in {j} ∪ col j. Entries off the pattern
    /// are not written.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void SelectedInverse(ReadOnlySpan<double> l, Span<double> z)
    {
        int m = Size;
        for (int j = m - 1; j >= 0; j--)
        {
            double ljj = l[j * m + j];
            var col = Column(j);
            // Off-diagonal entries first (they need only entries among rows after j), then the diagonal.
            for (int a = col.Length - 1; a >= 0; a--)
            {
                int i = col[a];
                double s = 0;
                foreach (int k in col)
                {
                    double zik = i >= k ? z[i * m + k] : z[k * m + i];
                    s += zik * l[k * m + j];
                }
                double zij = -s / ljj;
                z[i * m + j] = zij;
                z[j * m + i] = zij;
            }
            double sd = 0;
            foreach (int k in col) sd += z[k * m + j] * l[k * m + j];
            z[j * m + j] = (1.0 / ljj - sd) / ljj;
        }
    }
}
