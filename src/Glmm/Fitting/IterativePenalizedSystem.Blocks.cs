using Glmm.LinearAlgebra;

namespace Glmm.Fitting;

/// <summary>
/// The products of <see cref="IterativePenalizedSystem"/> for a block of vectors at once (the probes' solves): a block
/// of the random effects is m × width and a block of rows n × width, both row-major, so that each pass over Z reads
/// the codes, covariates and weights once and gathers width contiguous values per level — the products are memory
/// bound, and 8–16 columns cost little more than one. A term whose covariate is 1 on every row (a random intercept)
/// is applied as its level indices alone.
/// </summary>
internal sealed partial class IterativePenalizedSystem
{
    private bool[]? _unit;
    private double[]? _lambdaBlock;

    /// <summary>Per engine term, true when it is a random intercept (q = 1, z = 1 on every row).</summary>
    private bool[] UnitTerms()
    {
        if (_unit is { } u) return u;
        u = new bool[_k];
        var z = _d.AllZ;
        var zo = _d.ZOffset;
        for (int k = 0; k < _k; k++)
        {
            if (_q[k] != 1) continue;
            bool unit = true;
            for (int i = 0; i < _n && unit; i++) unit = z[zo[k] + i] == 1.0;
            u[k] = unit;
        }
        return _unit = u;
    }

    /// <summary>
    /// Y = (Λ'Z'WZΛ + I) X for a block of <paramref name="width"/> columns at the last weights, in one pass over the rows
    /// (see <see cref="FusedProduct"/>).
    /// </summary>
    public void ApplyBlock(double[] x, double[] y, int width)
    {
        var fused = _fused ??= new FusedProduct(this);
        var lx = _lambdaBlock ??= new double[(long)_m * width];
        if (lx.Length < _m * width) lx = _lambdaBlock = new double[(long)_m * width];
        MultiplyLambdaBlock(x, lx, width);
        fused.Apply(lx, y, width);
        BlockKernels.Add(y.AsSpan(0, _m * width), x.AsSpan(0, _m * width));
    }

    private FusedProduct? _fused;
    private int _weightsVersion;

    /// <summary>
    /// Z'WZ applied in one pass over the rows, the rows held in the order of the primary term's levels (the term with
    /// the most random effects): a level's rows are contiguous, so its part of Z'WZv is summed as its rows go by, while
    /// the other terms' parts are scattered into one partial sum per chunk of primary levels — a fixed number of
    /// chunks, set by the data alone, combined in chunk order, so the result does not depend on the thread count. No
    /// n-long intermediate is stored. The rows' codes and covariates are copied once in that order, the weights at
    /// each new state.
    /// </summary>
    private sealed class FusedProduct
    {
        private const int ChunkCount = 8;
        private readonly IterativePenalizedSystem _s;
        private readonly int _primary, _n, _k, _otherSize;
        private readonly int[] _order, _chunks, _otherBase;
        private readonly int[][] _codes;
        private readonly double[]?[] _z;
        private readonly double[] _w;
        private int _version = -1;
        private double[] _partials = [];

        public FusedProduct(IterativePenalizedSystem s)
        {
            _s = s;
            _n = s._n;
            _k = s._k;
            int primary = 0;
            for (int k = 1; k < _k; k++)
                if ((long)s._levels[k] * s._q[k] > (long)s._levels[primary] * s._q[primary]) primary = k;
            _primary = primary;
            _order = s._levelRows[primary];
            var unit = s.UnitTerms();
            var all = s._d.AllCodes;
            var z = s._d.AllZ;
            var zo = s._d.ZOffset;
            _codes = new int[_k][];
            _z = new double[_k][];
            _otherBase = new int[_k];
            int other = 0;
            for (int k = 0; k < _k; k++)
            {
                int q = s._q[k];
                if (k != primary)
                {
                    var codes = new int[_n];
                    for (int e = 0; e < _n; e++) codes[e] = all[k * _n + _order[e]];
                    _codes[k] = codes;
                    _otherBase[k] = other;
                    other += s._levels[k] * q;
                }
                if (!unit[k])
                {
                    var zk = new double[(long)_n * q];
                    for (int e = 0; e < _n; e++)
                        for (int j = 0; j < q; j++) zk[e * q + j] = z[zo[k] + _order[e] * q + j];
                    _z[k] = zk;
                }
            }
            _otherSize = other;
            _w = new double[_n];
            // Chunks of primary levels with about equal numbers of rows.
            var start = s._levelStart[primary];
            int levels = s._levels[primary], chunks = Math.Max(1, Math.Min(ChunkCount, levels));
            _chunks = new int[chunks + 1];
            int l = 0;
            for (int c = 1; c < chunks; c++)
            {
                long target = (long)_n * c / chunks;
                while (l < levels && start[l] < target) l++;
                _chunks[c] = l;
            }
            _chunks[chunks] = levels;
        }

