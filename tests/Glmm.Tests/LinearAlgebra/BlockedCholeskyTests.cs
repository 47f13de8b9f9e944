using Glmm.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra;

namespace Glmm.Tests.LinearAlgebra;

public class BlockedCholeskyTests
{
    /// <summary>Random SPD matrix of the blocked shape, returned both as the factor object and densely.</summary>
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
        var bc = new BlockedCholesky(levels, q, m, start, idx.ToArray());
        int n = levels * q + m;
        // A = G G' + n I restricted to the sparsity: build a random matrix with the pattern then make it diagonally dominant.
        var a = Matrix<double>.Build.Dense(n, n);
        for (int l = 0; l < levels; l++)
            for (int i = 0; i < q; i++)
                for (int j = 0; j <= i; j++)
                {
                    double v = rng.NextDouble() - 0.5;
                    a[l * q + i, l * q + j] = v; a[l * q + j, l * q + i] = v;
                }
        for (int l = 0; l < levels; l++)
            for (int k = start[l]; k < start[l + 1]; k++)
                for (int t = 0; t < q; t++)
                {
                    double v = rng.NextDouble() - 0.5;
                    a[levels * q + idx[k], l * q + t] = v; a[l * q + t, levels * q + idx[k]] = v;
                }
        for (int i = 0; i < m; i++)
            for (int j = 0; j <= i; j++)
            {
                double v = rng.NextDouble() - 0.5;
                a[levels * q + i, levels * q + j] = v; a[levels * q + j, levels * q + i] = v;
            }
        for (int i = 0; i < n; i++)
        {
            double s = 0;
            for (int j = 0; j < n; j++) s += Math.Abs(a[i, j]);
            a[i, i] = s + 1.0;
        }
        BlockedTestMatrix.Fill(bc, a);
        return (bc, a);
    }

    [Theory]
    [InlineData(1, 1, 0, 0.0, 1)]
    [InlineData(30, 1, 0, 0.0, 2)]
    [InlineData(20, 2, 0, 0.0, 3)]
    [InlineData(25, 1, 12, 0.3, 4)]
    [InlineData(15, 3, 9, 0.5, 5)]
    [InlineData(10, 2, 20, 1.0, 6)]
    [InlineData(40, 2, 7, 0.1, 7)]
    public void MatchesDenseCholesky(int levels, int q, int m, double density, int seed)
    {
        var (bc, a) = RandomBlocked(levels, q, m, density, seed);
        Assert.True(bc.Factor());
        var dense = a.Cholesky();
        int n = a.RowCount;
        Assert.Equal(dense.DeterminantLn, bc.LogDeterminant(m), 10);
        var rng = new Random(seed + 100);
        var rhs = Vector<double>.Build.Dense(n, _ => rng.NextDouble() - 0.5);
        var expected = dense.Solve(rhs);
        var x = rhs.ToArray();
        bc.Solve(x);
        for (int i = 0; i < n; i++) Assert.Equal(expected[i], x[i], 12);
        // Partial log-determinant: the leading block part plus the first dense rows equals the log-determinant of the leading submatrix.
        if (m > 1)
        {
            int lead = levels * q + m / 2;
            var sub = a.SubMatrix(0, lead, 0, lead).Cholesky();
            Assert.Equal(sub.DeterminantLn, bc.LogDeterminant(m / 2), 10);
        }
    }

    [Fact]
    public void ReportsIndefiniteMatrix()
    {
        var bc = new BlockedCholesky(2, 1, 1, new[] { 0, 1, 2 }, new[] { 0, 0 });
        bc.DiagonalBlock(0)[0] = 1; bc.DiagonalBlock(1)[0] = 1;
        bc.OffDiagonalBlock(0)[0] = 1; bc.OffDiagonalBlock(1)[0] = 1;
        bc.Dense[0] = 1.5; // 1.5 - 1 - 1 < 0
        Assert.False(bc.Factor());
    }

    [Fact]
    public void DenseCholeskyInverse()
    {
        var a = new double[] { 4, 2, 0, 2, 5, 1, 0, 1, 3 };
        var l = (double[])a.Clone();
        Assert.True(DenseCholesky.Factor(l, 3));
        var inv = new double[9];
        DenseCholesky.Inverse(l, 3, inv);
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
            {
                double s = 0;
                for (int k = 0; k < 3; k++) s += a[i * 3 + k] * inv[k * 3 + j];
                Assert.Equal(i == j ? 1.0 : 0.0, s, 13);
            }
    }
}
