using Glmm.LinearAlgebra;

namespace Glmm.Fitting;

/// <summary>
/// The Laplace deviance in (θ, β) without a factor, for crossed designs whose exact factor fills in:
/// <code>−2 log L(θ, β) ≈ −2 log p(y | ũ) + ‖ũ‖² + log|H|,   H = Λ'Z'WZΛ + I at ũ</code>
/// with ũ by Newton steps solved by preconditioned conjugate gradients (<see cref="IterativePenalizedSystem"/>) and
/// log|H| = log|P| + log|L⁻¹HL'⁻¹| (P = LL' the block preconditioner, exact) by stochastic Lanczos quadrature on the
/// preconditioned operator with fixed Rademacher probes z̃ⱼ — the same at every evaluation, so the criterion is a
/// smooth deterministic function of (θ, β) (Kündig &amp; Sigrist 2025's variance reduction by the preconditioner).
/// </summary>
/// <remarks>
/// <para>Each probe's conjugate-gradient solve H xⱼ = L z̃ⱼ gives both the Lanczos tridiagonal of the quadrature and the
/// vectors of the gradient's trace estimates tr(H⁻¹M) ≈ tr(P⁻¹M) + mean over j of (xⱼ − wⱼ)'M wⱼ, wⱼ = L'⁻¹z̃ⱼ = P⁻¹Lz̃ⱼ
/// (unbiased, as E[L z̃ z̃'L'] = P; tr(P⁻¹M) is exact for the block P, the control variate).</para>
/// <para>The gradient for a canonical link: with sᵣ = (ZΛH⁻¹Λ'Z')ᵣᵣ (estimated as above), cᵣ = W'ᵣsᵣ, v = H⁻¹Λ'Z'c
/// (one more solve) and eᵣ = −2rᵣ + cᵣ − Wᵣ(ZΛv)ᵣ (r the scores), ∂D/∂β = X'e and
/// ∂D/∂θₜ = e'(Z∂ₜΛũ) + r'(Z∂ₜΛv) + 2 tr(H⁻¹Λ'Z'WZ∂ₜΛ): the total derivative through ũ and W taken by the implicit
/// function theorem with one solve for all parameters.</para>
/// </remarks>
internal sealed class IterativeLaplaceCriterion : ICriterion
{
    private readonly IterativePenalizedSystem _sys;
    private readonly EngineLayout _d;
    private readonly double[] _lower;
    private readonly int _nth, _p, _m, _n;
    private readonly double[] _probe, _s, _c, _e, _v, _rhs, _av;
    private readonly double[] _diag, _off, _first;
    private double[] _probeLogDet;
    private readonly bool _bipartite;
    private readonly double[] _traceCorrection;
    private readonly BlockConjugateGradient _blockSolver;
    private readonly double[] _bz, _bb, _bw, _bx, _by, _be, _be2, _bay, _baw;

    public IterativeLaplaceCriterion(EngineLayout layout, int threads, int probes, ulong seed, double tolerance = 1e-8, int maxIterations = 2000)
    {
        _d = layout;
        _sys = new IterativePenalizedSystem(layout, threads, tolerance, maxIterations);
        _nth = layout.Random.ThetaLength;
        _p = layout.P;
        _m = layout.TotalRandom;
        _n = layout.N;
        Dimension = _nth + _p;
        _lower = new double[Dimension];
        _lastX = new double[Dimension];
        _lastGradient = new double[Dimension];
        for (int j = 0; j < Dimension; j++) _lower[j] = j < _nth ? layout.Random.LowerBounds[j] : double.NegativeInfinity;
        Probes = probes;
        _activeProbes = probes;
        Seed = seed;
        _probe = new double[_m];
        _v = new double[_m];
        _rhs = new double[_m];
        _s = new double[_n];
        _c = new double[_n];
        _e = new double[_n];
        _av = new double[_n];
        _diag = new double[maxIterations];
        _off = new double[maxIterations];
        _first = new double[maxIterations];
        _probeLogDet = new double[probes];
        _bipartite = layout.K == 2;
        _traceCorrection = new double[_nth];
        Width = ProbeBlockWidth(probes, _n);
        long mb = (long)_m * Width, nb = (long)_n * Width;
        _blockSolver = new BlockConjugateGradient(_m, Width, maxIterations);
        _bz = new double[mb];
        _bb = new double[mb];
        _bw = new double[mb];
        _bx = new double[mb];
        _by = new double[mb];
        _be = new double[mb];
        _be2 = new double[mb];
        _bay = new double[nb];
        _baw = new double[nb];
    }

