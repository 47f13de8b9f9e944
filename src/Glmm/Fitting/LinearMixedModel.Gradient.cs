using Glmm.LinearAlgebra;

namespace Glmm.Fitting;

/// <summary>
/// The exact gradient of the profiled deviance and of the REML criterion in θ. With R the weighted cross-products of
/// [Z X y], D = diag(Λ, I) and the augmented system M = D'RD + diag(I, 0) (its factor is the one an evaluation makes):
/// <list type="bullet">
/// <item>the penalized residual sum of squares r²(θ) = min over (u, β) of ‖W^½(y − Xβ − ZΛu)‖² + ‖u‖², so by the envelope
/// theorem ∂r²/∂θ_t = −2 (Z'W r)'(∂Λ/∂θ_t) ũ, with Z'Wr = R_{Z·}(−Λũ, −β̂, 1) from the cross-products;</item>
/// <item>for a θ entry (r, c) of a term's T, ∂Λ/∂θ_t has a one at ((λ, r), (λ, c)) for every level λ, and for any leading block
/// N of M (with the same D), ∂log|N|/∂θ_t = 2 tr(N⁻¹ D'R ∂D/∂θ_t) = 2 Σ_λ (N⁻¹ D'R)_{(λ,c),(λ,r)}, which needs N⁻¹ only on
/// the sparsity of R: the selected inverse (<see cref="SelectedInversion"/>).</item>
/// </list>
/// The profiled deviance is log|L|² + n log r² + const with log|L|² = log|Λ'Z'WZΛ + I| (N the random-effects block: its
/// factor is the leading part of the augmented one, copied); the REML criterion is log|L|² + log|R_X|² + (n − p) log r² +
/// const = log|M| + (n − p − 1) log r² + const (N = M, the augmented factor itself, y included).
/// </summary>
internal sealed partial class LinearMixedModel
{
    private SelectedInversion? _gradInv;      // of the augmented factor (REML) or of _randomFactor (ML)
    private BlockedCholesky? _randomFactor;   // the random-effects block's factor, copied from the augmented one (ML)
    private int[] _gradChunks = [];
    private double[] _gradSolution = [], _gradB = [], _gradZr = [], _gradW = [], _gradBlock = [], _gradTerm = [], _gradCol = [], _gradRow = [];

    /// <summary>
    /// The criterion at θ (as <see cref="Evaluate"/>) and its exact gradient in θ, written to <paramref name="gradient"/>
    /// (zero when the criterion is not finite).
    /// </summary>
    public double EvaluateWithGradient(ReadOnlySpan<double> theta, Span<double> gradient)
    {
        Evaluations++;
        double f = EvaluateAt(theta);
        FitMonitor.Observe(Reml ? "REML" : "ML", theta.Length, includesBeta: false, withDispersion: false, theta, default, f);
        gradient.Clear();
        if (double.IsFinite(f)) Gradient(gradient);
        return f;
    }

