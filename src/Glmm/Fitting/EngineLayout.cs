using Glmm.Families;
using Glmm.LinearAlgebra;
using Glmm.Model;

namespace Glmm.Fitting;

/// <summary>
/// A model's data laid out for the engine, built once per model and read-only afterwards.
/// <para><b>Engine order.</b> Rows are sorted (stably) by the level of the first grouping factor, so each of its
/// clusters is a contiguous range of rows; X is row-major. Random-effects terms are in engine order: first the
/// "block terms", those that share the first term's grouping factor (so <c>(1 | g) + (0 + x | g)</c>, as
/// <c>||</c> gives, stays one q0 × q0 block per level), then the others. The spherical random effects u
/// (b = Λu) are indexed block first — level l of the first factor holds u[l·q0 .. l·q0 + q0) — then, in the
/// "dense" part, the other terms level-major. Everything a consumer reports goes back through the explicit
/// maps <see cref="ModelRow"/>, <see cref="ToModelOrder"/>, <see cref="StructureTerm"/> and <see cref="EngineTerm"/>.</para>
/// <para>It also holds the symbolic structure of the blocked Cholesky factor of Λ'Z'WZΛ + I (and of the system
/// with the fixed effects appended, for PIRLS over (u, β)): which dense random effects each cluster's rows touch.</para>
/// </summary>
internal sealed class EngineLayout
{
    public EngineLayout(ModelStructure model, Family family)
    {
        Model = model;
        Family = family;
        Random = model.Random;
        N = model.N;
        P = model.X.Columns;
        K = Random.Terms.Count;
        if (K == 0) throw new ArgumentException("the model has no random-effects term");

        // Engine order: the terms that share the first term's grouping factor form one block per level
        // (so (1 | g) + (0 + x | g), as || gives, stays block diagonal); the other terms follow.
        var first = Random.Terms[0];
        var block = Enumerable.Range(0, K).Where(k => SameFactor(Random.Terms[k], first)).ToArray();
        _termIndex = block.Concat(Enumerable.Range(0, K).Except(block)).ToArray();
        _engineTerm = new int[K];
        for (int k = 0; k < K; k++) _engineTerm[_termIndex[k]] = k;
        BlockTerms = block.Length;
        _q = new int[K];
        _levels = new int[K];
        _termOffsetInBlock = new int[K];
        for (int k = 0; k < K; k++)
        {
            var t = Random.Terms[_termIndex[k]];
            _q[k] = t.Q;
            _levels[k] = t.LevelCount;
            if (k < BlockTerms) { _termOffsetInBlock[k] = QBlock; QBlock += t.Q; }
        }

        // Sort rows by the first term's level (stable), giving contiguous clusters.
        var codes0 = first.Codes;
        _clusterStart = new int[_levels[0] + 1];
        foreach (int c in codes0) _clusterStart[c + 1]++;
        for (int l = 0; l < _levels[0]; l++) _clusterStart[l + 1] += _clusterStart[l];
        _order = new int[N];
        var fill = (int[])_clusterStart.Clone();
        for (int i = 0; i < N; i++) _order[fill[codes0[i]]++] = i;
        // Within a cluster, rows that share the levels of every other term (a "cell") are made contiguous, so
        // sums over a cell can be taken in the covariates' space and mapped to the random effects once per cell.
        int[] otherTerms = Enumerable.Range(BlockTerms, K - BlockTerms).Select(k => _termIndex[k]).ToArray();
        if (otherTerms.Length > 0)
        {
            var cellOrder = new CellComparer(otherTerms.Select(s => Random.Terms[s].Codes).ToArray());
            for (int l = 0; l < _levels[0]; l++)
                Array.Sort(_order, _clusterStart[l], _clusterStart[l + 1] - _clusterStart[l], cellOrder);
        }

        _y = new double[N]; _weights = new double[N]; _offset = new double[N];
        _x = new double[N * P];
        for (int i = 0; i < N; i++)
        {
            int o = _order[i];
            _y[i] = model.Y[o]; _weights[i] = model.Weights[o]; _offset[i] = model.Offset[o];
            for (int j = 0; j < P; j++) _x[i * P + j] = model.X.Values[j * N + o];
        }
        _codes = new int[K * N];
        _zOffset = new int[K];
        for (int k = 1; k < K; k++) _zOffset[k] = _zOffset[k - 1] + N * _q[k - 1];
        _z = new double[_zOffset[K - 1] + N * _q[K - 1]];
        for (int k = 0; k < K; k++)
        {
            var t = Random.Terms[_termIndex[k]];
            int q = _q[k], zk = _zOffset[k];
            for (int i = 0; i < N; i++)
            {
                int o = _order[i];
                _codes[k * N + i] = t.Codes[o];
                for (int j = 0; j < q; j++) _z[zk + i * q + j] = t.Covariates[o * q + j];
            }
        }

        // The block terms' covariates side by side: row i's z for the whole level block (term 0's own when it is alone).
        if (BlockTerms > 1)
        {
            _zBlock = new double[N * QBlock];
            for (int k = 0; k < BlockTerms; k++)
                for (int i = 0; i < N; i++)
                    for (int j = 0; j < _q[k]; j++) _zBlock[i * QBlock + _termOffsetInBlock[k] + j] = _z[_zOffset[k] + i * _q[k] + j];
        }

        // Dense index space: the terms after the block, level-major.
        _denseOffset = new int[K];
        int m = 0;
        for (int k = BlockTerms; k < K; k++) { _denseOffset[k] = m; m += _q[k] * _levels[k]; }
        DenseRandom = m;
        QRest = 0;
        for (int k = BlockTerms; k < K; k++) QRest += _q[k];
        Q0Total = QBlock * _levels[0];
        TotalRandom = Q0Total + DenseRandom;

        // Patterns: per cluster, the sorted set of dense random-effect indices its rows touch.
        _patternStart = new int[_levels[0] + 1];
        var patterns = new List<int>();
        var rowSlot = new int[N * QRest];
        var set = new SortedSet<int>();
        var pos = new Dictionary<int, int>();
        for (int l = 0; l < _levels[0]; l++)
        {
            set.Clear();
            for (int i = _clusterStart[l]; i < _clusterStart[l + 1]; i++)
                for (int k = BlockTerms; k < K; k++)
                    for (int j = 0; j < _q[k]; j++) set.Add(_denseOffset[k] + _codes[k * N + i] * _q[k] + j);
            pos.Clear();
            int s = 0;
            foreach (int idx in set) { pos[idx] = s++; patterns.Add(idx); }
            _patternStart[l + 1] = patterns.Count;
            for (int i = _clusterStart[l]; i < _clusterStart[l + 1]; i++)
            {
                int r = 0;
                for (int k = BlockTerms; k < K; k++)
                    for (int j = 0; j < _q[k]; j++) rowSlot[i * QRest + r++] = pos[_denseOffset[k] + _codes[k * N + i] * _q[k] + j];
            }
        }
        _patternIndex = patterns.ToArray();

        // Cells: maximal runs of rows of one cluster with the same levels of every other term, and per cell the
        // dense indices (and pattern slots) of its other-term effects. The packed covariates v_i = (z_block, z_other, x).
        if (QRest > 0)
        {
            var cellStart = new List<int>();
            var levelCellStart = new int[_levels[0] + 1];
            for (int l = 0; l < _levels[0]; l++)
            {
                levelCellStart[l] = cellStart.Count;
                for (int i = _clusterStart[l]; i < _clusterStart[l + 1]; i++)
                {
                    bool next = i == _clusterStart[l];
                    for (int k = BlockTerms; k < K && !next; k++) next = _codes[k * N + i] != _codes[k * N + i - 1];
                    if (next) cellStart.Add(i);
                }
            }
            levelCellStart[_levels[0]] = cellStart.Count;
            cellStart.Add(N);
            _cellStart = cellStart.ToArray();
            _levelCellStart = levelCellStart;
            int cells = _cellStart.Length - 1;
            _cellSlot = new int[cells * QRest];
            _cellDense = new int[cells * QRest];
            for (int c = 0; c < cells; c++)
            {
                int i = _cellStart[c], e = 0;
                for (int k = BlockTerms; k < K; k++)
                    for (int j = 0; j < _q[k]; j++, e++)
                    {
                        _cellDense[c * QRest + e] = _denseOffset[k] + _codes[k * N + i] * _q[k] + j;
                        _cellSlot[c * QRest + e] = rowSlot[i * QRest + e];
                    }
            }
            CovariateWidth = QBlock + QRest + P;
            int dv = CovariateWidth;
            _v = new double[N * dv];
            var zb = ZBlock;
            for (int i = 0; i < N; i++)
            {
                var vi = _v.AsSpan(i * dv, dv);
                zb.Slice(i * QBlock, QBlock).CopyTo(vi);
                int e = QBlock;
                for (int k = BlockTerms; k < K; k++)
                    for (int j = 0; j < _q[k]; j++) vi[e++] = _z[_zOffset[k] + i * _q[k] + j];
                _x.AsSpan(i * P, P).CopyTo(vi[e..]);
            }
            // Columns of v equal on every row (the intercepts of nested terms, a covariate in a slope and in X) are held
            // once: sums over a cell are taken over the distinct columns and spread to the others by DistinctColumn.
            _distinctColumn = new int[dv];
            var distinct = new List<int>();
            for (int a = 0; a < dv; a++)
            {
                int same = -1;
                for (int c = 0; c < distinct.Count && same < 0; c++)
                {
                    int b = distinct[c];
                    bool equal = true;
                    for (int i = 0; i < N && equal; i++) equal = _v[i * dv + a] == _v[i * dv + b];
                    if (equal) same = c;
                }
                if (same < 0) { same = distinct.Count; distinct.Add(a); }
                _distinctColumn[a] = same;
            }
            DistinctWidth = distinct.Count;
            _randomDistinct = _distinctColumn.AsSpan(0, QBlock + QRest).ToArray().Distinct().Order().ToArray();
            _randomDistinctPosition = new int[QBlock + QRest];
            for (int a = 0; a < QBlock + QRest; a++) _randomDistinctPosition[a] = Array.IndexOf(_randomDistinct, _distinctColumn[a]);
            _vDistinct = new double[N * DistinctWidth];
            for (int i = 0; i < N; i++)
                for (int c = 0; c < DistinctWidth; c++) _vDistinct[i * DistinctWidth + c] = _v[i * dv + distinct[c]];
        }
    }