    /// <summary>
    /// Probes solved together as one block: all of them up to <see cref="IterativePenalizedSystem.BlockWidthLimit"/>,
    /// fewer when three n × width blocks of rows would pass 1 GB.
    /// </summary>
    private static int ProbeBlockWidth(int probes, int rows)
    {
        int width = Math.Min(probes, IterativePenalizedSystem.BlockWidthLimit);
        while (width > 1 && 24.0 * rows * width > 1e9) width /= 2;
        return Math.Max(width, 1);
    }

    /// <summary>Probes per block of solves.</summary>
    public int Width { get; }

    /// <summary>The system (modes, weights, preconditioner) at the last evaluation.</summary>
    public IterativePenalizedSystem Iterative => _sys;

    /// <summary>Probe vectors.</summary>
    public int Probes { get; }

    /// <summary>
    /// The probes the criterion uses now: the first <see cref="ActiveProbes"/> of the <see cref="Probes"/> (all by
    /// default; fewer in a search for a start). The criterion is a deterministic function of (θ, β) for each count.
    /// </summary>
    public int ActiveProbes
    {
        get => _activeProbes;
        set
        {
            _activeProbes = value >= 2 && value <= Probes ? value : throw new ArgumentOutOfRangeException(nameof(value));
            _hasLast = false;
        }
    }

    private int _activeProbes;

    /// <summary>Their seed.</summary>
    public ulong Seed { get; }

    public int Dimension { get; }

    public bool IncludesBeta => true;

    public ReadOnlySpan<double> LowerBounds => _lower;

    public bool HasGradient => true;

    public int Sweeps => _sys.Sweeps;

    public int Evaluations { get; private set; }

    /// <summary>log|H| at the last evaluation (estimated).</summary>
    public double LogDeterminant { get; private set; }

    /// <summary>The standard error of <see cref="LogDeterminant"/> from the spread of the probes' estimates.</summary>
    public double LogDeterminantStandardError { get; private set; }

    /// <summary>Mean conjugate-gradient iterations of the probe solves at the last evaluation.</summary>
    public double MeanProbeIterations { get; private set; }

    /// <summary>Conjugate-gradient iterations of all solves since construction.</summary>
    public long TotalCgIterations { get; private set; }

    /// <summary>The iterative criterion holds no factor: there is no exact <see cref="PenalizedSystem"/>.</summary>
    public PenalizedSystem System => throw new NotSupportedException("the iterative Laplace criterion holds no factor; use Iterative");

    public double[] SaveModes() => (double[])_sys.U.Clone();

    public void RestoreModes(ReadOnlySpan<double> u)
    {
        // Modes other than those of the last evaluation make its cached value stale.
        if (!u.SequenceEqual(_sys.U))
        {
            _hasLast = false;
            _solvedProbes = 0;
        }
        _sys.SetModes(u);
    }

    public double Evaluate(ReadOnlySpan<double> x) => Cached(x, default, withGradient: false) ?? Observed(x, Remember(x, Run(x, default, withGradient: false), default));

    public double Evaluate(ReadOnlySpan<double> x, Span<double> gradient) => Cached(x, gradient, withGradient: true) ?? Observed(x, Remember(x, Run(x, gradient, withGradient: true), gradient));

    // The last evaluation: asked again at the same (θ, β) from the same modes (the boundary check's final evaluation, then
    // the convergence check's first, both at the optimum L-BFGS-B has just evaluated), it is returned as it was instead of
    // repeating the probes' solves — a repeat would differ only by a Newton step at the rounding floor.
    private readonly double[] _lastX, _lastGradient;
    private double _lastValue;
    private bool _hasLast, _lastHasGradient;

    private double? Cached(ReadOnlySpan<double> x, Span<double> gradient, bool withGradient)
    {
        if (!_hasLast || (withGradient && !_lastHasGradient) || !x.SequenceEqual(_lastX)) return null;
        if (withGradient) _lastGradient.AsSpan().CopyTo(gradient);
        return _lastValue;
    }