    /// <summary>The gradient at the last (finite) evaluation.</summary>
    private void Gradient(Span<double> gradient)
    {
        var d = _d;
        int q0 = _q0, m = _m, nr = _nr, p = _p, levels = _levels, offset = levels * q0, size = _chol.Size;
        if (_gradSolution.Length == 0)
        {
            _gradChunks = d.ChunkLevels(Reml ? m : nr);
            _gradSolution = new double[size];
            _gradB = new double[offset + nr];
            _gradZr = new double[offset + nr];
            _gradW = new double[m];
            _gradBlock = new double[q0 * q0];
            _gradTerm = new double[_tOff[d.K]];
            _gradCol = new double[m];
            int maxRows = 0;
            for (int l = 0; l < levels; l++) maxRows = Math.Max(maxRows, _patternStart[l + 1] - _patternStart[l]);
            _gradRow = new double[Math.Max(1, maxRows) * q0];
        }

        // ũ and β̂: the back substitution of Solution().
        var x = _gradSolution.AsSpan();
        for (int l = 0; l < levels; l++)
        {
            int rows = _patternStart[l + 1] - _patternStart[l];
            _chol.OffDiagonalBlock(l).Slice((rows - 1) * q0, q0).CopyTo(x.Slice(l * q0, q0));
        }
        _chol.Dense.Slice((m - 1) * m, m - 1).CopyTo(x.Slice(offset, m - 1));
        x[size - 1] = 0.0;
        _chol.SolveUpper(x);

        ResidualCrossProducts(x);

        // The selected inverse of the block whose log-determinant enters the criterion.
        SelectedInversion inv;
        if (Reml)
        {
            inv = _gradInv ??= new SelectedInversion(_chol, _gradChunks.Length - 1);
        }
        else
        {
            var rf = _randomFactor ??= d.CreateFactor(withFixed: false);
            rf.Parallelism = _parallel;
            for (int l = 0; l < levels; l++)
            {
                _chol.DiagonalBlock(l).CopyTo(rf.DiagonalBlock(l));
                var dst = rf.OffDiagonalBlock(l);
                _chol.OffDiagonalBlock(l).Slice(0, dst.Length).CopyTo(dst);
            }
            var dense = rf.Dense;
            for (int i = 0; i < nr; i++) _chol.Dense.Slice(i * m, i + 1).CopyTo(dense.Slice(i * nr, i + 1));
            inv = _gradInv ??= new SelectedInversion(rf, _gradChunks.Length - 1);
        }
        if (_gradChunks.Length > 2) inv.Compute(_gradChunks, _parallel);
        else inv.Compute();
        Traces(inv, Reml ? m : nr);

        // Assemble: 2 tr(…) + coefficient × ∂r²/∂θ.
        double r2 = PenalizedRss;
        double coef = (Reml ? N - p - 1.0 : N) / r2;
        var u = x;
        var zr = _gradZr;
        for (int k = 0; k < d.K; k++)
        {
            int q = d.Q[k], pos = d.Random.ThetaOffsets[d.StructureTerm(k)];
            bool block = k < d.BlockTerms;
            int o = block ? d.TermOffsetInBlock[k] : 0;
            for (int c = 0; c < q; c++)
                for (int r = c; r < q; r++, pos++)
                {
                    double dr2 = 0, tr;
                    if (block)
                    {
                        for (int l = 0; l < levels; l++) dr2 += zr[l * q0 + o + r] * u[l * q0 + o + c];
                        tr = _gradBlock[(o + c) * q0 + o + r];
                    }
                    else
                    {
                        int first = offset + d.DenseOffset[k];
                        for (int l = 0; l < d.Levels[k]; l++) dr2 += zr[first + l * q + r] * u[first + l * q + c];
                        tr = _gradTerm[_tOff[k] + c * q + r];
                    }
                    gradient[pos] = 2.0 * tr - 2.0 * coef * dr2;
                }
        }
    }

