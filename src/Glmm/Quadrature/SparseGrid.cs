using System.Collections.Concurrent;
using System.Globalization;

namespace Glmm.Quadrature;

/// <summary>The 1-D rules a <see cref="SparseGrid"/> is built from.</summary>
public enum SparseGridBase
{
    /// <summary>Gauss–Hermite: 1-D level i is the i-point rule (exact to degree 2i − 1); not nested except for the node 0.</summary>
    GaussHermite,

    /// <summary>
    /// Nested Genz–Keister: 1-D level i is the smallest Genz–Keister rule exact to degree 2i − 1
    /// (levels 1, 2–3, 4–8, 9–15, 16–26 use 1, 3, 9, 19, 35 nodes); levels up to 26.
    /// </summary>
    GenzKeister,
}

/// <summary>
/// Smolyak sparse grids for the q-variate standard normal weight (Heiss &amp; Winschel 2008):
/// level K integrates every polynomial of total degree ≤ 2K − 1 exactly, with far fewer nodes than
/// the K^q product rule when q ≥ 3.
/// </summary>
/// <remarks>
/// <para>Construction: with 1-D rules V_i exact to degree 2i − 1,
/// A(q, K) = Σ_{s = max(q, K)}^{K+q−1} (−1)^{K+q−1−s} C(q−1, K+q−1−s) Σ_{|i|₁ = s, i ≥ 1} V_{i1} ⊗ … ⊗ V_{iq}.
/// Coincident nodes (identical coordinates, which happens for the shared node 0 of odd
/// Gauss–Hermite rules and throughout for the nested Genz–Keister rules) are merged by summing their
/// weights; nodes whose merged weight cancels to rounding level (|w| ≤ 1e-14 × the sum of the absolute
/// contributions) are dropped.</para>
/// <para>Weights are signed: some are negative, so the rule is not a probability measure and
/// <see cref="QuadratureRule.HasNegativeWeights"/> is true for q ≥ 2, K ≥ 2. For q = 1 the grid is the
/// 1-D level-K rule itself. Rules are cached per (q, K, base) and safe to share between threads.</para>
/// </remarks>
public static class SparseGrid
{
    /// <summary>Largest number of (unmerged) tensor-product nodes the construction will visit.</summary>
    public const long MaxWork = 50_000_000;

    private static readonly ConcurrentDictionary<(int, int, SparseGridBase), Lazy<QuadratureRule>> Cache = new();

    /// <summary>
    /// The level-K Smolyak sparse grid in q dimensions (q ≥ 1, K ≥ 1; K ≤ 26 with the Genz–Keister base).
    /// </summary>
    public static QuadratureRule Create(int q, int level, SparseGridBase @base = SparseGridBase.GaussHermite)
    {
        if (q < 1) throw new ArgumentOutOfRangeException(nameof(q), "dimension must be ≥ 1");
        int maxLevel = @base == SparseGridBase.GenzKeister ? (GenzKeister.Precisions[GenzKeister.MaxLevel - 1] + 1) / 2 : GaussHermite.MaxPoints;
        if (level < 1 || level > maxLevel)
            throw new ArgumentOutOfRangeException(nameof(level), "sparse-grid level must be between 1 and " + maxLevel.ToString(CultureInfo.InvariantCulture));
        if (@base != SparseGridBase.GaussHermite && @base != SparseGridBase.GenzKeister)
            throw new ArgumentOutOfRangeException(nameof(@base));
        return Cache.GetOrAdd((q, level, @base), key => new Lazy<QuadratureRule>(() => Build(key.Item1, key.Item2, key.Item3), LazyThreadSafetyMode.ExecutionAndPublication)).Value;
    }

    /// <summary>The 1-D rule used for 1-D level i (exact to degree ≥ 2i − 1).</summary>
    internal static QuadratureRule OneDimensional(int i, SparseGridBase @base) =>
        @base == SparseGridBase.GaussHermite ? GaussHermite.Rule(i) : GenzKeister.Rule(GenzKeister.LevelForPrecision(2 * i - 1));

    private sealed class IndexComparer : IEqualityComparer<int[]>
    {
        public bool Equals(int[]? x, int[]? y) => x!.AsSpan().SequenceEqual(y);

        public int GetHashCode(int[] obj)
        {
            var h = new HashCode();
            foreach (var v in obj) h.Add(v);
            return h.ToHashCode();
        }
    }

