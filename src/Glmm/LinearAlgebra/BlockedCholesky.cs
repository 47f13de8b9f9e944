using System.Runtime.CompilerServices;
namespace Glmm.LinearAlgebra;

/// <summary>
/// Cholesky factor of a symmetric positive-definite matrix with the shape that mixed models give
/// (MixedModels.jl's blocked factor, specialised to two block rows):
/// <code>
///   A = [ D   B' ]     D = diag(D_1 … D_L), each D_l a q×q block (the first grouping factor);
///       [ B   C  ]     B: for level l, a sparse m×q block whose non-zero rows are a fixed pattern P_l;
///                      C: m×m (the other random-effect terms, then any fixed effects), held densely.
/// </code>
/// C's off-diagonal entries must lie within the union of the cliques P_l × P_l (as they do for PIRLS's system:
/// a row couples only indices its cluster touches); <see cref="Sparsity"/> analyses that structure once, and when
/// C's factor stays sparse the kernels visit only its non-zeros.
/// The factor is L = [L_D 0; L_B L_C] with L_l = chol(D_l), L_B,l = B_l L_l⁻ᵀ and
/// L_C = chol(C − Σ_l L_B,l L_B,l'). The symbolic structure (the patterns) is fixed at construction, so a
/// factorisation allocates nothing; no dense matrix of the full size is ever formed.
/// </summary>
internal sealed class BlockedCholesky
{
    private readonly int[] _patternStart;
    private readonly int[] _patternIndex;
    private readonly double[] _d;
    private readonly double[] _b;
    private readonly double[] _c;

    /// <summary>
    /// Creates the structure: <paramref name="levels"/> diagonal blocks of size <paramref name="blockSize"/>,
    /// a dense block of size <paramref name="denseSize"/>, and for level l the sorted dense indices
    /// <c>patternIndex[patternStart[l] .. patternStart[l+1]]</c> where B_l may be non-zero.
    /// </summary>
    /// <param name="levels">Levels of the first grouping factor.</param>
    /// <param name="blockSize">q, the size of each diagonal block.</param>
    /// <param name="denseSize">m, the order of C.</param>
    /// <param name="patternStart">Where each level's pattern starts in <paramref name="patternIndex"/> (levels + 1 entries).</param>
    /// <param name="patternIndex">The levels' sorted dense indices.</param>
    /// <param name="pairsWhenCheap">Also keep <see cref="LevelPairs"/> for a dense C when they take no more room than two
    /// m × m buffers (for callers that accumulate C through the pairs whenever <see cref="UsesLevelPairs"/>).</param>
    public BlockedCholesky(int levels, int blockSize, int denseSize, int[] patternStart, int[] patternIndex, bool pairsWhenCheap = false)
    {
        if (patternStart.Length != levels + 1) throw new ArgumentException("patternStart must have levels + 1 entries", nameof(patternStart));
        for (int l = 0; l < levels; l++)
            for (int k = patternStart[l] + 1; k < patternStart[l + 1]; k++)
                if (patternIndex[k] <= patternIndex[k - 1]) throw new ArgumentException("patterns must be strictly increasing", nameof(patternIndex));
        Levels = levels;
        BlockSize = blockSize;
        DenseSize = denseSize;
        _patternStart = patternStart;
        _patternIndex = patternIndex;
        _d = new double[levels * blockSize * blockSize];
        _b = new double[patternStart[levels] * blockSize];
        _c = new double[denseSize * denseSize];
        Sparsity = DenseBlockSparsity.Analyze(denseSize, patternStart, patternIndex);
        long pairCount = 0;
        for (int l = 0; l < levels; l++)
        {
            long s = patternStart[l + 1] - patternStart[l];
            pairCount += s * (s + 1) / 2;
        }
        // Level pairs when C is sparse, or when they take no more room than two m × m chunk buffers (a dense C whose
        // levels touch few of its rows, as InstEval's students): then sweeps run in parallel chunks without m × m buffers.
        if (Sparsity.IsSparse || (pairsWhenCheap && denseSize > 0 && pairCount <= 2L * denseSize * denseSize))
        {
            _pairStart = new int[levels + 1];
            for (int l = 0; l < levels; l++)
            {
                int s = patternStart[l + 1] - patternStart[l];
                _pairStart[l + 1] = _pairStart[l] + s * (s + 1) / 2;
            }
            _pairs = new double[_pairStart[levels]];
        }
    }

