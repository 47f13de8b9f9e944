namespace Glmm.Results;

/// <summary>One fixed effect: estimate, standard error, Wald z and its two-sided p value.</summary>
/// <param name="Name">Column name as R's model.matrix names it.</param>
/// <param name="Estimate">β̂.</param>
/// <param name="StdError">Standard error of β̂.</param>
/// <param name="Z">Wald z = estimate / standard error.</param>
/// <param name="P">Two-sided p value of z.</param>
public sealed record FixedEffectEstimate(string Name, double Estimate, double StdError, double Z, double P);

/// <summary>The estimated covariance of one random-effects term: SDs and correlations (lme4's VarCorr).</summary>
/// <param name="Group">Grouping factor name.</param>
/// <param name="Terms">Term names, e.g. <c>(Intercept)</c>, <c>urbanY</c>.</param>
/// <param name="StdDev">Standard deviation of each term.</param>
/// <param name="Correlation">Correlation matrix (q×q).</param>
/// <param name="Levels">Number of levels of the grouping factor.</param>
public sealed record RandomEffectsComponent(string Group, IReadOnlyList<string> Terms, IReadOnlyList<double> StdDev, double[,] Correlation, int Levels)
{
    /// <summary>Variances (squared SDs).</summary>
    public IReadOnlyList<double> Variance => StdDev.Select(s => s * s).ToArray();
}

/// <summary>A conditional mode of one random effect (lme4's <c>ranef</c>, on the scale of b = Λv).</summary>
/// <param name="Group">Grouping factor.</param>
/// <param name="Level">Level name.</param>
/// <param name="Term">Term name.</param>
/// <param name="Mode">Conditional mode.</param>
/// <param name="ConditionalSD">Conditional standard deviation (from the Laplace approximation).</param>
public sealed record RandomEffectPrediction(string Group, string Level, string Term, double Mode, double ConditionalSD);

/// <summary>
/// The result of fitting a GLMM: estimates, standard errors, random-effect covariances, fit statistics,
/// conditional modes and convergence diagnostics. Immutable.
/// </summary>
public sealed class GlmmFit
{
    /// <summary>"Laplace", "nAGQ=0" or "AGQ".</summary>
    public required string Method { get; init; }

    /// <summary>nAGQ: 0, 1 (Laplace) or the number of quadrature points per dimension.</summary>
    public int NAgq { get; init; } = 1;

    /// <summary>For AGQ: "product" or "sparse"; null otherwise.</summary>
    public string? Grid { get; init; }

    /// <summary>Quadrature nodes per cluster (1 for Laplace).</summary>
    public int NodesPerCluster { get; init; } = 1;

    /// <summary>The REML variant ("laplace", "profile", "pql"), or null for a maximum-likelihood fit.</summary>
    public string? Reml { get; init; }

    /// <summary>The restricted log-likelihood criterion at the REML optimum (NaN for ML fits). Not comparable with <see cref="LogLik"/>.</summary>
    public double RestrictedLogLik { get; init; } = double.NaN;

    /// <summary>Family name.</summary>
    public required string Family { get; init; }

    /// <summary>Link name.</summary>
    public required string Link { get; init; }

    /// <summary>The formula as given.</summary>
    public required string Formula { get; init; }

    /// <summary>Name of the data (file name) for the summary; may be empty.</summary>
    public string DataName { get; init; } = "";

    /// <summary>Number of observations used.</summary>
    public required int Nobs { get; init; }

    /// <summary>Rows dropped because of missing values.</summary>
    public int DroppedRows { get; init; }

    /// <summary>Why rows were dropped.</summary>
    public string DroppedReason { get; init; } = "";

    /// <summary>
    /// The maximised log-likelihood (Laplace or AGQ), with every constant; for a REML fit, the marginal
    /// log-likelihood at the REML estimates (not maximised: not for likelihood-ratio tests).
    /// </summary>
    public required double LogLik { get; init; }

    /// <summary>−2 logLik.</summary>
    public double Deviance => -2.0 * LogLik;

    /// <summary>Number of estimated parameters (β and θ).</summary>
    public required int ParameterCount { get; init; }

    /// <summary>AIC = −2 logLik + 2 × parameters.</summary>
    public double AIC => Deviance + 2.0 * ParameterCount;

    /// <summary>BIC = −2 logLik + log(n) × parameters.</summary>
    public double BIC => Deviance + Math.Log(Nobs) * ParameterCount;

    /// <summary>Residual degrees of freedom: n − parameters.</summary>
    public int DfResidual => Nobs - ParameterCount;

    /// <summary>Fixed effects.</summary>
    public required IReadOnlyList<FixedEffectEstimate> FixedEffects { get; init; }

    /// <summary>Covariance matrix of β̂ (p×p).</summary>
    public required double[,] FixedEffectsCovariance { get; init; }

    /// <summary>Where the covariance of β̂ came from: "hessian" or "pirls".</summary>
    public string CovarianceSource { get; init; } = "hessian";

    /// <summary>Random-effect SDs and correlations, one entry per term in lme4's order.</summary>
    public required IReadOnlyList<RandomEffectsComponent> RandomEffects { get; init; }

    /// <summary>θ at the optimum.</summary>
    public required IReadOnlyList<double> Theta { get; init; }

    /// <summary>Conditional modes of the random effects with conditional SDs.</summary>
    public required IReadOnlyList<RandomEffectPrediction> ConditionalModes { get; init; }

    /// <summary>Quantiles (min, 1Q, median, 3Q, max) of the Pearson residuals.</summary>
    public required IReadOnlyList<double> ScaledResidualQuantiles { get; init; }

    /// <summary>True when the optimiser converged and the convergence checks passed.</summary>
    public required bool Converged { get; init; }

    /// <summary>True when the random-effects covariance is singular (a diagonal θ on its bound).</summary>
    public required bool Singular { get; init; }

    /// <summary>Convergence and other warnings (empty when the fit is sound).</summary>
    public required IReadOnlyList<string> Warnings { get; init; }

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

    /// <summary>β̂ in the order of <see cref="FixedEffects"/>.</summary>
    public required IReadOnlyList<double> Beta { get; init; }

    /// <summary>Linear predictor η = Xβ̂ + Zb̃ + offset per observation (in the order of the rows kept).</summary>
    public required IReadOnlyList<double> LinearPredictor { get; init; }

    /// <summary>Fitted means μ = g⁻¹(η) per observation (in the order of the rows kept).</summary>
    public required IReadOnlyList<double> Fitted { get; init; }

    /// <summary>The model structure the fit was made on (response, X, random-effect terms, rows kept).</summary>
    public required Model.ModelStructure Model { get; init; }

    /// <summary>The family and link.</summary>
    public required Families.Family FamilyObject { get; init; }

    /// <summary>The options the fit was made with.</summary>
    public required Fitting.GlmmOptions Options { get; init; }

    /// <summary>Conditional modes b̃ per random-effects term (in the order of <see cref="RandomEffects"/>), level-major: level l, effect j at l·q + j.</summary>
    public required IReadOnlyList<double[]> RandomEffectModes { get; init; }

    /// <summary>Correlation matrix of β̂.</summary>
    public double[,] FixedEffectsCorrelation
    {
        get
        {
            int p = FixedEffects.Count;
            var c = new double[p, p];
            for (int i = 0; i < p; i++)
                for (int j = 0; j < p; j++)
                    c[i, j] = FixedEffectsCovariance[i, j] / Math.Sqrt(FixedEffectsCovariance[i, i] * FixedEffectsCovariance[j, j]);
            return c;
        }
    }
}