    private double Remember(ReadOnlySpan<double> x, double value, ReadOnlySpan<double> gradient)
    {
        x.CopyTo(_lastX);
        _lastValue = value;
        _lastHasGradient = !gradient.IsEmpty && double.IsFinite(value);
        if (_lastHasGradient) gradient[..Dimension].CopyTo(_lastGradient);
        _hasLast = true;
        return value;
    }

    private double Observed(ReadOnlySpan<double> x, double f)
    {
        FitMonitor.Observe("iterative Laplace", _nth, includesBeta: true, withDispersion: false, x, default, f);
        return f;
    }

    private double Run(ReadOnlySpan<double> x, Span<double> gradient, bool withGradient)
    {
        Evaluations++;
        var theta = x[.._nth];
        var beta = x[_nth..];
        double penalized = _sys.SolveMode(theta, beta);
        TotalCgIterations += _sys.NewtonCgIterations;
        _lastPenalized = penalized;
        _solvedProbes = 0;
        if (!double.IsFinite(penalized)) return double.PositiveInfinity;
        double logDet = ProbeSolves(withGradient);
        if (!double.IsFinite(logDet)) return double.PositiveInfinity;
        LogDeterminant = logDet;
        if (withGradient) Gradient(gradient);
        return penalized + logDet;
    }

    /// <summary>
    /// The deviance at the last evaluation's (θ, β) and modes with log|H| estimated on the first <paramref name="total"/>
    /// probes of the same seeded sequence: those solved there (the evaluation's <see cref="ActiveProbes"/> and any earlier
    /// extension, their estimates kept) and the rest solved now, without the gradient. <see cref="LogDeterminant"/> and
    /// <see cref="LogDeterminantStandardError"/> then describe all of them; an evaluation of the criterion still uses
    /// <see cref="ActiveProbes"/>.
    /// </summary>
    public double ExtendProbes(int total)
    {
        int solved = _solvedProbes;
        if (solved == 0 || !double.IsFinite(_lastPenalized)) throw new InvalidOperationException("no finite evaluation to extend");
        if (total > solved)
        {
            if (_probeLogDet.Length < total)
            {
                var grown = new double[total];
                _probeLogDet.AsSpan(0, solved).CopyTo(grown);
                _probeLogDet = grown;
            }
            int active = _activeProbes;
            _activeProbes = total;
            _extendedLogDet = ProbeSolves(gradient: false, from: solved);
            _activeProbes = active;
            if (!double.IsFinite(_extendedLogDet))
            {
                _solvedProbes = 0;
                return double.PositiveInfinity;
            }
            LogDeterminant = _extendedLogDet;
        }
        return _lastPenalized + _extendedLogDet;
    }

    private double _lastPenalized = double.NaN, _extendedLogDet;

    /// <summary>Probes whose estimates of log|H| at the current modes are held (0 when the modes changed since).</summary>
    private int _solvedProbes;