    /// <summary>Z'W(y − Xβ̂ − ZΛũ) per random index (raw scale) into <c>_gradZr</c>, from the cross-products and the solution <paramref name="x"/>.</summary>
    private void ResidualCrossProducts(ReadOnlySpan<double> x)
    {
        var d = _d;
        int q0 = _q0, m = _m, nr = _nr, p = _p, levels = _levels, offset = levels * q0;
        var b = _gradB;
        var zr = _gradZr;
        var w = _gradW;
        var l0 = _l0;
        // b = Λũ.
        for (int l = 0; l < levels; l++)
            for (int i = 0; i < q0; i++)
            {
                double s = 0;
                for (int j = 0; j <= i; j++) s += l0[i * q0 + j] * x[l * q0 + j];
                b[l * q0 + i] = s;
            }
        for (int a = 0; a < nr; a++)
        {
            int k = _denseTerm[a], j = _denseEffect[a], q = d.Q[k], first = a - j;
            var t = _t.AsSpan(_tOff[k], q * q);
            double s = 0;
            for (int h = 0; h <= j; h++) s += t[j * q + h] * x[offset + first + h];
            b[offset + a] = s;
        }
        // The coefficient vector of the dense columns: (−b, −β, 1).
        for (int a = 0; a < nr; a++) w[a] = -b[offset + a];
        for (int j = 0; j < p; j++) w[nr + j] = -x[offset + nr + j];
        w[m - 1] = 1.0;
        Array.Clear(zr);
        for (int l = 0; l < levels; l++)
        {
            var s = _rawD.AsSpan(l * q0 * q0, q0 * q0);
            var zl = zr.AsSpan(l * q0, q0);
            var bl = b.AsSpan(l * q0, q0);
            for (int g = 0; g < q0; g++)
            {
                double sum = 0;
                for (int h = 0; h < q0; h++) sum -= (g >= h ? s[g * q0 + h] : s[h * q0 + g]) * bl[h];
                zl[g] = sum;
            }
            int nz = d.PatternStart[l + 1] - d.PatternStart[l], rows = nz + _f;
            var raw = _rawB.AsSpan(_patternStart[l] * q0, rows * q0);
            var pattern = d.PatternIndex.Slice(d.PatternStart[l], nz);
            for (int a = 0; a < rows; a++)
            {
                var row = raw.Slice(a * q0, q0);
                double wa = a < nz ? w[pattern[a]] : w[nr + a - nz];
                double dot = 0;
                for (int g = 0; g < q0; g++)
                {
                    zl[g] += row[g] * wa;
                    dot += row[g] * bl[g];
                }
                if (a < nz) zr[offset + pattern[a]] -= dot;
            }
        }
        for (int a = 0; a < m; a++)
        {
            var src = _rawC.AsSpan(a * m, a + 1);
            double wa = w[a], sum = 0;
            for (int c = 0; c < a; c++)
            {
                double v = src[c];
                sum += v * w[c];
                if (c < nr) zr[offset + c] += v * wa;
            }
            sum += src[a] * wa;
            if (a < nr) zr[offset + a] += sum;
        }
    }