    private readonly int[] _pairStart = [];
    private readonly double[] _pairs = [];

    /// <summary>
    /// True when C is sparse (or its pairs are cheap, see the constructor): then each level's contributions to C (from the data, and its Schur update) are held in
    /// the level's own <see cref="LevelPairs"/> and added to C level by level in level order, so parallel work needs no
    /// m × m buffer per chunk and the sums do not depend on the chunking.
    /// </summary>
    public bool UsesLevelPairs => _pairStart.Length > 0;

    /// <summary>Level l's contributions to C on the pairs of its pattern (a ≥ b at <see cref="PairIndex"/>(a, b)).</summary>
    public Span<double> LevelPairs(int level) => _pairs.AsSpan(_pairStart[level], _pairStart[level + 1] - _pairStart[level]);

    /// <summary>The position of the pattern pair (a, b) among a level's pairs.</summary>
    public static int PairIndex(int a, int b) => a >= b ? a * (a + 1) / 2 + b : b * (b + 1) / 2 + a;

    /// <summary>
    /// Adds every level's pairs to C's lower triangle, in level order. With <see cref="Parallelism"/> and many pairs, C's
    /// rows are split into a fixed number of ranges, each visiting every level's pattern entries in its range: every
    /// entry still receives its levels' contributions in level order, so the sums do not depend on the threads.
    /// </summary>
    public void AddLevelPairs() => AddLevelPairs(schur: false);

    /// <summary>
    /// <see cref="AddLevelPairs()"/>, or with <paramref name="schur"/> and scalar blocks the levels' Schur updates
    /// −L_B,a L_B,b computed as they are added (the same values in the same order, without storing them as pairs first).
    /// </summary>
    private void AddLevelPairs(bool schur)
    {
        if (!RunsInRowRanges(_pairs.Length))
        {
            AddLevelPairs(DenseSize, default, schur);
            return;
        }
        // Where each level's pattern enters each range (the pattern is fixed, so once per model).
        _rangeFirst ??= RangeFirst((l, from) =>
        {
            int a0 = Pattern(l).BinarySearch(from);
            return a0 < 0 ? ~a0 : a0;
        });
        var first = _rangeFirst;
        System.Threading.Tasks.Parallel.For(0, RowRanges, Parallelism!, r =>
            AddLevelPairs(RangeEnd(r), first.AsSpan(r * Levels, Levels), schur));
    }

    /// <summary>Ranges of C's rows that the level pairs are added over in parallel.</summary>
    private const int RowRanges = 16;

    /// <summary>True when <paramref name="pairs"/> additions are worth splitting into <see cref="RowRanges"/> in parallel.</summary>
    private bool RunsInRowRanges(long pairs) => Parallelism is { MaxDegreeOfParallelism: not 1 } && pairs >= 1 << 16;

    /// <summary>The first row after range r.</summary>
    private int RangeEnd(int r) => (int)((long)DenseSize * (r + 1) / RowRanges);

    /// <summary>Per range r and level l, <paramref name="firstAt"/>(l, the range's first row), at r·Levels + l.</summary>
    private int[] RangeFirst(Func<int, int, int> firstAt)
    {
        var first = new int[RowRanges * Levels];
        for (int r = 0; r < RowRanges; r++)
        {
            int from = r == 0 ? 0 : RangeEnd(r - 1);
            for (int l = 0; l < Levels; l++) first[r * Levels + l] = firstAt(l, from);
        }
        return first;
    }

    /// <summary>Per range of C's rows (16) and level, the first of the level's pattern entries in the range.</summary>
    private int[]? _rangeFirst;

    private int[] _dataPairStart = [], _dataPairIndex = [], _dataPairTarget = [];
    private int[]? _dataRangeFirst;