    private static QuadratureRule Build(int q, int level, SparseGridBase @base)
    {
        // 1-D rules for levels 1..level, and a global id for each distinct node value.
        var rules = new QuadratureRule[level + 1];
        var ids = new int[level + 1][];
        var valueId = new Dictionary<double, int>();
        var values = new List<double>();
        for (int i = 1; i <= level; i++)
        {
            rules[i] = OneDimensional(i, @base);
            var z = rules[i].Nodes;
            ids[i] = new int[z.Length];
            for (int k = 0; k < z.Length; k++)
            {
                double v = z[k] == 0 ? 0.0 : z[k]; // fold −0 into +0
                if (!valueId.TryGetValue(v, out int id)) { id = values.Count; values.Add(v); valueId.Add(v, id); }
                ids[i][k] = id;
            }
        }

        var index = new Dictionary<int[], int>(new IndexComparer());
        var sum = new List<double>();
        var absSum = new List<double>();
        long work = 0;

        var multi = new int[q];
        int sMin = Math.Max(q, level), sMax = level + q - 1;
        for (int s = sMin; s <= sMax; s++)
        {
            int j = level + q - 1 - s;
            double coefficient = ((j & 1) == 0 ? 1.0 : -1.0) * Binomial(q - 1, j);
            // Enumerate compositions of s into q parts ≥ 1.
            foreach (var comp in Compositions(s, q, multi))
            {
                long cells = 1;
                for (int d = 0; d < q; d++) cells *= rules[comp[d]].Count;
                work += cells;
                if (work > MaxWork) throw new ArgumentOutOfRangeException(nameof(level), "sparse grid too large");
                AddTensor(comp, coefficient, rules, ids, index, sum, absSum);
            }
        }

        var nodes = new List<double>();
        var weights = new List<double>();
        foreach (var (key, slot) in index)
        {
            double w = sum[slot];
            if (Math.Abs(w) <= 1e-14 * absSum[slot]) continue;
            for (int d = 0; d < q; d++) nodes.Add(values[key[d]]);
            weights.Add(w);
        }

        string desc = "Smolyak sparse grid (" + (@base == SparseGridBase.GaussHermite ? "Gauss-Hermite" : "Genz-Keister") + "), level "
            + level.ToString(CultureInfo.InvariantCulture) + ", q = " + q.ToString(CultureInfo.InvariantCulture);
        return new QuadratureRule(q, nodes.ToArray(), weights.ToArray(), null, 2 * level - 1, desc);
    }

    private static void AddTensor(int[] comp, double coefficient, QuadratureRule[] rules, int[][] ids,
        Dictionary<int[], int> index, List<double> sum, List<double> absSum)
    {
        int q = comp.Length;
        var k = new int[q];
        while (true)
        {
            double w = coefficient;
            var key = new int[q];
            for (int d = 0; d < q; d++)
            {
                w *= rules[comp[d]].Weights[k[d]];
                key[d] = ids[comp[d]][k[d]];
            }
            if (index.TryGetValue(key, out int slot))
            {
                sum[slot] += w;
                absSum[slot] += Math.Abs(w);
            }
            else
            {
                index.Add(key, sum.Count);
                sum.Add(w);
                absSum.Add(Math.Abs(w));
            }
            int dd = q - 1;
            for (; dd >= 0; dd--)
            {
                if (++k[dd] < rules[comp[dd]].Count) break;
                k[dd] = 0;
            }
            if (dd < 0) break;
        }
    }

    /// <summary>All compositions of s into q positive parts (the yielded array is reused).</summary>
    private static IEnumerable<int[]> Compositions(int s, int q, int[] buffer)
    {
        if (q == 1)
        {
            buffer[0] = s;
            yield return buffer;
            yield break;
        }
        // Iterate the first q−1 parts lexicographically; the last takes the remainder.
        for (int d = 0; d < q - 1; d++) buffer[d] = 1;
        while (true)
        {
            int used = 0;
            for (int d = 0; d < q - 1; d++) used += buffer[d];
            int last = s - used;
            if (last >= 1)
            {
                buffer[q - 1] = last;
                yield return buffer;
            }
            // Advance: increment the rightmost of the first q−1 parts that can grow.
            int pos = q - 2;
            while (pos >= 0)
            {
                buffer[pos]++;
                int total = 0;
                for (int d = 0; d < q - 1; d++) total += buffer[d];
                if (total <= s - 1) break;
                buffer[pos] = 1;
                pos--;
            }
            if (pos < 0) yield break;
        }
    }

    private static double Binomial(int n, int k)
    {
        double r = 1;
        for (int i = 1; i <= k; i++) r = r * (n - k + i) / i;
        return Math.Round(r);
    }
}
