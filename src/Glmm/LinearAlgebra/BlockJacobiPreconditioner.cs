namespace Glmm.LinearAlgebra;

/// <summary>
/// The block-Jacobi preconditioner of Λ'Z'WZΛ + I: per random-effects term and level, the exact q × q diagonal block
/// Pₖₗ = Tₖ'GₖₗTₖ + I (Gₖₗ = Σ wᵢ zᵢzᵢ' over the level's rows) and its Cholesky factor, for every grouping factor alike
/// (for two crossed factors this is the exact block factor of each factor with the other's coupling left out).
/// The blocks are held as levels × q × q arrays: memory O(levels · q²), no coupling between levels.
/// </summary>
internal sealed class BlockJacobiPreconditioner : IPreconditioner, IBlockPreconditioner
{
    private readonly int[] _q, _base;
    private readonly int[][] _uBase;
    private readonly double[][] _factor;

    /// <param name="q">Random effects per level of each term.</param>
    /// <param name="uBase">Per term, the index in u of each level's first effect (its q effects follow contiguously).</param>
    public BlockJacobiPreconditioner(int[] q, int[][] uBase)
    {
        _q = q;
        _uBase = uBase;
        _base = new int[q.Length];
        _factor = new double[q.Length][];
        for (int k = 0; k < q.Length; k++) _factor[k] = new double[uBase[k].Length * q[k] * q[k]];
    }

    public string Name => "block-jacobi";

    public double LogDeterminant { get; private set; }

    /// <summary>Term k's Cholesky factors, level after level (row-major lower q × q).</summary>
    public ReadOnlySpan<double> Factor(int k) => _factor[k];

    /// <summary>
    /// Sets the blocks to Tₖ'GₖₗTₖ + I from the weighted cross-products <paramref name="gram"/> (per term, levels × q × q)
    /// and the factors <paramref name="t"/> (per term, row-major lower q × q), and factors them.
    /// </summary>
    public bool Update(double[][] gram, double[][] t)
    {
        double logDet = 0;
        Span<double> tg = stackalloc double[64];
        for (int k = 0; k < _q.Length; k++)
        {
            int q = _q[k], qq = q * q, levels = _uBase[k].Length;
            var tk = t[k];
            var gk = gram[k];
            var fk = _factor[k];
            for (int l = 0; l < levels; l++)
            {
                var g = gk.AsSpan(l * qq, qq);
                var f = fk.AsSpan(l * qq, qq);
                // tg = T' G (q × q), then f = tg T + I.
                for (int a = 0; a < q; a++)
                    for (int b = 0; b < q; b++)
                    {
                        double s = 0;
                        for (int c = a; c < q; c++) s += tk[c * q + a] * g[c * q + b];
                        tg[a * q + b] = s;
                    }
                for (int a = 0; a < q; a++)
                    for (int b = 0; b < q; b++)
                    {
                        double s = a == b ? 1.0 : 0.0;
                        for (int c = b; c < q; c++) s += tg[a * q + c] * tk[c * q + b];
                        f[a * q + b] = s;
                    }
                if (!DenseCholesky.Factor(f, q)) return false;
                for (int a = 0; a < q; a++) logDet += 2.0 * Math.Log(f[a * q + a]);
            }
        }
        LogDeterminant = logDet;
        return true;
    }

    public void Solve(ReadOnlySpan<double> r, Span<double> z)
    {
        r.CopyTo(z);
        ForEachBlock(z, forward: true, backward: true);
    }

    /// <summary>x ← L⁻¹x (forward) and/or L'⁻¹x (backward), block by block.</summary>
    private void ForEachBlock(Span<double> x, bool forward, bool backward)
    {
        for (int k = 0; k < _q.Length; k++)
        {
            int q = _q[k], qq = q * q;
            var fk = _factor[k];
            var ub = _uBase[k];
            if (q == 1)
            {
                for (int l = 0; l < ub.Length; l++)
                {
                    double d = fk[l];
                    if (forward && backward) x[ub[l]] /= d * d;
                    else x[ub[l]] /= d;
                }
                continue;
            }
            for (int l = 0; l < ub.Length; l++)
            {
                int o = ub[l];
                var f = fk.AsSpan(l * qq, qq);
                if (forward)
                    for (int a = 0; a < q; a++)
                    {
                        double s = x[o + a];
                        for (int b = 0; b < a; b++) s -= f[a * q + b] * x[o + b];
                        x[o + a] = s / f[a * q + a];
                    }
                if (backward)
                    for (int a = q - 1; a >= 0; a--)
                    {
                        double s = x[o + a];
                        for (int b = a + 1; b < q; b++) s -= f[b * q + a] * x[o + b];
                        x[o + a] = s / f[a * q + a];
                    }
            }
        }
    }

