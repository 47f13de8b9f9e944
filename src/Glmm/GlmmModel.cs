using Glmm.Fitting;
using Glmm.Model;

namespace Glmm;

/// <summary>The entry point: fit a generalized linear mixed model to a table with an lme4-style formula.</summary>
public static class GlmmModel
{
    /// <summary>
    /// Fits <paramref name="formula"/> (e.g. <c>cbind(incidence, size - incidence) ~ period + (1 | herd)</c>)
    /// to <paramref name="data"/> by maximum likelihood (Laplace approximation unless options say otherwise).
    /// Throws <see cref="GlmmInputException"/> for bad input, with a one-line message.
    /// </summary>
    public static GlmmFit Fit(string formula, DataTable data, GlmmOptions? options = null)
    {
        options ??= new GlmmOptions();
        var model = ModelBuilder.Build(formula, data, new ModelBuildOptions { WeightsColumn = options.WeightsColumn });
        return Fit(model, options);
    }

    /// <summary>Fits an already built model structure.</summary>
    public static GlmmFit Fit(ModelStructure model, GlmmOptions? options = null)
    {
        options ??= new GlmmOptions();
        SolverChoice.CheckOptions(options);
        // The identity link is the linear mixed model; the other links go through the GLMM path with σ² as the dispersion.
        if (options.Family is Families.Gaussian { IsLinearMixedModel: true }) return LmmFitter.Fit(model, options);
        return options.Reml is null ? Fitter.Fit(model, options) : RemlFitter.Fit(model, options);
    }
}