        /// <summary>y = Λ'Z'WZ lx (lx = ΛX, both m × width).</summary>
        public void Apply(double[] lx, double[] y, int width)
        {
            var s = _s;
            if (_version != s._weightsVersion)
            {
                for (int e = 0; e < _n; e++) _w[e] = s._w[_order[e]];
                _version = s._weightsVersion;
            }
            int chunks = _chunks.Length - 1;
            long partialLength = (long)chunks * _otherSize * width;
            if (_partials.Length < partialLength) _partials = new double[partialLength];
            int p = _primary, qp = s._q[p];
            var start = s._levelStart[p];
            var ubp = s._uBase[p];
            var tp = s._t[p];
            s.ForChunks(chunks, c =>
            {
                var part = _partials.AsSpan((int)((long)c * _otherSize * width), _otherSize * width);
                part.Clear();
                Span<double> t = stackalloc double[BlockWidthLimit];
                Span<double> acc = stackalloc double[MaxTermSize * BlockWidthLimit];
                t = t[..width];
                var zp = _z[p];
                if (_k == 2 && zp is null && _z[1 - p] is null)
                {
                    // Two random intercepts (the common crossed design): one fused kernel per row.
                    int o = 1 - p, baseO = _otherBase[o];
                    var codes = _codes[o];
                    var ubo = s._uBase[o];
                    for (int l = _chunks[c]; l < _chunks[c + 1]; l++)
                    {
                        var a = acc[..width];
                        a.Clear();
                        var xp = lx.AsSpan(ubp[l] * width, width);
                        for (int e = start[l]; e < start[l + 1]; e++)
                        {
                            int code = codes[e];
                            BlockKernels.TwoInterceptRow(xp, lx.AsSpan(ubo[code] * width, width), _w[e], a, part.Slice((baseO + code) * width, width));
                        }
                        BlockKernels.Scale(y.AsSpan(ubp[l] * width, width), a, tp[0]);
                    }
                    return;
                }
                for (int l = _chunks[c]; l < _chunks[c + 1]; l++)
                {
                    var a = acc[..(qp * width)];
                    a.Clear();
                    var xp = lx.AsSpan(ubp[l] * width, qp * width);
                    for (int e = start[l]; e < start[l + 1]; e++)
                    {
                        // t = w · Σₖ zₖ'(ΛX)ₖ for this row.
                        if (zp is null) BlockKernels.Copy(t, xp);
                        else
                        {
                            BlockKernels.Scale(t, xp, zp[e * qp]);
                            for (int j = 1; j < qp; j++) BlockKernels.AddScaled(t, xp.Slice(j * width, width), zp[e * qp + j]);
                        }
                        for (int k = 0; k < _k; k++)
                        {
                            if (k == p) continue;
                            int q = s._q[k];
                            var src = lx.AsSpan(s._uBase[k][_codes[k][e]] * width, q * width);
                            var zk = _z[k];
                            if (zk is null) BlockKernels.Add(t, src);
                            else
                                for (int j = 0; j < q; j++) BlockKernels.AddScaled(t, src.Slice(j * width, width), zk[e * q + j]);
                        }
                        BlockKernels.Scale(t, t, _w[e]);
                        // Primary level's sum and the other terms' partials.
                        if (zp is null) BlockKernels.Add(a, t);
                        else
                            for (int j = 0; j < qp; j++) BlockKernels.AddScaled(a.Slice(j * width, width), t, zp[e * qp + j]);
                        for (int k = 0; k < _k; k++)
                        {
                            if (k == p) continue;
                            int q = s._q[k];
                            var dst = part.Slice((_otherBase[k] + _codes[k][e] * q) * width, q * width);
                            var zk = _z[k];
                            if (zk is null) BlockKernels.Add(dst, t);
                            else
                                for (int j = 0; j < q; j++) BlockKernels.AddScaled(dst.Slice(j * width, width), t, zk[e * q + j]);
                        }
                    }
                    MultiplyTransposeFactor(tp, qp, a, y.AsSpan(ubp[l] * width, qp * width), width);
                }
            });
            // The other terms: the chunks' partials in chunk order, then T'.
            Span<double> g = stackalloc double[MaxTermSize * BlockWidthLimit];
            for (int k = 0; k < _k; k++)
            {
                if (k == p) continue;
                int q = s._q[k], levels = s._levels[k];
                var ub = s._uBase[k];
                for (int l = 0; l < levels; l++)
                {
                    var gl = g[..(q * width)];
                    int o = (_otherBase[k] + l * q) * width;
                    BlockKernels.Copy(gl, _partials.AsSpan(o, q * width));
                    for (int c = 1; c < chunks; c++) BlockKernels.Add(gl, _partials.AsSpan((int)((long)c * _otherSize * width) + o, q * width));
                    MultiplyTransposeFactor(s._t[k], q, gl, y.AsSpan(ub[l] * width, q * width), width);
                }
            }
        }

