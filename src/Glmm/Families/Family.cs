namespace Glmm.Families;

/// <summary>
/// An exponential family for the conditional distribution of y given the random effects: variance
/// function, deviance residuals and the log-likelihood with every constant (so logLik equals R's).
/// Weights are prior weights; for binomial data they are the numbers of trials and y is a proportion.
/// </summary>
public abstract class Family
{
    /// <summary>Creates the family with a link.</summary>
    protected Family(Link link) => Link = link;

    /// <summary>R's name: "binomial" or "poisson".</summary>
    public abstract string Name { get; }

    /// <summary>The link function.</summary>
    public Link Link { get; }

    /// <summary>V(μ).</summary>
    public abstract double Variance(double mu);

    /// <summary>The row's deviance contribution wt·d(y, μ) (R's <c>dev.resids</c>).</summary>
    public abstract double DevianceResidual(double y, double mu, double wt);

    /// <summary>The row's log-likelihood log p(y | μ) with all constants, as R's <c>aic()</c> counts it.</summary>
    public abstract double LogLikelihood(double y, double mu, double wt);

    /// <summary>R's <c>mustart</c>: a starting μ for IRLS from y and the weight.</summary>
    public abstract double StartingMu(double y, double wt);

    /// <summary>Checks the response values and weights; throws <see cref="GlmmInputException"/> naming the first bad row.</summary>
    public abstract void ValidateResponse(ReadOnlySpan<double> y, ReadOnlySpan<double> weights);
}
