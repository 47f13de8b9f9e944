using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Glmm.LinearAlgebra;

/// <summary>
/// The Cholesky factor and the inverse of a large dense symmetric positive-definite matrix (row-major, the lower
/// triangle), blocked for the cache and vectorised — the kernels for a dense Schur complement C of a few hundred to a
/// few thousand rows (InstEval's lecturers, crossed designs). The factor is right-looking over panels of
/// <see cref="PanelWidth"/> columns: the panel's diagonal block and rows, then the trailing update C₂₂ −= L₂₁L₂₁' in
/// register tiles of 4 rows × 8 columns (eight 4-wide FMA accumulators, the panel packed transposed so that its columns
/// are contiguous). The inverse is X = L⁻¹ by row blocks (a tile product with the rows above, then the block's own
/// triangle) and A⁻¹ = X'X by tiles, accumulated over blocks of 128 rows of X so that the rows a tile reads stay in
/// the cache. Work is split into a fixed number of interleaved groups of tiles and every entry is computed by one tile
/// in a fixed order, so the result is identical whatever the number of threads. About n³/6 multiply-adds each for the
/// factor, L⁻¹ and X'X.
/// </summary>
internal static class LargeDenseCholesky
{
    /// <summary>Orders from which the blocked kernels are used (below it the unblocked <see cref="DenseCholesky"/>).</summary>
    public const int MinimumOrder = 128;

    /// <summary>Columns per panel of the factor (and rows per block of the inverse).</summary>
    public const int PanelWidth = 64;

    private const int KBlock = 128;
    private const int Groups = 16;

    /// <summary>True when the machine has the 4-wide FMA the kernels are written for.</summary>
    public static bool IsSupported => Vector256.IsHardwareAccelerated && Fma.IsSupported;

    /// <summary>True when an n × n matrix should use these kernels.</summary>
    public static bool Applies(int n) => n >= MinimumOrder && IsSupported;

    /// <summary>Scratch length <see cref="Factor"/> needs for order n (the packed panel).</summary>
    public static int FactorScratchLength(int n) => PanelWidth * (n + 8) + PanelWidth * PanelWidth;

    /// <summary>
    /// Factors the n × n matrix in <paramref name="a"/> in place (lower triangle; the strict upper triangle is not
    /// written); returns false when it is not positive definite. <paramref name="panel"/>: at least
    /// <see cref="FactorScratchLength"/> entries.
    /// </summary>
    /// <param name="a">The matrix, factored in place.</param>
    /// <param name="n">Its order.</param>
    /// <param name="panel">Scratch.</param>
    /// <param name="parallel">How the tiles may run in parallel (null: serially).</param>
    /// <param name="wideTiles">Use the 16-column tiles (null: when the machine has 8-wide FMA); the result is the same either way.</param>
    public static bool Factor(double[] a, int n, double[] panel, ParallelOptions? parallel, bool? wideTiles = null)
    {
        bool wide = wideTiles ?? Wide;
        for (int j0 = 0; j0 < n; j0 += PanelWidth)
        {
            int jb = Math.Min(PanelWidth, n - j0), r0 = j0 + jb, r = n - r0;
            if (!FactorDiagonalBlock(a, n, j0, jb)) return false;
            if (r == 0) break;
            PackDiagonalBlock(a, n, j0, jb, panel.AsSpan(PanelWidth * (n + 8)));
            Run(parallel, g =>
            {
                int i = r0 + g;
                for (; i + 3 * Groups < n; i += 4 * Groups) PanelRows(a, n, j0, jb, i, Groups, panel, r0);
                for (; i < n; i += Groups) PanelRow(a, n, j0, jb, i, panel, r0);
            });
            int tiles = (r + 3) / 4;
            Run(parallel, g =>
            {
                for (int t = g; t < tiles; t += Groups) TrailingTile(a, n, j0, jb, r0 + 4 * t, panel, r0, wide);
            });
        }
        return true;
    }

    /// <summary>Scratch length <see cref="Inverse"/> needs for order n (X = L⁻¹).</summary>
    public static int InverseScratchLength(int n) => n * n;

