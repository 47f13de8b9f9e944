using Glmm.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra;

namespace Glmm.Tests.LinearAlgebra;

/// <summary>
/// The factor of the dense block when it is sparse (nested and partially crossed designs): the factor, the solves
/// (one and many right-hand sides) and the selected inverse on the pattern agree with dense linear algebra (MathNet).
/// </summary>
public class DenseBlockSparsityTests
{
    /// <summary>Each level's dense indices: <c>nested</c> one per level; <c>tree</c> a school and its region; <c>band</c> 2–3 neighbours on a line.</summary>
    private static int[] Pattern(string kind, int level, int m, Random rng) => kind switch
    {
        "nested" => [level % m],
        "tree" => [level % (m - 4), m - 4 + level % (m - 4) % 4],
        "band" => Enumerable.Range(level % (m - 2), 2 + rng.Next(2)).ToArray(),
        _ => throw new ArgumentException(kind),
    };

    private static (BlockedCholesky Blocked, Matrix<double> Dense) Build(string kind, int levels, int q, int m, int seed)
    {
        var rng = new Random(seed);
        var start = new int[levels + 1];
        var idx = new List<int>();
        for (int l = 0; l < levels; l++)
        {
            idx.AddRange(Pattern(kind, l, m, rng));
            start[l + 1] = idx.Count;
        }
        var (bc, a) = BlockedTestMatrix.RankOneSums(levels, q, m, start, idx, rng);
        BlockedTestMatrix.Fill(bc, a, fullC: false);
        return (bc, a);
    }

    [Theory]
    [InlineData("nested", 60, 1, 12, 1)]
    [InlineData("nested", 40, 2, 10, 2)]
    [InlineData("tree", 80, 2, 24, 3)]
    [InlineData("band", 90, 1, 40, 4)]
    [InlineData("band", 50, 2, 30, 5)]
    public void SparseKernelsAgreeWithDenseAlgebra(string kind, int levels, int q, int m, int seed)
    {
        var (bc, a) = Build(kind, levels, q, m, seed);
        Assert.True(bc.Sparsity.IsSparse, $"{kind}: {bc.Sparsity.NonZeros} non-zeros of {m * (m + 1) / 2}");
        Assert.True(bc.Factor());
        int n = levels * q + m, k = 3;
        var rng = new Random(seed + 100);
        var rhs = Enumerable.Range(0, n * k).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var many = (double[])rhs.Clone();
        bc.SolveMany(many, k);
        var inverse = a.Inverse();
        for (int col = 0; col < k; col++)
        {
            var x = Enumerable.Range(0, n).Select(i => rhs[i * k + col]).ToArray();
            var expected = inverse * Vector<double>.Build.DenseOfArray(x);
            bc.Solve(x);
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(expected[i], x[i], 10);
                Assert.Equal(expected[i], many[i * k + col], 10);
            }
        }
        Assert.Equal(Math.Log(a.Determinant()), bc.LogDeterminant(m), 9);
        var inv = new SelectedInversion(bc);
        inv.Compute();
        int n0 = levels * q;
        for (int l = 0; l < levels; l++)
        {
            var pat = bc.Pattern(l);
            var b = inv.OffDiagonalBlock(l);
            for (int s = 0; s < pat.Length; s++)
            {
                for (int t = 0; t < q; t++) Assert.Equal(inverse[n0 + pat[s], l * q + t], b[s * q + t], 10);
                foreach (int other in pat) Assert.Equal(inverse[n0 + pat[s], n0 + other], inv.Dense[pat[s] * m + other], 10);
            }
        }
    }

    [Fact]
    public void CrossedPatternsFactorDensely()
    {
        // Every level touching most of the dense indices (crossed factors): L is dense, the dense kernels are used.
        var start = new int[21];
        var idx = new List<int>();
        for (int l = 0; l < 20; l++)
        {
            idx.AddRange(Enumerable.Range(0, 10).Where(i => (i + l) % 4 != 0));
            start[l + 1] = idx.Count;
        }
        var bc = new BlockedCholesky(20, 1, 10, start, idx.ToArray());
        Assert.False(bc.Sparsity.IsSparse);
    }
}
