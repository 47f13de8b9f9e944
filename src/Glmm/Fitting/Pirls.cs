using System.Runtime.CompilerServices;
using Glmm.LinearAlgebra;

namespace Glmm.Fitting;

/// <summary>
/// Penalized iteratively reweighted least squares: for given θ (and β, unless β is solved for too) finds the
/// conditional mode ũ of the spherical random effects (b = Λu) by minimising the penalized deviance
/// d(y, u) + ‖u‖² with Newton steps on the <see cref="PenalizedSystem"/>, with step-halving when the penalized
/// deviance rises or is not finite. Warm-starts from the previous mode. After <see cref="Solve"/> the factor L is
/// that at the mode, so the Laplace deviance d(y, ũ) + ‖ũ‖² + log|L|² (with the family's constants) is available.
/// </summary>
/// <remarks>
/// The iteration runs in one of three phases. For a canonical link the IRLS weights are the Hessian, so every
/// step is a Newton step (<see cref="Phase.Newton"/> from the start). Otherwise it starts with Fisher scoring
/// (<see cref="Phase.Scoring"/>, robust far from the mode), switches to Newton steps with the observed information
/// near the mode, and falls back to scoring for good (<see cref="Phase.ScoringOnly"/>) if the observed information
/// is not positive definite there. It stops at the first of: the Newton decrement below <see cref="Tolerance"/>;
/// the rounding floor (the decrement no longer shrinking as the phase's steps should make it); no step lowering the
/// penalized deviance; the iteration limit. The last two count as converged only when the decrement is small.
/// </remarks>
internal sealed class Pirls
{
    private const int MaxIterations = 200;
    private const int MaxHalvings = 30;
    /// <summary>Relative decrement below which non-canonical scoring switches to Newton steps.</summary>
    private const double NewtonSwitch = 1e-6;
    /// <summary>Relative decrement below which Newton steps that no longer shrink it quadratically have reached the rounding floor.</summary>
    private const double NewtonFloor = 1e-10, NewtonShrink = 1e-3;
    /// <summary>The same for scoring steps, which shrink it at least by a constant factor.</summary>
    private const double ScoringFloor = 1e-14, ScoringShrink = 0.5;
    /// <summary>Relative decrement below which a full step is taken without evaluating its deviance.</summary>
    private const double SmallStep = 1e-8;
    /// <summary>Relative rise of the penalized deviance a step may bring (rounding).</summary>
    private const double AcceptSlack = 1e-12;
    /// <summary>Relative decrement that still counts as converged when the iteration stops otherwise.</summary>
    private const double ConvergedAnyway = 1e-6;

    /// <summary>The steps PIRLS is taking.</summary>
    private enum Phase
    {
        /// <summary>Fisher scoring (expected information), to switch to Newton steps near the mode.</summary>
        Scoring,
        /// <summary>Newton steps (the observed information, which for a canonical link is the expected one).</summary>
        Newton,
        /// <summary>Fisher scoring to the end: the observed information was not positive definite.</summary>
        ScoringOnly,
    }

    /// <summary>Chord steps after one factorisation at most (each one pass over the rows and one solve).</summary>
    private const int MaxChordSteps = 8;
    /// <summary>A chord step continues while the decrement shrinks at least by this factor (the error by its square root).</summary>
    private const double ChordContraction = 1e-2;
    /// <summary>Relative decrement below which chord steps that stop shrinking it have reached the rounding floor.</summary>
    private const double ChordFloor = 1e-20;

    private readonly PenalizedSystem _system;
    private readonly Curvature _laplaceCurvature;
    private readonly bool _canonical;
    /// <summary>Reuse a factor for chord steps (a canonical link, where W is the Hessian, and an expensive factor).</summary>
    private readonly bool _reuseFactor;
    private readonly double[] _uSaved, _betaSaved;

