namespace Glmm;

/// <summary>
/// One evaluation of a fit's criterion, as the optimiser saw it (MixedModels.jl's <c>fitlog</c>): the stage, the running
/// count, θ, β (on the scale of the model's columns; empty where β is profiled out, as in the linear mixed model), the
/// dispersion parameter where the family has one, and the criterion (a deviance: −2 log L, or the REML criterion).
/// Reported as it happens through <see cref="IProgress{T}"/> and kept in <see cref="GlmmFit.FitLog"/>.
/// </summary>
/// <param name="Stage">The criterion evaluated: e.g. "stage 1 (beta in PIRLS)", "Laplace", "quadrature", "REML".</param>
/// <param name="Evaluation">1 for the fit's first evaluation, counting every stage.</param>
/// <param name="Theta">The relative covariance parameters θ.</param>
/// <param name="Beta">The fixed effects at this evaluation (β̃ inside PIRLS in stage 1).</param>
/// <param name="Dispersion">The family's dispersion parameter (φ) at this evaluation; null when it has none.</param>
/// <param name="Objective">The criterion's value; +∞ where it could not be evaluated.</param>
public sealed record FitEvaluation(string Stage, int Evaluation, IReadOnlyList<double> Theta, IReadOnlyList<double> Beta,
    double? Dispersion, double Objective);
