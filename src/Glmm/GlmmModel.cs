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
    public static GlmmFit Fit(string formula, DataTable data, GlmmOptions? options = null) =>
        Fit(formula, data, options, progress: null);

    /// <summary>
    /// Fits <paramref name="formula"/> to <paramref name="data"/>, reporting every evaluation of the criterion to
    /// <paramref name="progress"/> (on the calling thread, as it happens; the same entries end up in
    /// <see cref="GlmmFit.FitLog"/>) and stopping between evaluations with <see cref="OperationCanceledException"/> when
    /// <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public static GlmmFit Fit(string formula, DataTable data, GlmmOptions? options, IProgress<FitEvaluation>? progress,
        CancellationToken cancellationToken = default)
    {
        options ??= new GlmmOptions();
        var model = ModelBuilder.Build(formula, data, new ModelBuildOptions { WeightsColumn = options.WeightsColumn });
        return Fit(model, options, progress, cancellationToken);
    }

    /// <summary>Fits an already built model structure.</summary>
    public static GlmmFit Fit(ModelStructure model, GlmmOptions? options = null) => Fit(model, options, progress: null);

    /// <summary>Fits an already built model structure, with progress and cancellation as <see cref="Fit(string, DataTable, GlmmOptions?, IProgress{FitEvaluation}?, CancellationToken)"/>.</summary>
    public static GlmmFit Fit(ModelStructure model, GlmmOptions? options, IProgress<FitEvaluation>? progress,
        CancellationToken cancellationToken = default)
    {
        options ??= new GlmmOptions();
        cancellationToken.ThrowIfCancellationRequested();
        using (FitMonitor.Attach(progress, cancellationToken, out var monitor))
        {
            var fit = FitModel(model, options);
            fit.FitLog = monitor.Log;
            return fit;
        }
    }

    private static GlmmFit FitModel(ModelStructure model, GlmmOptions options)
    {
        SolverChoice.CheckOptions(options);
        if (options.Ddf != DenominatorDf.Satterthwaite && options.Family is not Families.Gaussian { IsLinearMixedModel: true })
            throw new GlmmInputException($"--ddf {options.Ddf.Name()} applies to a linear mixed model (gaussian family, identity link) only: the other families' tests are Wald z");
        // The identity link is the linear mixed model; the other links go through the GLMM path with σ² as the dispersion.
        if (options.Family is Families.Gaussian { IsLinearMixedModel: true }) return LmmFitter.Fit(model, options);
        return options.Reml is null ? Fitter.Fit(model, options) : RemlFitter.Fit(model, options);
    }
}