    private readonly int[] _distinctColumn = [], _randomDistinct = [], _randomDistinctPosition = [];

    /// <summary>The distinct columns the random effects' covariates (v's first q0 + QRest columns) use, ascending.</summary>
    public ReadOnlySpan<int> RandomDistinct => _randomDistinct;

    /// <summary>Per random column a of v (a &lt; q0 + QRest), the position of its distinct column in <see cref="RandomDistinct"/>.</summary>
    public ReadOnlySpan<int> RandomDistinctPosition => _randomDistinctPosition;
    private readonly double[] _vDistinct = [];

    /// <summary>Per column a of <see cref="Covariates"/>, its column in <see cref="DistinctCovariates"/> (equal columns share one).</summary>
    public ReadOnlySpan<int> DistinctColumn => _distinctColumn;

    /// <summary>Number of distinct columns of <see cref="Covariates"/>.</summary>
    public int DistinctWidth { get; }

    /// <summary>The distinct columns of <see cref="Covariates"/>, row-major n × <see cref="DistinctWidth"/> (first occurrences in order).</summary>
    public ReadOnlySpan<double> DistinctCovariates => _vDistinct;

    private readonly int[] _cellStart = [0], _levelCellStart = [], _cellSlot = [], _cellDense = [];
    private readonly double[] _v = [];

