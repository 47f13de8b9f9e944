namespace Glmm.Families;

/// <summary>
/// A normal response with identity link and known variance 1/weight: the working linear mixed model of
/// penalized quasi-likelihood (PQL), where y is the working response and the weights the IRLS weights.
/// PIRLS on it is penalized weighted least squares and converges in one Newton step. Internal: Glmm does
/// not fit linear mixed models (their residual variance would need its own parameter).
/// </summary>
internal sealed class WorkingGaussian : Family
{
    private static readonly Link[] Links = [Link.Identity];

    public WorkingGaussian() : base("gaussian", null, Link.Identity, Links) { }

    public override string Name => "gaussian";

    public override double Variance(double mu) => 1.0;

    public override double VarianceDerivative(double mu) => 0.0;

    public override double DevianceResidual(double y, double mu, double wt) => wt * (y - mu) * (y - mu);

    public override double LogLikelihood(double y, double mu, double wt) =>
        -0.5 * wt * (y - mu) * (y - mu) + 0.5 * Math.Log(wt / (2 * Math.PI));

    public override double StartingMu(double y, double wt) => y;

    public override bool IsValidMu(double mu) => double.IsFinite(mu);

    public override void ValidateResponse(ReadOnlySpan<double> y, ReadOnlySpan<double> weights)
    {
        for (int i = 0; i < y.Length; i++)
            if (!double.IsFinite(y[i]) || !(weights[i] >= 0))
                throw new GlmmInputException($"row {i + 1}: working response or weight is not finite");
    }
}