    /// <summary>
    /// A⁻¹ = (LL')⁻¹ from the factor <paramref name="l"/> (as <see cref="Factor"/> leaves it), written in full (both
    /// triangles) into <paramref name="inverse"/>; <paramref name="x"/>: at least <see cref="InverseScratchLength"/> entries.
    /// </summary>
    /// <param name="l">The factor.</param>
    /// <param name="n">Its order.</param>
    /// <param name="inverse">The inverse, written in full.</param>
    /// <param name="x">Scratch.</param>
    /// <param name="parallel">How the tiles may run in parallel (null: serially).</param>
    /// <param name="wideTiles">Use the 16-column tiles (null: when the machine has 8-wide FMA); the result is the same either way.</param>
    public static void Inverse(double[] l, int n, double[] inverse, double[] x, ParallelOptions? parallel, bool? wideTiles = null)
    {
        bool wide = wideTiles ?? Wide;
        Array.Clear(x, 0, n * n);
        for (int i0 = 0; i0 < n; i0 += PanelWidth)
        {
            int ib = Math.Min(PanelWidth, n - i0);
            // The block's own triangle: X_II = L_II⁻¹.
            for (int i = i0; i < i0 + ib; i++)
            {
                double lii = l[i * n + i];
                x[i * n + i] = 1.0 / lii;
                for (int j = i0; j < i; j++)
                {
                    double s = 0;
                    for (int k = j; k < i; k++) s += l[i * n + k] * x[k * n + j];
                    x[i * n + j] = -s / lii;
                }
            }
            if (i0 == 0) continue;
            // T = L_I,<i0 X_<i0,<i0 into X's rows I, by column tiles; then X_I,<i0 = −L_II⁻¹ T row by row.
            int width = wide ? 16 : 8, colTiles = (i0 + width - 1) / width;
            Run(parallel, g =>
            {
                for (int t = g; t < colTiles; t += Groups)
                {
                    int jt = width * t;
                    if (width == 16 && jt + 16 <= i0) WideLowerTimesX(l, x, n, i0, ib, jt);
                    else
                        for (int j = jt; j < Math.Min(jt + width, i0); j += 8) LowerTimesX(l, x, n, i0, ib, j);
                }
            });
            for (int i = i0; i < i0 + ib; i++)
            {
                var row = x.AsSpan(i * n, i0);
                for (int k = i0; k < i; k++) Axpy(l[i * n + k], x.AsSpan(k * n, i0), row);
                double scale = -1.0 / l[i * n + i];
                for (int j = 0; j < row.Length; j++) row[j] *= scale;
            }
        }
        // A⁻¹ = X'X (lower triangle), over blocks of rows of X.
        Array.Clear(inverse, 0, n * n);
        int rowTiles = (n + 3) / 4;
        for (int k0 = 0; k0 < n; k0 += KBlock)
        {
            int k1 = Math.Min(n, k0 + KBlock);
            int tiles = Math.Min(rowTiles, (k1 + 3) / 4);
            Run(parallel, g =>
            {
                for (int t = g; t < tiles; t += Groups) GramTile(x, inverse, n, 4 * t, k0, k1, wide);
            });
        }
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++) inverse[j * n + i] = inverse[i * n + j];
    }

    private static void Run(ParallelOptions? parallel, Action<int> body)
    {
        if (parallel == null || parallel.MaxDegreeOfParallelism == 1) for (int g = 0; g < Groups; g++) body(g);
        else Parallel.For(0, Groups, parallel, body);
    }

    /// <summary>The unblocked factor of the panel's diagonal block (rows and columns j0 .. j0 + jb).</summary>
    private static bool FactorDiagonalBlock(double[] a, int n, int j0, int jb)
    {
        for (int j = j0; j < j0 + jb; j++)
        {
            var rowJ = a.AsSpan(j * n + j0, j - j0);
            double d = a[j * n + j] - DenseCholesky.Dot(rowJ, rowJ);
            if (!(d > 0.0) || !double.IsFinite(d)) return false;
            double ljj = Math.Sqrt(d);
            a[j * n + j] = ljj;
            for (int i = j + 1; i < j0 + jb; i++)
                a[i * n + j] = (a[i * n + j] - DenseCholesky.Dot(a.AsSpan(i * n + j0, j - j0), rowJ)) / ljj;
        }
        return true;
    }

    /// <summary>Row i below the panel: L_i,J = A_i,J L_JJ⁻ᵀ, also packed into column i − r0 of the transposed panel.</summary>
    private static void PanelRow(double[] a, int n, int j0, int jb, int i, double[] panel, int r0)
    {
        for (int c = 0; c < jb; c++)
        {
            int col = j0 + c;
            double v = (a[i * n + col] - DenseCholesky.Dot(a.AsSpan(i * n + j0, c), a.AsSpan(col * n + j0, c))) / a[col * n + col];
            a[i * n + col] = v;
            panel[PanelIndex(c, i - r0, jb)] = v;
        }
    }

    /// <summary>
    /// The panel's diagonal factor L_JJ packed for <see cref="PanelRows"/>: for each group of 8 columns c0 .. c0 + 7, the
    /// entries L_(j0 + c0 + t), (j0 + k) for k &lt; c0 as rows of 8 (t = 0..7), k-major, so that a register tile reads them as
    /// the 8 columns of its right-hand operand.
    /// </summary>
    private static void PackDiagonalBlock(double[] a, int n, int j0, int jb, Span<double> pack)
    {
        for (int c0 = 8; c0 + 8 <= jb; c0 += 8)
        {
            var group = pack.Slice(PackOffset(c0), 8 * c0);
            for (int k = 0; k < c0; k++)
                for (int t = 0; t < 8; t++) group[8 * k + t] = a[(j0 + c0 + t) * n + j0 + k];
        }
    }

    /// <summary>Where the pack of the column group starting at c0 begins (Σ_{g &lt; c0/8} 64 g).</summary>
    private static int PackOffset(int c0) => 4 * c0 * (c0 / 8 - 1);

    /// <summary>
    /// <see cref="PanelRow"/> for the four rows i, i + d, i + 2d, i + 3d at once, by groups of 8 columns: the group's
    /// columns first lose the product of the rows' entries left of the group with L_JJ's rows of the group (one register
    /// tile, <see cref="Tile"/>, over the packed L_JJ), then the group's own triangle is solved entry by entry.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PanelRows(double[] a, int n, int j0, int jb, int i, int d, double[] panel, int r0)
    {
        ref double pa = ref MemoryMarshal.GetArrayDataReference(a);
        ref double pack = ref MemoryMarshal.GetArrayDataReference(panel);
        int packBase = PanelWidth * (n + 8);
        int stride = d * n;
        int c0 = 0;
        for (; c0 + 8 <= jb; c0 += 8)
        {
            if (c0 > 0)
                Tile(ref Unsafe.Add(ref pa, i * n + j0), stride, 1, ref Unsafe.Add(ref pack, packBase + PackOffset(c0)), 8, c0,
                    ref Unsafe.Add(ref pa, i * n + j0 + c0), stride, TileMode.Subtract);
            for (int t = 0; t < 4; t++)
            {
                int row = (i + t * d) * n;
                for (int c = c0; c < c0 + 8; c++)
                {
                    int col = j0 + c;
                    double v = a[row + col];
                    for (int k = j0 + c0; k < col; k++) v -= a[row + k] * a[col * n + k];
                    a[row + col] = v / a[col * n + col];
                }
            }
        }
        for (int t = 0; t < 4; t++)
        {
            int rowIndex = i + t * d, row = rowIndex * n;
            // A last group of fewer than 8 columns (a panel narrower than 8 columns' multiple: the matrix's last).
            for (int c = c0; c < jb; c++)
            {
                int col = j0 + c;
                double v = a[row + col] - DenseCholesky.Dot(a.AsSpan(row + j0, c), a.AsSpan(col * n + j0, c));
                a[row + col] = v / a[col * n + col];
            }
            for (int c = 0; c < jb; c++) panel[PanelIndex(c, rowIndex - r0, jb)] = a[row + j0 + c];
        }
    }

    /// <summary>Where L_(r0 + jj), j0 + c sits in the packed panel: by tiles of 8 columns, each tile c-major ([c][8] contiguous), so a tile's loads run sequentially.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int PanelIndex(int c, int jj, int jb) => (jj >> 3) * jb * 8 + c * 8 + (jj & 7);

    /// <summary>A_ij −= Σ_c L_ic L_jc for the rows i .. i + 3 of the trailing matrix and every column r0 ≤ j ≤ i (lower triangle).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TrailingTile(double[] a, int n, int j0, int jb, int i, double[] panel, int r0, bool wide)
    {
        ref double pa = ref MemoryMarshal.GetArrayDataReference(a);
        ref double pp = ref MemoryMarshal.GetArrayDataReference(panel);
        int jt = r0;
        if (i + 3 < n)
        {
            if (wide)
            {
                for (; jt + 15 <= i; jt += 16)
                    WideTile(ref Unsafe.Add(ref pa, i * n + j0), n, 1, ref Unsafe.Add(ref pp, PanelIndex(0, jt - r0, jb)),
                        8 * jb, 8, jb, ref Unsafe.Add(ref pa, i * n + jt), n, TileMode.Subtract);
            }
            for (; jt + 7 <= i; jt += 8)
                Tile(ref Unsafe.Add(ref pa, i * n + j0), n, 1, ref Unsafe.Add(ref pp, PanelIndex(0, jt - r0, jb)), 8, jb,
                    ref Unsafe.Add(ref pa, i * n + jt), n, TileMode.Subtract);
        }
        // The rest of the tile (near the diagonal, or a last partial tile), entry by entry.
        for (int t = 0; t < 4 && i + t < n; t++)
        {
            int row = i + t;
            for (int j = jt; j <= row; j++)
            {
                double s = 0;
                for (int c = 0; c < jb; c++) s += a[row * n + j0 + c] * panel[PanelIndex(c, j - r0, jb)];
                a[row * n + j] -= s;
            }
        }
    }

    /// <summary>T_ij = Σ_{jt ≤ k &lt; i0} L_ik X_kj for the rows i of block [i0, i0 + ib) and the columns jt .. jt + 7 (X_kj = 0 for j &gt; k), into X_ij.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void LowerTimesX(double[] l, double[] x, int n, int i0, int ib, int jt)
    {
        ref double pl = ref MemoryMarshal.GetArrayDataReference(l);
        ref double px = ref MemoryMarshal.GetArrayDataReference(x);
        int i = i0;
        if (jt + 8 <= i0)
        {
            for (; i + 4 <= i0 + ib; i += 4)
                Tile(ref Unsafe.Add(ref pl, i * n + jt), n, 1, ref Unsafe.Add(ref px, jt * n + jt), n, i0 - jt,
                    ref Unsafe.Add(ref px, i * n + jt), n, TileMode.Store);
        }
        int jEnd = Math.Min(jt + 8, i0);
        for (int row = jt + 8 <= i0 ? i : i0; row < i0 + ib; row++)
            for (int j = jt; j < jEnd; j++)
            {
                double s = 0;
                for (int k = j; k < i0; k++) s += l[row * n + k] * x[k * n + j];
                x[row * n + j] = s;
            }
    }

    /// <summary>
    /// <see cref="LowerTimesX"/> for the 16 columns jt .. jt + 15 (jt + 16 ≤ i0) in 4 × 16 tiles: the columns jt + 8 .. jt + 15
    /// start their sums at k = jt with exact zeros (X_kj = 0 for k &lt; j), so every entry is bit-identical to two 8-column calls.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WideLowerTimesX(double[] l, double[] x, int n, int i0, int ib, int jt)
    {
        ref double pl = ref MemoryMarshal.GetArrayDataReference(l);
        ref double px = ref MemoryMarshal.GetArrayDataReference(x);
        int i = i0;
        for (; i + 4 <= i0 + ib; i += 4)
            WideTile(ref Unsafe.Add(ref pl, i * n + jt), n, 1, ref Unsafe.Add(ref px, jt * n + jt), 8, n, i0 - jt,
                ref Unsafe.Add(ref px, i * n + jt), n, TileMode.Store);
        for (int row = i; row < i0 + ib; row++)
            for (int j = jt; j < jt + 16; j++)
            {
                double s = 0;
                for (int k = j; k < i0; k++) s += l[row * n + k] * x[k * n + j];
                x[row * n + j] = s;
            }
    }

    /// <summary>(X'X)_ij += Σ_{k0 ≤ k &lt; k1} X_ki X_kj for the rows i .. i + 3 and every column j ≤ i (X_ki = 0 for k &lt; i).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GramTile(double[] x, double[] g, int n, int i, int k0, int k1, bool wide)
    {
        ref double px = ref MemoryMarshal.GetArrayDataReference(x);
        ref double pg = ref MemoryMarshal.GetArrayDataReference(g);
        int kStart = Math.Max(k0, i);
        int jt = 0;
        if (i + 3 < n && kStart < k1)
        {
            if (wide)
            {
                for (; jt + 15 <= i; jt += 16)
                    WideTile(ref Unsafe.Add(ref px, kStart * n + i), 1, n, ref Unsafe.Add(ref px, kStart * n + jt), 8, n, k1 - kStart,
                        ref Unsafe.Add(ref pg, i * n + jt), n, TileMode.Add);
            }
            for (; jt + 7 <= i; jt += 8)
                Tile(ref Unsafe.Add(ref px, kStart * n + i), 1, n, ref Unsafe.Add(ref px, kStart * n + jt), n, k1 - kStart,
                    ref Unsafe.Add(ref pg, i * n + jt), n, TileMode.Add);
        }
        for (int t = 0; t < 4 && i + t < n; t++)
        {
            int row = i + t;
            for (int j = jt; j <= row; j++)
            {
                double s = 0;
                for (int k = Math.Max(k0, row); k < k1; k++) s += x[k * n + row] * x[k * n + j];
                g[row * n + j] += s;
            }
        }
    }

    private enum TileMode { Store, Add, Subtract }

    /// <summary>True when the machine has 8-wide FMA (and the code was compiled for it: a native build for x86-64-v3 has not): then 4 × 16 tiles (<see cref="WideTile"/>) cover what pairs of 4 × 8 tiles would, with the same arithmetic per entry.</summary>
    public static bool Wide => Vector512.IsHardwareAccelerated && Avx512F.IsSupported;

    /// <summary>
    /// <see cref="Tile"/> 16 columns wide in 8-wide registers: T(t, 0..15) = Σ_{k &lt; count} A(t, k) B(k, 0..15), the columns
    /// 0..7 of B(k, ·) at b[k·bStep] and 8..15 at b[high + k·bStep]. Each entry is summed in k order by FMA from zero and
    /// then combined with C exactly as <see cref="Tile"/> does, so the results are bit-identical to two 4 × 8 tiles.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WideTile(ref double a, int aRow, int aStep, ref double b, int high, int bStep, int count, ref double c, int cRow, TileMode mode)
    {
        Vector512<double> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector512<double> c20 = default, c21 = default, c30 = default, c31 = default;
        ref double a1 = ref Unsafe.Add(ref a, aRow);
        ref double a2 = ref Unsafe.Add(ref a1, aRow);
        ref double a3 = ref Unsafe.Add(ref a2, aRow);
        ref double bh = ref Unsafe.Add(ref b, high);
        for (int k = 0; k < count; k++)
        {
            var p0 = Vector512.LoadUnsafe(ref b);
            var p1 = Vector512.LoadUnsafe(ref bh);
            var x = Vector512.Create(a);
            c00 = Avx512F.FusedMultiplyAdd(x, p0, c00);
            c01 = Avx512F.FusedMultiplyAdd(x, p1, c01);
            x = Vector512.Create(a1);
            c10 = Avx512F.FusedMultiplyAdd(x, p0, c10);
            c11 = Avx512F.FusedMultiplyAdd(x, p1, c11);
            x = Vector512.Create(a2);
            c20 = Avx512F.FusedMultiplyAdd(x, p0, c20);
            c21 = Avx512F.FusedMultiplyAdd(x, p1, c21);
            x = Vector512.Create(a3);
            c30 = Avx512F.FusedMultiplyAdd(x, p0, c30);
            c31 = Avx512F.FusedMultiplyAdd(x, p1, c31);
            a = ref Unsafe.Add(ref a, aStep);
            a1 = ref Unsafe.Add(ref a1, aStep);
            a2 = ref Unsafe.Add(ref a2, aStep);
            a3 = ref Unsafe.Add(ref a3, aStep);
            b = ref Unsafe.Add(ref b, bStep);
            bh = ref Unsafe.Add(ref bh, bStep);
        }
        WideCombine(ref c, c00, c01, mode);
        WideCombine(ref Unsafe.Add(ref c, cRow), c10, c11, mode);
        WideCombine(ref Unsafe.Add(ref c, 2 * cRow), c20, c21, mode);
        WideCombine(ref Unsafe.Add(ref c, 3 * cRow), c30, c31, mode);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WideCombine(ref double at, Vector512<double> lo, Vector512<double> hi, TileMode mode)
    {
        if (mode == TileMode.Store)
        {
            lo.StoreUnsafe(ref at);
            hi.StoreUnsafe(ref at, 8);
        }
        else if (mode == TileMode.Add)
        {
            (Vector512.LoadUnsafe(ref at) + lo).StoreUnsafe(ref at);
            (Vector512.LoadUnsafe(ref at, 8) + hi).StoreUnsafe(ref at, 8);
        }
        else
        {
            (Vector512.LoadUnsafe(ref at) - lo).StoreUnsafe(ref at);
            (Vector512.LoadUnsafe(ref at, 8) - hi).StoreUnsafe(ref at, 8);
        }
    }

    /// <summary>
    /// The register tile of every kernel: T(t, 0..7) = Σ_{k &lt; count} A(t, k) B(k, 0..7) for the rows t = 0..3, with A(t, k)
    /// at a[t·aRow + k·aStep] (broadcast) and B(k, ·) the 8 entries from b[k·bStep] (two 4-wide loads), in eight FMA
    /// accumulators summed in k order; then C's rows c[t·cRow ..] are set to, increased or decreased by T.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile(ref double a, int aRow, int aStep, ref double b, int bStep, int count, ref double c, int cRow, TileMode mode)
    {
        Vector256<double> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector256<double> c20 = default, c21 = default, c30 = default, c31 = default;
        ref double a1 = ref Unsafe.Add(ref a, aRow);
        ref double a2 = ref Unsafe.Add(ref a1, aRow);
        ref double a3 = ref Unsafe.Add(ref a2, aRow);
        for (int k = 0; k < count; k++)
        {
            var p0 = Vector256.LoadUnsafe(ref b);
            var p1 = Vector256.LoadUnsafe(ref b, 4);
            var x = Vector256.Create(a);
            c00 = Fma.MultiplyAdd(x, p0, c00);
            c01 = Fma.MultiplyAdd(x, p1, c01);
            x = Vector256.Create(a1);
            c10 = Fma.MultiplyAdd(x, p0, c10);
            c11 = Fma.MultiplyAdd(x, p1, c11);
            x = Vector256.Create(a2);
            c20 = Fma.MultiplyAdd(x, p0, c20);
            c21 = Fma.MultiplyAdd(x, p1, c21);
            x = Vector256.Create(a3);
            c30 = Fma.MultiplyAdd(x, p0, c30);
            c31 = Fma.MultiplyAdd(x, p1, c31);
            a = ref Unsafe.Add(ref a, aStep);
            a1 = ref Unsafe.Add(ref a1, aStep);
            a2 = ref Unsafe.Add(ref a2, aStep);
            a3 = ref Unsafe.Add(ref a3, aStep);
            b = ref Unsafe.Add(ref b, bStep);
        }
        Combine(ref c, c00, c01, mode);
        Combine(ref Unsafe.Add(ref c, cRow), c10, c11, mode);
        Combine(ref Unsafe.Add(ref c, 2 * cRow), c20, c21, mode);
        Combine(ref Unsafe.Add(ref c, 3 * cRow), c30, c31, mode);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Combine(ref double at, Vector256<double> lo, Vector256<double> hi, TileMode mode)
    {
        if (mode == TileMode.Store)
        {
            lo.StoreUnsafe(ref at);
            hi.StoreUnsafe(ref at, 4);
        }
        else if (mode == TileMode.Add)
        {
            (Vector256.LoadUnsafe(ref at) + lo).StoreUnsafe(ref at);
            (Vector256.LoadUnsafe(ref at, 4) + hi).StoreUnsafe(ref at, 4);
        }
        else
        {
            (Vector256.LoadUnsafe(ref at) - lo).StoreUnsafe(ref at);
            (Vector256.LoadUnsafe(ref at, 4) - hi).StoreUnsafe(ref at, 4);
        }
    }

    /// <summary>y += a·x.</summary>
    private static void Axpy(double a, ReadOnlySpan<double> x, Span<double> y)
    {
        int k = 0;
        if (x.Length >= 4)
        {
            var av = Vector256.Create(a);
            ref double px = ref MemoryMarshal.GetReference(x);
            ref double py = ref MemoryMarshal.GetReference(y);
            for (; k + 4 <= x.Length; k += 4)
                Fma.MultiplyAdd(av, Vector256.LoadUnsafe(ref px, (nuint)k), Vector256.LoadUnsafe(ref py, (nuint)k)).StoreUnsafe(ref py, (nuint)k);
        }
        for (; k < x.Length; k++) y[k] += a * x[k];
    }
}
