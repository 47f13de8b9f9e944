using System.Runtime.CompilerServices;
namespace Glmm.LinearAlgebra;

/// <summary>
/// Selected entries of A⁻¹ for a factored <see cref="BlockedCholesky"/> A = [D B'; B C]: the whole dense block
/// (A⁻¹)_CC = S⁻¹ (S = C − B D⁻¹B' = L_C L_C'), for each level l the diagonal block
/// (A⁻¹)_ll = D_l⁻¹ + W_l' S⁻¹_{P_l P_l} W_l and the off-diagonal rows (A⁻¹)_{P_l, l} = −S⁻¹_{P_l P_l} W_l on level l's
/// pattern P_l, where W_l = B_l D_l⁻¹ = L_B,l L_l⁻¹ (only its pattern rows are non-zero). These are the entries of
/// A⁻¹ on the sparsity of A itself, which is what traces tr(A⁻¹ dA) need. Cost Σ_l |P_l|² q + m³.
/// </summary>
internal sealed class SelectedInversion
{
    private readonly BlockedCholesky _f;
    private readonly double[] _d;
    private readonly double[] _b;
    private readonly double[] _c;
    private readonly double[][] _scratch;
    private readonly int _maxPattern;
    private double[]? _x;   // X = L⁻¹ for the blocked dense inverse

    /// <summary>Allocates the storage for the selected inverse of <paramref name="factor"/>'s structure.</summary>
    /// <param name="factor">The factor (its values are read by <see cref="Compute()"/>, after it has been factored).</param>
    /// <param name="chunks">Number of parallel chunks <see cref="Compute()"/> may be called with (each keeps scratch space).</param>
    public SelectedInversion(BlockedCholesky factor, int chunks = 1)
    {
        _f = factor;
        int q = factor.BlockSize, m = factor.DenseSize, levels = factor.Levels;
        _d = new double[levels * q * q];
        _b = new double[factor.PatternStart(levels) * q];
        _c = new double[m * m];
        for (int l = 0; l < levels; l++) _maxPattern = Math.Max(_maxPattern, factor.Pattern(l).Length);
        _scratch = new double[Math.Max(1, chunks)][];
        for (int c = 0; c < _scratch.Length; c++) _scratch[c] = new double[_maxPattern * _maxPattern + _maxPattern * q + 2 * q * q];
    }

    /// <summary>(A⁻¹)_ll, q×q row-major (full, symmetric).</summary>
    public ReadOnlySpan<double> DiagonalBlock(int level) => _d.AsSpan(level * _f.BlockSize * _f.BlockSize, _f.BlockSize * _f.BlockSize);

    /// <summary>(A⁻¹)_{P_l, l}: one row of length q per pattern entry of level l (same layout as the factor's off-diagonal block).</summary>
    public ReadOnlySpan<double> OffDiagonalBlock(int level)
    {
        int q = _f.BlockSize, s = _f.PatternStart(level);
        return _b.AsSpan(s * q, (_f.PatternStart(level + 1) - s) * q);
    }

    /// <summary>(A⁻¹)_CC = S⁻¹, m×m row-major (full, symmetric).</summary>
    public ReadOnlySpan<double> Dense => _c;

    /// <summary>Computes the selected inverse from the (factored) factor, serially.</summary>
    public void Compute() => Compute([0, _f.Levels], null);

    /// <summary>
    /// Computes the selected inverse from the (factored) factor, the levels in parallel over the fixed chunks
    /// <paramref name="chunkStart"/> (at most the number given to the constructor). Each entry is computed by one
    /// thread in a fixed order, so the result does not depend on the parallelism.
    /// </summary>
    public void Compute(int[] chunkStart, ParallelOptions? parallel)
    {
        int m = _f.DenseSize;
        if (m > 0)
        {
            // Only the entries on the factor's pattern are needed (every consumer reads pairs of indices one level or
            // one row touches); when the factor is sparse only those are computed.
            if (_f.Sparsity.IsSparse) _f.Sparsity.SelectedInverse(_f.Dense, _c);
            else if (LargeDenseCholesky.Applies(m))
            {
                _x ??= new double[LargeDenseCholesky.InverseScratchLength(m)];
                LargeDenseCholesky.Inverse(_f.DenseArray, m, _c, _x, parallel ?? _f.Parallelism);
            }
            else DenseCholesky.Inverse(_f.Dense, m, _c);
        }
        int chunks = chunkStart.Length - 1;
        if (chunks > _scratch.Length) throw new ArgumentException("more chunks than the constructor allowed", nameof(chunkStart));
        if (chunks == 1 || parallel == null)
            for (int c = 0; c < chunks; c++) ComputeLevels(chunkStart[c], chunkStart[c + 1], _scratch[Math.Min(c, _scratch.Length - 1)]);
        else Parallel.For(0, chunks, parallel, c => ComputeLevels(chunkStart[c], chunkStart[c + 1], _scratch[c]));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ComputeLevels(int from, int to, double[] scratch)
    {
        int q = _f.BlockSize, m = _f.DenseSize;
        var work = scratch.AsSpan();
        for (int l = from; l < to; l++)
        {
            var ll = _f.DiagonalBlock(l);
            var dinv = _d.AsSpan(l * q * q, q * q);
            DenseCholesky.Inverse(ll, q, dinv);
            var pat = _f.Pattern(l);
            int s = pat.Length;
            if (s == 0) continue;
            // W = L_B,l L_l⁻¹: each row w solves L_l' w' = (row of L_B,l)'.
            var w = work.Slice(0, s * q);
            _f.OffDiagonalBlock(l).CopyTo(w);
            for (int a = 0; a < s; a++) DenseCholesky.SolveUpper(ll, q, w.Slice(a * q, q));
            // Y = S⁻¹_{PP} W → (A⁻¹)_{P,l} = −Y.
            var y = _b.AsSpan(_f.PatternStart(l) * q, s * q);
            if (q == 1)
            {
                // Scalar blocks (random intercepts): the same sums without the inner loops over q.
                double dsum = dinv[0];
                for (int a = 0; a < s; a++)
                {
                    var crow = _c.AsSpan(pat[a] * m, m);
                    double ya = 0;
                    for (int b = 0; b < s; b++) ya += crow[pat[b]] * w[b];
                    y[a] = ya;
                }
                for (int a = 0; a < s; a++) dsum += w[a] * y[a];
                dinv[0] = dsum;
                for (int a = 0; a < s; a++) y[a] = -y[a];
                continue;
            }
            y.Clear();
            for (int a = 0; a < s; a++)
            {
                var yrow = y.Slice(a * q, q);
                var crow = _c.AsSpan(pat[a] * m, m);
                for (int b = 0; b < s; b++)
                {
                    double g = crow[pat[b]];
                    var wrow = w.Slice(b * q, q);
                    for (int t = 0; t < q; t++) yrow[t] += g * wrow[t];
                }
            }
            // (A⁻¹)_ll = D⁻¹ + W'Y.
            for (int a = 0; a < s; a++)
            {
                var wrow = w.Slice(a * q, q);
                var yrow = y.Slice(a * q, q);
                for (int i = 0; i < q; i++)
                {
                    double wi = wrow[i];
                    var drow = dinv.Slice(i * q, q);
                    for (int j = 0; j < q; j++) drow[j] += wi * yrow[j];
                }
            }
            for (int t = 0; t < y.Length; t++) y[t] = -y[t];
        }
    }
}
