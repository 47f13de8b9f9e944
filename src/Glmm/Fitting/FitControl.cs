namespace Glmm.Fitting;

/// <summary>
/// Every tolerance and constant of the fitting stages, named (MixedModels.jl's <c>OptSummary</c>, lme4's
/// <c>glmerControl</c>). Built from the user's <see cref="GlmmOptions"/> by <see cref="From"/>; the defaults are the
/// values the engine's results and reference comparisons were established with.
/// </summary>
internal sealed record FitControl
{
    /// <summary>The user's accuracy asked of the estimates (<see cref="GlmmOptions.Tolerance"/>).</summary>
    public required double Tolerance { get; init; }

    /// <summary>Evaluations allowed per optimisation stage (<see cref="GlmmOptions.MaxEvaluations"/>).</summary>
    public required int MaxEvaluations { get; init; }

    // ---- Stage 1: θ by BOBYQA with β inside PIRLS ----

    /// <summary>Initial trust-region radius of stage 1 (lme4's rhobeg for θ).</summary>
    public double Stage1InitialRadius { get; init; } = 0.2;

    /// <summary>Final radius of stage 1 when a derivative-free stage 2 follows (a start, not the answer).</summary>
    public double Stage1StartRadius { get; init; } = 1e-4;

    /// <summary>Final radius of stage 1 when the gradient stage follows: a few quadratic-model steps are start enough.</summary>
    public double Stage1GradientStartRadius { get; init; } = 5e-2;

    /// <summary>Stage-1 evaluations when the gradient stage follows: 2nθ + this (the quadratic model's points and a few steps).</summary>
    public int Stage1GradientStartExtraEvaluations { get; init; } = 4;

    /// <summary>
    /// PIRLS tolerance (relative Newton decrement) while stage 1 only seeks a start for the gradient stage: modes to
    /// about 1e-5 — the start's deviance a few 1e-6 off, far below what the few quadratic-model steps resolve —, which
    /// saves a sweep in many solves (1e-16 before: sim100k 97 → 91 sweeps, nested1m 91 → 84, InstEval binary 174 → 170).
    /// </summary>
    public double Stage1StartPirlsTolerance { get; init; } = 1e-10;

    /// <summary>PIRLS tolerance whenever the deviance itself matters (the rounding floor; difference derivatives need it).</summary>
    public double PirlsTolerance { get; init; } = 1e-30;

    // ---- Stage 2: (θ, β) jointly ----

    /// <summary>Initial trust-region radius of the derivative-free joint stage (θ, and β in units of its SE).</summary>
    public double JointInitialRadius { get; init; } = 0.1;

    /// <summary>A diagonal θ closer to 0 than this starts the gradient stage at <see cref="GradientStartInsideValue"/> (its gradient vanishes at 0).</summary>
    public double GradientStartInside { get; init; } = 1e-3;

    /// <summary>Where a diagonal θ at (or near) 0 starts the gradient stage.</summary>
    public double GradientStartInsideValue { get; init; } = 0.1;

    /// <summary>Forward-difference step of the gradient for θ's curvature, which scales the gradient stage.</summary>
    public double ThetaCurvatureStep { get; init; } = 1e-4;

    /// <summary>L-BFGS-B's projected-gradient tolerance in coordinates of unit curvature, relative to <see cref="Tolerance"/>.</summary>
    public double GradientToleranceFactor { get; init; } = 1e-4;

    /// <summary>L-BFGS-B's relative function-change tolerance.</summary>
    public double GradientFunctionTolerance { get; init; } = 1e-13;

    /// <summary>
    /// <see cref="GradientFunctionTolerance"/> when each evaluation factors an expensive matrix
    /// (<see cref="PenalizedSystem.FactorIsExpensive"/>: a dense block of crossed factors): L-BFGS-B's last iterations
    /// creep by linear convergence, and the Newton polish (<see cref="PolishDecrement"/>) with the convergence check's
    /// Hessian, computed anyway, finishes the optimum in one or two steps instead.
    /// </summary>
    public double ExpensiveGradientFunctionTolerance { get; init; } = 1e-10;

    /// <summary>
    /// Stage 2's L-BFGS-B starts from the θ curvature's gradient differences (<see cref="Stages.CoordinateScale(ICriterion, double[], double[], double[], int, FitControl)"/>'s
    /// evaluations) as correction pairs instead of the identity (set for the fit from <see cref="ExpensiveSeedSecantPairs"/>).
    /// </summary>
    public bool SeedSecantPairs { get; init; }

    /// <summary>
    /// <see cref="SeedSecantPairs"/> where the factor is expensive (with <see cref="ExpensiveGradientFunctionTolerance"/>):
    /// InstEval binary then needs 21 evaluations instead of 31. Not elsewhere, so that the cheap fits' paths stay as
    /// they were.
    /// </summary>
    public bool ExpensiveSeedSecantPairs { get; init; } = true;