    /// <param name="data">The engine layout.</param>
    /// <param name="withFixed">Solve for β with u (stage 1) rather than take it as given.</param>
    /// <param name="threads">Threads for the chunked sweeps (0: all cores); results do not depend on it.</param>
    /// <param name="observedInformation">The factor at the mode, whose log-determinant enters the Laplace deviance,
    /// carries the observed information (exact Laplace, glmmTMB) rather than the expected one (lme4); they differ for
    /// non-canonical links only.</param>
    /// <param name="reuseFactor">Reuse a factor for chord steps: by default when the link is canonical and a factorisation
    /// costs far more than a pass over the rows (<see cref="PenalizedSystem.FactorIsExpensive"/>); false for plain Newton
    /// steps, true to force it (canonical links only).</param>
    public Pirls(EngineLayout data, bool withFixed, int threads = 0, bool observedInformation = true, bool? reuseFactor = null)
    {
        _system = new PenalizedSystem(data, withFixed, threads);
        _canonical = data.Family.IsCanonical;
        _laplaceCurvature = observedInformation && !_canonical ? Curvature.Observed : Curvature.Expected;
        _reuseFactor = _canonical && (reuseFactor ?? _system.FactorIsExpensive);
        _uSaved = _reuseFactor ? new double[data.TotalRandom] : [];
        _betaSaved = _reuseFactor ? new double[data.P] : [];
    }

    /// <summary>The system at the last state (η, μ, weights, factor).</summary>
    public PenalizedSystem System => _system;

    /// <summary>The factor L at the last mode.</summary>
    public BlockedCholesky Factor => _system.Factor;

    /// <summary>The spherical random effects u: the conditional mode after a successful <see cref="Solve"/>.</summary>
    public double[] U => _system.U;

    /// <summary>Fixed effects: solved for when β is inside, else the last β given.</summary>
    public double[] Beta => _system.Beta;

    /// <summary>Linear predictor η per engine row at the last state.</summary>
    public double[] Eta => _system.Eta;

    /// <summary>Mean μ per engine row at the last state.</summary>
    public double[] Mu => _system.Mu;

    /// <summary>
    /// Newton decrement (relative to the penalized deviance) at which a solve stops: by default 1e-30, the rounding
    /// floor, which the Laplace deviance needs for difference derivatives; a search that only needs a start may
    /// loosen it.
    /// </summary>
    public double Tolerance { get; set; } = 1e-30;

    /// <summary>Passes over the data that built the system (μ, weights, factor) since construction.</summary>
    public int Sweeps => _system.Sweeps;

    /// <summary>
    /// Modes to restart from when the next <see cref="Solve"/>'s start (a prediction) turns out hopeless — a relative
    /// Newton decrement above <see cref="HopelessStart"/> at the first build; used by one solve, then cleared.
    /// </summary>
    public double[]? FallbackModes { get; set; }

    /// <summary>The relative Newton decrement at a predicted start beyond which <see cref="FallbackModes"/> are used instead.</summary>
    private const double HopelessStart = 0.1;

    /// <summary>PIRLS iterations in the last solve.</summary>
    public int Iterations { get; private set; }

    /// <summary>True when the last solve converged.</summary>
    public bool Converged { get; private set; }

    /// <summary>Σ deviance residuals at the last state.</summary>
    public double Deviance => _system.Deviance;

    /// <summary>‖u‖² at the last state.</summary>
    public double SquaredLengthU => _system.SquaredLengthU;

    /// <summary>log|L|² of the random-effects part of the factor at the mode.</summary>
    public double LogDetL { get; private set; }

    /// <summary>−2 log p(y | ũ) with every constant.</summary>
    public double MinusTwoLogLikConditional => _system.MinusTwoLogLikConditional;

    /// <summary>The Laplace deviance −2 log L ≈ −2 log p(y|ũ) + ‖ũ‖² + log|L|²; +∞ when PIRLS failed.</summary>
    public double LaplaceDeviance => Converged ? MinusTwoLogLikConditional + SquaredLengthU + LogDetL : double.PositiveInfinity;

    /// <summary>Sets β (the start when β is inside, the fixed value otherwise).</summary>
    public void SetBeta(ReadOnlySpan<double> beta) => _system.SetBeta(beta);