        /// <summary>dst (q × width) = T' src for the lower factor T (row-major q × q).</summary>
        private static void MultiplyTransposeFactor(double[] t, int q, ReadOnlySpan<double> src, Span<double> dst, int width)
        {
            for (int a = 0; a < q; a++)
            {
                var d = dst.Slice(a * width, width);
                BlockKernels.Scale(d, src.Slice(a * width, width), t[a * q + a]);
                for (int b = a + 1; b < q; b++) BlockKernels.AddScaled(d, src.Slice(b * width, width), t[b * q + a]);
            }
        }
    }

    /// <summary>B = ΛX, level by level, for a block.</summary>
    private void MultiplyLambdaBlock(double[] x, double[] b, int width)
    {
        for (int k = 0; k < _k; k++)
        {
            int q = _q[k];
            var t = _t[k];
            var ub = _uBase[k];
            for (int l = 0; l < ub.Length; l++)
            {
                int o = ub[l];
                for (int a = q - 1; a >= 0; a--)
                {
                    var dst = b.AsSpan((o + a) * width, width);
                    BlockKernels.Scale(dst, x.AsSpan(o * width, width), t[a * q]);
                    for (int c = 1; c <= a; c++) BlockKernels.AddScaled(dst, x.AsSpan((o + c) * width, width), t[a * q + c]);
                }
            }
        }
    }

    /// <summary>T = ZΛX for a block (n × width); with <paramref name="weights"/>, T = WZΛX.</summary>
    public void ForwardBlock(double[] x, double[] t, int width, double[]? weights = null)
    {
        var lx = _lambdaBlock ??= new double[(long)_m * width];
        if (lx.Length < _m * width) lx = _lambdaBlock = new double[(long)_m * width];
        MultiplyLambdaBlock(x, lx, width);
        var unit = UnitTerms();
        ForChunks(_rowChunk.Length - 1, c =>
        {
            int r0 = _rowChunk[c], r1 = _rowChunk[c + 1];
            var all = _d.AllCodes;
            var z = _d.AllZ;
            var zo = _d.ZOffset;
            for (int i = r0; i < r1; i++)
            {
                var row = t.AsSpan(i * width, width);
                for (int k = 0; k < _k; k++)
                {
                    int q = _q[k];
                    int o = _uBase[k][all[k * _n + i]];
                    var src = lx.AsSpan(o * width, q * width);
                    if (unit[k])
                    {
                        if (k == 0) BlockKernels.Copy(row, src);
                        else BlockKernels.Add(row, src);
                        continue;
                    }
                    int zi = zo[k] + i * q;
                    if (k == 0) BlockKernels.Scale(row, src, z[zi]);
                    else BlockKernels.AddScaled(row, src, z[zi]);
                    for (int j = 1; j < q; j++) BlockKernels.AddScaled(row, src.Slice(j * width, width), z[zi + j]);
                }
                if (weights is not null) BlockKernels.Scale(row, row, weights[i]);
            }
        });
    }

