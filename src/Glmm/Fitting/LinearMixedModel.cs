using Glmm.LinearAlgebra;

namespace Glmm.Fitting;

/// <summary>
/// The linear mixed model's penalized least squares (Bates, Mächler, Bolker &amp; Walker 2015, JSS 67(1), section 3):
/// for given θ, one Cholesky factor of
/// <code>
///   [ Λ'Z'WZΛ + I   Λ'Z'WX   Λ'Z'Wy ]
///   [ X'WZΛ         X'WX     X'Wy   ]
///   [ y'WZΛ         y'WX     y'Wy   ]
/// </code>
/// (the engine's blocked factor with the response appended as one more column after X, as MixedModels.jl does) gives
/// log|L|², log|R_X|², the penalized residual sum of squares r² (the square of the last diagonal entry) and, by one
/// back substitution, ũ and β̂. The profiled deviance and the REML criterion are functions of θ alone.
/// <para>W holds the prior weights and does not change with θ, so every cross-product (Z'WZ, Z'WX, X'WX, Z'Wy, X'Wy,
/// y'Wy) is accumulated once, in the factor's own block layout, by the constructor; an evaluation only scales the
/// blocks by Λ(θ) and factors: its cost does not depend on the number of rows.</para>
/// </summary>
internal sealed partial class LinearMixedModel
{
    private readonly EngineLayout _d;
    private readonly int _p, _f, _m, _q0, _levels, _nr;
    private readonly int[] _patternStart;   // augmented patterns: the layout's dense pattern, then the p + 1 fixed columns
    private readonly int[] _patternIndex;
    private readonly BlockedCholesky _chol;
    private readonly double[] _rawD, _rawB, _rawC;   // Σ w z z' per level, B rows per level, C (lower, m × m)
    private readonly double[] _t, _l0, _cScratch;
    private readonly int[] _tOff;
    private readonly int[] _denseTerm, _denseEffect;   // per dense random index: engine term and effect within its level
    private readonly bool _scalarDense;
    private readonly double[] _denseScale;             // with scalar dense terms: the factor of each dense index (1 for the fixed columns)
    private readonly ParallelOptions _parallel;

    /// <summary>Builds the cross-products once. <paramref name="reml"/>: the criterion is the REML criterion, else the profiled deviance.</summary>
    public LinearMixedModel(EngineLayout layout, bool reml, int threads = 0)
    {
        _d = layout;
        Reml = reml;
        _p = layout.P;
        _f = _p + 1;
        _nr = layout.DenseRandom;
        _m = _nr + _f;
        _q0 = layout.QBlock;
        _levels = layout.Levels[0];
        _parallel = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount };

        // The augmented factor's structure: each level couples with its dense pattern and with every fixed column (and y).
        _patternStart = new int[_levels + 1];
        _patternIndex = new int[layout.PatternIndex.Length + _levels * _f];
        int w = 0;
        for (int l = 0; l < _levels; l++)
        {
            _patternStart[l] = w;
            for (int k = layout.PatternStart[l]; k < layout.PatternStart[l + 1]; k++) _patternIndex[w++] = layout.PatternIndex[k];
            for (int j = 0; j < _f; j++) _patternIndex[w++] = _nr + j;
        }
        _patternStart[_levels] = w;
        _chol = new BlockedCholesky(_levels, _q0, _m, _patternStart, _patternIndex, pairsWhenCheap: layout.QRest > 0) { Parallelism = _parallel };

        _tOff = new int[layout.K + 1];
        for (int k = 0; k < layout.K; k++) _tOff[k + 1] = _tOff[k] + layout.Q[k] * layout.Q[k];
        _t = new double[_tOff[layout.K]];
        _l0 = new double[_q0 * _q0];
        _denseTerm = new int[_nr];
        _denseEffect = new int[_nr];
        _scalarDense = true;
        for (int k = layout.BlockTerms; k < layout.K; k++)
        {
            int q = layout.Q[k];
            if (q > 1) _scalarDense = false;
            for (int l = 0; l < layout.Levels[k]; l++)
                for (int j = 0; j < q; j++)
                {
                    int a = layout.DenseOffset[k] + l * q + j;
                    _denseTerm[a] = k;
                    _denseEffect[a] = j;
                }
        }
        _denseScale = new double[_m];
        _cScratch = _scalarDense ? [] : new double[_m * _m];