    /// <summary>
    /// The level pairs the data can make non-zero (<see cref="LevelPairs"/> positions, per level ascending: level l's at
    /// <c>dataPairIndex[dataPairStart[l] .. dataPairStart[l+1]]</c>): with them <see cref="ClearDataPairs"/> and
    /// <see cref="AddDataPairs()"/> touch only those, the others holding exact zeros before the factorisation. A level's
    /// pattern pairs two effects that share the level but not always a row (two lecturers of one student): those pairs
    /// fill only through the Schur update.
    /// </summary>
    public void SetDataPairs(int[] dataPairStart, int[] dataPairIndex)
    {
        if (!UsesLevelPairs) throw new InvalidOperationException("data pairs need level pairs");
        if (dataPairStart.Length != Levels + 1) throw new ArgumentException("one start per level and one more", nameof(dataPairStart));
        var target = new int[dataPairIndex.Length];
        for (int l = 0; l < Levels; l++)
        {
            var pat = Pattern(l);
            for (int k = dataPairStart[l], a = 0; k < dataPairStart[l + 1]; k++)
            {
                int index = dataPairIndex[k];
                if (index < 0 || index >= _pairStart[l + 1] - _pairStart[l] || (k > dataPairStart[l] && index <= dataPairIndex[k - 1]))
                    throw new ArgumentException("data pairs must be ascending positions among the level's pairs", nameof(dataPairIndex));
                while ((a + 1) * (a + 2) / 2 <= index) a++;
                // Where the pair (a, b) lands in C (lower triangle, row-major): ascending within the level.
                target[k] = pat[a] * DenseSize + pat[index - a * (a + 1) / 2];
            }
        }
        _dataPairStart = dataPairStart;
        _dataPairIndex = dataPairIndex;
        _dataPairTarget = target;
        _dataRangeFirst = null;
    }

    /// <summary>True when <see cref="SetDataPairs"/> was given the data's pairs.</summary>
    public bool HasDataPairs => _dataPairStart.Length > 0;

    /// <summary>Sets level l's data pairs (all its pairs without <see cref="SetDataPairs"/>) to 0.</summary>
    public void ClearDataPairs(int level)
    {
        var pairs = LevelPairs(level);
        if (!HasDataPairs)
        {
            pairs.Clear();
            return;
        }
        for (int k = _dataPairStart[level]; k < _dataPairStart[level + 1]; k++) pairs[_dataPairIndex[k]] = 0.0;
    }

    /// <summary>
    /// Adds every level's data pairs (all its pairs without <see cref="SetDataPairs"/>) to C's lower triangle, in level
    /// order as <see cref="AddLevelPairs()"/>: the same sums, without adding the zeros.
    /// </summary>
    public void AddDataPairs()
    {
        if (!HasDataPairs)
        {
            AddLevelPairs();
            return;
        }
        if (!RunsInRowRanges(_dataPairTarget.Length))
        {
            AddDataPairs(long.MaxValue, default);
            return;
        }
        _dataRangeFirst ??= RangeFirst((l, from) =>
        {
            long at = (long)from * DenseSize;
            int k = _dataPairStart[l];
            while (k < _dataPairStart[l + 1] && _dataPairTarget[k] < at) k++;
            return k;
        });
        var first = _dataRangeFirst;
        System.Threading.Tasks.Parallel.For(0, RowRanges, Parallelism!, r =>
            AddDataPairs((long)RangeEnd(r) * DenseSize, first.AsSpan(r * Levels, Levels)));
    }

    /// <summary>The data pairs whose place in C lies below <paramref name="targetTo"/>, from each level's entry <paramref name="first"/>[l] on (empty: all).</summary>
    private void AddDataPairs(long targetTo, ReadOnlySpan<int> first)
    {
        for (int l = 0; l < Levels; l++)
        {
            var pairs = LevelPairs(l);
            for (int k = first.IsEmpty ? _dataPairStart[l] : first[l]; k < _dataPairStart[l + 1]; k++)
            {
                int t = _dataPairTarget[k];
                if (t >= targetTo) break;
                _c[t] += pairs[_dataPairIndex[k]];
            }
        }
    }

