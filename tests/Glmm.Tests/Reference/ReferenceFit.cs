using System.Text.Json.Serialization;

namespace Glmm.Tests.Reference;

/// <summary>
/// One package's fit in a reference fixture. Model fixtures fill the summary keys; the extension
/// fixtures add their own (AGQ constants, REML criterion, ranef/predict/confint/anova/bootstrap).
/// </summary>
internal sealed record ReferenceFit
{
    [JsonPropertyName("nAGQ")] public int? NAgq { get; init; }
    /// <summary>logLik() as the package reports it (for lme4 nAGQ &gt; 1 without the saturated constant; see <see cref="LogLikFull"/>).</summary>
    [JsonPropertyName("logLik")] public double LogLik { get; init; } = double.NaN;
    [JsonPropertyName("deviance")] public double? Deviance { get; init; }
    [JsonPropertyName("df")] public int? Df { get; init; }
    [JsonPropertyName("AIC")] public double? Aic { get; init; }
    [JsonPropertyName("BIC")] public double? Bic { get; init; }
    [JsonPropertyName("dfResidual")] public double? DfResidual { get; init; }
    [JsonPropertyName("nobs")] public int? Nobs { get; init; }
    [JsonPropertyName("fixef")] public IReadOnlyList<FixedEffectReference> Fixef { get; init; } = [];
    /// <summary>θ in lme4's convention (per term the column-major lower triangle of the relative Cholesky factor); for glmmTMB computed from its VarCorr.</summary>
    [JsonPropertyName("theta")] public IReadOnlyList<double>? Theta { get; init; }
    [JsonPropertyName("thetaNames")] public IReadOnlyList<string>? ThetaNames { get; init; }
    [JsonPropertyName("randomEffects")] public IReadOnlyList<RandomEffectReference>? RandomEffects { get; init; }
    [JsonPropertyName("ngroups")] public IReadOnlyDictionary<string, int>? NGroups { get; init; }
    [JsonPropertyName("singular")] public bool? Singular { get; init; }
    [JsonPropertyName("warnings")] public IReadOnlyList<string>? Warnings { get; init; }
    [JsonPropertyName("maxAbsGrad")] public double? MaxAbsGrad { get; init; }
    /// <summary>lme4's convergence criterion: max over components of min(|scaled gradient|, |gradient|).</summary>
    [JsonPropertyName("maxScaledGrad")] public double? MaxScaledGrad { get; init; }
    [JsonPropertyName("feval")] public int? Feval { get; init; }
    [JsonPropertyName("geval")] public int? Geval { get; init; }
    [JsonPropertyName("optimizer")] public string? Optimizer { get; init; }
    [JsonPropertyName("optimizerMessage")] public string? OptimizerMessage { get; init; }
    /// <summary>glmmTMB: the minimised objective (negative (restricted) log-likelihood).</summary>
    [JsonPropertyName("objective")] public double? Objective { get; init; }
    /// <summary>Median elapsed seconds of 3 fits in R.</summary>
    [JsonPropertyName("seconds")] public double? Seconds { get; init; }
    [JsonPropertyName("allSeconds")] public IReadOnlyList<double>? AllSeconds { get; init; }

    // issue 4 (AGQ)
    [JsonPropertyName("logLikAsReported")] public double? LogLikAsReported { get; init; }
    /// <summary>Full marginal log-likelihood with every constant (lme4 nAGQ &gt; 1 value + saturated log-likelihood).</summary>
    [JsonPropertyName("logLikFull")] public double? LogLikFull { get; init; }

    // issue 5 (REML)
    [JsonPropertyName("REML")] public bool? Reml { get; init; }
    [JsonPropertyName("restrictedLogLik")] public double? RestrictedLogLik { get; init; }

