using System.Collections.ObjectModel;
using Glmm.Families;
using Glmm.Model;

namespace Glmm;

/// <summary>One fixed effect: estimate, standard error, Wald z and its two-sided p value.</summary>
/// <param name="Name">Column name as R's model.matrix names it.</param>
/// <param name="Estimate">β̂.</param>
/// <param name="StdError">Standard error of β̂.</param>
/// <param name="Z">Wald z = estimate / standard error (for a linear mixed model the same ratio, a t statistic: see <see cref="Df"/>).</param>
/// <param name="P">Two-sided p value of z (for a linear mixed model, of t on <see cref="Df"/> degrees of freedom).</param>
public sealed record FixedEffectEstimate(string Name, double Estimate, double StdError, double Z, double P)
{
    /// <summary>For a linear mixed model, the Satterthwaite denominator degrees of freedom of the t statistic <see cref="Z"/>
    /// (lmerTest's default), and <see cref="P"/> is from the t distribution; NaN for a Wald z.</summary>
    public double Df { get; init; } = double.NaN;
}

/// <summary>The estimated covariance of one random-effects term: SDs and correlations (lme4's VarCorr).</summary>
/// <param name="Group">Grouping factor name.</param>
/// <param name="Terms">Term names, e.g. <c>(Intercept)</c>, <c>urbanY</c>.</param>
/// <param name="StdDev">Standard deviation of each term.</param>
/// <param name="Correlation">Correlation matrix (q×q).</param>
/// <param name="Levels">Number of levels of the grouping factor.</param>
public sealed record RandomEffectsComponent(string Group, IReadOnlyList<string> Terms, IReadOnlyList<double> StdDev, ReadOnlyMatrix Correlation, int Levels)
{
    /// <summary>Term names, e.g. <c>(Intercept)</c>, <c>urbanY</c> (a read-only copy).</summary>
    public IReadOnlyList<string> Terms { get; init; } = Array.AsReadOnly(Terms.ToArray());

    /// <summary>Standard deviation of each term (a read-only copy).</summary>
    public IReadOnlyList<double> StdDev { get; init; } = Array.AsReadOnly(StdDev.ToArray());

    /// <summary>Variances (squared SDs).</summary>
    public IReadOnlyList<double> Variance => Array.AsReadOnly(StdDev.Select(s => s * s).ToArray());
}

/// <summary>A conditional mode of one random effect (lme4's <c>ranef</c>, on the scale of b = Λu).</summary>
/// <param name="Group">Grouping factor.</param>
/// <param name="Level">Level name.</param>
/// <param name="Term">Term name.</param>
/// <param name="Mode">Conditional mode.</param>
/// <param name="ConditionalSD">Conditional standard deviation (from the Laplace approximation).</param>
public sealed record RandomEffectPrediction(string Group, string Level, string Term, double Mode, double ConditionalSD);

/// <summary>
/// The result of fitting a GLMM: estimates, standard errors, random-effect covariances, fit statistics,
/// conditional modes and convergence diagnostics. Immutable: every collection is a read-only copy.
/// </summary>
public sealed class GlmmFit
{
    /// <summary>How the criterion was computed (JSON <c>method</c>: <see cref="FitNames.Name(FitMethod)"/>).</summary>
    public required FitMethod Method { get; init; }

    /// <summary>nAGQ: 0, 1 (Laplace) or the number of quadrature points per dimension.</summary>
    public int NAgq { get; init; } = 1;

    /// <summary>For adaptive quadrature, the grid; null otherwise.</summary>
    public QuadratureGrid? Grid { get; init; }

    /// <summary>Quadrature nodes per cluster (1 for Laplace).</summary>
    public int NodesPerCluster { get; init; } = 1;

    /// <summary>The REML variant, or null for a maximum-likelihood fit.</summary>
    public RemlVariant? Reml { get; init; }

    /// <summary>The restricted log-likelihood criterion at the REML optimum (NaN for ML fits). Not comparable with <see cref="LogLik"/>.</summary>
    public double RestrictedLogLik { get; init; } = double.NaN;


    /// <summary>For a linear mixed model fitted by REML, lmer's REMLcrit: −2 × the restricted log-likelihood at the optimum; NaN otherwise.</summary>
    public double RemlCriterion { get; init; } = double.NaN;

    /// <summary>The normal prior on β the fit was penalized with (blme's fixef.prior), or null for maximum likelihood.</summary>
    public NormalPrior? FixedEffectsPrior { get; init; }

    /// <summary>With <see cref="FixedEffectsPrior"/>: −2 × the penalized log-likelihood at the estimates, the criterion the fit
    /// minimised (the deviance plus Σ βⱼ²/σⱼ²); NaN otherwise. <see cref="LogLik"/> stays the unpenalized log-likelihood.</summary>
    public double PenalizedDeviance { get; init; } = double.NaN;

    /// <summary>The family and its link.</summary>
    public required Family Family { get; init; }

    /// <summary>The formula as given.</summary>
    public required string Formula { get; init; }

    /// <summary>Name of the data (file name) for the summary; may be empty.</summary>
    public string DataName { get; init; } = "";