    /// <summary>
    /// Σ_λ (N⁻¹D'R)_{(λ,c),(λ,r)} per term and entry (c, r): into <c>_gradBlock</c> (the block's q0 × q0) and <c>_gradTerm</c>
    /// (each dense term's q × q). <paramref name="mt"/>: the order of the inverse's dense part (its pattern rows follow it).
    /// </summary>
    private void Traces(SelectedInversion inv, int mt)
    {
        var d = _d;
        int q0 = _q0, m = _m, nr = _nr, levels = _levels;
        var g0 = _gradBlock.AsSpan();
        var gt = _gradTerm.AsSpan();
        g0.Clear();
        gt.Clear();
        var l0 = _l0;
        Span<double> kd = stackalloc double[q0 * q0];
        Span<double> lk = stackalloc double[q0];
        var kb = _gradRow.AsSpan();
        for (int l = 0; l < levels; l++)
        {
            // The level's own block: Σ (A⁻¹)_ll Λ₀'S_l.
            var s = _rawD.AsSpan(l * q0 * q0, q0 * q0);
            for (int i = 0; i < q0; i++)
                for (int r = 0; r < q0; r++)
                {
                    double sum = 0;
                    for (int h = i; h < q0; h++) sum += l0[h * q0 + i] * (h >= r ? s[h * q0 + r] : s[r * q0 + h]);
                    kd[i * q0 + r] = sum;
                }
            var sig = inv.DiagonalBlock(l);
            for (int c = 0; c < q0; c++)
                for (int r = 0; r < q0; r++)
                {
                    double sum = 0;
                    for (int i = 0; i < q0; i++) sum += sig[c * q0 + i] * kd[i * q0 + r];
                    g0[c * q0 + r] += sum;
                }
            // The pattern rows: dense random indices (rows mixed by their T'), then the fixed columns (and y).
            var ib = inv.OffDiagonalBlock(l);
            int rows = ib.Length / q0, nz = d.PatternStart[l + 1] - d.PatternStart[l];
            if (rows == 0) continue;
            var raw = _rawB.AsSpan(_patternStart[l] * q0, rows * q0);
            var pattern = d.PatternIndex.Slice(d.PatternStart[l], nz);
            for (int a = 0; a < rows; a++)
            {
                var dst = kb.Slice(a * q0, q0);
                if (a >= nz)
                {
                    raw.Slice(a * q0, q0).CopyTo(dst);
                    continue;
                }
                int idx = pattern[a], k = _denseTerm[idx], j = _denseEffect[idx], q = d.Q[k], first = a - j;
                var t = _t.AsSpan(_tOff[k], q * q);
                for (int h = 0; h < q0; h++)
                {
                    double sum = 0;
                    for (int g = j; g < q; g++) sum += t[g * q + j] * raw[(first + g) * q0 + h];
                    dst[h] = sum;
                }
            }
            for (int a = 0; a < rows; a++)
            {
                var ir = ib.Slice(a * q0, q0);
                var kr = kb.Slice(a * q0, q0);
                for (int c = 0; c < q0; c++)
                {
                    double ic = ir[c];
                    if (ic == 0.0) continue;
                    for (int r = 0; r < q0; r++) g0[c * q0 + r] += ic * kr[r];
                }
                if (a >= nz) continue;
                // The dense term's θ through this level: Σ_h (N⁻¹)_{(λ',c),(l,h)} (Λ₀' R_{(l,·),(λ',j)})_h.
                int idx = pattern[a], k = _denseTerm[idx], j = _denseEffect[idx], q = d.Q[k], first = a - j;
                var rr = raw.Slice(a * q0, q0);
                for (int h = 0; h < q0; h++)
                {
                    double sum = 0;
                    for (int g = h; g < q0; g++) sum += l0[g * q0 + h] * rr[g];
                    lk[h] = sum;
                }
                var gk = gt.Slice(_tOff[k], q * q);
                for (int c = 0; c < q; c++)
                {
                    var ic = ib.Slice((first + c) * q0, q0);
                    double sum = 0;
                    for (int h = 0; h < q0; h++) sum += ic[h] * lk[h];
                    gk[c * q + j] += sum;
                }
            }
        }
        if (nr == 0) return;
        // The dense part: for each dense random column (λ, r) of term k, K = D'R's column over the inverse's dense indices,
        // then Σ_i (N⁻¹)_{(λ,c), i} K_{i,(λ,r)}. Only entries where K is non-zero are read (the inverse is selected).
        var dinv = inv.Dense;
        var col = _gradCol.AsSpan(0, mt);
        for (int cIdx = 0; cIdx < nr; cIdx++)
        {
            for (int i = 0; i < mt; i++) col[i] = i >= cIdx ? _rawC[i * m + cIdx] : _rawC[cIdx * m + i];
            // Rows mixed by T' (ascending effect in place: row (first + j) ← Σ_{g ≥ j} T[g, j] row (first + g)).
            for (int i = 0; i < Math.Min(nr, mt); i++)
            {
                int k = _denseTerm[i], j = _denseEffect[i], q = d.Q[k];
                if (q == 1)
                {
                    col[i] *= _t[_tOff[k]];
                    continue;
                }
                int first = i - j;
                var t = _t.AsSpan(_tOff[k], q * q);
                double sum = 0;
                for (int g = j; g < q; g++) sum += t[g * q + j] * col[first + g];
                col[i] = sum;
            }
            int kc = _denseTerm[cIdx], r = _denseEffect[cIdx], qc = d.Q[kc], firstC = cIdx - r;
            var gk = gt.Slice(_tOff[kc], qc * qc);
            for (int c = 0; c < qc; c++)
            {
                var row = dinv.Slice((firstC + c) * mt, mt);
                double sum = 0;
                for (int i = 0; i < mt; i++)
                {
                    double v = col[i];
                    if (v != 0.0) sum += row[i] * v;
                }
                gk[c * qc + r] += sum;
            }
        }
    }
}
