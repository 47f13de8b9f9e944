using Glmm.Families;
using Glmm.LinearAlgebra;
using Glmm.Model;

namespace Glmm.Fitting;

/// <summary>
/// A model's data laid out for the engine: rows sorted by the level of the first grouping factor (so each
/// cluster's rows are contiguous), X row-major, and the symbolic structure of the blocked Cholesky factor
/// of Λ'Z'WZΛ + I (and of the system with the fixed effects appended, for PIRLS over (v, β)).
/// Built once per model; immutable afterwards.
/// </summary>
internal sealed class ModelData
{
    public ModelData(ModelStructure model, Family family)
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
        TermIndex = block.Concat(Enumerable.Range(0, K).Except(block)).ToArray();
        BlockTerms = block.Length;
        Q = new int[K];
        Levels = new int[K];
        TermOffsetInBlock = new int[K];
        for (int k = 0; k < K; k++)
        {
            var t = Random.Terms[TermIndex[k]];
            Q[k] = t.Q;
            Levels[k] = t.LevelCount;
            if (k < BlockTerms) { TermOffsetInBlock[k] = QBlock; QBlock += t.Q; }
        }

        // Sort rows by the first term's level (stable), giving contiguous clusters.
        var codes0 = first.Codes;
        ClusterStart = new int[Levels[0] + 1];
        foreach (int c in codes0) ClusterStart[c + 1]++;
        for (int l = 0; l < Levels[0]; l++) ClusterStart[l + 1] += ClusterStart[l];
        Order = new int[N];
        var fill = (int[])ClusterStart.Clone();
        for (int i = 0; i < N; i++) Order[fill[codes0[i]]++] = i;

        Y = new double[N]; Weights = new double[N]; Offset = new double[N];
        X = new double[N * P];
        for (int i = 0; i < N; i++)
        {
            int o = Order[i];
            Y[i] = model.Y[o]; Weights[i] = model.Weights[o]; Offset[i] = model.Offset[o];
            for (int j = 0; j < P; j++) X[i * P + j] = model.X.Values[j * N + o];
        }
        Codes = new int[K][];
        Z = new double[K][];
        for (int k = 0; k < K; k++)
        {
            var t = Random.Terms[TermIndex[k]];
            int q = Q[k];
            Codes[k] = new int[N];
            Z[k] = new double[N * q];
            for (int i = 0; i < N; i++)
            {
                int o = Order[i];
                Codes[k][i] = t.Codes[o];
                for (int j = 0; j < q; j++) Z[k][i * q + j] = t.Covariates[o * q + j];
            }
        }

        // The block terms' covariates side by side: row i's z for the whole level block.
        if (BlockTerms == 1) ZBlock = Z[0];
        else
        {
            ZBlock = new double[N * QBlock];
            for (int k = 0; k < BlockTerms; k++)
                for (int i = 0; i < N; i++)
                    for (int j = 0; j < Q[k]; j++) ZBlock[i * QBlock + TermOffsetInBlock[k] + j] = Z[k][i * Q[k] + j];
        }

        // Dense index space: the terms after the block, level-major.
        DenseOffset = new int[K];
        int m = 0;
        for (int k = BlockTerms; k < K; k++) { DenseOffset[k] = m; m += Q[k] * Levels[k]; }
        DenseRandom = m;
        QRest = 0;
        for (int k = BlockTerms; k < K; k++) QRest += Q[k];
        Q0Total = QBlock * Levels[0];
        TotalRandom = Q0Total + DenseRandom;

        // Patterns: per cluster, the sorted set of dense random-effect indices its rows touch.
        PatternStart = new int[Levels[0] + 1];
        var patterns = new List<int>();
        RowSlot = new int[N * QRest];
        var set = new SortedSet<int>();
        var pos = new Dictionary<int, int>();
        for (int l = 0; l < Levels[0]; l++)
        {
            set.Clear();
            for (int i = ClusterStart[l]; i < ClusterStart[l + 1]; i++)
                for (int k = BlockTerms; k < K; k++)
                    for (int j = 0; j < Q[k]; j++) set.Add(DenseOffset[k] + Codes[k][i] * Q[k] + j);
            pos.Clear();
            int s = 0;
            foreach (int idx in set) { pos[idx] = s++; patterns.Add(idx); }
            PatternStart[l + 1] = patterns.Count;
            for (int i = ClusterStart[l]; i < ClusterStart[l + 1]; i++)
            {
                int r = 0;
                for (int k = BlockTerms; k < K; k++)
                    for (int j = 0; j < Q[k]; j++) RowSlot[i * QRest + r++] = pos[DenseOffset[k] + Codes[k][i] * Q[k] + j];
            }
        }
        PatternIndex = patterns.ToArray();
    }

    private static bool SameFactor(RandomEffectsTerm a, RandomEffectsTerm b) =>
        a.GroupName == b.GroupName && a.LevelCount == b.LevelCount && a.Codes.AsSpan().SequenceEqual(b.Codes);

    /// <summary>Structure term index of each engine term (block terms first).</summary>
    public int[] TermIndex { get; }
    /// <summary>Number of leading engine terms that share the first grouping factor.</summary>
    public int BlockTerms { get; }
    /// <summary>Random effects per level of the first grouping factor (Σ q over the block terms).</summary>
    public int QBlock { get; }
    /// <summary>Offset of a block term's effects within a level's block.</summary>
    public int[] TermOffsetInBlock { get; }

    /// <summary>Index in v of engine term k, level l, effect j.</summary>
    public int VIndex(int k, int level, int j) =>
        k < BlockTerms ? level * QBlock + TermOffsetInBlock[k] + j : Q0Total + DenseOffset[k] + level * Q[k] + j;

    public ModelStructure Model { get; }
    public Family Family { get; }
    public RandomEffectsStructure Random { get; }
    public int N { get; }
    public int P { get; }
    public int K { get; }
    public int[] Q { get; }
    public int[] Levels { get; }
    /// <summary>Engine row i is row Order[i] of the model structure.</summary>
    public int[] Order { get; }
    public int[] ClusterStart { get; }
    public double[] Y { get; }
    public double[] Weights { get; }
    public double[] Offset { get; }
    /// <summary>Row-major n×p.</summary>
    public double[] X { get; }
    public int[][] Codes { get; }
    /// <summary>Per term, row-major n×q covariates.</summary>
    public double[][] Z { get; }
    /// <summary>Row-major n×QBlock: the block terms' covariates of each row, side by side.</summary>
    public double[] ZBlock { get; }
    public int[] DenseOffset { get; }
    public int DenseRandom { get; }
    public int QRest { get; }
    public int Q0Total { get; }
    public int TotalRandom { get; }
    public int[] PatternStart { get; }
    public int[] PatternIndex { get; }
    /// <summary>Per row, for each (term ≥ 1, j), its position in the row's cluster pattern.</summary>
    public int[] RowSlot { get; }

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
            return new BlockedCholesky(Levels[0], QBlock, DenseRandom, PatternStart, PatternIndex);
        int L = Levels[0];
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
        return new BlockedCholesky(L, QBlock, DenseRandom + P, start, idx);
    }
}