    /// <summary>The pairs whose row of C lies below <paramref name="rowTo"/>, from each level's pattern entry <paramref name="first"/>[l] on (empty: all), level after level.</summary>
    private void AddLevelPairs(int rowTo, ReadOnlySpan<int> first, bool schur)
    {
        int m = DenseSize;
        for (int l = 0; l < Levels; l++)
        {
            int start = _patternStart[l], s = _patternStart[l + 1] - start;
            var pat = _patternIndex.AsSpan(start, s);
            int a0 = first.IsEmpty ? 0 : first[l];
            if (schur)
            {
                // Scalar blocks: the pair (a, b) is −L_B,a L_B,b (FactorScalarLevels' values, unstored).
                var bl = _b.AsSpan(start, s);
                for (int a = a0; a < s && pat[a] < rowTo; a++)
                {
                    var crow = _c.AsSpan(pat[a] * m, m);
                    double ra = bl[a];
                    for (int b = 0; b <= a; b++) crow[pat[b]] += -(ra * bl[b]);
                }
                continue;
            }
            var pairs = LevelPairs(l);
            for (int a = a0; a < s && pat[a] < rowTo; a++)
            {
                var crow = _c.AsSpan(pat[a] * m, m);
                var prow = pairs.Slice(a * (a + 1) / 2, a + 1);
                for (int b = 0; b <= a; b++) crow[pat[b]] += prow[b];
            }
        }
    }

    /// <summary>The symbolic structure of the dense block's factor; its kernels are used when it is sparse.</summary>
    public DenseBlockSparsity Sparsity { get; }

    /// <summary>Non-zeros of L (lower triangle with the diagonal): the level blocks, their off-diagonal rows, and C's factor.</summary>
    public long NonZeros => (long)Levels * BlockSize * (BlockSize + 1) / 2 + (long)_patternStart[Levels] * BlockSize + Sparsity.NonZeros;

    /// <summary>Multiply-adds of one numeric factorisation: the level blocks, their Schur updates of C, and C's factor.</summary>
    public double FactorFlops
    {
        get
        {
            double q = BlockSize, f = 0;
            for (int l = 0; l < Levels; l++)
            {
                double s = _patternStart[l + 1] - _patternStart[l];
                f += q * q * q / 6 + s * q * q / 2 + s * (s + 1) / 2 * q;
            }
            return f + Sparsity.FactorFlops;
        }
    }

    /// <summary>Number of diagonal blocks (levels of the first grouping factor).</summary>
    public int Levels { get; }

    /// <summary>Size q of each diagonal block.</summary>
    public int BlockSize { get; }

    /// <summary>Size m of the dense block.</summary>
    public int DenseSize { get; }

    /// <summary>Order of the whole matrix: Levels × BlockSize + DenseSize.</summary>
    public int Size => Levels * BlockSize + DenseSize;

    /// <summary>Diagonal block l (q×q row-major; before <see cref="Factor()"/> the matrix, after it the factor).</summary>
    public Span<double> DiagonalBlock(int level) => _d.AsSpan(level * BlockSize * BlockSize, BlockSize * BlockSize);

    /// <summary>Off-diagonal block of level l: one row of length q per pattern entry (row-major).</summary>
    public Span<double> OffDiagonalBlock(int level) =>
        _b.AsSpan(_patternStart[level] * BlockSize, (_patternStart[level + 1] - _patternStart[level]) * BlockSize);

    /// <summary>The dense m×m block (row-major; the lower triangle is used).</summary>
    public Span<double> Dense => _c;

    /// <summary>The dense indices where level l's off-diagonal block may be non-zero.</summary>
    public ReadOnlySpan<int> Pattern(int level) => _patternIndex.AsSpan(_patternStart[level], _patternStart[level + 1] - _patternStart[level]);

    /// <summary>Start of level l's pattern in the concatenated pattern list.</summary>
    public int PatternStart(int level) => _patternStart[level];

    /// <summary>Factors the matrix in place; returns false when it is not positive definite.</summary>
    public bool Factor()
    {
        if (UsesLevelPairs)
        {
            if (!FactorLevels(0, Levels, default)) return false;
            AddLevelPairs(schur: BlockSize == 1);
            return FactorDense();
        }
        if (!FactorLevels(0, Levels, _c)) return false;
        return FactorDense();
    }