    /// <summary>
    /// The probes' solves at the current mode, <see cref="Width"/> probes at a time as one block: the log-determinant by
    /// stochastic Lanczos quadrature and, when the gradient is wanted, the trace estimates (the row leverages into _s,
    /// the θ traces' corrections). Each probe's numbers are those of its own solve; sums over probes run in probe order.
    /// </summary>
    private double ProbeSolves(bool gradient, int from = 0)
    {
        var pre = _sys.Preconditioner;
        var bcg = _blockSolver;
        if (gradient)
        {
            Array.Clear(_s);
            Array.Clear(_traceCorrection);
        }
        double inv = 1.0 / ActiveProbes;
        long iterations = 0;
        var dots = new double[2 * Width];
        for (int first = from; first < ActiveProbes; first += Width)
        {
            int width = Math.Min(Width, ActiveProbes - first), len = _m * width;
            FillProbes(first, width);
            pre.MultiplyFactorBlock(_bz, _bb, width);
            pre.SolveFactorTransposeBlock(_bz, _bw, width);
            iterations += bcg.Solve(_sys, pre, _bb, _bx, _sys.Tolerance, width);
            // Control variate: log(I + E) − (E − E²/2) has far less off-diagonal mass than log(I + E), and
            // tr E = 0 (E's diagonal blocks vanish), tr E² = ‖E‖²_F exactly.
            _sys.ApplyBlock(_bw, _be, width);
            pre.SolveFactorBlock(_be.AsSpan(0, len), _be2.AsSpan(0, len), width);
            var ze = dots.AsSpan(0, width);
            var ee = dots.AsSpan(Width, width);
            ze.Clear();
            ee.Clear();
            for (int i = 0; i < _m; i++)
            {
                int o = i * width;
                for (int c = 0; c < width; c++)
                {
                    double e = _be2[o + c] - _bz[o + c];
                    ze[c] += _bz[o + c] * e;
                    ee[c] += e * e;
                }
            }
            for (int c = 0; c < width; c++)
            {
                int it = bcg.Iterations(c);
                bcg.Tridiagonal(c, _diag, _off);
                double quad = StochasticLanczos.FirstLogQuadrature(_diag.AsSpan(0, it), _off.AsSpan(0, it), _first.AsSpan(0, it), out double even);
                if (!double.IsFinite(quad)) return double.NaN;
                // With two terms E couples only the one's levels with the other's: its spectrum is symmetric about 0, the
                // odd part of log(I + E) has trace 0, and the quadrature of the even part ½log(λ(2 − λ)) drops its noise.
                _probeLogDet[first + c] = _bipartite && double.IsFinite(even) ? _m * even + 0.5 * ee[c] : _m * quad - ze[c] + 0.5 * ee[c];
            }
            if (!gradient) continue;
            for (int i = 0; i < len; i++) _by[i] = _bx[i] - _bw[i];
            _sys.ForwardBlock(_by, _bay, width);
            _sys.ForwardBlock(_bw, _baw, width);
            var wts = _sys.Weights;
            for (int i = 0; i < _n; i++)
            {
                int o = i * width;
                double s = _s[i], wi = wts[i];
                for (int c = 0; c < width; c++)
                {
                    s += inv * _bay[o + c] * _baw[o + c];
                    _bay[o + c] *= wi;
                }
                _s[i] = s;
            }
            _sys.AccumulateThetaDerivativeBlock(_bay, _bw, _traceCorrection, inv, width);
        }
        TotalCgIterations += iterations;
        MeanProbeIterations = (double)iterations / (ActiveProbes - from);
        double mean = 0;
        for (int j = 0; j < ActiveProbes; j++) mean += _probeLogDet[j];
        mean /= ActiveProbes;
        double ss = 0;
        for (int j = 0; j < ActiveProbes; j++) ss += (_probeLogDet[j] - mean) * (_probeLogDet[j] - mean);
        LogDeterminantStandardError = ActiveProbes > 1 ? Math.Sqrt(ss / (ActiveProbes - 1) / ActiveProbes) : double.NaN;
        _solvedProbes = ActiveProbes;
        double logDet = pre.LogDeterminant + mean - 0.5 * _sys.CouplingSquaredNorm();
        _extendedLogDet = logDet;
        return logDet;
    }

    /// <summary>Probes first … first + width − 1 as the columns of the block _bz.</summary>
    private void FillProbes(int first, int width)
    {
        for (int c = 0; c < width; c++)
        {
            StochasticLanczos.Rademacher(Seed, first + c, _probe);
            for (int i = 0; i < _m; i++) _bz[i * width + c] = _probe[i];
        }
    }

    /// <summary>The gradient in (θ, β) at the current mode from the probes' estimates (see the remarks).</summary>
    private void Gradient(Span<double> gradient)
    {
        var sys = _sys;
        var w = sys.Weights;
        var dw = sys.WeightDerivatives;
        var r = sys.Scores;
        // s = exact leverage under P + the probes' correction; c = W' s.
        sys.PreconditionedLeverage(_c);
        for (int i = 0; i < _n; i++) _c[i] = dw[i] * (_c[i] + _s[i]);
        sys.Transpose(_c, _rhs);
        int it = sys.Solver.Solve(sys, sys.Preconditioner, _rhs, _v, sys.Tolerance);
        TotalCgIterations += it;
        sys.Forward(_v, _av);
        for (int i = 0; i < _n; i++) _e[i] = -2.0 * r[i] + _c[i] - w[i] * _av[i];
        sys.MultiplyXTranspose(_e, gradient[_nth..]);
        var gTheta = new double[_nth];
        sys.AccumulateThetaDerivative(_e, sys.U, gTheta, 1.0);
        sys.AccumulateThetaDerivative(r, _v, gTheta, 1.0);
        var exact = ExactTraces();
        for (int t = 0; t < _nth; t++) gradient[t] = gTheta[t] + 2.0 * (exact[t] + _traceCorrection[t]);
    }

