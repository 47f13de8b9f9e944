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
internal sealed record FitStart(ModelStructure Model, FixedEffectsScaling Scaling, GlmFitResult Glm, IReadOnlyList<string> Warnings);

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
        GlmFitResult glm;
        try
        {
            glm = GlmIrls.Fit(family, scaled.X, scaled.Y, scaled.Weights, scaled.Offset);
        }
        catch (GlmmInputException) when (SeparationCheck.Run(scaled, family) is { Separated: true } s)
        {
            throw new GlmmInputException(SeparationMessage(s));
        }
        bool suspicious = !glm.Converged || glm.Warnings.Any(w => w.Contains("numerically 0", StringComparison.Ordinal));
        if (suspicious && SeparationCheck.Run(scaled, family) is { Separated: true } sep)
            throw new GlmmInputException(SeparationMessage(sep));
        return new FitStart(scaled, scaling, glm, family.ResponseWarnings(model.Y, model.Weights));
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

    private static void CheckCovariates(ModelStructure model)
    {
        var x = model.X;
        for (int j = 0; j < x.Columns; j++)
        {
            var col = x.Column(j);
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