    // issue 6 (after the fit)
    [JsonPropertyName("ranef")] public IReadOnlyList<RanefReference>? Ranef { get; init; }
    /// <summary>1-based data rows of the predictions below.</summary>
    [JsonPropertyName("predictRows")] public IReadOnlyList<int>? PredictRows { get; init; }
    [JsonPropertyName("predictLink")] public IReadOnlyList<double>? PredictLink { get; init; }
    [JsonPropertyName("predictLinkNoRandom")] public IReadOnlyList<double>? PredictLinkNoRandom { get; init; }
    [JsonPropertyName("predictResponse")] public IReadOnlyList<double>? PredictResponse { get; init; }
    [JsonPropertyName("predictResponseNoRandom")] public IReadOnlyList<double>? PredictResponseNoRandom { get; init; }
    [JsonPropertyName("confintLevel")] public double? ConfintLevel { get; init; }
    [JsonPropertyName("confintWald")] public IReadOnlyList<ConfidenceIntervalReference>? ConfintWald { get; init; }
    [JsonPropertyName("confintProfile")] public IReadOnlyList<ConfidenceIntervalReference>? ConfintProfile { get; init; }
    [JsonPropertyName("confintProfileError")] public IReadOnlyList<string>? ConfintProfileError { get; init; }
    [JsonPropertyName("confintProfileWarnings")] public IReadOnlyList<string>? ConfintProfileWarnings { get; init; }
    [JsonPropertyName("confintProfileSeconds")] public double? ConfintProfileSeconds { get; init; }
    [JsonPropertyName("anova")] public AnovaReference? Anova { get; init; }
    [JsonPropertyName("bootstrap")] public BootstrapReference? Bootstrap { get; init; }

    /// <summary>The fixed effect named as R names it; throws if absent.</summary>
    public FixedEffectReference FixedEffect(string name) =>
        Fixef.FirstOrDefault(f => f.Name == name) ?? throw new KeyNotFoundException($"no fixed effect '{name}'");

    /// <summary>The random-effect term of grouping factor <paramref name="group"/>; throws if absent.</summary>
    public RandomEffectReference RandomEffect(string group) =>
        RandomEffects?.FirstOrDefault(r => r.Group == group) ?? throw new KeyNotFoundException($"no random effect for '{group}'");
}

internal sealed record FixedEffectReference
{
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("estimate")] public double Estimate { get; init; }
    [JsonPropertyName("stdError")] public double StdError { get; init; }
    [JsonPropertyName("z")] public double Z { get; init; }
    [JsonPropertyName("p")] public double P { get; init; }
}

internal sealed record RandomEffectReference
{
    [JsonPropertyName("group")] public required string Group { get; init; }
    [JsonPropertyName("terms")] public required IReadOnlyList<string> Terms { get; init; }
    [JsonPropertyName("stdDev")] public required IReadOnlyList<double> StdDev { get; init; }
    /// <summary>Row-major correlation matrix, terms × terms.</summary>
    [JsonPropertyName("correlation")] public required IReadOnlyList<IReadOnlyList<double>> Correlation { get; init; }
}

internal sealed record RanefReference
{
    [JsonPropertyName("group")] public required string Group { get; init; }
    [JsonPropertyName("level")] public required string Level { get; init; }
    [JsonPropertyName("term")] public required string Term { get; init; }
    [JsonPropertyName("mode")] public double Mode { get; init; }
    [JsonPropertyName("condSD")] public double CondSD { get; init; }
}

/// <summary>An interval; bounds are null where lme4 gives NA (Wald intervals of SDs).</summary>
internal sealed record ConfidenceIntervalReference
{
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("lower")] public double? Lower { get; init; }
    [JsonPropertyName("upper")] public double? Upper { get; init; }
}

internal sealed record AnovaReference
{
    [JsonPropertyName("models")] public required IReadOnlyDictionary<string, string> Models { get; init; }
    [JsonPropertyName("call")] public string? Call { get; init; }
    [JsonPropertyName("table")] public required IReadOnlyList<AnovaRowReference> Table { get; init; }
}

internal sealed record AnovaRowReference
{
    [JsonPropertyName("model")] public required string Model { get; init; }
    [JsonPropertyName("npar")] public int NPar { get; init; }
    [JsonPropertyName("AIC")] public double Aic { get; init; }
    [JsonPropertyName("BIC")] public double Bic { get; init; }
    [JsonPropertyName("logLik")] public double LogLik { get; init; }
    [JsonPropertyName("deviance")] public double Deviance { get; init; }
    [JsonPropertyName("Chisq")] public double? Chisq { get; init; }
    [JsonPropertyName("Df")] public int? Df { get; init; }
    [JsonPropertyName("p")] public double? P { get; init; }
}

