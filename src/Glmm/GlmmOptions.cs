using Glmm.Families;

namespace Glmm;

/// <summary>Options of a GLMM fit. Immutable; change a copy with <c>with { … }</c>.</summary>
public sealed record GlmmOptions
{
    /// <summary>The conditional distribution of the response and its link (default: binomial with the logit link).</summary>
    /// <example><c>new GlmmOptions { Family = new Poisson(Link.Sqrt) }</c></example>
    public Family Family { get; init; } = new Binomial();

    /// <summary>Column of prior weights (for a binomial proportion: the number of trials); null for none.</summary>
    public string? WeightsColumn { get; init; }

    /// <summary>
    /// 0: stop after stage 1 (β inside PIRLS, lme4's nAGQ = 0); 1: the Laplace fit (default); K &gt; 1:
    /// adaptive Gauss–Hermite quadrature with K points per dimension (one grouping factor only).
    /// </summary>
    public int NAgq { get; init; } = 1;

    /// <summary>Quadrature grid for nAGQ &gt; 1 (default: the product grid, K^q nodes).</summary>
    public QuadratureGrid Grid { get; init; } = QuadratureGrid.Product;

    /// <summary>
    /// The curvature in the Laplace approximation (and the scaling of adaptive quadrature): the observed
    /// information (default; glmmTMB's, the exact Laplace approximation) or the expected information of the
    /// IRLS weights (lme4's). They agree for canonical links (logit, log).
    /// </summary>
    public Information Information { get; init; } = Information.Observed;

    /// <summary>Restricted maximum likelihood variant; null for maximum likelihood (default).</summary>
    public RemlVariant? Reml { get; init; }

    /// <summary>
    /// A linear mixed model's denominator degrees of freedom for the fixed-effect t tests (lmerTest's <c>ddf</c>):
    /// Satterthwaite (default) or Kenward–Roger (REML fits only; standard errors from the adjusted covariance).
    /// </summary>
    public DenominatorDf Ddf { get; init; } = DenominatorDf.Satterthwaite;

    /// <summary>
    /// Use the exact gradient of the Laplace deviance (canonical links: binomial-logit, Poisson-log) with
    /// L-BFGS-B in stage 2 and for the Hessian (default); false keeps derivative-free BOBYQA throughout.
    /// </summary>
    public bool UseGradient { get; init; } = true;

    /// <summary>Threads for the per-cluster work; 0 for all cores. Results do not depend on it.</summary>
    public int Threads { get; init; }

    /// <summary>Compute standard errors from a finite-difference Hessian (true, lme4's default) or from PIRLS.</summary>
    public bool UseHessian { get; init; } = true;

    /// <summary>
    /// The accuracy asked of the estimates in the final stage, with θ on its own scale and β in units of its
    /// standard error (the deviance is then accurate to about its square): the final trust-region radius of
    /// BOBYQA (derivative-free stages, and stage 1 when it is the last stage), and, for the gradient stage,
    /// 10⁴ times the projected-gradient tolerance of L-BFGS-B in coordinates of unit curvature (so the
    /// estimates end far more accurate than this: the gradient is exact and extra steps are cheap).
    /// </summary>
    public double Tolerance { get; init; } = 1e-5;

    /// <summary>Maximum number of objective evaluations per optimisation stage.</summary>
    public int MaxEvaluations { get; init; } = 20000;

    /// <summary>
    /// The budget of an adaptive-quadrature fit (nAGQ &gt; 1) in row-node evaluations: nodes per cluster × rows ×
    /// the deviance evaluations a fit is expected to need, 7n + 3 + 2n + n(n − 1)/2 for n = |θ| + |β| (the
    /// quadrature stage's Newton steps and the economical Hessian). A fit above it is refused before it starts, with the
    /// numbers (10⁹ is about 10 s on one core of this 2-core machine: 10⁸ row-node evaluations a second for three random effects); 0 or less means no limit.
    /// </summary>
    public double MaxQuadratureWork { get; init; } = 1e9;

    /// <summary>
    /// A weak normal prior on β (blme's <c>fixef.prior</c>): the fit maximises the penalized likelihood, so separated
    /// data give finite estimates. Null (the default) for maximum likelihood. Needs the Laplace criterion (nAGQ = 1).
    /// </summary>
    public NormalPrior? FixedEffectsPrior { get; init; }

    /// <summary>
    /// The solver of the Laplace approximation's penalized system: <see cref="LinearSolver.Auto"/> (default) chooses
    /// the iterative one when the exact factor's dense block would be large and the model allows it.
    /// </summary>
    public LinearSolver Solver { get; init; } = LinearSolver.Auto;

    /// <summary>Probe vectors of the iterative solver's stochastic estimates (log-determinant, traces, variances).</summary>
    public int Probes { get; init; } = IterativeDefaults.Probes;

    /// <summary>Seed of the iterative solver's probe vectors (the same probes at every evaluation; results depend on it, not on threads).</summary>
    public ulong ProbeSeed { get; init; } = 1;

    /// <summary>Name of the data shown in the summary (e.g. the file name).</summary>
    public string DataName { get; init; } = "";
}