    /// <summary>Orders model rows by the levels of the other terms' grouping factors (then by row: stable).</summary>
    private sealed class CellComparer(int[][] codes) : IComparer<int>
    {
        public int Compare(int a, int b)
        {
            foreach (var c in codes)
                if (c[a] != c[b]) return c[a].CompareTo(c[b]);
            return a.CompareTo(b);
        }
    }

    private readonly int[] _termIndex, _engineTerm, _q, _levels, _termOffsetInBlock, _order, _clusterStart, _denseOffset;
    private readonly int[] _patternStart, _patternIndex, _codes, _zOffset;
    private readonly double[] _y, _weights, _offset, _x, _z;
    private readonly double[]? _zBlock;

    // ---- The model ----

    /// <summary>The model structure the layout was built from (model row order).</summary>
    public ModelStructure Model { get; }

    /// <summary>The family and link of the response.</summary>
    public Family Family { get; }

    /// <summary>The random-effects terms in structure (formula) order, with the θ layout.</summary>
    public RandomEffectsStructure Random { get; }

    /// <summary>n, the number of rows.</summary>
    public int N { get; }

    /// <summary>p, the number of fixed effects.</summary>
    public int P { get; }

    /// <summary>The number of random-effects terms.</summary>
    public int K { get; }

    // ---- Terms in engine order, and the maps to structure order ----