        _rawD = new double[_levels * _q0 * _q0];
        _rawB = new double[_patternStart[_levels] * _q0];
        _rawC = new double[_m * _m];
        Accumulate();
    }

    /// <summary>True for the REML criterion, false for the profiled deviance (ML).</summary>
    public bool Reml { get; }

    /// <summary>The engine layout of the data.</summary>
    public EngineLayout Layout => _d;

    /// <summary>Rows with a positive prior weight: lme4's n.</summary>
    public int N { get; private set; }

    /// <summary>Σ log wᵢ over the rows with a positive weight.</summary>
    public double SumLogWeights { get; private set; }

    /// <summary>Evaluations of the criterion since construction.</summary>
    public int Evaluations { get; private set; }

    /// <summary>log|L|² (of Λ'Z'WZΛ + I) at the last evaluation.</summary>
    public double LogDetL { get; private set; }

    /// <summary>log|R_X|² at the last evaluation.</summary>
    public double LogDetRX { get; private set; }

    /// <summary>The penalized weighted residual sum of squares r² at the last evaluation.</summary>
    public double PenalizedRss { get; private set; }

    /// <summary>The augmented factor of the last evaluation.</summary>
    public BlockedCholesky Factor => _chol;

    /// <summary>The cross-products over the rows, once: per row its design entries beyond the block (other terms, X, y) with their slots.</summary>
    private void Accumulate()
    {
        var d = _d;
        int q0 = _q0, f = _f, p = _p, qRest = d.QRest, m = _m, nr = _nr, ne = qRest + f;
        var zb = d.ZBlock;
        var x = d.X;
        var y = d.Y;
        var wt = d.Weights;
        var offset = d.Offset;
        var v = d.Covariates;
        int width = d.CovariateWidth;
        Span<double> val = stackalloc double[ne];
        Span<int> slot = stackalloc int[ne];
        Span<int> index = stackalloc int[ne];
        int n = 0;
        double sumLogW = 0;
        var c = _rawC.AsSpan();
        for (int l = 0; l < _levels; l++)
        {
            int nz = d.PatternStart[l + 1] - d.PatternStart[l];
            var s = _rawD.AsSpan(l * q0 * q0, q0 * q0);
            var b = _rawB.AsSpan(_patternStart[l] * q0, (_patternStart[l + 1] - _patternStart[l]) * q0);
            for (int j = 0; j < f; j++)
            {
                slot[qRest + j] = nz + j;
                index[qRest + j] = nr + j;
            }
            int cellFrom = qRest > 0 ? d.LevelCellStart[l] : 0, cellTo = qRest > 0 ? d.LevelCellStart[l + 1] : 1;
            for (int cell = cellFrom; cell < cellTo; cell++)
            {
                int from, to;
                if (qRest > 0)
                {
                    from = d.CellStart[cell];
                    to = d.CellStart[cell + 1];
                    for (int e = 0; e < qRest; e++)
                    {
                        slot[e] = d.CellSlot[cell * qRest + e];
                        index[e] = d.CellDense[cell * qRest + e];
                    }
                }
                else
                {
                    from = d.ClusterStart[l];
                    to = d.ClusterStart[l + 1];
                }
                for (int i = from; i < to; i++)
                {
                    double wi = wt[i];
                    if (wi > 0)
                    {
                        n++;
                        sumLogW += Math.Log(wi);
                    }
                    else continue;
                    if (qRest > 0) for (int e = 0; e < qRest; e++) val[e] = v[i * width + q0 + e];
                    for (int j = 0; j < p; j++) val[qRest + j] = x[i * p + j];
                    val[qRest + p] = y[i] - offset[i];
                    var z = zb.Slice(i * q0, q0);
                    for (int a = 0; a < q0; a++)
                    {
                        double wz = wi * z[a];
                        var row = s.Slice(a * q0, a + 1);
                        for (int t = 0; t < row.Length; t++) row[t] += wz * z[t];
                    }
                    for (int e1 = 0; e1 < ne; e1++)
                    {
                        double we = wi * val[e1];
                        if (we == 0.0) continue;
                        var brow = b.Slice(slot[e1] * q0, q0);
                        for (int t = 0; t < q0; t++) brow[t] += we * z[t];
                        int i1 = index[e1];
                        for (int e2 = 0; e2 <= e1; e2++)
                        {
                            int i2 = index[e2];
                            if (i1 >= i2) c[i1 * m + i2] += we * val[e2];
                            else c[i2 * m + i1] += we * val[e2];
                        }
                    }
                }
            }
        }
        N = n;
        SumLogWeights = sumLogW;
    }

    /// <summary>Writes the factors T_k of θ and the block's Λ₀.</summary>
    private void SetTheta(ReadOnlySpan<double> theta)
    {
        var d = _d;
        for (int k = 0; k < d.K; k++) d.Random.FillFactor(theta, d.StructureTerm(k), _t.AsSpan(_tOff[k], _tOff[k + 1] - _tOff[k]));
        Array.Clear(_l0);
        for (int k = 0; k < d.BlockTerms; k++)
        {
            int q = d.Q[k], o = d.TermOffsetInBlock[k];
            var t = _t.AsSpan(_tOff[k], q * q);
            for (int r = 0; r < q; r++)
                for (int j = 0; j <= r; j++) _l0[(o + r) * _q0 + o + j] = t[r * q + j];
        }
        if (_scalarDense)
        {
            for (int a = 0; a < _nr; a++) _denseScale[a] = _t[_tOff[_denseTerm[a]]];
            for (int a = _nr; a < _m; a++) _denseScale[a] = 1.0;
        }
    }

    /// <summary>
    /// The criterion at θ: the profiled deviance log|L|² + n(1 + log(2πr²/n)) − Σ log w, or the REML criterion
    /// log|L|² + log|R_X|² + (n − p)(1 + log(2πr²/(n − p))) − Σ log w; +∞ when the system is not positive definite.
    /// </summary>
    public double Evaluate(ReadOnlySpan<double> theta)
    {
        Evaluations++;
        double f = EvaluateAt(theta);
        FitMonitor.Observe(Reml ? "REML" : "ML", theta.Length, includesBeta: false, withDispersion: false, theta, default, f);
        return f;
    }

    private double EvaluateAt(ReadOnlySpan<double> theta)
    {
        if (!FactorAt(theta)) return double.PositiveInfinity;
        double r = _chol.Dense[(_m - 1) * _m + _m - 1];
        PenalizedRss = r * r;
        LogDetL = _chol.LogDeterminant(_nr);
        LogDetRX = _chol.LogDeterminant(_nr + _p) - LogDetL;
        if (!(PenalizedRss > 0) || !double.IsFinite(LogDetL) || !double.IsFinite(LogDetRX)) return double.PositiveInfinity;
        return Criterion(Reml, LogDetL, LogDetRX, PenalizedRss);
    }

    /// <summary>The profiled criterion (σ² at its optimum r²/n or r²/(n − p)) from its three parts.</summary>
    public double Criterion(bool reml, double logDetL, double logDetRX, double rss)
    {
        double n = N, nu = reml ? N - _p : N;
        return logDetL + (reml ? logDetRX : 0.0) + nu * (1.0 + Math.Log(2.0 * Math.PI * rss / nu)) - SumLogWeights;
    }

    /// <summary>The criterion at θ and a given σ (not profiled): −2 × the (restricted) log-likelihood, from the last evaluation's parts.</summary>
    public double CriterionAtSigma(bool reml, double sigma)
    {
        double nu = reml ? N - _p : N, s2 = sigma * sigma;
        return LogDetL + (reml ? LogDetRX : 0.0) + PenalizedRss / s2 + nu * Math.Log(2.0 * Math.PI * s2) - SumLogWeights;
    }

    /// <summary>Fills the augmented system at θ from the cross-products and factors it.</summary>
    private bool FactorAt(ReadOnlySpan<double> theta)
    {
        SetTheta(theta);
        Fill(_chol, augmented: true);
        return _chol.Factor();
    }

    /// <summary>
    /// Writes the system at the current θ into <paramref name="target"/>: the augmented one (this model's structure), or
    /// the random-effects part only (the layout's <see cref="EngineLayout.CreateFactor"/>(false) structure).
    /// </summary>
    private void Fill(BlockedCholesky target, bool augmented)
    {
        int q0 = _q0, m = _m, nr = _nr, mt = target.DenseSize;
        var d = _d;
        var l0 = _l0;
        Span<double> tmp = stackalloc double[q0 * q0];
        Span<double> sFull = stackalloc double[q0 * q0];
        for (int l = 0; l < _levels; l++)
        {
            // D_l = Λ₀'SΛ₀ + I.
            var s = _rawD.AsSpan(l * q0 * q0, q0 * q0);
            var dl = target.DiagonalBlock(l);
            for (int a = 0; a < q0; a++)
                for (int b = 0; b <= a; b++) sFull[a * q0 + b] = sFull[b * q0 + a] = s[a * q0 + b];
            for (int a = 0; a < q0; a++)
                for (int j = 0; j < q0; j++)
                {
                    double sum = 0;
                    for (int r = j; r < q0; r++) sum += sFull[a * q0 + r] * l0[r * q0 + j];
                    tmp[a * q0 + j] = sum;
                }
            dl.Clear();
            for (int i = 0; i < q0; i++)
            {
                for (int j = 0; j <= i; j++)
                {
                    double sum = 0;
                    for (int r = i; r < q0; r++) sum += l0[r * q0 + i] * tmp[r * q0 + j];
                    dl[i * q0 + j] = sum;
                }
                dl[i * q0 + i] += 1.0;
            }
            // B_l: each row times Λ₀, then the rows of one level of a dense term mixed by its T_k'.
            int nz = d.PatternStart[l + 1] - d.PatternStart[l];
            int rows = augmented ? nz + _f : nz;
            var raw = _rawB.AsSpan(_patternStart[l] * q0, rows * q0);
            var bl = target.OffDiagonalBlock(l);
            for (int a = 0; a < rows; a++)
            {
                var src = raw.Slice(a * q0, q0);
                var dst = bl.Slice(a * q0, q0);
                for (int j = 0; j < q0; j++)
                {
                    double sum = 0;
                    for (int r = j; r < q0; r++) sum += l0[r * q0 + j] * src[r];
                    dst[j] = sum;
                }
            }
            var pattern = d.PatternIndex.Slice(d.PatternStart[l], nz);
            for (int a = 0; a < nz; a++)
            {
                int idx = pattern[a];
                if (_denseEffect[idx] != 0) continue;
                int k = _denseTerm[idx], q = d.Q[k];
                var t = _t.AsSpan(_tOff[k], q * q);
                for (int j = 0; j < q; j++)
                {
                    var dst = bl.Slice((a + j) * q0, q0);
                    for (int c = 0; c < q0; c++)
                    {
                        double sum = 0;
                        for (int r = j; r < q; r++) sum += t[r * q + j] * bl[(a + r) * q0 + c];
                        dst[c] = sum;
                    }
                }
            }
        }
        // C = M'C_raw M (+ I on the random part), M = diag(T_k per level of each dense term, I).
        var cT = target.Dense;
        cT.Clear();
        if (mt == 0) return;
        if (_scalarDense)
        {
            for (int a = 0; a < mt; a++)
            {
                double sa = _denseScale[a];
                var src = _rawC.AsSpan(a * m, a + 1);
                var dst = cT.Slice(a * mt, a + 1);
                for (int b = 0; b <= a; b++) dst[b] = sa * _denseScale[b] * src[b];
            }
        }
        else
        {
            var full = _cScratch.AsSpan(0, mt * mt);
            for (int a = 0; a < mt; a++)
                for (int b = 0; b <= a; b++) full[a * mt + b] = full[b * mt + a] = _rawC[a * m + b];
            // Columns, then rows: index a of term k, effect j ← Σ_{r ≥ j} T[r, j] · index (a − j + r); ascending j in place.
            for (int a = 0; a < Math.Min(nr, mt); a++)
            {
                int k = _denseTerm[a], j = _denseEffect[a], q = _d.Q[k], first = a - j;
                var t = _t.AsSpan(_tOff[k], q * q);
                for (int row = 0; row < mt; row++)
                {
                    double sum = 0;
                    for (int r = j; r < q; r++) sum += t[r * q + j] * full[row * mt + first + r];
                    full[row * mt + a] = sum;
                }
            }
            for (int a = 0; a < Math.Min(nr, mt); a++)
            {
                int k = _denseTerm[a], j = _denseEffect[a], q = _d.Q[k], first = a - j;
                var t = _t.AsSpan(_tOff[k], q * q);
                for (int col = 0; col < mt; col++)
                {
                    double sum = 0;
                    for (int r = j; r < q; r++) sum += t[r * q + j] * full[(first + r) * mt + col];
                    full[a * mt + col] = sum;
                }
            }
            for (int a = 0; a < mt; a++) full.Slice(a * mt, a + 1).CopyTo(cT.Slice(a * mt, a + 1));
        }
        for (int a = 0; a < Math.Min(nr, mt); a++) cT[a * mt + a] += 1.0;
    }

    /// <summary>
    /// ũ (engine order) and β̂ at the last evaluation: the solution of the first blocks of the augmented system, L_M'x = l
    /// with l the last row of the factor (one back substitution).
    /// </summary>
    public (double[] U, double[] Beta) Solution()
    {
        int q0 = _q0, size = _chol.Size, m = _m;
        var x = new double[size];
        for (int l = 0; l < _levels; l++)
        {
            int rows = _patternStart[l + 1] - _patternStart[l];
            _chol.OffDiagonalBlock(l).Slice((rows - 1) * q0, q0).CopyTo(x.AsSpan(l * q0, q0));
        }
        int offset = _levels * q0;
        _chol.Dense.Slice((m - 1) * m, m - 1).CopyTo(x.AsSpan(offset, m - 1));
        x[size - 1] = 0.0;
        _chol.SolveUpper(x);
        var u = x.AsSpan(0, offset + _nr).ToArray();
        var beta = x.AsSpan(offset + _nr, _p).ToArray();
        return (u, beta);
    }

    /// <summary>(R_X'R_X)⁻¹ at the last evaluation (p × p): Var(β̂) / σ².</summary>
    public double[,] UnscaledCovariance()
    {
        int p = _p, m = _m, nr = _nr;
        var l = new double[p * p];
        var dense = _chol.Dense;
        for (int i = 0; i < p; i++)
            for (int j = 0; j <= i; j++) l[i * p + j] = dense[(nr + i) * m + nr + j];
        var inv = new double[p * p];
        DenseCholesky.Inverse(l, p, inv);
        var c = new double[p, p];
        for (int i = 0; i < p; i++)
            for (int j = 0; j < p; j++) c[i, j] = inv[i * p + j];
        return c;
    }

    /// <summary>
    /// The conditional covariances of u given y at θ, (Λ'Z'WZΛ + I)⁻¹ restricted to each structure term's levels (a levels × q × q
    /// array of row-major blocks per term), from the selected inverse of the random-effects factor alone (lme4's condVar / σ²).
    /// </summary>
    public double[][] ConditionalVariances(ReadOnlySpan<double> theta)
    {
        var d = _d;
        SetTheta(theta);
        var factor = d.CreateFactor(withFixed: false);
        factor.Parallelism = _parallel;
        Fill(factor, augmented: false);
        if (!factor.Factor()) throw new InvalidOperationException("the random-effects system is not positive definite");
        var inv = new SelectedInversion(factor);
        inv.Compute();
        var result = new double[d.K][];
        int qb = d.QBlock, mt = factor.DenseSize;
        for (int k = 0; k < d.K; k++)
        {
            int q = d.Q[k], levels = d.Levels[k];
            var blocks = new double[levels * q * q];
            for (int l = 0; l < levels; l++)
                for (int a = 0; a < q; a++)
                    for (int b = 0; b < q; b++)
                        blocks[l * q * q + b * q + a] = k < d.BlockTerms
                            ? inv.DiagonalBlock(l)[(d.TermOffsetInBlock[k] + b) * qb + d.TermOffsetInBlock[k] + a]
                            : inv.Dense[(d.DenseOffset[k] + l * q + b) * mt + d.DenseOffset[k] + l * q + a];
            result[d.StructureTerm(k)] = blocks;
        }
        // Leave the augmented factor at θ (the caller may read the solution again).
        FactorAt(theta);
        return result;
    }

    /// <summary>η = offset + Xβ + ZΛu per engine row.</summary>
    public double[] LinearPredictor(ReadOnlySpan<double> theta, ReadOnlySpan<double> u, ReadOnlySpan<double> beta)
    {
        var d = _d;
        SetTheta(theta);
        int n = d.N, p = _p;
        var eta = new double[n];
        var x = d.X;
        for (int i = 0; i < n; i++) eta[i] = d.Offset[i] + DenseCholesky.Dot(x.Slice(i * p, p), beta);
        int qMax = 0;
        for (int k = 0; k < d.K; k++) qMax = Math.Max(qMax, d.Q[k]);
        Span<double> bAll = stackalloc double[qMax];
        for (int k = 0; k < d.K; k++)
        {
            int q = d.Q[k];
            var t = _t.AsSpan(_tOff[k], q * q);
            var codes = d.Codes(k);
            var z = d.Z(k);
            var b = bAll[..q];
            for (int i = 0; i < n; i++)
            {
                int level = codes[i];
                for (int r = 0; r < q; r++)
                {
                    double sum = 0;
                    for (int c = 0; c <= r; c++) sum += t[r * q + c] * u[d.UIndex(k, level, c)];
                    b[r] = sum;
                }
                double e = 0;
                for (int r = 0; r < q; r++) e += z[i * q + r] * b[r];
                eta[i] += e;
            }
        }
        return eta;
    }
}
