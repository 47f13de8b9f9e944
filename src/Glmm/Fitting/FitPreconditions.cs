using System.Globalization;
using Glmm.Families;
using Glmm.Model;

namespace Glmm.Fitting;

/// <summary>What every fit starts from: the model in the engine's column scaling, the starting GLM and the warnings
/// the data give (R's, copied from the GLM).</summary>
/// <param name="Model">The model with X in the internal scaling.</param>
/// <param name="Scaling">The column scaling (identity for well-scaled columns).</param>
/// <param name="Glm">The GLM without random effects on the scaled model (β's start, as glmer's).</param>
/// <param name="Warnings">Warnings about the data (non-integer successes, …), in R's words.</param>
internal sealed record FitStart(ModelStructure Model, FixedEffectsScaling Scaling, GlmFitResult? Glm, IReadOnlyList<string> Warnings)
{
    /// <summary>The starting GLM (present unless a prior was given and the GLM could not be fitted).</summary>
    public GlmFitResult RequireGlm => Glm ?? throw new InvalidOperationException("no starting GLM");
}

/// <summary>
/// The checks that decide, before any iteration, whether a model can be fitted, and the diagnosis when a fit fails
/// later: every "could not be fitted" names its cause — all prior weights zero, non-integer Poisson counts, a covariate
/// too large for the arithmetic, separation of the fixed effects (<see cref="SeparationCheck"/>), η overflowing.
/// </summary>
internal static class FitPreconditions
{
    /// <summary>Covariate values beyond this magnitude are refused: their squares overflow the normal equations.</summary>
    public const double MaxAbsCovariate = 1e150;

    /// <summary>The prefix of every message about a model that cannot be fitted.</summary>
    public const string Prefix = "the model could not be fitted: ";

    /// <summary>Validates the data for the options' family, scales X, fits the starting GLM and checks for separation.</summary>
    public static FitStart Prepare(ModelStructure model, GlmmOptions options)
    {
        var family = options.Family;
        if (options.FixedEffectsPrior is not null && (options.NAgq != 1 || options.Reml is not null))
            throw new GlmmInputException("--fixef-prior needs the Laplace criterion (--nagq 1, no --reml): with nAGQ = 0 beta is estimated inside PIRLS, and the prior is not defined for quadrature or REML here");
        family.ValidateResponse(model.Y, model.Weights);
        bool anyWeight = false;
        foreach (double w in model.Weights) if (w > 0) { anyWeight = true; break; }
        if (!anyWeight)
            throw new GlmmInputException(Prefix + (options.WeightsColumn is { } wc
                ? $"every prior weight is zero (weights column '{wc}'), so no row carries information"
                : model.ResponseKind == ResponseKind.SuccessFailure
                    ? "every row has zero trials (successes + failures), so no row carries information"
                    : "every prior weight is zero, so no row carries information"));
        if (family is Poisson)
        {
            var w = family.ResponseWarnings(model.Y, model.Weights);
            if (w.Count > 0) throw new GlmmInputException(Prefix + w[0]);
        }
        CheckCovariates(model);
        var scaling = FixedEffectsScaling.For(model.X,
            options.Reml is null && options.NAgq <= 1 ? FixedEffectsScaling.Band : FixedEffectsScaling.WideBand);
        var scaled = scaling.Apply(model);
        var warnings = new List<string>(family.ResponseWarnings(model.Y, model.Weights));
        GlmFitResult? glm = null;
        SeparationResult? separation = null;
        try
        {
            glm = GlmIrls.Fit(family, scaled.X, scaled.Y, scaled.Weights, scaled.Offset);
            if (family.HasDispersion) glm = StartDispersion(family, scaled, glm);
        }
        catch (GlmmInputException) when ((separation = SeparationCheck.Run(scaled, family)) is { Separated: true })
        {
        }
        bool suspicious = glm is null || !glm.Converged || NearTheBound(glm, family);
        if (suspicious && (separation ??= SeparationCheck.Run(scaled, family)) is { Separated: true } sep)
        {
            // Without a prior the estimates are infinite: stop with the cause. With one they are finite: say so.
            if (options.FixedEffectsPrior is null) throw new GlmmInputException(SeparationMessage(sep));
            warnings.Add($"the fixed effects are {(sep.Complete ? "completely" : "quasi-completely")} separated ({sep.Describe()} diverge by maximum likelihood); the normal prior keeps their estimates finite, and their standard errors reflect the prior more than the data");
        }
        return new FitStart(scaled, scaling, glm, warnings);
    }