    /// <summary>The structure (formula-order) index of engine term k.</summary>
    public int StructureTerm(int k) => _termIndex[k];

    /// <summary>The engine index of structure term s (the inverse of <see cref="StructureTerm"/>).</summary>
    public int EngineTerm(int s) => _engineTerm[s];

    /// <summary>Random effects per level of engine term k (q_k).</summary>
    public ReadOnlySpan<int> Q => _q;

    /// <summary>Levels of engine term k's grouping factor.</summary>
    public ReadOnlySpan<int> Levels => _levels;

    /// <summary>Number of leading engine terms that share the first grouping factor (the block terms).</summary>
    public int BlockTerms { get; }

    /// <summary>q0: random effects per level of the first grouping factor (Σ q over the block terms).</summary>
    public int QBlock { get; }

    /// <summary>Offset of block term k's effects within a level's q0 block.</summary>
    public ReadOnlySpan<int> TermOffsetInBlock => _termOffsetInBlock;

    /// <summary>True when every term hangs off the first grouping factor, so Λ'Z'WZΛ + I is block diagonal (no dense part).</summary>
    public bool IsBlockDiagonal => QRest == 0;

    // ---- Rows in engine order ----

    /// <summary>The model (structure) row of engine row i.</summary>
    public int ModelRow(int i) => _order[i];

    /// <summary>Engine-order values back in model row order.</summary>
    public double[] ToModelOrder(ReadOnlySpan<double> engine)
    {
        var r = new double[N];
        for (int i = 0; i < N; i++) r[_order[i]] = engine[i];
        return r;
    }

    /// <summary>Cluster l of the first factor is engine rows [ClusterStart[l], ClusterStart[l + 1]); length Levels[0] + 1.</summary>
    public ReadOnlySpan<int> ClusterStart => _clusterStart;

    /// <summary>The response per engine row (a proportion for binomial data).</summary>
    public ReadOnlySpan<double> Y => _y;

    /// <summary>Prior weights per engine row.</summary>
    public ReadOnlySpan<double> Weights => _weights;

    /// <summary>The offset per engine row.</summary>
    public ReadOnlySpan<double> Offset => _offset;

    /// <summary>X row-major n × p in engine row order: entry (i, j) at i·p + j.</summary>
    public ReadOnlySpan<double> X => _x;

    /// <summary>Level code (0-based) of engine term k's grouping factor per engine row.</summary>
    public ReadOnlySpan<int> Codes(int k) => new(_codes, k * N, N);

    /// <summary>Every engine term's codes, term after term: engine term k's code of row i at k·n + i (for kernels that hoist one span).</summary>
    public ReadOnlySpan<int> AllCodes => _codes;

    /// <summary>Engine term k's covariates z_k, row-major n × q_k (the columns of Z before Λ).</summary>
    public ReadOnlySpan<double> Z(int k) => new(_z, _zOffset[k], N * _q[k]);

    /// <summary>Every engine term's covariates, term after term: engine term k's z of row i at ZOffset[k] + i·q_k.</summary>
    public ReadOnlySpan<double> AllZ => _z;

    /// <summary>Where engine term k's covariates start in <see cref="AllZ"/>.</summary>
    public ReadOnlySpan<int> ZOffset => _zOffset;

    /// <summary>Row-major n × q0: the block terms' covariates of each row, side by side.</summary>
    public ReadOnlySpan<double> ZBlock => _zBlock ?? new ReadOnlySpan<double>(_z, 0, N * QBlock);

    // ---- The index space of u ----

    /// <summary>Offset of (non-block) engine term k's effects in the dense part of u.</summary>
    public ReadOnlySpan<int> DenseOffset => _denseOffset;

    /// <summary>Size of the dense part of u: Σ q_k · levels_k over the non-block terms.</summary>
    public int DenseRandom { get; }

    /// <summary>Σ q_k over the non-block terms: dense entries of one row's design.</summary>
    public int QRest { get; }

    /// <summary>Size of the block part of u: q0 · levels of the first factor.</summary>
    public int Q0Total { get; }

    /// <summary>Length of u: <see cref="Q0Total"/> + <see cref="DenseRandom"/>.</summary>
    public int TotalRandom { get; }