    /// <summary>Number of observations used.</summary>
    public required int Nobs { get; init; }

    /// <summary>Rows dropped because of missing values.</summary>
    public int DroppedRows { get; init; }

    /// <summary>For each observation used in the fit (the order of residuals, fitted values and simulations), its row in the data table (0-based).</summary>
    public IReadOnlyList<int> RowsUsed => Array.AsReadOnly(Model.RowIndex);

    /// <summary>Why rows were dropped.</summary>
    public string DroppedReason { get; init; } = "";

    /// <summary>
    /// The maximised log-likelihood (Laplace or AGQ), with every constant; for a REML fit, the marginal
    /// log-likelihood at the REML estimates (not maximised: not for likelihood-ratio tests); for a linear mixed model
    /// fitted by REML, as lme4's <c>logLik(fit, REML = FALSE)</c>: the ML log-likelihood profiled over σ at the REML θ.
    /// </summary>
    public required double LogLik { get; init; }

    /// <summary>−2 logLik.</summary>
    public double Deviance => -2.0 * LogLik;

    /// <summary>Number of estimated parameters (β and θ, and σ for a linear mixed model).</summary>
    public required int ParameterCount { get; init; }

    /// <summary>The family's dispersion parameter at the estimates on its natural scale (Gamma: φ = 1/shape; nbinom2: θ); NaN for binomial and Poisson.</summary>
    public double Dispersion { get; init; } = double.NaN;

    /// <summary>
    /// glmmTMB's <c>sigma()</c>: the residual standard deviation of a linear mixed model (lme4's <c>sigma()</c>), 1/√shape for
    /// Gamma, θ for nbinom2; NaN for families without one (binomial, Poisson).
    /// </summary>
    public double Sigma { get; init; } = double.NaN;

    /// <summary>
    /// The standard error of <see cref="Sigma"/>: for a linear mixed model from the Hessian of the criterion in (θ, σ), as
    /// lmerTest's; otherwise by the delta method from log φ's variance in the Hessian; NaN when not available.
    /// </summary>
    public double SigmaStdError { get; init; } = double.NaN;

    /// <summary>AIC = −2 logLik + 2 × parameters.</summary>
    public double AIC => Deviance + 2.0 * ParameterCount;

    /// <summary>BIC = −2 logLik + log(n) × parameters.</summary>
    public double BIC => Deviance + Math.Log(Nobs) * ParameterCount;

    /// <summary>Residual degrees of freedom: n − parameters.</summary>
    public int DfResidual => Nobs - ParameterCount;

    /// <summary>Fixed effects.</summary>
    public required IReadOnlyList<FixedEffectEstimate> FixedEffects { get => _fixedEffects; init => _fixedEffects = ReadOnly(value); }

    /// <summary>Covariance matrix of β̂ (p×p).</summary>
    public required ReadOnlyMatrix FixedEffectsCovariance { get; init; }

    /// <summary>
    /// For a linear mixed model, the method of the t tests' denominator df (<see cref="FixedEffectEstimate.Df"/>); null for
    /// the other families (Wald z).
    /// </summary>
    public DenominatorDf? Ddf { get; init; }

    /// <summary>
    /// With <see cref="DenominatorDf.KenwardRoger"/>, the Kenward–Roger adjusted covariance of β̂ (pbkrtest's <c>vcovAdj</c>),
    /// of which the fixed effects' standard errors are the square roots of the diagonal; null otherwise.
    /// <see cref="FixedEffectsCovariance"/> stays the unadjusted one (lme4's vcov).
    /// </summary>
    public ReadOnlyMatrix? AdjustedFixedEffectsCovariance { get; init; }

    /// <summary>Where the covariance of β̂ came from.</summary>
    public CovarianceSource CovarianceSource { get; init; } = CovarianceSource.Hessian;

    /// <summary>Random-effect SDs and correlations, one entry per term in lme4's order.</summary>
    public required IReadOnlyList<RandomEffectsComponent> RandomEffects { get => _randomEffects; init => _randomEffects = ReadOnly(value); }

    /// <summary>θ at the optimum: the lower-triangular entries of each term's factor of Λ, column by column.</summary>
    public required IReadOnlyList<double> Theta { get => _theta; init => _theta = ReadOnly(value); }

    /// <summary>Conditional modes of the random effects with conditional SDs.</summary>
    public required IReadOnlyList<RandomEffectPrediction> ConditionalModes { get => _modes; init => _modes = ReadOnly(value); }

    /// <summary>Quantiles (min, 1Q, median, 3Q, max) of the Pearson residuals.</summary>
    public required IReadOnlyList<double> ScaledResidualQuantiles { get => _quantiles; init => _quantiles = ReadOnly(value); }

    /// <summary>True when the optimiser converged and the convergence checks passed.</summary>
    public required bool Converged { get; init; }

    /// <summary>True when the random-effects covariance is singular (a diagonal θ on its bound).</summary>
    public required bool Singular { get; init; }

    /// <summary>Convergence and other warnings (empty when the fit is sound).</summary>
    public required IReadOnlyList<string> Warnings { get => _warnings; init => _warnings = ReadOnly(value); }