    /// <summary>
    /// The starting dispersion: its maximum-likelihood value at the GLM's μ, alternated with the GLM at that dispersion
    /// (which moves β for nbinom2, whose weights depend on θ; Gamma's β does not depend on φ) a few times. The family's
    /// working dispersion is left at the start.
    /// </summary>
    private static GlmFitResult StartDispersion(Family family, ModelStructure model, GlmFitResult glm)
    {
        family.Dispersion = 1.0;
        double previous = double.NaN;
        for (int round = 0; round < 5; round++)
        {
            double d = family.EstimateDispersion(model.Y, glm.FittedMu.ToArray(), model.Weights);
            if (family is Gamma or Gaussian || Math.Abs(Math.Log(d / previous)) < 1e-3) break;
            previous = d;
            glm = GlmIrls.Fit(family, model.X, model.Y, model.Weights, model.Offset);
        }
        return glm;
    }

    /// <summary>
    /// The trigger of the linear program: some fitted μ of the starting GLM within 1e-4 of the bound (a probability of
    /// 0 or 1, a rate of 0), where a separating direction would have driven it. R's glm warns only at 1e-15, which
    /// misses quasi-separation: there the GLM stops at |β| ≈ 20 with μ = 1 − 2e-9.
    /// </summary>
    private static bool NearTheBound(GlmFitResult glm, Family family)
    {
        const double near = 1e-4;
        if (family is Gamma or Gaussian) return false;
        foreach (double mu in glm.FittedMu)
            if (family is Poisson or NegativeBinomial2 or NegativeBinomial1 ? mu < near : mu < near || mu > 1 - near) return true;
        return false;
    }

    /// <summary>The one line for separated data.</summary>
    public static string SeparationMessage(SeparationResult s) =>
        Prefix + $"the fixed effects are {(s.Complete ? "completely" : "quasi-completely")} separated: the likelihood keeps rising as {s.Describe()} diverge, " +
        $"which fits {(s.Complete ? "every row" : "some rows")} exactly (lme4 and glmmTMB report huge estimates and standard errors here); " +
        "remove or merge the separating terms";

    /// <summary>
    /// The cause of a fit whose criterion is not finite at the estimates: separation if the linear program finds it,
    /// else η overflowing.
    /// </summary>
    public static string Diagnose(ModelStructure scaledModel, Family family, IReadOnlyList<double> eta)
    {
        if (SeparationCheck.Run(scaledModel, family) is { Separated: true } s) return SeparationMessage(s);
        double max = 0;
        foreach (double e in eta) if (double.IsFinite(e)) max = Math.Max(max, Math.Abs(e));
        string largest = max > 0 ? string.Create(CultureInfo.InvariantCulture, $" (|eta| reached {max:G3})") : "";
        return Prefix + $"the linear predictor eta overflowed{largest}, so the {family.Name} likelihood is not finite at the estimates; check the response, the family and link, and covariates on extreme scales";
    }

    /// <summary>Columns whose root mean square is below this are refused: the variance of their coefficient overflows.</summary>
    public const double MinRmsCovariate = 1e-100;

    private static void CheckCovariates(ModelStructure model)
    {
        var x = model.X;
        for (int j = 0; j < x.Columns; j++)
        {
            var col = x.Column(j);
            double max = 0, ss = 0;
            foreach (double v in col) if (double.IsFinite(v)) max = Math.Max(max, Math.Abs(v));
            if (max > 0 && max < 1)
            {
                foreach (double v in col) ss += (v / max) * (v / max);
                double rms = max * Math.Sqrt(ss / col.Length);
                if (rms < MinRmsCovariate)
                    throw new GlmmInputException(Prefix + string.Create(CultureInfo.InvariantCulture,
                        $"fixed-effects column '{x.Names[j]}' has values of order {rms:G3} (root mean square): below {MinRmsCovariate:G3} the variance of its coefficient overflows; rescale it"));
            }
            for (int i = 0; i < col.Length; i++)
            {
                double v = col[i];
                if (double.IsFinite(v) && Math.Abs(v) <= MaxAbsCovariate) continue;
                string value = double.IsFinite(v) ? v.ToString("G6", CultureInfo.InvariantCulture) : "a non-finite value";
                throw new GlmmInputException(Prefix +
                    $"fixed-effects column '{x.Names[j]}' holds {value} at data row {model.RowIndex[i] + 1}: beyond {MaxAbsCovariate.ToString("G3", CultureInfo.InvariantCulture)} its square overflows the model's arithmetic; rescale it");
            }
        }
    }
}
