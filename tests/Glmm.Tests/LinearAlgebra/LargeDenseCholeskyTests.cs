using Glmm.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra;

namespace Glmm.Tests.LinearAlgebra;

public class LargeDenseCholeskyTests
{
    /// <summary>A random SPD matrix B B' / n + I of order n (row-major, full).</summary>
    private static double[] RandomSpd(int n, int seed)
    {
        var rng = new Random(seed);
        var b = Matrix<double>.Build.Dense(n, n, (_, _) => rng.NextDouble() - 0.5);
        var a = b * b.Transpose() / n + Matrix<double>.Build.DenseIdentity(n);
        var r = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) r[i * n + j] = a[i, j];
        return r;
    }

    [Theory]
    [InlineData(128, 1)]
    [InlineData(131, 2)]
    [InlineData(200, 3)]
    [InlineData(257, 4)]
    public void FactorAndInverseMatchTheUnblockedKernels(int n, int seed)
    {
        if (!LargeDenseCholesky.IsSupported) return; // no 4-wide FMA here: the callers use the unblocked kernels
        var a = RandomSpd(n, seed);
        var reference = (double[])a.Clone();
        Assert.True(DenseCholesky.Factor(reference, n));
        var blocked = (double[])a.Clone();
        Assert.True(LargeDenseCholesky.Factor(blocked, n, new double[LargeDenseCholesky.FactorScratchLength(n)], null));
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j <= i; j++) Assert.Equal(reference[i * n + j], blocked[i * n + j], 1e-12);
            for (int j = i + 1; j < n; j++) Assert.Equal(a[i * n + j], blocked[i * n + j]); // the strict upper triangle is left alone
        }
        var invReference = new double[n * n];
        DenseCholesky.Inverse(reference, n, invReference);
        var inv = new double[n * n];
        LargeDenseCholesky.Inverse(blocked, n, inv, new double[LargeDenseCholesky.InverseScratchLength(n)], null);
        for (int k = 0; k < n * n; k++) Assert.Equal(invReference[k], inv[k], 1e-12);
        // A · A⁻¹ = I.
        for (int i = 0; i < n; i += 7)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int k = 0; k < n; k++) s += a[i * n + k] * inv[k * n + j];
                Assert.Equal(i == j ? 1.0 : 0.0, s, 1e-12);
            }
    }

    [Theory]
    [InlineData(128, 5)]
    [InlineData(143, 6)]
    [InlineData(250, 7)]
    [InlineData(333, 8)]
    public void WideTilesGiveBitIdenticalResults(int n, int seed)
    {
        if (!LargeDenseCholesky.Wide) return; // no 8-wide FMA here: only the 4 × 8 tiles run
        var a = RandomSpd(n, seed);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = 2 };
        var narrow = (double[])a.Clone();
        var wide = (double[])a.Clone();
        Assert.True(LargeDenseCholesky.Factor(narrow, n, new double[LargeDenseCholesky.FactorScratchLength(n)], parallel, wideTiles: false));
        Assert.True(LargeDenseCholesky.Factor(wide, n, new double[LargeDenseCholesky.FactorScratchLength(n)], null, wideTiles: true));
        Assert.Equal(narrow, wide);
        var invNarrow = new double[n * n];
        var invWide = new double[n * n];
        LargeDenseCholesky.Inverse(narrow, n, invNarrow, new double[LargeDenseCholesky.InverseScratchLength(n)], null, wideTiles: false);
        LargeDenseCholesky.Inverse(wide, n, invWide, new double[LargeDenseCholesky.InverseScratchLength(n)], parallel, wideTiles: true);
        Assert.Equal(invNarrow, invWide);
    }

    [Fact]
    public void ResultsDoNotDependOnTheThreads()
    {
        if (!LargeDenseCholesky.IsSupported) return; // no 4-wide FMA here: the callers use the unblocked kernels
        int n = 301;
        var a = RandomSpd(n, 9);
        var serial = (double[])a.Clone();
        var parallel = (double[])a.Clone();
        Assert.True(LargeDenseCholesky.Factor(serial, n, new double[LargeDenseCholesky.FactorScratchLength(n)], null));
        Assert.True(LargeDenseCholesky.Factor(parallel, n, new double[LargeDenseCholesky.FactorScratchLength(n)], new ParallelOptions { MaxDegreeOfParallelism = 4 }));
        Assert.Equal(serial, parallel);
        var inv1 = new double[n * n];
        var inv2 = new double[n * n];
        LargeDenseCholesky.Inverse(serial, n, inv1, new double[n * n], null);
        LargeDenseCholesky.Inverse(parallel, n, inv2, new double[n * n], new ParallelOptions { MaxDegreeOfParallelism = 4 });
        Assert.Equal(inv1, inv2);
    }

    [Fact]
    public void ANonPositiveDefiniteMatrixIsRefused()
    {
        if (!LargeDenseCholesky.IsSupported) return; // no 4-wide FMA here: the callers use the unblocked kernels
        int n = 150;
        var a = RandomSpd(n, 3);
        a[140 * n + 140] = -1.0;
        Assert.False(LargeDenseCholesky.Factor(a, n, new double[LargeDenseCholesky.FactorScratchLength(n)], null));
    }
}