    /// <summary>Index in u of engine term k, level l, effect j.</summary>
    public int UIndex(int k, int level, int j) =>
        k < BlockTerms ? level * QBlock + _termOffsetInBlock[k] + j : Q0Total + _denseOffset[k] + level * _q[k] + j;

    // ---- The factor's symbolic structure ----

    /// <summary>Cluster l's dense random effects are PatternIndex[PatternStart[l] .. PatternStart[l + 1]) (sorted).</summary>
    public ReadOnlySpan<int> PatternStart => _patternStart;

    /// <summary>The dense random-effect indices each cluster touches, cluster after cluster (see <see cref="PatternStart"/>).</summary>
    public ReadOnlySpan<int> PatternIndex => _patternIndex;


    // ---- Cells (designs with other terms) ----

    /// <summary>Cell c is engine rows [CellStart[c], CellStart[c + 1]): rows of one cluster of the first factor that share the level of every other term. Empty unless <see cref="QRest"/> &gt; 0.</summary>
    public ReadOnlySpan<int> CellStart => _cellStart;

    /// <summary>The cells of cluster l are [LevelCellStart[l], LevelCellStart[l + 1]); length Levels[0] + 1 (empty unless <see cref="QRest"/> &gt; 0).</summary>
    public ReadOnlySpan<int> LevelCellStart => _levelCellStart;

    /// <summary>Per cell c and dense entry e of its rows' design (non-block terms and effects in order): its slot in the cluster's pattern, at c·QRest + e.</summary>
    public ReadOnlySpan<int> CellSlot => _cellSlot;

    /// <summary>Per cell c and dense entry e: its index in the dense part of u, at c·QRest + e.</summary>
    public ReadOnlySpan<int> CellDense => _cellDense;

    /// <summary>Width of <see cref="Covariates"/>: q0 + QRest + p (0 unless <see cref="QRest"/> &gt; 0).</summary>
    public int CovariateWidth { get; }

    /// <summary>Per engine row, v_i = (block terms' z, the other terms' z in engine order, x), row-major n × <see cref="CovariateWidth"/>: the row's design before Λ.</summary>
    public ReadOnlySpan<double> Covariates => _v;

    /// <summary>
    /// Splits the first factor's levels into chunks of about equal row counts for parallel work. The split
    /// depends only on the data and the dense size m (each chunk keeps an m×m buffer), never on the number
    /// of threads, so sums reduced in chunk order are identical whatever the parallelism.
    /// </summary>
    public int[] ChunkLevels(int denseSize)
    {
        int levels = Levels[0];
        int byRows = N / 8192;
        int byMemory = denseSize == 0 ? int.MaxValue : (int)Math.Min(int.MaxValue, 1_000_000L / ((long)denseSize * denseSize));
        int chunks = Math.Clamp(Math.Min(Math.Min(byRows, byMemory), 64), 1, Math.Max(1, levels));
        var start = new int[chunks + 1];
        int c = 1;
        for (int l = 0; l < levels && c < chunks; l++)
            if (ClusterStart[l + 1] >= (long)N * c / chunks) start[c++] = l + 1;
        for (; c <= chunks; c++) start[c] = levels;
        // Remove empty chunks.
        return start.Distinct().ToArray();
    }

    /// <summary>A new factor of the shape Λ'Z'WZΛ + I, or with the fixed effects appended when <paramref name="withFixed"/>.</summary>
    public BlockedCholesky CreateFactor(bool withFixed)
    {
        if (!withFixed)
            return new BlockedCholesky(_levels[0], QBlock, DenseRandom, _patternStart, _patternIndex, pairsWhenCheap: QRest > 0);
        int L = _levels[0];
        var start = new int[L + 1];
        var idx = new int[PatternIndex.Length + L * P];
        int w = 0;
        for (int l = 0; l < L; l++)
        {
            start[l] = w;
            for (int k = PatternStart[l]; k < PatternStart[l + 1]; k++) idx[w++] = PatternIndex[k];
            for (int j = 0; j < P; j++) idx[w++] = DenseRandom + j;
        }
        start[L] = w;
        return new BlockedCholesky(L, QBlock, DenseRandom + P, start, idx, pairsWhenCheap: QRest > 0);
    }

    private static bool SameFactor(RandomEffectsTerm a, RandomEffectsTerm b) =>
        a.GroupName == b.GroupName && a.LevelCount == b.LevelCount && a.Codes.AsSpan().SequenceEqual(b.Codes);
}