    /// <summary>The Cholesky factor of the Schur complement C, by the sparse kernel when its factor is sparse.</summary>
    private bool FactorDense()
    {
        if (DenseSize == 0) return true;
        if (Sparsity.IsSparse) return Sparsity.Factor(_c);
        if (LargeDenseCholesky.Applies(DenseSize))
        {
            _panel ??= new double[LargeDenseCholesky.FactorScratchLength(DenseSize)];
            return LargeDenseCholesky.Factor(_c, DenseSize, _panel, Parallelism);
        }
        return DenseCholesky.Factor(_c, DenseSize);
    }

    private double[]? _panel;

    /// <summary>How a large dense C's factor (and its inverse) may run in parallel; null: serially. The result does not depend on it.</summary>
    public ParallelOptions? Parallelism { get; set; }

    /// <summary>The dense m×m block as its array (for the blocked kernels).</summary>
    internal double[] DenseArray => _c;

    /// <summary>
    /// Factors the matrix in place, the diagonal blocks in parallel over fixed chunks of levels
    /// (<paramref name="chunkStart"/>: chunk c holds levels chunkStart[c] .. chunkStart[c+1]). Each chunk
    /// accumulates its Schur-complement update in its own m×m slice of <paramref name="chunkBuffers"/>, and the
    /// slices are subtracted from C in chunk order, so the result does not depend on the number of threads.
    /// </summary>
    public bool Factor(int[] chunkStart, double[] chunkBuffers, ParallelOptions parallel)
    {
        int chunks = chunkStart.Length - 1, m = DenseSize, mm = m * m;
        if (chunks <= 1) return Factor();
        int failed = 0;
        if (UsesLevelPairs)
        {
            Parallel.For(0, chunks, parallel, c =>
            {
                if (!FactorLevels(chunkStart[c], chunkStart[c + 1], default)) Interlocked.Exchange(ref failed, 1);
            });
            if (failed != 0) return false;
            AddLevelPairs(schur: BlockSize == 1);
            return FactorDense();
        }
        Parallel.For(0, chunks, parallel, c =>
        {
            var buf = chunkBuffers.AsSpan(c * mm, mm);
            buf.Clear();
            if (!FactorLevels(chunkStart[c], chunkStart[c + 1], buf)) Interlocked.Exchange(ref failed, 1);
        });
        if (failed != 0) return false;
        if (m == 0) return true;
        for (int c = 0; c < chunks; c++)
        {
            var buf = chunkBuffers.AsSpan(c * mm, mm);
            for (int i = 0; i < m; i++)
            {
                var crow = _c.AsSpan(i * m, i + 1);
                var brow = buf.Slice(i * m, i + 1);
                for (int j = 0; j <= i; j++) crow[j] += brow[j];
            }
        }
        return FactorDense();
    }

    /// <summary>Factors the diagonal blocks of levels [from, to) and subtracts their L_B L_B' from <paramref name="schur"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool FactorLevels(int from, int to, Span<double> schur)
    {
        int q = BlockSize, m = DenseSize;
        if (q == 1) return FactorScalarLevels(from, to, schur);
        for (int l = from; l < to; l++)
        {
            var dl = DiagonalBlock(l);
            if (!DenseCholesky.Factor(dl, q)) return false;
            int start = _patternStart[l], s = _patternStart[l + 1] - start;
            if (s == 0) continue;
            var bl = _b.AsSpan(start * q, s * q);
            // L_B,l = B_l L_l⁻ᵀ: each row b solves L_l x = b.
            for (int a = 0; a < s; a++) DenseCholesky.SolveLower(dl, q, bl.Slice(a * q, q));
            // C −= L_B,l L_B,l' on the pattern (lower triangle), or the level's pairs := −L_B,l L_B,l'.
            var pat = _patternIndex.AsSpan(start, s);
            if (UsesLevelPairs)
            {
                var pairs = LevelPairs(l);
                for (int a = 0; a < s; a++)
                {
                    var ra = bl.Slice(a * q, q);
                    for (int bIdx = 0; bIdx <= a; bIdx++) pairs[a * (a + 1) / 2 + bIdx] = -DenseCholesky.Dot(ra, bl.Slice(bIdx * q, q));
                }
                continue;
            }
            for (int a = 0; a < s; a++)
            {
                var ra = bl.Slice(a * q, q);
                var crow = schur.Slice(pat[a] * m, m);
                for (int bIdx = 0; bIdx <= a; bIdx++)
                    crow[pat[bIdx]] -= DenseCholesky.Dot(ra, bl.Slice(bIdx * q, q));
            }
        }
        return true;
    }

