namespace Glmm.Fitting;

/// <summary>
/// The Laplace approximation to the deviance as a function of (θ, β) (stage 2):
/// <code>−2 log L(θ, β) ≈ −2 log p(y | ũ) + ‖ũ‖² + log|L|²</code>
/// with ũ the conditional mode from <see cref="Fitting.Pirls"/> and LL' = Λ'Z'WZΛ + I at ũ (W the observed
/// information, or the expected one as lme4 does). For canonical links its exact gradient is available
/// (<see cref="LaplaceGradient"/>); each gradient evaluation then starts PIRLS at the modes predicted from the last
/// one, ũ + (dũ/dx)Δx, which saves sweeps. Asked again at the point it was last evaluated at, from the modes that evaluation
/// left (the boundary check's last evaluation and the convergence check's base point after the optimiser's last step),
/// it returns that evaluation's value, and its gradient once computed, instead of solving again.
/// </summary>
internal sealed class LaplaceCriterion : PirlsCriterion
{
    private readonly bool _withGradient;
    private readonly int _threads;
    private LaplaceGradient? _gradient;
    private readonly double[] _xLast, _uLast, _dx;
    private bool _hasLast;
    private readonly double[] _cacheX, _cacheU, _cacheGradient;
    private double _cacheValue, _cacheDispersion;
    private bool _cacheValid, _cacheHasGradient;

    public LaplaceCriterion(EngineLayout layout, int threads, bool observedInformation, bool withGradient)
        : base(new Pirls(layout, withFixed: false, threads, observedInformation), includesBeta: true)
    {
        _withGradient = withGradient && (layout.Family.IsCanonical || layout.Family.HasDispersion || (observedInformation && layout.Family.ConcaveOnTheRealLine));
        _threads = threads;
        _xLast = new double[Dimension];
        _dx = new double[Dimension];
        _uLast = new double[layout.TotalRandom];
        _cacheX = new double[Dimension];
        _cacheU = new double[layout.TotalRandom];
        _cacheGradient = new double[Dimension];
    }

    public override bool HasGradient => _withGradient;

    /// <summary>dD/d log φ at the last gradient evaluation (a family with a dispersion parameter); NaN before one.</summary>
    public double DispersionDerivative => _gradient?.DispersionDerivative ?? double.NaN;

    /// <summary>−2 log p(y | ũ) + ‖ũ‖² + log|L|² at x = (θ, β).</summary>
    public override double Evaluate(ReadOnlySpan<double> x) => AtCachedPoint(x) ? _cacheValue : Solve(x);

    private double Solve(ReadOnlySpan<double> x)
    {
        Evaluations++;
        double f = SolvePirls(x);
        FitMonitor.Observe("Laplace", ThetaLength, includesBeta: true, withDispersion: false, x, default, f);
        _cacheValid = double.IsFinite(f);
        _cacheHasGradient = false;
        if (_cacheValid)
        {
            x.CopyTo(_cacheX);
            Pirls.U.CopyTo(_cacheU, 0);
            _cacheValue = f;
            _cacheDispersion = System.Layout.Family.Dispersion;
        }
        return f;
    }

    /// <summary>
    /// x is the last evaluation's point, the modes are the ones it left (no one has set others since) and the family's
    /// dispersion is the one it had (a dispersion criterion sets it between evaluations at the same (θ, β)).
    /// </summary>
    private bool AtCachedPoint(ReadOnlySpan<double> x) =>
        _cacheValid && System.Layout.Family.Dispersion == _cacheDispersion && x.SequenceEqual(_cacheX) && Pirls.U.AsSpan().SequenceEqual(_cacheU);

    /// <summary>The deviance and its exact gradient in (θ, β), PIRLS warm-started at the predicted modes.</summary>
    public override double Evaluate(ReadOnlySpan<double> x, Span<double> gradient)
    {
        if (!_withGradient) return base.Evaluate(x, gradient);
        _gradient ??= new LaplaceGradient(System, _threads);
        if (AtCachedPoint(x))
        {
            if (!_cacheHasGradient)
            {
                // The system is still at this point's modes and factor: only the gradient is new.
                _gradient.ComputeAtMode(_cacheGradient);
                _cacheHasGradient = true;
                x.CopyTo(_xLast);
                Pirls.U.CopyTo(_uLast, 0);
                _hasLast = true;
            }
            _cacheGradient.CopyTo(gradient);
            return _cacheValue;
        }
        if (_hasLast && _gradient.HasModeJacobian)
        {
            for (int j = 0; j < _dx.Length; j++) _dx[j] = x[j] - _xLast[j];
            _gradient.PredictModes(_uLast, _dx, Pirls.U);
            Pirls.FallbackModes = _uLast;
        }
        double f = Solve(x);
        if (double.IsFinite(f))
        {
            _gradient.ComputeAtMode(gradient);
            gradient.CopyTo(_cacheGradient);
            _cacheHasGradient = true;
            x.CopyTo(_xLast);
            Pirls.U.CopyTo(_uLast, 0);
            _hasLast = true;
        }
        return f;
    }
}