    /// <summary>Y = Λ'Z'T for a block, each level's rows summed in row order.</summary>
    public void TransposeBlock(double[] t, double[] y, int width)
    {
        var unit = UnitTerms();
        for (int k = 0; k < _k; k++)
        {
            int kk = k;
            var chunks = _levelChunk[k];
            ForChunks(chunks.Length - 1, c =>
            {
                int q = _q[kk], zk = _d.ZOffset[kk];
                var z = _d.AllZ;
                var start = _levelStart[kk];
                var rows = _levelRows[kk];
                var tk = _t[kk];
                var ub = _uBase[kk];
                bool isUnit = unit[kk];
                Span<double> g = stackalloc double[MaxTermSize * BlockWidthLimit];
                for (int l = chunks[c]; l < chunks[c + 1]; l++)
                {
                    var gl = g[..(q * width)];
                    gl.Clear();
                    for (int e = start[l]; e < start[l + 1]; e++)
                    {
                        int i = rows[e];
                        var ti = t.AsSpan(i * width, width);
                        if (isUnit) BlockKernels.Add(gl, ti);
                        else
                            for (int j = 0; j < q; j++) BlockKernels.AddScaled(gl.Slice(j * width, width), ti, z[zk + i * q + j]);
                    }
                    int o = ub[l];
                    for (int a = 0; a < q; a++)
                    {
                        var dst = y.AsSpan((o + a) * width, width);
                        BlockKernels.Scale(dst, gl.Slice(a * width, width), tk[a * q + a]);
                        for (int b = a + 1; b < q; b++) BlockKernels.AddScaled(dst, gl.Slice(b * width, width), tk[b * q + a]);
                    }
                }
            });
        }
    }

    /// <summary>Most columns of a block.</summary>
    public const int BlockWidthLimit = 16;

    /// <summary>
    /// result[θ index] += scale · Σ over columns c of Σᵢ a[i, c] (Z ∂Λ/∂θ x[·, c])ᵢ (as <see cref="AccumulateThetaDerivative"/>
    /// for each column; chunk partials combined in chunk order).
    /// </summary>
    public void AccumulateThetaDerivativeBlock(double[] a, double[] x, double[] result, double scale, int width)
    {
        var re = _d.Random;
        int nth = re.ThetaLength, chunks = _rowChunk.Length - 1;
        var partial = _thetaPartial ??= new double[chunks * nth];
        Array.Clear(partial);
        ForChunks(chunks, c =>
        {
            int r0 = _rowChunk[c], r1 = _rowChunk[c + 1];
            var all = _d.AllCodes;
            var z = _d.AllZ;
            var zo = _d.ZOffset;
            var part = partial.AsSpan(c * nth, nth);
            for (int k = 0; k < _k; k++)
            {
                int q = _q[k], baseCode = k * _n, zk = zo[k], off = re.ThetaOffsets[_d.StructureTerm(k)];
                var ub = _uBase[k];
                for (int i = r0; i < r1; i++)
                {
                    int o = ub[all[baseCode + i]];
                    var ai = a.AsSpan(i * width, width);
                    int pos = off;
                    for (int j = 0; j < q; j++)
                    {
                        double d = BlockDot(ai, x.AsSpan((o + j) * width, width));
                        for (int r = j; r < q; r++) part[pos++] += z[zk + i * q + r] * d;
                    }
                }
            }
        });
        for (int c = 0; c < chunks; c++)
            for (int t = 0; t < nth; t++) result[t] += scale * partial[c * nth + t];
    }

    private static double BlockDot(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        double s = 0;
        for (int c = 0; c < x.Length; c++) s += x[c] * y[c];
        return s;
    }
}