internal sealed record BootstrapReference
{
    [JsonPropertyName("nsim")] public int NSim { get; init; }
    [JsonPropertyName("seed")] public int Seed { get; init; }
    [JsonPropertyName("statistic")] public string? Statistic { get; init; }
    [JsonPropertyName("original")] public double Original { get; init; }
    [JsonPropertyName("nFinite")] public int NFinite { get; init; }
    [JsonPropertyName("nZero")] public int NZero { get; init; }
    [JsonPropertyName("mean")] public double Mean { get; init; }
    [JsonPropertyName("sd")] public double SD { get; init; }
    /// <summary>quantile(type = 7) of the replicates.</summary>
    [JsonPropertyName("percentile")] public required BootstrapInterval Percentile { get; init; }
    /// <summary>boot::boot.ci(type = "perc").</summary>
    [JsonPropertyName("percentileBootCi")] public BootstrapInterval? PercentileBootCi { get; init; }
    [JsonPropertyName("monteCarloSE")] public required BootstrapMonteCarloError MonteCarloSE { get; init; }
    [JsonPropertyName("orderStatisticCI")] public BootstrapQuantileRanges? OrderStatisticCI { get; init; }
    [JsonPropertyName("replicates")] public IReadOnlyList<double?>? Replicates { get; init; }
    [JsonPropertyName("seconds")] public double? Seconds { get; init; }
}

internal sealed record BootstrapInterval
{
    [JsonPropertyName("level")] public double Level { get; init; }
    [JsonPropertyName("lower")] public double? Lower { get; init; }
    [JsonPropertyName("upper")] public double? Upper { get; init; }
    [JsonPropertyName("method")] public string? Method { get; init; }
}

internal sealed record BootstrapMonteCarloError
{
    [JsonPropertyName("lower")] public double Lower { get; init; }
    [JsonPropertyName("upper")] public double Upper { get; init; }
    [JsonPropertyName("method")] public string? Method { get; init; }
}

/// <summary>Distribution-free 95% ranges [a, b] for the lower and upper population quantiles.</summary>
internal sealed record BootstrapQuantileRanges
{
    [JsonPropertyName("lower")] public required IReadOnlyList<double> Lower { get; init; }
    [JsonPropertyName("upper")] public required IReadOnlyList<double> Upper { get; init; }
    [JsonPropertyName("method")] public string? Method { get; init; }
}

/// <summary>cbpp AGQ constants: what lme4 drops from logLik at nAGQ &gt; 1 and checks of the full value.</summary>
internal sealed record AgqConstants
{
    [JsonPropertyName("sumLchoose")] public double SumLchoose { get; init; }
    [JsonPropertyName("saturatedLogLik")] public double SaturatedLogLik { get; init; }
    [JsonPropertyName("logLikPlusSumLchoose")] public double LogLikPlusSumLchoose { get; init; }
    [JsonPropertyName("logLikPlusSaturated")] public double LogLikPlusSaturated { get; init; }
    [JsonPropertyName("logLikDirectIntegration")] public double LogLikDirectIntegration { get; init; }
    [JsonPropertyName("note")] public string? Note { get; init; }
}

/// <summary>Each package's Laplace log-likelihood at each package's estimates.</summary>
internal sealed record ObjectiveCrossCheck
{
    [JsonPropertyName("lme4ObjectiveAtLme4")] public double? Lme4ObjectiveAtLme4 { get; init; }
    [JsonPropertyName("lme4ObjectiveAtGlmmTMB")] public double? Lme4ObjectiveAtGlmmTmb { get; init; }
    [JsonPropertyName("glmmTMBObjectiveAtGlmmTMB")] public double? GlmmTmbObjectiveAtGlmmTmb { get; init; }
    [JsonPropertyName("glmmTMBObjectiveAtLme4")] public double? GlmmTmbObjectiveAtLme4 { get; init; }
    [JsonPropertyName("note")] public string? Note { get; init; }
    [JsonPropertyName("error")] public string? Error { get; init; }
}
