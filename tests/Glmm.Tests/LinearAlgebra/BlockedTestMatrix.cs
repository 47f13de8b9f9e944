using Glmm.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra;

namespace Glmm.Tests.LinearAlgebra;

/// <summary>Puts a dense symmetric matrix of the blocked shape into a <see cref="BlockedCholesky"/>'s storage.</summary>
internal static class BlockedTestMatrix
{
    /// <summary>
    /// A symmetric positive-definite matrix of the blocked shape with level l coupled to its pattern
    /// idx[start[l] .. start[l + 1]) only: three random rank-one terms per level on the level and its pattern, plus 0.3 I.
    /// </summary>
    public static (BlockedCholesky Blocked, Matrix<double> Dense) RankOneSums(int levels, int q, int m, int[] start, List<int> idx, Random rng)
    {
        var bc = new BlockedCholesky(levels, q, m, start, idx.ToArray());
        int n = levels * q + m;
        var a = Matrix<double>.Build.Dense(n, n);
        for (int l = 0; l < levels; l++)
            for (int rep = 0; rep < 3; rep++)
            {
                var g = new double[n];
                for (int t = 0; t < q; t++) g[l * q + t] = rng.NextDouble() - 0.5;
                for (int k = start[l]; k < start[l + 1]; k++) g[levels * q + idx[k]] = rng.NextDouble() - 0.5;
                for (int i = 0; i < n; i++) if (g[i] != 0) for (int j = 0; j < n; j++) a[i, j] += 3 * g[i] * g[j];
            }
        for (int i = 0; i < n; i++) a[i, i] += 0.3;
        return (bc, a);
    }

    /// <summary>Copies <paramref name="a"/>'s diagonal blocks, the pattern's off-diagonal blocks and C (lower triangle and, when <paramref name="fullC"/>, both) into <paramref name="bc"/>.</summary>
    public static void Fill(BlockedCholesky bc, Matrix<double> a, bool fullC = true)
    {
        int levels = bc.Levels, q = bc.BlockSize, m = bc.DenseSize;
        for (int l = 0; l < levels; l++)
        {
            var dl = bc.DiagonalBlock(l);
            for (int i = 0; i < q; i++) for (int j = 0; j < q; j++) dl[i * q + j] = a[l * q + i, l * q + j];
            var bl = bc.OffDiagonalBlock(l);
            var pat = bc.Pattern(l);
            for (int k = 0; k < pat.Length; k++) for (int t = 0; t < q; t++) bl[k * q + t] = a[levels * q + pat[k], l * q + t];
        }
        var c = bc.Dense;
        for (int i = 0; i < m; i++) for (int j = 0; j < (fullC ? m : i + 1); j++) c[i * m + j] = a[levels * q + i, levels * q + j];
    }
}