    /// <summary>Objective (deviance) evaluations by the optimisers.</summary>
    public required int Evaluations { get; init; }

    /// <summary>
    /// PIRLS sweeps over the data (each computes μ, the weights and the factor at a new mode iterate), in all
    /// stages and the final derivative checks: with <see cref="Evaluations"/>, how far the fit is from the floor
    /// of one sweep per evaluation.
    /// </summary>
    public int Sweeps { get; init; }

    /// <summary>Wall-clock seconds of the fit.</summary>
    public double Seconds { get; init; }

    /// <summary>
    /// Every evaluation of the criterion in the order the fit made them (MixedModels.jl's <c>fitlog</c>): stage, θ, β and
    /// the criterion. Empty for a fit read from a saved model.
    /// </summary>
    public IReadOnlyList<FitEvaluation> FitLog { get; internal set; } = [];

    /// <summary>The solver the Laplace approximation used (<see cref="LinearSolver.Cholesky"/> or <see cref="LinearSolver.Iterative"/>; never Auto).</summary>
    public LinearSolver Solver { get; init; } = LinearSolver.Cholesky;

    /// <summary>Why <see cref="Solver"/> was used: "asked for", or auto's prediction of the exact factor's cost.</summary>
    public string SolverReason { get; init; } = "";

    /// <summary>The iterative solver's settings and accuracy (null for the exact factor).</summary>
    public IterativeSolverReport? Iterative { get; init; }

    /// <summary>β̂ in the order of <see cref="FixedEffects"/>.</summary>
    public required IReadOnlyList<double> Beta { get => _beta; init => _beta = ReadOnly(value); }

    /// <summary>Linear predictor η = Xβ̂ + ZΛũ + offset per observation (in the order of the rows kept).</summary>
    public required IReadOnlyList<double> LinearPredictor { get => _eta; init => _eta = ReadOnly(value); }

    /// <summary>Fitted means μ = g⁻¹(η) per observation (in the order of the rows kept).</summary>
    public required IReadOnlyList<double> Fitted { get => _mu; init => _mu = ReadOnly(value); }

    /// <summary>The model structure the fit was made on (response, X, random-effect terms, rows kept); the engine's, not to be changed.</summary>
    internal ModelStructure Model { get; init; } = null!;

    /// <summary>The options the fit was made with.</summary>
    public required GlmmOptions Options { get; init; }

    /// <summary>Conditional modes b̃ = Λũ per random-effects term (in the order of <see cref="RandomEffects"/>), level-major: level l, effect j at l·q + j.</summary>
    public required IReadOnlyList<IReadOnlyList<double>> RandomEffectModes
    {
        get => _randomEffectModes;
        init => _randomEffectModes = ReadOnly(value.Select(ReadOnly).ToArray());
    }

    /// <summary>The lme4-style summary (as <c>summary(glmer(...))</c> prints it).</summary>
    public string Summary() => Results.SummaryWriter.Write(this);

    /// <summary>The fit as one JSON object (the CLI's <c>--format json</c>); with the conditional modes when <paramref name="includeRanef"/>.</summary>
    public string ToJson(bool includeRanef = false) => Results.JsonWriter.Write(this, includeRanef);

    /// <summary>DHARMa's simulation-based residual check: quantile residuals and the uniformity, dispersion, zero-inflation and outlier tests.</summary>
    public Inference.ResidualCheck CheckResiduals(Inference.ResidualCheckOptions? options = null) => Inference.QuantileResiduals.Check(this, options);

    /// <summary>"Is Laplace enough?": refits with K = 1, 3, 5, … quadrature points until the log-likelihood is stable.</summary>
    public Inference.QuadratureCheck CheckQuadrature(Inference.QuadratureCheckOptions? options = null) => Inference.QuadratureCheck.Run(this, options);

    /// <summary>Correlation matrix of β̂.</summary>
    public ReadOnlyMatrix FixedEffectsCorrelation
    {
        get
        {
            int p = FixedEffects.Count;
            var c = new double[p, p];
            for (int i = 0; i < p; i++)
                for (int j = 0; j < p; j++)
                    c[i, j] = FixedEffectsCovariance[i, j] / Math.Sqrt(FixedEffectsCovariance[i, i] * FixedEffectsCovariance[j, j]);
            return new ReadOnlyMatrix(c);
        }
    }

    private readonly IReadOnlyList<FixedEffectEstimate> _fixedEffects = [];
    private readonly IReadOnlyList<RandomEffectsComponent> _randomEffects = [];
    private readonly IReadOnlyList<double> _theta = [], _quantiles = [], _beta = [], _eta = [], _mu = [];
    private readonly IReadOnlyList<RandomEffectPrediction> _modes = [];
    private readonly IReadOnlyList<string> _warnings = [];
    private readonly IReadOnlyList<IReadOnlyList<double>> _randomEffectModes = [];

    /// <summary>A read-only copy (the caller's list can change afterwards without changing the fit).</summary>
    private static ReadOnlyCollection<T> ReadOnly<T>(IEnumerable<T> values) => Array.AsReadOnly(values.ToArray());
}