    /// <summary>Sets u (e.g. to restore a mode).</summary>
    public void SetModes(ReadOnlySpan<double> u) => _system.SetModes(u);

    /// <summary>Runs PIRLS at θ (and β when it is fixed); returns the Laplace deviance (+∞ on failure).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public double Solve(ReadOnlySpan<double> theta, ReadOnlySpan<double> fixedBeta = default)
    {
        var sys = _system;
        sys.SetTheta(theta);
        if (!sys.WithFixed) sys.SetFixedBeta(fixedBeta);
        Converged = false;
        Iterations = 0;
        sys.Curvature = Curvature.Expected;
        sys.ComputeEta();
        // An expensive factor: first chord steps with the factor of the last solve (a nearby point) as the curvature.
        double previous = _reuseFactor && sys.FactorValid ? ChordSteps(etaCurrent: true) : double.PositiveInfinity;
        double pdev = sys.Build();
        if (!double.IsFinite(pdev))
        {
            // A warm start can be hopeless after a large move: restart from u = 0.
            sys.ClearModes();
            sys.ComputeEta();
            pdev = sys.Build();
            if (!double.IsFinite(pdev)) return double.PositiveInfinity;
        }
        var phase = _canonical ? Phase.Newton : Phase.Scoring;
        var fallback = FallbackModes;
        FallbackModes = null;
        while (true)
        {
            Iterations++;
            double decrement = sys.NewtonIncrement();
            if (fallback is not null && Iterations == 1 && decrement > HopelessStart * (1.0 + Math.Abs(pdev)))
            {
                // A predicted start far from the mode (a long step extrapolated linearly): the modes it was predicted
                // from, at the previous point, are the better start.
                sys.SetModes(fallback);
                sys.ComputeEta();
                double alt = sys.Build();
                if (double.IsFinite(alt))
                {
                    pdev = alt;
                    decrement = sys.NewtonIncrement();
                }
                else
                {
                    sys.ClearModes();
                    sys.ComputeEta();
                    pdev = sys.Build();
                    if (!double.IsFinite(pdev)) return double.PositiveInfinity;
                    decrement = sys.NewtonIncrement();
                }
            }
            double scale = 1.0 + Math.Abs(pdev);
            if (!double.IsFinite(decrement)) return double.PositiveInfinity;
            // The Laplace deviance is first-order sensitive to errors in ũ (through log|L|), so iterate to the
            // rounding floor: a decrement of 1e-30 means ũ is exact to about 1e-14.
            if (decrement <= Tolerance * scale) { Converged = true; break; }
            if (phase == Phase.Scoring && decrement <= NewtonSwitch * scale)
            {
                phase = Phase.Newton;
                sys.Curvature = Curvature.Observed;
                pdev = sys.Build();
                if (!double.IsFinite(pdev))
                {
                    phase = Phase.ScoringOnly;
                    sys.Curvature = Curvature.Expected;
                    pdev = sys.Build();
                    if (!double.IsFinite(pdev)) return double.PositiveInfinity;
                }
                continue;
            }
            if (AtRoundingFloor(phase, decrement, previous, scale)) { Converged = true; break; }
            previous = decrement;
            if (Iterations >= MaxIterations) { Converged = decrement <= ConvergedAnyway * scale; break; }
            bool smallStep = decrement <= SmallStep * scale;
            if (!TakeStep(pdev, scale, smallStep))
            {
                // No step lowers the penalized deviance: we sit at the mode to within rounding.
                Converged = decrement <= ConvergedAnyway * scale;
                break;
            }
            if (_reuseFactor)
            {
                // Chord steps with the factor at hand to the rounding floor, so that the next factorisation confirms the mode.
                double chord = ChordSteps(etaCurrent: !smallStep);
                if (double.IsFinite(chord)) previous = chord;
                pdev = sys.Build();
            }
            else pdev = sys.Build(computeEta: smallStep);
            if (!double.IsFinite(pdev))
            {
                if (sys.Curvature != Curvature.Observed) return double.PositiveInfinity;
                phase = Phase.ScoringOnly;
                sys.Curvature = Curvature.Expected;
                pdev = sys.Build();
                if (!double.IsFinite(pdev)) return double.PositiveInfinity;
            }
        }
        if (sys.Curvature != _laplaceCurvature)
        {
            // The factor for the Laplace approximation: the observed information (the Hessian of the
            // log-likelihood, exact Laplace) or the expected one (lme4's). They differ only for a
            // non-canonical link; when the observed one is not positive definite the expected one is kept.
            sys.Curvature = _laplaceCurvature;
            if (!double.IsFinite(sys.Build()) && _laplaceCurvature == Curvature.Observed)
            {
                sys.Curvature = Curvature.Expected;
                sys.Build();
            }
        }
        LogDetL = sys.LogDetRandom();
        return LaplaceDeviance;
    }

