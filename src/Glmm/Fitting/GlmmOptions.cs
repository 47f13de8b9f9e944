namespace Glmm.Fitting;

/// <summary>Options of a GLMM fit.</summary>
public sealed record GlmmOptions
{
    /// <summary>Family name: "binomial" (default) or "poisson".</summary>
    public string Family { get; init; } = "binomial";

    /// <summary>Link name; null for the family's default (logit, log).</summary>
    public string? Link { get; init; }

    /// <summary>Column of prior weights (for a binomial proportion: the number of trials); null for none.</summary>
    public string? WeightsColumn { get; init; }

    /// <summary>
    /// 0: stop after stage 1 (β inside PIRLS, lme4's nAGQ = 0); 1: the Laplace fit (default); K &gt; 1:
    /// adaptive Gauss–Hermite quadrature with K points per dimension (one grouping factor only).
    /// </summary>
    public int NAgq { get; init; } = 1;

    /// <summary>Quadrature grid for nAGQ &gt; 1: "product" (K^q Gauss–Hermite nodes, default) or "sparse" (Smolyak on nested Genz–Keister rules, exact to total degree 2K − 1).</summary>
    public string Grid { get; init; } = "product";

    /// <summary>
    /// The curvature in the Laplace approximation (and the scaling of adaptive quadrature): the observed
    /// information, i.e. the Hessian of the log-likelihood at the mode (true, default; glmmTMB's, the exact
    /// Laplace approximation), or the expected information of the IRLS weights (false; lme4's). They agree for
    /// canonical links (logit, log).
    /// </summary>
    public bool ObservedInformation { get; init; } = true;

    /// <summary>
    /// Restricted maximum likelihood variant: null for maximum likelihood (default), "laplace" (β integrated
    /// out with v in one Laplace approximation, glmmTMB's REML), "profile" (Cox–Reid adjusted profile
    /// likelihood, Laplace or AGQ) or "pql" (REML of the working linear mixed model, Breslow–Clayton).
    /// </summary>
    public string? Reml { get; init; }

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
    /// Final trust-region radius of BOBYQA in the last stage (θ, and β in units of its standard error): the
    /// accuracy of the estimates; the deviance is then accurate to about its square.
    /// </summary>
    public double Tolerance { get; init; } = 1e-5;

    /// <summary>Maximum number of objective evaluations per optimisation stage.</summary>
    public int MaxEvaluations { get; init; } = 20000;

    /// <summary>Name of the data shown in the summary (e.g. the file name).</summary>
    public string DataName { get; init; } = "";
}
