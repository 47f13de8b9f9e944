using System.Runtime.CompilerServices;
using Glmm.LinearAlgebra;

namespace Glmm.Fitting;

/// <summary>Which curvature the weights W of the penalized system carry.</summary>
internal enum Curvature
{
    /// <summary>The expected (Fisher) information: the IRLS weights wt·μ'²/V(μ).</summary>
    Expected,

    /// <summary>The observed information, −d² log p/dη² at η (differs from the expected one for non-canonical links).</summary>
    Observed,
}

/// <summary>
/// The penalized system of PIRLS at given θ (and β, unless β is solved for too) and a current iterate of the
/// spherical random effects u (b = Λu): η = offset + Xβ + ZΛu, μ, the row weights W and scores, and the
/// Cholesky factor L of Λ'Z'WZΛ + I (bordered by X'WX when β is inside) with the right-hand side of the
/// Newton step. Work is split over fixed chunks of clusters (independent of the number of threads) and reduced
/// in chunk order, so results are identical whatever the thread count. <see cref="Pirls"/> iterates it to the mode.
/// </summary>
internal sealed class PenalizedSystem
{
    private readonly EngineLayout _d;
    private readonly bool _withFixed;
    private readonly BlockedCholesky _chol;
    private readonly double[] _t;      // T_k factors, row-major q×q, concatenated
    private readonly int[] _tOff;
    private readonly int[] _aOff;      // offsets of a_k = T_k' z_k in the per-row scratch vector
    private readonly double[] _u, _beta, _uTrial, _betaTrial;
    private double[] _eta, _etaTrial;
    private readonly double[] _mu;
    private readonly double[] _w, _r;         // IRLS weight and score per row at the last build
    private readonly double[] _fixedEta;      // offset + Xβ per row for the fixed β of a solve (β outside)
    private readonly double[] _l0;            // Λ of one level block: q0×q0 lower triangular, row-major
    private readonly double[] _grad, _delta;
    private readonly double[] _bDense;        // Λu over the dense part (other terms), for η
    private readonly int[] _chunkStart;       // level boundaries of the chunks
    private readonly double[] _chunkDense;    // per chunk m×m (lower) accumulation
    private readonly double[] _chunkGrad;     // per chunk m
    private readonly double[] _chunkDev;      // per chunk deviance
    private readonly ParallelOptions _parallel;
    // The layout's per-term numbers, copied once so that the row kernels index plain arrays.
    private readonly int[] _q;                // q_k per engine term
    private readonly int[] _zOff;             // where term k's covariates start in the layout's AllZ
    private readonly int[] _uOff;             // where term k's effects start in u (non-block terms: Q0Total + DenseOffset)