    /// <summary>tr(P⁻¹Λ'Z'WZ∂ₜΛ) per θ entry: Σ over levels of (Pₖₗ⁻¹Tₖ'Gₖₗ)ⱼᵢ for θ at (i, j) of term k.</summary>
    private double[] ExactTraces()
    {
        var result = new double[_nth];
        var re = _d.Random;
        var pre = _sys.Preconditioner;
        Span<double> inv = stackalloc double[IterativePenalizedSystem.MaxTermSize * IterativePenalizedSystem.MaxTermSize];
        Span<double> tg = stackalloc double[IterativePenalizedSystem.MaxTermSize * IterativePenalizedSystem.MaxTermSize];
        for (int k = 0; k < _d.K; k++)
        {
            int q = _d.Q[k], qq = q * q, off = re.ThetaOffsets[_d.StructureTerm(k)], levels = _d.Levels[k];
            var t = _sys.TermFactors[k];
            var gram = _sys.Gram[k];
            for (int l = 0; l < levels; l++)
            {
                pre.BlockInverse(k, l, inv);
                var g = gram.AsSpan(l * qq, qq);
                for (int a = 0; a < q; a++)
                    for (int b = 0; b < q; b++)
                    {
                        double s = 0;
                        for (int c = a; c < q; c++) s += t[c * q + a] * g[c * q + b];
                        tg[a * q + b] = s;
                    }
                int pos = off;
                for (int j = 0; j < q; j++)
                    for (int i = j; i < q; i++)
                    {
                        // (P⁻¹ T'G)_{ji}
                        double s = 0;
                        for (int c = 0; c < q; c++) s += inv[j * q + c] * tg[c * q + i];
                        result[pos++] += s;
                    }
            }
        }
        return result;
    }

    /// <summary>
    /// The conditional covariances of u per structure term and level (levels × q × q), by stochastic estimation of the
    /// diagonal blocks of H⁻¹ at the current mode: Pₖₗ⁻¹ + the probes' mean of (xⱼ − wⱼ)wⱼ' on the block.
    /// </summary>
    public double[][] ConditionalVariances()
    {
        var pre = _sys.Preconditioner;
        var result = new double[_d.K][];
        for (int k = 0; k < _d.K; k++) result[_d.StructureTerm(k)] = new double[_d.Levels[k] * _d.Q[k] * _d.Q[k]];
        double inv = 1.0 / Probes;
        for (int first = 0; first < Probes; first += Width)
        {
            int width = Math.Min(Width, Probes - first);
            FillProbes(first, width);
            pre.MultiplyFactorBlock(_bz, _bb, width);
            pre.SolveFactorTransposeBlock(_bz, _bw, width);
            _blockSolver.Solve(_sys, pre, _bb, _bx, _sys.Tolerance, width);
            for (int k = 0; k < _d.K; k++)
            {
                int q = _d.Q[k], qq = q * q;
                var blocks = result[_d.StructureTerm(k)];
                var ub = _sys.LevelBase[k];
                for (int l = 0; l < ub.Length; l++)
                {
                    int o = ub[l];
                    for (int c = 0; c < width; c++)
                        for (int a = 0; a < q; a++)
                            for (int b = 0; b < q; b++)
                            {
                                int ia = (o + a) * width + c, ib = (o + b) * width + c;
                                blocks[l * qq + a * q + b] += inv * 0.5 * ((_bx[ia] - _bw[ia]) * _bw[ib] + (_bx[ib] - _bw[ib]) * _bw[ia]);
                            }
                }
            }
        }
        Span<double> pinv = stackalloc double[IterativePenalizedSystem.MaxTermSize * IterativePenalizedSystem.MaxTermSize];
        for (int k = 0; k < _d.K; k++)
        {
            int q = _d.Q[k], qq = q * q;
            var blocks = result[_d.StructureTerm(k)];
            for (int l = 0; l < _d.Levels[k]; l++)
            {
                pre.BlockInverse(k, l, pinv);
                for (int a = 0; a < qq; a++) blocks[l * qq + a] += pinv[a];
                // A stochastic estimate may stray below 0 on the diagonal; a variance is not negative.
                for (int a = 0; a < q; a++) blocks[l * qq + a * q + a] = Math.Max(blocks[l * qq + a * q + a], 0.0);
            }
        }
        return result;
    }
}