    /// <summary>The common case q = 1 (random intercepts): scalar blocks, a rank-one Schur update per level.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool FactorScalarLevels(int from, int to, Span<double> schur)
    {
        int m = DenseSize;
        for (int l = from; l < to; l++)
        {
            double d = _d[l];
            if (!(d > 0.0) || !double.IsFinite(d)) return false;
            double ljj = Math.Sqrt(d);
            _d[l] = ljj;
            int start = _patternStart[l], s = _patternStart[l + 1] - start;
            if (s == 0) continue;
            var bl = _b.AsSpan(start, s);
            double inv = 1.0 / ljj;
            for (int a = 0; a < s; a++) bl[a] *= inv;
            var pat = _patternIndex.AsSpan(start, s);
            // With level pairs C receives −L_B,a L_B,b as the pairs are added (AddLevelPairs with schur).
            if (UsesLevelPairs) continue;
            for (int a = 0; a < s; a++)
            {
                double ra = bl[a];
                var crow = schur.Slice(pat[a] * m, m);
                for (int b = 0; b <= a; b++) crow[pat[b]] -= ra * bl[b];
            }
        }
        return true;
    }

    /// <summary>Solves A x = r in place with the factor (x and r of length <see cref="Size"/>: block part first).</summary>
    public void Solve(Span<double> x)
    {
        SolveLower(x);
        SolveUpper(x);
    }

    /// <summary>Solves L y = r in place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void SolveLower(Span<double> x)
    {
        int q = BlockSize, m = DenseSize, n1 = Levels * q;
        var x2 = x.Slice(n1, m);
        for (int l = 0; l < Levels; l++)
        {
            var xl = x.Slice(l * q, q);
            DenseCholesky.SolveLower(DiagonalBlock(l), q, xl);
            int start = _patternStart[l], s = _patternStart[l + 1] - start;
            var bl = _b.AsSpan(start * q, s * q);
            for (int a = 0; a < s; a++) x2[_patternIndex[start + a]] -= DenseCholesky.Dot(bl.Slice(a * q, q), xl);
        }
        if (m > 0)
        {
            if (Sparsity.IsSparse) Sparsity.SolveLower(_c, x2);
            else DenseCholesky.SolveLower(_c, m, x2);
        }
    }

    /// <summary>Solves L' x = y in place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void SolveUpper(Span<double> x)
    {
        int q = BlockSize, m = DenseSize, n1 = Levels * q;
        var x2 = x.Slice(n1, m);
        if (m > 0)
        {
            if (Sparsity.IsSparse) Sparsity.SolveUpper(_c, x2);
            else DenseCholesky.SolveUpper(_c, m, x2);
        }
        for (int l = 0; l < Levels; l++)
        {
            var xl = x.Slice(l * q, q);
            int start = _patternStart[l], s = _patternStart[l + 1] - start;
            var bl = _b.AsSpan(start * q, s * q);
            for (int a = 0; a < s; a++)
            {
                double v = x2[_patternIndex[start + a]];
                var row = bl.Slice(a * q, q);
                for (int t = 0; t < q; t++) xl[t] -= row[t] * v;
            }
            DenseCholesky.SolveUpper(DiagonalBlock(l), q, xl);
        }
    }

