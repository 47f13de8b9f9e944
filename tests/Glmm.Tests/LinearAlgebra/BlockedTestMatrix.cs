using Glmm.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra;

namespace Glmm.Tests.LinearAlgebra;

/// <summary>Puts a dense symmetric matrix of the blocked shape into a <see cref="BlockedCholesky"/>'s storage.</summary>
internal static class BlockedTestMatrix
{
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
