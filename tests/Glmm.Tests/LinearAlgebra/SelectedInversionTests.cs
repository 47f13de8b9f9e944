using Glmm.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra;

namespace Glmm.Tests.LinearAlgebra;

public class SelectedInversionTests
{
    /// <summary>Random SPD matrix of the blocked shape (as in BlockedCholeskyTests), as the factor object and densely.</summary>
    private static (BlockedCholesky Blocked, Matrix<double> Dense) RandomBlocked(int levels, int q, int m, double density, int seed)
    {
        var rng = new Random(seed);
        var start = new int[levels + 1];
        var idx = new List<int>();
        for (int l = 0; l < levels; l++)
        {
            for (int r = 0; r < m; r++) if (rng.NextDouble() < density) idx.Add(r);
            start[l + 1] = idx.Count;
        }
        var (bc, a) = BlockedTestMatrix.RankOneSums(levels, q, m, start, idx, rng);
        BlockedTestMatrix.Fill(bc, a);
        return (bc, a);
    }

    [Theory]
    [InlineData(1, 1, 0, 0.0, 1, 1)]
    [InlineData(30, 1, 0, 0.0, 2, 1)]
    [InlineData(20, 2, 0, 0.0, 3, 3)]
    [InlineData(25, 1, 12, 0.3, 4, 1)]
    [InlineData(15, 3, 9, 0.5, 5, 4)]
    [InlineData(10, 2, 20, 1.0, 6, 2)]
    [InlineData(40, 2, 7, 0.1, 7, 5)]
    public void MatchesTheDenseInverse(int levels, int q, int m, double density, int seed, int chunks)
    {
        var (bc, a) = RandomBlocked(levels, q, m, density, seed);
        var inverse = a.Inverse();
        Assert.True(bc.Factor());
        var inv = new SelectedInversion(bc, chunks);
        var chunkStart = Enumerable.Range(0, chunks + 1).Select(c => c * levels / chunks).ToArray();
        inv.Compute(chunkStart, new ParallelOptions { MaxDegreeOfParallelism = 2 });
        int n0 = levels * q;
        double scale = inverse.Enumerate().Max(Math.Abs);
        Assert.True(scale > 0.1);
        for (int l = 0; l < levels; l++)
        {
            var d = inv.DiagonalBlock(l);
            for (int i = 0; i < q; i++)
                for (int j = 0; j < q; j++) Assert.Equal(inverse[l * q + i, l * q + j], d[i * q + j], 11);
            var b = inv.OffDiagonalBlock(l);
            var pat = bc.Pattern(l);
            for (int k = 0; k < pat.Length; k++)
                for (int t = 0; t < q; t++) Assert.Equal(inverse[n0 + pat[k], l * q + t], b[k * q + t], 11);
        }
        var c = inv.Dense;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < m; j++) Assert.Equal(inverse[n0 + i, n0 + j], c[i * m + j], 11);
    }
}
