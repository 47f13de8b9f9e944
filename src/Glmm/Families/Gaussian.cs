namespace Glmm.Families;

/// <summary>
/// The Gaussian family (R's <c>gaussian()</c>): V(μ) = 1, the deviance Σ wt·(y − μ)², and a residual standard
/// deviation σ that is a parameter of the model (Var(y | b) = σ²/wt). With the identity link (the default, canonical)
/// the model is the linear mixed model and is fitted as lme4's <c>lmer</c> does, by penalized least squares
/// (<see cref="Fitting.LinearMixedModel"/>); other links go through the GLMM path with σ estimated.
/// </summary>
/// <remarks>
/// The per-row log-likelihood members without σ (<see cref="Family.LogLikelihood(double, double, double)"/>) use σ = 1,
/// the form a dispersion-free caller can use; <see cref="LogLikelihood(double, double, double, double)"/> takes σ, as
/// R's <c>gaussian()$aic</c> with its σ² = deviance / n.
/// </remarks>
public sealed class Gaussian : Family
{
    private static readonly Link[] Links = [Link.Identity, Link.Log, Link.InverseMu];

    /// <summary>Creates the family; <paramref name="link"/> null means identity (the canonical link).</summary>
    /// <exception cref="GlmmInputException">The link is not one of <see cref="Family.AllowedLinks"/>.</exception>
    public Gaussian(Link? link = null) : base("gaussian", link, Link.Identity, Links) { }

    /// <inheritdoc/>
    public override string Name => "gaussian";

    /// <summary>True for the identity link: the linear mixed model, fitted by penalized least squares.</summary>
    public bool IsLinearMixedModel => Link is IdentityLink;

    /// <summary>1.</summary>
    public override double Variance(double mu) => 1.0;

    /// <summary>0.</summary>
    public override double VarianceDerivative(double mu) => 0.0;

    /// <summary>wt·(y − μ)² (R's <c>gaussian()$dev.resids</c>).</summary>
    public override double DevianceResidual(double y, double mu, double wt)
    {
        double r = y - mu;
        return wt * r * r;
    }

    /// <summary>log p(y | μ) with σ = 1: −½·wt·(y − μ)² + ½·log(wt / 2π).</summary>
    public override double LogLikelihood(double y, double mu, double wt) => LogLikelihood(y, mu, wt, 1.0);

    /// <summary>log p(y | μ, σ) of one row with prior weight wt (variance σ²/wt): dnorm(y, μ, σ/√wt, log = TRUE).</summary>
    public static double LogLikelihood(double y, double mu, double wt, double sigma)
    {
        double r = y - mu;
        return -0.5 * wt * r * r / (sigma * sigma) + 0.5 * Math.Log(wt / (2.0 * Math.PI * sigma * sigma));
    }

    /// <summary>y (R's <c>mustart</c> for gaussian()).</summary>
    public override double StartingMu(double y, double wt) => y;

    /// <summary>μ finite (and positive for the log link).</summary>
    public override bool IsValidMu(double mu) => double.IsFinite(mu) && (Link is not LogLink || mu > 0);

    /// <summary>Rejects non-finite responses and non-finite or negative weights.</summary>
    public override void ValidateResponse(ReadOnlySpan<double> y, ReadOnlySpan<double> weights)
    {
        if (y.Length != weights.Length) throw new ArgumentException("y and weights must have the same length");
        for (int i = 0; i < y.Length; i++)
        {
            double w = weights[i];
            if (!double.IsFinite(w))
                throw new GlmmInputException($"row {Row(i)}: weight {Num(w)} is not a finite number");
            if (w < 0)
                throw new GlmmInputException($"row {Row(i)}: negative weight {Num(w)} is not allowed");
            if (!double.IsFinite(y[i]))
                throw new GlmmInputException($"row {Row(i)}: response {Num(y[i])} is not a finite number");
        }
    }
}