    public PenalizedSystem(EngineLayout data, bool withFixed, int threads = 0)
    {
        _d = data;
        _q = data.Q.ToArray();
        _zOff = data.ZOffset.ToArray();
        _uOff = new int[data.K];
        for (int k = data.BlockTerms; k < data.K; k++) _uOff[k] = data.Q0Total + data.DenseOffset[k];
        _withFixed = withFixed;
        _chol = data.CreateFactor(withFixed);
        int K = data.K;
        _tOff = new int[K + 1];
        _aOff = new int[K + 1];
        for (int k = 0; k < K; k++)
        {
            _tOff[k + 1] = _tOff[k] + data.Q[k] * data.Q[k];
            _aOff[k + 1] = _aOff[k] + data.Q[k];
        }
        _t = new double[_tOff[K]];
        _u = new double[data.TotalRandom];
        _uTrial = new double[data.TotalRandom];
        _beta = new double[data.P];
        _betaTrial = new double[data.P];
        _eta = new double[data.N];
        _etaTrial = new double[data.N];
        _mu = new double[data.N];
        _w = new double[data.N];
        _r = new double[data.N];
        _fixedEta = withFixed ? [] : new double[data.N];
        _l0 = new double[data.QBlock * data.QBlock];
        _bDense = new double[data.DenseRandom];
        _grad = new double[_chol.Size];
        _delta = new double[_chol.Size];
        SaturatedLogLik = SaturatedLogLikelihood(data);
        int m = _chol.DenseSize;
        // With a sparse C each level keeps its own contributions (the factor's level pairs): no m × m buffer per chunk.
        _chunkStart = data.ChunkLevels(_chol.UsesLevelPairs ? 0 : m);
        int chunks = _chunkStart.Length - 1;
        _chunkDense = new double[chunks > 1 && !_chol.UsesLevelPairs ? chunks * m * m : 0];
        _chunkGrad = new double[chunks * m];
        _chunkDev = new double[chunks];
        _parallel = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount };
        _chol.Parallelism = _parallel;
        if (_chol.UsesLevelPairs) SetDataPairs();
    }

    /// <summary>
    /// The level pairs the rows reach (<see cref="BlockedCholesky.SetDataPairs"/>): per level, the pairs of the dense
    /// entries of each of its cells (the other terms' effects and, with β inside, the fixed effects).
    /// </summary>
    private void SetDataPairs()
    {
        var d = _d;
        int levels = _chol.Levels, qRest = d.QRest, pin = _withFixed ? d.P : 0, n = qRest + pin;
        var start = new int[levels + 1];
        var index = new List<int>();
        var set = new SortedSet<int>();
        var slots = new int[n];
        var cellSlot = d.CellSlot;
        for (int l = 0; l < levels; l++)
        {
            set.Clear();
            int nzRandom = d.PatternStart[l + 1] - d.PatternStart[l];
            int cellFrom = qRest > 0 ? d.LevelCellStart[l] : 0, cellTo = qRest > 0 ? d.LevelCellStart[l + 1] : 1;
            for (int cell = cellFrom; cell < cellTo; cell++)
            {
                if (qRest > 0 && d.CellStart[cell + 1] == d.CellStart[cell]) continue;
                for (int e = 0; e < n; e++) slots[e] = e < qRest ? cellSlot[cell * qRest + e] : nzRandom + e - qRest;
                for (int e1 = 0; e1 < n; e1++)
                    for (int e2 = 0; e2 <= e1; e2++) set.Add(BlockedCholesky.PairIndex(slots[e1], slots[e2]));
            }
            index.AddRange(set);
            start[l + 1] = index.Count;
        }
        _chol.SetDataPairs(start, [.. index]);
    }

    /// <summary>The engine layout of the data.</summary>
    public EngineLayout Layout => _d;

    /// <summary>True when β is part of the system (solved for with u), false when it is given.</summary>
    public bool WithFixed => _withFixed;

    /// <summary>The factor L of the last <see cref="Build"/>.</summary>
    public BlockedCholesky Factor => _chol;

    /// <summary>The spherical random effects u (block part first, then the dense part; see <see cref="EngineLayout"/>).</summary>
    public double[] U => _u;

    /// <summary>Fixed effects: solved for when β is inside, else the β given.</summary>
    public double[] Beta => _beta;

    /// <summary>Linear predictor η per engine row at the current state.</summary>
    public double[] Eta => _eta;

    /// <summary>Mean μ per engine row at the last build.</summary>
    public double[] Mu => _mu;

    /// <summary>Row weight per engine row at the last build (the IRLS weight wt·V(μ) for a canonical link).</summary>
    public double[] RowWeights => _w;

    /// <summary>Score wt·(y − μ)·μ'/V per engine row at the last build.</summary>
    public double[] RowScores => _r;

    /// <summary>Λ of one level block at the current θ (q0×q0 lower triangular, row-major).</summary>
    public double[] BlockLambda => _l0;

    /// <summary>T_k of engine term k at the current θ (q_k × q_k lower triangular, row-major).</summary>
    public ReadOnlySpan<double> TermFactor(int k) => _t.AsSpan(_tOff[k], _q[k] * _q[k]);

    /// <summary>The curvature the next <see cref="Build"/> puts into W.</summary>
    public Curvature Curvature { get; set; }

    /// <summary>Passes over the data that built the system (μ, weights, factor) since construction.</summary>
    public int Sweeps { get; private set; }

    /// <summary>Passes over the data by <see cref="Gradient"/> (the gradient only, the factor kept) since construction.</summary>
    public int GradientPasses { get; private set; }

    /// <summary>True when <see cref="Factor"/> holds the factor of the last successful <see cref="Build"/>.</summary>
    public bool FactorValid { get; private set; }

    /// <summary>Σ deviance residuals at the last build.</summary>
    public double Deviance { get; private set; }

    /// <summary>‖u‖² at the last build.</summary>
    public double SquaredLengthU { get; private set; }

    /// <summary>Σ log p(y_i | μ = y_i) in the family's sense, so that −2 log p(y | u) = <see cref="Deviance"/> − 2 × this.</summary>
    public double SaturatedLogLik { get; private set; }

    /// <summary>Recomputes <see cref="SaturatedLogLik"/> after the family's dispersion has changed.</summary>
    public void RefreshSaturated() => SaturatedLogLik = SaturatedLogLikelihood(_d);

    /// <summary>−2 log p(y | u) with every constant, at the last build.</summary>
    public double MinusTwoLogLikConditional => Deviance - 2.0 * SaturatedLogLik;

    /// <summary>Sets β (the start when β is inside; use <see cref="SetFixedBeta"/> for the β of a solve with β outside).</summary>
    public void SetBeta(ReadOnlySpan<double> beta) => beta.CopyTo(_beta);

    /// <summary>Sets u (e.g. to restore a mode).</summary>
    public void SetModes(ReadOnlySpan<double> u) => u.CopyTo(_u);

    /// <summary>Writes the factors T_k of θ and the block's Λ₀.</summary>
    public void SetTheta(ReadOnlySpan<double> theta)
    {
        for (int k = 0; k < _d.K; k++) _d.Random.FillFactor(theta, _d.StructureTerm(k), _t.AsSpan(_tOff[k], _tOff[k + 1] - _tOff[k]));
        int q0 = _d.QBlock;
        Array.Clear(_l0);
        for (int k = 0; k < _d.BlockTerms; k++)
        {
            int q = _d.Q[k], o = _d.TermOffsetInBlock[k];
            var t = _t.AsSpan(_tOff[k], q * q);
            for (int r = 0; r < q; r++)
                for (int j = 0; j <= r; j++) _l0[(o + r) * q0 + o + j] = t[r * q + j];
        }
    }

    /// <summary>The given β of a solve with β outside the system, and offset + Xβ for every row.</summary>
    public void SetFixedBeta(ReadOnlySpan<double> beta)
    {
        beta.CopyTo(_beta);
        var d = _d;
        int p = d.P;
        var x = d.X;
        var offset = d.Offset;
        for (int i = 0; i < d.N; i++) _fixedEta[i] = offset[i] + DenseCholesky.Dot(x.Slice(i * p, p), _beta);
    }

    /// <summary>η at the current u and β.</summary>
    public void ComputeEta() => ComputeEta(_u, _beta, _eta);

    /// <summary>Sets u = 0 (a fresh start after a hopeless warm start).</summary>
    public void ClearModes() => Array.Clear(_u);

    /// <summary>
    /// The Newton (or Fisher-scoring) increment δ = L⁻ᵀL⁻¹g of (u, β) from the last build, and the decrement g'δ.
    /// </summary>
    public double NewtonIncrement()
    {
        _grad.CopyTo(_delta, 0);
        _chol.Solve(_delta);
        return DenseCholesky.Dot(_grad, _delta);
    }

    /// <summary>
    /// The trial point (u, β) + step·δ; unless <paramref name="skipDeviance"/>, its penalized deviance d(y, u) + ‖u‖²
    /// (+∞ when μ is invalid), else NaN (η is then computed in the next build).
    /// </summary>
    public double Trial(double step, bool skipDeviance)
    {
        int nv = _d.TotalRandom, p = _d.P;
        for (int j = 0; j < nv; j++) _uTrial[j] = _u[j] + step * _delta[j];
        if (_withFixed) for (int j = 0; j < p; j++) _betaTrial[j] = _beta[j] + step * _delta[nv + j];
        else _beta.CopyTo(_betaTrial, 0);
        if (skipDeviance) return double.NaN;
        ComputeEta(_uTrial, _betaTrial, _etaTrial);
        return ComputeDeviance(_etaTrial) + DenseCholesky.Dot(_uTrial, _uTrial);
    }

    /// <summary>Moves to the last trial point (with its η when <paramref name="withEta"/>, i.e. its deviance was computed).</summary>
    public void AcceptTrial(bool withEta)
    {
        if (withEta) (_eta, _etaTrial) = (_etaTrial, _eta);
        _uTrial.CopyTo(_u, 0);
        if (_withFixed) _betaTrial.CopyTo(_beta, 0);
    }

    /// <summary>log|L|² of the random-effects part of the factor (log det(Λ'Z'WZΛ + I)).</summary>
    public double LogDetRandom() => _chol.LogDeterminant(_d.DenseRandom);

    /// <summary>η = offset + Xβ + ZΛu for every row.</summary>
    private void ComputeEta(double[] u, double[] beta, double[] eta)
    {
        if (_d.QRest > 0) DenseEffects(u);
        int chunks = _chunkStart.Length - 1;
        if (chunks == 1) ComputeEtaChunk(0, u, beta, eta);
        else Parallel.For(0, chunks, _parallel, c => ComputeEtaChunk(c, u, beta, eta));
    }

    /// <summary>η over the rows of chunk c: per level b_l = Λ₀u_l once, then η_i = offset + x_i'β + z_i'b_l (with other terms: per cell the coefficients of v's distinct columns, then one dot per row).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ComputeEtaChunk(int c, double[] u, double[] beta, double[] eta)
    {
        var d = _d;
        int p = d.P, q0 = d.QBlock;
        var zb = d.ZBlock;
        var x = d.X;
        var offset = d.Offset;
        var clusterStart = d.ClusterStart;
        var l0 = _l0;
        bool other = d.BlockTerms < d.K;
        Span<double> b = stackalloc double[q0];
        var vd = d.DistinctCovariates;
        var map = d.DistinctColumn;
        var cellStart = d.CellStart;
        var levelCellStart = d.LevelCellStart;
        var cellDense = d.CellDense;
        var bDense = _bDense;
        int nd = d.DistinctWidth, qRest = d.QRest;
        Span<double> coef = stackalloc double[nd];
        for (int l = _chunkStart[c]; l < _chunkStart[c + 1]; l++)
        {
            for (int s = 0; s < q0; s++)
            {
                double sum = 0;
                for (int j = 0; j <= s; j++) sum += l0[s * q0 + j] * u[l * q0 + j];
                b[s] = sum;
            }
            if (other)
            {
                // η_i = (offset + x'β, or the fixed part) + v_i'(b_l, T u of the cell's other levels, β) over v's distinct columns.
                for (int cell = levelCellStart[l]; cell < levelCellStart[l + 1]; cell++)
                {
                    coef.Clear();
                    for (int a = 0; a < q0; a++) coef[map[a]] += b[a];
                    var dense = cellDense.Slice(cell * qRest, qRest);
                    for (int j = 0; j < qRest; j++) coef[map[q0 + j]] += bDense[dense[j]];
                    if (_withFixed) for (int j = 0; j < p; j++) coef[map[q0 + qRest + j]] += beta[j];
                    for (int i = cellStart[cell]; i < cellStart[cell + 1]; i++)
                    {
                        double e = _withFixed ? offset[i] : _fixedEta[i];
                        var vi = vd.Slice(i * nd, nd);
                        for (int a = 0; a < nd; a++) e += vi[a] * coef[a];
                        eta[i] = e;
                    }
                }
                continue;
            }
            int from = clusterStart[l], to = clusterStart[l + 1];
            for (int i = from; i < to; i++)
            {
                double e;
                if (_withFixed)
                {
                    e = offset[i];
                    var xi = x.Slice(i * p, p);
                    for (int j = 0; j < xi.Length; j++) e += xi[j] * beta[j];
                }
                else e = _fixedEta[i];
                if (q0 == 1) e += zb[i] * b[0];
                else
                {
                    var z = zb.Slice(i * q0, q0);
                    for (int s = 0; s < q0; s++) e += z[s] * b[s];
                }
                eta[i] = e;
            }
        }
    }

    /// <summary>b = Λu over the dense part of u (each other term's level: b = T_k u), so that η_i gains z_i'b per term.</summary>
    private void DenseEffects(double[] u)
    {
        var d = _d;
        int q0Total = d.Q0Total;
        for (int k = d.BlockTerms; k < d.K; k++)
        {
            int q = _q[k], from = d.DenseOffset[k];
            var t = _t.AsSpan(_tOff[k], q * q);
            for (int l = 0; l < d.Levels[k]; l++)
            {
                int at = from + l * q;
                for (int r = 0; r < q; r++)
                {
                    double sum = 0;
                    for (int c = 0; c <= r; c++) sum += t[r * q + c] * u[q0Total + at + c];
                    _bDense[at + r] = sum;
                }
            }
        }
    }

    /// <summary>a_k = T_k'z_k(i): row i of engine term k's columns of ZΛ at the last θ (T_k lower triangular); <paramref name="zAll"/> is the layout's AllZ.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void TermDesign(int k, int i, Span<double> ak, ReadOnlySpan<double> zAll)
    {
        int q = _q[k];
        var t = _t.AsSpan(_tOff[k], q * q);
        var z = zAll.Slice(_zOff[k] + i * q, q);
        for (int j = 0; j < q; j++)
        {
            double sum = 0;
            for (int r = j; r < q; r++) sum += t[r * q + j] * z[r];
            ak[j] = sum;
        }
    }

    /// <summary>Σ deviance residuals at η (+∞ when μ is invalid).</summary>
    private double ComputeDeviance(double[] eta)
    {
        int chunks = _chunkStart.Length - 1;
        if (chunks == 1) _chunkDev[0] = DevianceChunk(0, eta);
        else Parallel.For(0, chunks, _parallel, c => _chunkDev[c] = DevianceChunk(c, eta));
        double dev = 0;
        for (int c = 0; c < chunks; c++) dev += _chunkDev[c];
        return double.IsFinite(dev) ? dev : double.PositiveInfinity;
    }

    private double DevianceChunk(int c, double[] eta)
    {
        var d = _d;
        int from = d.ClusterStart[_chunkStart[c]], to = d.ClusterStart[_chunkStart[c + 1]];
        return d.Family.DevianceRows(d.Y.Slice(from, to - from), d.Weights.Slice(from, to - from), eta.AsSpan(from, to - from));
    }

    /// <summary>Fills <paramref name="a"/> (length Σq) with a_k = T_k' z_k(i) for every engine term at the last θ.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void FillDesignRow(int i, Span<double> a)
    {
        var zAll = _d.AllZ;
        for (int k = 0; k < _q.Length; k++) TermDesign(k, i, a.Slice(_aOff[k], _q[k]), zAll);
    }

    /// <summary>
    /// One sweep over the data at the current η (or at the current u and β, with <paramref name="computeEta"/>):
    /// μ, the deviance, the system Λ'Z'WZΛ + I (bordered by X when β is inside) with W of the current
    /// <see cref="Curvature"/>, and the right-hand side, the gradient of −½ × penalized deviance; then the
    /// factor. Returns the penalized deviance d(y, u) + ‖u‖² (+∞ when μ is invalid or the factorisation fails).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public double Build(bool computeEta = false)
    {
        Sweeps++;
        FactorValid = false;
        var d = _d;
        var chol = _chol;
        int m = chol.DenseSize, chunks = _chunkStart.Length - 1;
        bool levelPairs = chol.UsesLevelPairs;
        if (computeEta && d.QRest > 0) DenseEffects(_u);
        if (chunks == 1) _chunkDev[0] = BuildChunk(0, levelPairs ? default : chol.Dense, computeEta);
        else Parallel.For(0, chunks, _parallel, c => _chunkDev[c] = BuildChunk(c, levelPairs ? default : _chunkDense.AsSpan(c * m * m, m * m), computeEta));
        double dev = 0;
        for (int c = 0; c < chunks; c++) dev += _chunkDev[c];
        if (!double.IsFinite(dev)) return double.PositiveInfinity;
        var dense = chol.Dense;
        int q0Total = d.Q0Total;
        var gDense = _grad.AsSpan(q0Total, m);
        gDense.Clear();
        if (levelPairs)
        {
            dense.Clear();
            chol.AddDataPairs();
        }
        else if (chunks > 1)
        {
            dense.Clear();
            for (int c = 0; c < chunks; c++)
            {
                var buf = _chunkDense.AsSpan(c * m * m, m * m);
                for (int i = 0; i < m; i++)
                {
                    var crow = dense.Slice(i * m, i + 1);
                    var brow = buf.Slice(i * m, i + 1);
                    for (int j = 0; j <= i; j++) crow[j] += brow[j];
                }
            }
        }
        for (int c = 0; c < chunks; c++)
        {
            var g = _chunkGrad.AsSpan(c * m, m);
            for (int j = 0; j < m; j++) gDense[j] += g[j];
        }
        for (int j = 0; j < d.DenseRandom; j++)
        {
            dense[j * m + j] += 1.0;
            gDense[j] -= _u[q0Total + j];
        }
        Deviance = dev;
        SquaredLengthU = DenseCholesky.Dot(_u, _u);
        bool ok = chunks == 1 ? chol.Factor() : chol.Factor(_chunkStart, _chunkDense, _parallel);
        FactorValid = ok;
        return ok ? dev + SquaredLengthU : double.PositiveInfinity;
    }

    /// <summary>
    /// True when one factorisation costs far more than a pass over the rows (a dense or widely filled C, e.g. crossed
    /// factors with many levels): then PIRLS reuses a factor for several steps (<see cref="Gradient"/>) rather than
    /// refactoring after each step.
    /// </summary>
    public bool FactorIsExpensive => _chol.FactorFlops > ExpensiveFactorPerRow * _d.N && _chol.FactorFlops > ExpensiveFactor;

    /// <summary>Multiply-adds of one factorisation per row of the data.</summary>
    public double FactorFlopsPerRow => _chol.FactorFlops / Math.Max(1, _d.N);

    /// <summary>Multiply-adds per row above which a factorisation counts as expensive (with <see cref="ExpensiveFactor"/>).</summary>
    private const double ExpensiveFactorPerRow = 50;

    /// <summary>Multiply-adds of a factorisation below which it never counts as expensive.</summary>
    private const double ExpensiveFactor = 1e7;

    /// <summary>
    /// One pass over the rows at the current u and β (η recomputed when <paramref name="computeEta"/>): μ, the scores
    /// and the gradient of −½ × penalized deviance into the right-hand side, leaving the factor of the last
    /// <see cref="Build"/> as it is, so that <see cref="NewtonIncrement"/> then gives a chord step (the last factor's
    /// curvature with the current gradient). Returns the penalized deviance (+∞ when μ is invalid).
    /// </summary>
    public double Gradient(bool computeEta)
    {
        GradientPasses++;
        var d = _d;
        int m = _chol.DenseSize, chunks = _chunkStart.Length - 1;
        if (computeEta && d.QRest > 0) DenseEffects(_u);
        if (chunks == 1) _chunkDev[0] = GradientChunk(0, computeEta);
        else Parallel.For(0, chunks, _parallel, c => _chunkDev[c] = GradientChunk(c, computeEta));
        double dev = 0;
        for (int c = 0; c < chunks; c++) dev += _chunkDev[c];
        if (!double.IsFinite(dev)) return double.PositiveInfinity;
        int q0Total = d.Q0Total;
        var gDense = _grad.AsSpan(q0Total, m);
        gDense.Clear();
        for (int c = 0; c < chunks; c++)
        {
            var g = _chunkGrad.AsSpan(c * m, m);
            for (int j = 0; j < m; j++) gDense[j] += g[j];
        }
        for (int j = 0; j < d.DenseRandom; j++) gDense[j] -= _u[q0Total + j];
        return dev + DenseCholesky.Dot(_u, _u);
    }

    /// <summary>The rows of chunk c for <see cref="Gradient"/>: per level g_l = Λ₀'Σ r z − u_l, the dense part per chunk.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private double GradientChunk(int c, bool computeEta)
    {
        var d = _d;
        var family = d.Family;
        int q0 = d.QBlock, m = _chol.DenseSize, p = d.P, pin = _withFixed ? p : 0, qRest = d.QRest, denseRandom = d.DenseRandom;
        int rowFrom = d.ClusterStart[_chunkStart[c]], rowTo = d.ClusterStart[_chunkStart[c + 1]], rows = rowTo - rowFrom;
        if (computeEta) ComputeEtaChunk(c, _u, _beta, _eta);
        double dev = family.IrlsRows(d.Y.Slice(rowFrom, rows), d.Weights.Slice(rowFrom, rows), _eta.AsSpan(rowFrom, rows),
            _mu.AsSpan(rowFrom, rows), _w.AsSpan(rowFrom, rows), _r.AsSpan(rowFrom, rows));
        var gDense = _chunkGrad.AsSpan(c * m, m);
        gDense.Clear();
        Span<double> rz = stackalloc double[q0];
        Span<double> a = stackalloc double[q0 + qRest];
        var zb = d.ZBlock;
        var x = d.X;
        var zAll = d.AllZ;
        var clusterStart = d.ClusterStart;
        var levelCellStart = d.LevelCellStart;
        var cellStart = d.CellStart;
        var cellDense = d.CellDense;
        var v = d.Covariates;
        int width = d.CovariateWidth;
        var l0 = _l0;
        for (int l = _chunkStart[c]; l < _chunkStart[c + 1]; l++)
        {
            rz.Clear();
            if (qRest == 0)
            {
                for (int i = clusterStart[l]; i < clusterStart[l + 1]; i++)
                {
                    double ri = _r[i];
                    var z = zb.Slice(i * q0, q0);
                    for (int s = 0; s < q0; s++) rz[s] += ri * z[s];
                    var xi = x.Slice(i * p, pin);
                    for (int j = 0; j < xi.Length; j++) gDense[denseRandom + j] += ri * xi[j];
                }
            }
            else
            {
                for (int cell = levelCellStart[l]; cell < levelCellStart[l + 1]; cell++)
                {
                    var dense = cellDense.Slice(cell * qRest, qRest);
                    for (int i = cellStart[cell]; i < cellStart[cell + 1]; i++)
                    {
                        double ri = _r[i];
                        var vi = v.Slice(i * width, width);
                        for (int s = 0; s < q0; s++) rz[s] += ri * vi[s];
                        for (int k = d.BlockTerms, o = q0; k < _q.Length; o += _q[k], k++) TermDesign(k, i, a.Slice(o, _q[k]), zAll);
                        for (int e = 0; e < qRest; e++) gDense[dense[e]] += ri * a[q0 + e];
                        var xi = vi.Slice(q0 + qRest, pin);
                        for (int j = 0; j < xi.Length; j++) gDense[denseRandom + j] += ri * xi[j];
                    }
                }
            }
            var gl = _grad.AsSpan(l * q0, q0);
            for (int s = 0; s < q0; s++)
            {
                double gs = 0;
                for (int r = s; r < q0; r++) gs += l0[r * q0 + s] * rz[r];
                gl[s] = gs - _u[l * q0 + s];
            }
        }
        return dev;
    }

    /// <summary>
    /// Accumulates the rows of chunk c; its dense part goes into <paramref name="dense"/> (cleared here). Each level's
    /// sums are taken in the covariates' own space (Σ w z z', Σ r z, Σ w x z') and mapped by Λ₀ once per level, so
    /// the per-row work is a few multiply-adds: D_l = Λ₀'(Σ w z z')Λ₀ + I, g_l = Λ₀'Σ r z − u_l, B_l rows b ← Λ₀'b.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private double BuildChunk(int c, Span<double> dense, bool computeEta)
    {
        var d = _d;
        var family = d.Family;
        var link = family.Link;
        var chol = _chol;
        int q0 = d.QBlock, m = chol.DenseSize, p = d.P, pin = _withFixed ? p : 0;
        int rowFrom = d.ClusterStart[_chunkStart[c]], rowTo = d.ClusterStart[_chunkStart[c + 1]], rows = rowTo - rowFrom;
        if (computeEta) ComputeEtaChunk(c, _u, _beta, _eta);
        double dev = family.IrlsRows(d.Y.Slice(rowFrom, rows), d.Weights.Slice(rowFrom, rows), _eta.AsSpan(rowFrom, rows),
            _mu.AsSpan(rowFrom, rows), _w.AsSpan(rowFrom, rows), _r.AsSpan(rowFrom, rows));
        if (Curvature == Curvature.Observed && family.HasOwnObservedWeight)
        {
            var yAll = d.Y;
            var wtAll = d.Weights;
            for (int i = rowFrom; i < rowTo; i++) _w[i] = family.ObservedWeight(yAll[i], wtAll[i], _eta[i]);
        }
        else if (Curvature == Curvature.Observed)
        {
            var yAll = d.Y;
            var wtAll = d.Weights;
            for (int i = rowFrom; i < rowTo; i++)
            {
                double eta = _eta[i], mu = _mu[i], wt = wtAll[i], y = yAll[i];
                double me = link.MuEta(eta), var = family.Variance(mu);
                _w[i] -= wt * (y - mu) * (link.MuEtaDerivative(eta) / var - me * me * family.VarianceDerivative(mu) / (var * var));
            }
        }
        int dvIn = q0 + d.QRest + pin;
        int dWidth = d.DistinctWidth;
        Span<double> cellSums = stackalloc double[d.QRest > 0 ? dvIn * dvIn + dWidth * dWidth : 0];
        Span<double> cellRhs = stackalloc double[d.QRest > 0 ? dvIn + dWidth : 0];
        Span<double> sz = stackalloc double[q0 * q0];
        Span<double> tmp = stackalloc double[q0 * q0];
        Span<double> rz = stackalloc double[q0];
        var gDense = _chunkGrad.AsSpan(c * m, m);
        var zb = d.ZBlock;
        var x = d.X;
        var levelCellStart = d.LevelCellStart;
        var patternStart = d.PatternStart;
        var clusterStart = d.ClusterStart;
        int qRest = d.QRest, denseRandom = d.DenseRandom;
        var l0 = _l0;
        bool levelPairs = chol.UsesLevelPairs;
        dense.Clear();
        gDense.Clear();
        for (int l = _chunkStart[c]; l < _chunkStart[c + 1]; l++)
        {
            var pairs = levelPairs ? chol.LevelPairs(l) : default;
            if (levelPairs) chol.ClearDataPairs(l);
            var dl = chol.DiagonalBlock(l);
            var bl = chol.OffDiagonalBlock(l);
            dl.Clear();
            bl.Clear();
            sz.Clear();
            rz.Clear();
            int nzRandom = patternStart[l + 1] - patternStart[l];
            int from = clusterStart[l], to = clusterStart[l + 1];
            if (qRest == 0 && q0 <= 2)
            {
                // One or two effects per level and no other terms: the level block, bordered by the fixed effects
                // when β is inside (slots and dense rows 0..p-1).
                double s00 = 0, s10 = 0, s11 = 0, r0 = 0, r1 = 0;
                for (int i = from; i < to; i++)
                {
                    double w = _w[i], r = _r[i];
                    double z0 = zb[i * q0], z1 = q0 == 2 ? zb[i * q0 + 1] : 0.0;
                    double wz0 = w * z0, wz1 = w * z1;
                    s00 += wz0 * z0;
                    s10 += wz1 * z0;
                    s11 += wz1 * z1;
                    r0 += r * z0;
                    r1 += r * z1;
                    var xi = x.Slice(i * p, pin);
                    for (int j = 0; j < xi.Length; j++)
                    {
                        double xj = xi[j], wx = w * xj;
                        gDense[j] += r * xj;
                        if (q0 == 2)
                        {
                            bl[2 * j] += wx * z0;
                            bl[2 * j + 1] += wx * z1;
                        }
                        else bl[j] += wx * z0;
                        var crow = dense.Slice(j * m, j + 1);
                        for (int j2 = 0; j2 <= j; j2++) crow[j2] += wx * xi[j2];
                    }
                }
                sz[0] = s00;
                rz[0] = r0;
                if (q0 == 2)
                {
                    sz[2] = s10; sz[3] = s11;
                    rz[1] = r1;
                }
            }
            else if (qRest == 0)
            {
                // Only block terms (q0 > 2): the level's sums, bordered by the fixed effects when β is inside.
                for (int i = from; i < to; i++)
                {
                    double w = _w[i], r = _r[i];
                    var z = zb.Slice(i * q0, q0);
                    for (int s = 0; s < q0; s++)
                    {
                        double wzs = w * z[s];
                        rz[s] += r * z[s];
                        var row = sz.Slice(s * q0, s + 1);
                        for (int t = 0; t <= s; t++) row[t] += wzs * z[t];
                    }
                    if (pin == 0) continue;
                    var xi = x.Slice(i * p, p);
                    for (int e1 = 0; e1 < pin; e1++)
                    {
                        double ve = xi[e1];
                        if (ve == 0.0) continue;
                        double wv = w * ve;
                        gDense[denseRandom + e1] += r * ve;
                        var brow = bl.Slice((nzRandom + e1) * q0, q0);
                        for (int t = 0; t < q0; t++) brow[t] += wv * z[t];
                        if (levelPairs)
                        {
                            int s1 = nzRandom + e1, at = s1 * (s1 + 1) / 2;
                            for (int e2 = 0; e2 <= e1; e2++) pairs[at + nzRandom + e2] += wv * xi[e2];
                        }
                        else
                        {
                            var crow = dense.Slice((denseRandom + e1) * m, m);
                            for (int e2 = 0; e2 <= e1; e2++) crow[denseRandom + e2] += wv * xi[e2];
                        }
                    }
                }
            }
            else
            {
                for (int cell = levelCellStart[l]; cell < levelCellStart[l + 1]; cell++)
                    AccumulateCell(cell, nzRandom, sz, rz, bl, pairs, dense, gDense, cellSums, cellRhs);
            }
            // Map to the spherical effects: D_l = Λ₀'SΛ₀ + I (lower triangle), g_l = Λ₀'(Σ r z) − u_l, b ← Λ₀'b.
            var gl = _grad.AsSpan(l * q0, q0);
            if (q0 == 1)
            {
                double t00 = l0[0];
                dl[0] = t00 * t00 * sz[0] + 1.0;
                gl[0] = t00 * rz[0] - _u[l];
                for (int a = 0; a < bl.Length; a++) bl[a] *= t00;
                continue;
            }
            for (int s = 0; s < q0; s++)
                for (int t = s + 1; t < q0; t++) sz[s * q0 + t] = sz[t * q0 + s];
            for (int s = 0; s < q0; s++)
                for (int j = 0; j < q0; j++)
                {
                    double sum = 0;
                    for (int r = j; r < q0; r++) sum += sz[s * q0 + r] * l0[r * q0 + j];
                    tmp[s * q0 + j] = sum;
                }
            for (int i = 0; i < q0; i++)
            {
                for (int j = 0; j <= i; j++)
                {
                    double sum = 0;
                    for (int s = i; s < q0; s++) sum += l0[s * q0 + i] * tmp[s * q0 + j];
                    dl[i * q0 + j] = sum;
                }
                dl[i * q0 + i] += 1.0;
                double gs = 0;
                for (int r = i; r < q0; r++) gs += l0[r * q0 + i] * rz[r];
                gl[i] = gs - _u[l * q0 + i];
            }
            for (int a = 0; a < bl.Length; a += q0)
            {
                var b = bl.Slice(a, q0);
                for (int j = 0; j < q0; j++)
                {
                    double sum = 0;
                    for (int r = j; r < q0; r++) sum += l0[r * q0 + j] * b[r];
                    b[j] = sum;
                }
            }
        }
        return dev;
    }

    /// <summary>
    /// One cell's rows (one cluster of the first factor, one level of every other term): the sums S = Σ w v v' and
    /// R = Σ r v over its rows in the covariates' space, v = (z_block, z_other, x when β is inside), then mapped once by
    /// M = diag(I, T_k, I) to the other terms' spherical effects: the block part of S and R joins the level's sums (Λ₀ is
    /// applied per level), the cross part B's rows at the cell's slots, the rest C (the level's pairs, or C itself) and
    /// the gradient. <paramref name="s"/> and <paramref name="r"/> are scratch of n² + d² and n + d (n = q0 + QRest + pin,
    /// d the distinct columns of v: the rows' sums are taken over those, so nested intercepts cost one sum, not one per term).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void AccumulateCell(int cell, int nzRandom, Span<double> sz, Span<double> rz, Span<double> bl, Span<double> pairs,
        Span<double> dense, Span<double> gDense, Span<double> s, Span<double> r)
    {
        var d = _d;
        int q0 = d.QBlock, qRest = d.QRest, pin = _withFixed ? d.P : 0, n = q0 + qRest + pin;
        int m = _chol.DenseSize;
        if (d.CellStart[cell + 1] - d.CellStart[cell] < SmallCell)
        {
            AccumulateCellRows(cell, nzRandom, sz, rz, bl, pairs, dense, gDense, s[..n]);
            return;
        }
        // The sums over the distinct columns of v (equal columns counted once), then spread to v's columns.
        int nd = d.DistinctWidth;
        var vd = d.DistinctCovariates;
        var map = d.DistinctColumn;
        var sd = s.Slice(n * n, nd * nd);
        var rd = r.Slice(n, nd);
        sd.Clear();
        rd.Clear();
        int from = d.CellStart[cell], to = d.CellStart[cell + 1];
        if (nd == 2)
        {
            double s00 = 0, s10 = 0, s11 = 0, r0 = 0, r1 = 0;
            for (int i = from; i < to; i++)
            {
                double w = _w[i], ri = _r[i], v0 = vd[2 * i], v1 = vd[2 * i + 1], wv0 = w * v0;
                s00 += wv0 * v0;
                s10 += wv0 * v1;
                s11 += w * v1 * v1;
                r0 += ri * v0;
                r1 += ri * v1;
            }
            sd[0] = s00; sd[2] = s10; sd[3] = s11;
            rd[0] = r0; rd[1] = r1;
        }
        else
        {
            for (int i = from; i < to; i++)
            {
                double w = _w[i], ri = _r[i];
                var vi = vd.Slice(i * nd, nd);
                for (int a = 0; a < nd; a++)
                {
                    double va = vi[a], wva = w * va;
                    rd[a] += ri * va;
                    var row = sd.Slice(a * nd, a + 1);
                    for (int b = 0; b < row.Length; b++) row[b] += wva * vi[b];
                }
            }
        }
        for (int a = 0; a < n; a++)
        {
            int ca = map[a];
            r[a] = rd[ca];
            for (int b = 0; b <= a; b++)
            {
                int cb = map[b];
                s[a * n + b] = s[b * n + a] = ca >= cb ? sd[ca * nd + cb] : sd[cb * nd + ca];
            }
        }
        // The other terms' columns and rows mapped by T_k (lower triangular): column j ← Σ_{r ≥ j} T[r, j] column r.
        for (int k = d.BlockTerms, o = q0; k < _q.Length; o += _q[k], k++)
        {
            int q = _q[k];
            var t = _t.AsSpan(_tOff[k], q * q);
            for (int j = 0; j < q; j++)
            {
                for (int a = 0; a < n; a++)
                {
                    double sum = 0;
                    for (int rr = j; rr < q; rr++) sum += t[rr * q + j] * s[a * n + o + rr];
                    s[a * n + o + j] = sum;
                }
                double rs = 0;
                for (int rr = j; rr < q; rr++) rs += t[rr * q + j] * r[o + rr];
                r[o + j] = rs;
            }
            for (int j = 0; j < q; j++)
                for (int a = 0; a < n; a++)
                {
                    double sum = 0;
                    for (int rr = j; rr < q; rr++) sum += t[rr * q + j] * s[(o + rr) * n + a];
                    s[(o + j) * n + a] = sum;
                }
        }
        for (int a = 0; a < q0; a++)
        {
            rz[a] += r[a];
            for (int b = 0; b <= a; b++) sz[a * q0 + b] += s[a * n + b];
        }
        var entries = new CellEntries(d, cell, nzRandom, m, pairs, dense);
        for (int e1 = 0; e1 < qRest + pin; e1++)
        {
            var srow = s.Slice((q0 + e1) * n, n);
            gDense[entries.Index(e1)] += r[q0 + e1];
            var brow = bl.Slice(entries.Slot(e1) * q0, q0);
            for (int t = 0; t < q0; t++) brow[t] += srow[t];
            for (int e2 = 0; e2 <= e1; e2++) entries.AddToC(e1, e2, srow[q0 + e2]);
        }
    }

    /// <summary>Cells with fewer rows than this (crossed designs: often one) are accumulated row by row, without the cell's sums.</summary>
    private const int SmallCell = 4;

    /// <summary>
    /// <see cref="AccumulateCell"/> row by row, for a cell of a few rows: each row's design a = (z_block, T_k'z_k, x)
    /// directly into the level's sums, B's rows, C and the gradient. <paramref name="a"/>: scratch of q0 + QRest + pin.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void AccumulateCellRows(int cell, int nzRandom, Span<double> sz, Span<double> rz, Span<double> bl, Span<double> pairs,
        Span<double> dense, Span<double> gDense, Span<double> a)
    {
        var d = _d;
        int q0 = d.QBlock, qRest = d.QRest, pin = _withFixed ? d.P : 0, nOther = qRest + pin, width = d.CovariateWidth;
        var v = d.Covariates;
        var zAll = d.AllZ;
        var entries = new CellEntries(d, cell, nzRandom, _chol.DenseSize, pairs, dense);
        for (int i = d.CellStart[cell]; i < d.CellStart[cell + 1]; i++)
        {
            double w = _w[i], ri = _r[i];
            var vi = v.Slice(i * width, width);
            for (int k = d.BlockTerms, o = q0; k < _q.Length; o += _q[k], k++) TermDesign(k, i, a.Slice(o, _q[k]), zAll);
            for (int j = 0; j < pin; j++) a[q0 + qRest + j] = vi[q0 + qRest + j];
            var z = vi[..q0];
            for (int s1 = 0; s1 < q0; s1++)
            {
                double wz = w * z[s1];
                rz[s1] += ri * z[s1];
                var row = sz.Slice(s1 * q0, s1 + 1);
                for (int t2 = 0; t2 < row.Length; t2++) row[t2] += wz * z[t2];
            }
            for (int e1 = 0; e1 < nOther; e1++)
            {
                double ae = a[q0 + e1];
                if (ae == 0.0) continue;
                double wv = w * ae;
                gDense[entries.Index(e1)] += ri * ae;
                var brow = bl.Slice(entries.Slot(e1) * q0, q0);
                for (int t2 = 0; t2 < q0; t2++) brow[t2] += wv * z[t2];
                for (int e2 = 0; e2 <= e1; e2++) entries.AddToC(e1, e2, wv * a[q0 + e2]);
            }
        }
    }

    /// <summary>
    /// The entries of a cell's design beyond the block (its other terms' effects, then the fixed effects when β is
    /// inside): entry e's slot in the level's pattern, its row of C, and the addition of a value at (e1, e2) to C —
    /// to the level's pairs when the factor keeps them, else to C's lower triangle.
    /// </summary>
    private readonly ref struct CellEntries
    {
        private readonly ReadOnlySpan<int> _slots, _dense;
        private readonly int _qRest, _nzRandom, _denseRandom, _m;
        private readonly Span<double> _pairs, _c;

        public CellEntries(EngineLayout d, int cell, int nzRandom, int m, Span<double> pairs, Span<double> c)
        {
            _qRest = d.QRest;
            _slots = d.CellSlot.Slice(cell * _qRest, _qRest);
            _dense = d.CellDense.Slice(cell * _qRest, _qRest);
            _nzRandom = nzRandom;
            _denseRandom = d.DenseRandom;
            _m = m;
            _pairs = pairs;
            _c = c;
        }

        /// <summary>Entry e's slot in the level's pattern (its row of B).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Slot(int e) => e < _qRest ? _slots[e] : _nzRandom + e - _qRest;

        /// <summary>Entry e's row of C.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Index(int e) => e < _qRest ? _dense[e] : _denseRandom + e - _qRest;

        /// <summary>C[e1, e2] += value (symmetric: stored once).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void AddToC(int e1, int e2, double value)
        {
            if (_pairs.Length > 0) _pairs[BlockedCholesky.PairIndex(Slot(e1), Slot(e2))] += value;
            else
            {
                int i1 = Index(e1), i2 = Index(e2);
                if (i1 >= i2) _c[i1 * _m + i2] += value;
                else _c[i2 * _m + i1] += value;
            }
        }
    }

    /// <summary>Σ log p(y_i | μ = y_i) in the family's sense, so that −2 log p(y|μ) = Σ dev_i − 2 × this.</summary>
    private static double SaturatedLogLikelihood(EngineLayout d)
    {
        // log p(y|μ) + dev(y, μ)/2 does not depend on μ.
        return d.Family.SaturatedLogLikelihood(d.Y, d.Weights);
    }
}