    /// <summary>Z = P⁻¹R for a block of <paramref name="width"/> columns (row-major).</summary>
    public void SolveBlock(ReadOnlySpan<double> r, Span<double> z, int width)
    {
        r[..z.Length].CopyTo(z);
        ForEachBlock(z, width, forward: true, backward: true);
    }

    /// <summary>X = L⁻¹R for a block.</summary>
    public void SolveFactorBlock(ReadOnlySpan<double> r, Span<double> x, int width)
    {
        r[..x.Length].CopyTo(x);
        ForEachBlock(x, width, forward: true, backward: false);
    }

    /// <summary>X = L'⁻¹Z̃ for a block.</summary>
    public void SolveFactorTransposeBlock(ReadOnlySpan<double> z, Span<double> x, int width)
    {
        z[..x.Length].CopyTo(x);
        ForEachBlock(x, width, forward: false, backward: true);
    }

    /// <summary>X = LZ̃ for a block.</summary>
    public void MultiplyFactorBlock(ReadOnlySpan<double> z, Span<double> x, int width)
    {
        for (int k = 0; k < _q.Length; k++)
        {
            int q = _q[k], qq = q * q;
            var fk = _factor[k];
            var ub = _uBase[k];
            for (int l = 0; l < ub.Length; l++)
            {
                int o = ub[l];
                for (int a = q - 1; a >= 0; a--)
                {
                    var dst = x.Slice((o + a) * width, width);
                    BlockKernels.Scale(dst, z.Slice(o * width, width), fk[l * qq + a * q]);
                    for (int b = 1; b <= a; b++) BlockKernels.AddScaled(dst, z.Slice((o + b) * width, width), fk[l * qq + a * q + b]);
                }
            }
        }
    }

    /// <summary>x ← L⁻¹x and/or L'⁻¹x block by block, each of the <paramref name="width"/> columns alike.</summary>
    private void ForEachBlock(Span<double> x, int width, bool forward, bool backward)
    {
        for (int k = 0; k < _q.Length; k++)
        {
            int q = _q[k], qq = q * q;
            var fk = _factor[k];
            var ub = _uBase[k];
            for (int l = 0; l < ub.Length; l++)
            {
                int o = ub[l];
                var f = fk.AsSpan(l * qq, qq);
                if (q == 1)
                {
                    double d = forward && backward ? f[0] * f[0] : f[0];
                    var v = x.Slice(o * width, width);
                    BlockKernels.Scale(v, v, 1.0 / d);
                    continue;
                }
                if (forward)
                    for (int a = 0; a < q; a++)
                    {
                        var v = x.Slice((o + a) * width, width);
                        for (int b = 0; b < a; b++) BlockKernels.AddScaled(v, x.Slice((o + b) * width, width), -f[a * q + b]);
                        BlockKernels.Scale(v, v, 1.0 / f[a * q + a]);
                    }
                if (backward)
                    for (int a = q - 1; a >= 0; a--)
                    {
                        var v = x.Slice((o + a) * width, width);
                        for (int b = a + 1; b < q; b++) BlockKernels.AddScaled(v, x.Slice((o + b) * width, width), -f[b * q + a]);
                        BlockKernels.Scale(v, v, 1.0 / f[a * q + a]);
                    }
            }
        }
    }

    /// <summary>Block (k, l) of P⁻¹ into <paramref name="inverse"/> (row-major q × q).</summary>
    public void BlockInverse(int k, int l, Span<double> inverse)
    {
        int q = _q[k], qq = q * q;
        DenseCholesky.Inverse(_factor[k].AsSpan(l * qq, qq), q, inverse);
    }
}