    /// <summary>
    /// Multiply-adds of one factorisation per row from which the gradient stage starts at lme4's start θ, after one
    /// evaluation of the profiled deviance there (<see cref="Stages.Stage1AtStart"/>), instead of after stage 1's
    /// quadratic-model steps: a gradient evaluation costs a factorisation and the dense inverse, a stage-1 one the
    /// factorisation only, so skipping stage 1 pays where the factor, not the rows, makes the cost. Measured: InstEval
    /// binary (6,750 per row) 37 → 31 evaluations and 5.5 s instead of 6.3; crossed200k (208 per row) 2.3–2.5 s with
    /// stage 1 against 2.8–3.0 without.
    /// </summary>
    public double Stage1SkipFactorPerRow { get; init; } = 1000;

    /// <summary>L-BFGS-B's projected-gradient tolerance: <see cref="GradientToleranceFactor"/> × <see cref="Tolerance"/>.</summary>
    public double GradientTolerance => GradientToleranceFactor * Tolerance;

    /// <summary>
    /// Longest step of one L-BFGS-B iteration in stage 2's coordinates (each scaled to unit curvature at the start): a
    /// trust radius, since the deviance is far from quadratic in θ and a longer step (an extrapolated line search)
    /// lands where PIRLS's predicted modes are useless.
    /// </summary>
    public double Stage2MaxStep { get; init; } = 10.0;

    // ---- The quadrature stage: Newton steps with the Laplace Hessian ----

    /// <summary>Newton iterations of the quadrature stage.</summary>
    public int QuadratureMaxIterations { get; init; } = 20;

    /// <summary>Step halvings per quadrature Newton iteration.</summary>
    public int QuadratureMaxHalvings { get; init; } = 20;

    /// <summary>
    /// Newton decrement ½g'H⁻¹g (in deviance, from central-difference gradients) at which the quadrature stage has
    /// converged: about 1e-4 standard errors from the optimum (at 1e-4 the cbpp nAGQ = 3 fit stopped at the Laplace
    /// estimates, 3e-3 in θ from lme4's).
    /// </summary>
    public double QuadratureDecrement { get; init; } = 1e-7;

    /// <summary>Forward-difference Newton decrement below which the quadrature stage's gradients become central differences.</summary>
    public double QuadratureCentralDecrement { get; init; } = 1e-3;

    /// <summary>Newton decrement below which a stalled line search still counts as converged.</summary>
    public double QuadratureStallDecrement { get; init; } = 1e-5;

    /// <summary>Sufficient-decrease fraction (Armijo) of the quadrature line search.</summary>
    public double QuadratureArmijo { get; init; } = 1e-4;

    /// <summary>Forward-difference step of the quadrature gradient, in standard errors (from the Laplace Hessian's diagonal).</summary>
    public double QuadratureStepInStandardErrors { get; init; } = 1e-3;

    /// <summary>The step where the Laplace Hessian's diagonal is not positive.</summary>
    public double QuadratureFallbackStep { get; init; } = 1e-4;

    // ---- The Newton polish of the gradient stage ----

    /// <summary>
    /// Newton decrement ½g'H⁻¹g (deviance units, absolute) above which the gradient stage's optimum is polished by Newton
    /// steps with the convergence check's Hessian: L-BFGS-B stops on a relative fall of the deviance, which for millions
    /// of rows leaves the optimum a few 1e-6 deviance units short — and where it stops depends on the start.
    /// </summary>
    public double PolishDecrement { get; init; } = 1e-9;

    /// <summary>Newton steps of the polish at most.</summary>
    public int PolishMaxSteps { get; init; } = 3;

    /// <summary>
    /// A rise of the deviance (absolute) within which the polish keeps a Newton step that halves the decrement: the Monte
    /// Carlo error of a stochastic criterion, whose gradient is not the exact derivative of its value; 0 (every step must
    /// lower the deviance) for exact criteria.
    /// </summary>
    public double PolishNoise { get; init; }

    // ---- Boundary check and convergence assessment ----

    /// <summary>A diagonal θ below this is tried at 0, and the fit is singular when one stays below it.</summary>
    public double SingularThreshold { get; init; } = 1e-4;

    /// <summary>Relative rise of the deviance allowed when a θ is set to its bound.</summary>
    public double BoundaryDevianceSlack { get; init; } = 1e-9;

    // ---- REML ----

    /// <summary>Newton steps of β̂_θ from the joint mode in the profile REML criterion.</summary>
    public int ProfileNewtonSteps { get; init; } = 2;

    /// <summary>PQL rounds (working LMM REML fits) at most.</summary>
    public int PqlMaxRounds { get; init; } = 100;

    /// <summary>PQL stops when no θ or β entry moves by more than this in a round.</summary>
    public double PqlSettled { get; init; } = 1e-6;

    /// <summary>Initial trust radius of the PQL rounds after the first (which use <see cref="Stage1InitialRadius"/>).</summary>
    public double PqlRestartRadius { get; init; } = 0.05;

    /// <summary>The control for a set of options.</summary>
    public static FitControl From(GlmmOptions options) => new()
    {
        Tolerance = options.Tolerance,
        MaxEvaluations = options.MaxEvaluations,
    };
}