    /// <summary>
    /// Chord steps: the gradient at the current point (one pass over the rows) solved with the factor of the last build,
    /// taken whole while the penalized deviance does not rise and the decrement shrinks by <see cref="ChordContraction"/>
    /// per step (a step whose point raises it is undone). Leaves η at the current point. Returns the last decrement (its
    /// estimate with the old factor) when it is at the rounding floor, which the next build's decrement is then compared
    /// with, else +∞.
    /// </summary>
    private double ChordSteps(bool etaCurrent)
    {
        var sys = _system;
        double pdev = sys.Gradient(computeEta: !etaCurrent);
        if (!double.IsFinite(pdev)) return double.PositiveInfinity;
        double scale = 1.0 + Math.Abs(pdev), last = double.PositiveInfinity;
        for (int j = 0; ; j++)
        {
            double decrement = sys.NewtonIncrement();
            if (!double.IsFinite(decrement)) { last = double.PositiveInfinity; break; }
            bool stop = decrement <= Tolerance * scale || decrement > ChordContraction * last || j == MaxChordSteps;
            last = decrement;
            if (stop) break;
            sys.U.CopyTo(_uSaved, 0);
            sys.Beta.CopyTo(_betaSaved, 0);
            sys.Trial(1.0, skipDeviance: true);
            sys.AcceptTrial(withEta: false);
            double next = sys.Gradient(computeEta: true);
            if (!(next <= pdev + AcceptSlack * scale))
            {
                sys.SetModes(_uSaved);
                sys.SetBeta(_betaSaved);
                sys.ComputeEta();
                break;
            }
            pdev = next;
        }
        // Chord steps shrink the error linearly: one that stalls above ChordFloor has a poor factor, not the rounding floor.
        return last <= ChordFloor * scale ? last : double.PositiveInfinity;
    }

    /// <summary>
    /// Newton steps shrink the decrement quadratically, scoring steps at least by a constant factor; once they stop
    /// doing so (and the decrement is small) the sums have reached their rounding floor.
    /// </summary>
    private static bool AtRoundingFloor(Phase phase, double decrement, double previous, double scale) => phase switch
    {
        Phase.Newton => decrement <= NewtonFloor * scale && decrement > NewtonShrink * previous,
        Phase.ScoringOnly => decrement <= ScoringFloor * scale && decrement > ScoringShrink * previous,
        Phase.Scoring => false,
    };

    /// <summary>
    /// A step along the increment, halved until the penalized deviance does not rise (a small step is taken whole,
    /// unevaluated: its η is computed in the next build). False when no step is accepted.
    /// </summary>
    private bool TakeStep(double pdev, double scale, bool smallStep)
    {
        double step = 1.0;
        for (int h = 0; h <= MaxHalvings; h++, step *= 0.5)
        {
            double trial = _system.Trial(step, smallStep);
            if (smallStep || (double.IsFinite(trial) && trial <= pdev + AcceptSlack * scale))
            {
                _system.AcceptTrial(withEta: !smallStep);
                return true;
            }
        }
        return false;
    }
}