    /// <summary>
    /// Solves LL'X = R in place for <paramref name="columns"/> right-hand sides held row by row (entry (i, j) of X at
    /// i·columns + j): one pass over the factor for all of them, each update an axpy over the row of right-hand sides.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void SolveMany(Span<double> x, int columns)
    {
        int q = BlockSize, m = DenseSize, n1 = Levels * q, k = columns;
        var x2 = x.Slice(n1 * k, m * k);
        for (int l = 0; l < Levels; l++)
        {
            var xl = x.Slice(l * q * k, q * k);
            LowerRows(DiagonalBlock(l), q, xl, k, null);
            int start = _patternStart[l], s = _patternStart[l + 1] - start;
            var bl = _b.AsSpan(start * q, s * q);
            for (int a = 0; a < s; a++)
            {
                var dst = x2.Slice(_patternIndex[start + a] * k, k);
                for (int t = 0; t < q; t++) Axpy(-bl[a * q + t], xl.Slice(t * k, k), dst);
            }
        }
        LowerRows(_c, m, x2, k, Sparsity);
        UpperRows(_c, m, x2, k, Sparsity);
        for (int l = 0; l < Levels; l++)
        {
            var xl = x.Slice(l * q * k, q * k);
            int start = _patternStart[l], s = _patternStart[l + 1] - start;
            var bl = _b.AsSpan(start * q, s * q);
            for (int a = 0; a < s; a++)
            {
                var src = x2.Slice(_patternIndex[start + a] * k, k);
                for (int t = 0; t < q; t++) Axpy(-bl[a * q + t], src, xl.Slice(t * k, k));
            }
            UpperRows(DiagonalBlock(l), q, xl, k, null);
        }
    }

    /// <summary>L Y = R for an n × n lower-triangular row-major L (visiting the sparse pattern when given) and k right-hand sides held row by row.</summary>
    private static void LowerRows(ReadOnlySpan<double> l, int n, Span<double> x, int k, DenseBlockSparsity? sparsity)
    {
        bool sparse = sparsity is { IsSparse: true };
        for (int i = 0; i < n; i++)
        {
            var xi = x.Slice(i * k, k);
            if (sparse)
                foreach (int j in sparsity!.Row(i)) Axpy(-l[i * n + j], x.Slice(j * k, k), xi);
            else
                for (int j = 0; j < i; j++)
                {
                    double lij = l[i * n + j];
                    if (lij != 0.0) Axpy(-lij, x.Slice(j * k, k), xi);
                }
            double inv = 1.0 / l[i * n + i];
            for (int c = 0; c < k; c++) xi[c] *= inv;
        }
    }

    /// <summary>L'X = Y for an n × n lower-triangular row-major L (visiting the sparse pattern when given) and k right-hand sides held row by row.</summary>
    private static void UpperRows(ReadOnlySpan<double> l, int n, Span<double> x, int k, DenseBlockSparsity? sparsity)
    {
        bool sparse = sparsity is { IsSparse: true };
        for (int i = n - 1; i >= 0; i--)
        {
            var xi = x.Slice(i * k, k);
            double inv = 1.0 / l[i * n + i];
            for (int c = 0; c < k; c++) xi[c] *= inv;
            if (sparse)
                foreach (int j in sparsity!.Row(i)) Axpy(-l[i * n + j], xi, x.Slice(j * k, k));
            else
                for (int j = 0; j < i; j++)
                {
                    double lij = l[i * n + j];
                    if (lij != 0.0) Axpy(-lij, xi, x.Slice(j * k, k));
                }
        }
    }

    /// <summary>y += a·x over short vectors (the right-hand sides of one row).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Axpy(double a, ReadOnlySpan<double> x, Span<double> y)
    {
        for (int c = 0; c < x.Length; c++) y[c] += a * x[c];
    }

    /// <summary>log|L|² over the diagonal blocks and the first <paramref name="denseCount"/> dense rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public double LogDeterminant(int denseCount)
    {
        int q = BlockSize;
        double s = 0;
        for (int l = 0; l < Levels; l++)
        {
            var dl = DiagonalBlock(l);
            for (int t = 0; t < q; t++) s += Math.Log(dl[t * q + t]);
        }
        return 2.0 * s + DenseCholesky.LogDeterminant(_c, DenseSize, denseCount);
    }
}
