using Glmm.Fitting;

namespace Glmm.Inference;

/// <summary>
/// What profiles and bootstrap replicates share: the fit's criterion (Laplace, or quadrature for nAGQ &gt; 1) in
/// (θ, β) from <see cref="CriterionFactory.ForRefits"/> — single-threaded, with its own PIRLS state, so that many run
/// side by side — and a refit from given estimates by the derivative-free joint stage.
/// </summary>
internal static class Refits
{
    /// <summary>
    /// The profile and bootstrap need a maximum-likelihood fit of a model this engine can evaluate; a family with a
    /// dispersion parameter (or the linear mixed model's σ) only where the refits carry it (<paramref name="carriesDispersion"/>:
    /// the bootstrap, the profile).
    /// </summary>
    public static void CheckFit(GlmmFit fit, string what, bool carriesDispersion = false)
    {
        if (fit.Family is Families.Gaussian { IsLinearMixedModel: true } && !carriesDispersion)
            throw new GlmmInputException($"{what} is not available for the gaussian family yet (the refits would need the residual SD); Wald and bootstrap intervals are (--confint wald, --confint boot)");
        if (fit.Reml is not null)
            throw new GlmmInputException($"{what} needs a maximum-likelihood fit, not a REML fit (refit without --reml)");
        if (fit.FixedEffectsPrior is not null)
            throw new GlmmInputException($"{what} needs a maximum-likelihood fit, not a penalized one (refit without --fixef-prior; Wald intervals are available)");
        if (fit.NAgq == 0)
            throw new GlmmInputException($"{what} needs the Laplace or AGQ criterion (--nagq 1 or more), not --nagq 0");
        if (fit.Family.HasDispersion && !carriesDispersion)
            throw new GlmmInputException($"{what} is not yet available for the {fit.Family.Name} family (its refits do not carry the dispersion parameter); Wald and bootstrap intervals are available");
    }

    /// <summary>The deviance of the fit's criterion at x = (θ, β) for a model laid out as <paramref name="layout"/>; +∞ where it is not finite.</summary>
    public static Func<double[], double> Criterion(EngineLayout layout, GlmmOptions options)
    {
        var criterion = CriterionFactory.ForRefits(layout, options).Marginal();
        return x =>
        {
            double d = criterion.Evaluate(x);
            return double.IsFinite(d) ? d : double.PositiveInfinity;
        };
    }

    /// <summary>
    /// The refit of a family with a dispersion parameter: the Laplace (or, for nAGQ &gt; 1, quadrature) deviance in (θ, β, log φ) on its own copy of the
    /// family (replicates run side by side), minimised derivative-free from (θ0, β0, log φ0), log φ in units of
    /// <paramref name="logDispersionScale"/>. Returns the stage's result with β without log φ, and φ.
    /// </summary>
    public static (StageResult Result, double Dispersion) RefitWithDispersion(Model.ModelStructure model, Families.Family family, GlmmOptions options,
        double[] theta0, double[] beta0, double[] scale, double logDispersion0, double logDispersionScale)
    {
        var layout = new EngineLayout(model, family.ForFit());
        var criterion = CriterionFactory.ForRefits(layout, options).MarginalWithDispersion();
        Func<double[], double> f = x =>
        {
            double d = criterion.Evaluate(x);
            return double.IsFinite(d) ? d : double.PositiveInfinity;
        };
        var refit = Stages.Stage2DerivativeFree(f, theta0, [.. beta0, logDispersion0], [.. scale, logDispersionScale], layout.Random, FitControl.From(options));
        return (refit with { Beta = refit.Beta[..^1] }, Math.Exp(refit.Beta[^1]));
    }

    /// <summary>Minimises <paramref name="criterion"/> over (θ, β) from (θ0, β0); β measured in units of <paramref name="scale"/>.</summary>
    public static StageResult Refit(Func<double[], double> criterion, EngineLayout layout, double[] theta0, double[] beta0, double[] scale, GlmmOptions options) =>
        Stages.Stage2DerivativeFree(criterion, theta0, beta0, scale, layout.Random, FitControl.From(options));

    /// <summary>The fit's β standard errors (1 where not finite), the scale of β in the optimisers.</summary>
    public static double[] BetaScale(GlmmFit fit)
    {
        var s = new double[fit.FixedEffects.Count];
        for (int j = 0; j < s.Length; j++)
        {
            double se = fit.FixedEffects[j].StdError;
            s[j] = se > 0 && double.IsFinite(se) ? se : 1.0;
        }
        return s;
    }
}
