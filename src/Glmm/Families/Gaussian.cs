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
    public bool IsLinearMixedModel => Link is IdentityLink && !_throughGlmmPath;

    private bool _throughGlmmPath;

    /// <summary>
    /// A copy whose identity link goes through the GLMM path with σ² as the dispersion, at σ = <paramref name="sigma"/>:
    /// the linear mixed model's likelihood in (θ, β, log σ²), for its profile (the Laplace approximation is exact there).
    /// </summary>
    internal Gaussian ThroughGlmmPath(double sigma)
    {
        var copy = (Gaussian)MemberwiseClone();
        copy._throughGlmmPath = true;
        copy.Dispersion = sigma * sigma;
        return copy;
    }

    /// <summary>
    /// True for the links other than identity: σ² is then the dispersion φ of the GLMM path, estimated on the log scale
    /// jointly with θ and β as Gamma's and nbinom2's (the identity link profiles σ out exactly instead).
    /// </summary>
    public override bool HasDispersion => !IsLinearMixedModel;

    /// <summary>φ = σ² (1 in the linear mixed model path, where σ is profiled out).</summary>
    public override double Variance(double mu) => Dispersion;

    /// <summary>0.</summary>
    public override double VarianceDerivative(double mu) => 0.0;

    /// <summary>0.</summary>
    internal override double VarianceSecondDerivative(double mu) => 0.0;

    /// <summary>∂φ/∂log φ = φ.</summary>
    internal override double VarianceLogDispersionDerivative(double mu) => Dispersion;

    /// <summary>wt·(y − μ)²/φ: R's <c>gaussian()$dev.resids</c> divided by φ (φ = 1 in the linear mixed model path).</summary>
    public override double DevianceResidual(double y, double mu, double wt)
    {
        double r = y - mu;
        return wt * r * r / Dispersion;
    }

    /// <summary>R's <c>gaussian()$dev.resids</c>, wt·(y − μ)².</summary>
    public override double UnitDevianceResidual(double y, double mu, double wt)
    {
        double r = y - mu;
        return wt * r * r;
    }

    /// <summary>log p(y | μ) with σ = √φ: −½·wt·(y − μ)²/φ + ½·log(wt / 2πφ); 0 when wt = 0.</summary>
    public override double LogLikelihood(double y, double mu, double wt) => wt == 0 ? 0.0 : LogLikelihood(y, mu, wt, Math.Sqrt(Dispersion));

    /// <summary>log p(y | μ, σ) of one row with prior weight wt (variance σ²/wt): dnorm(y, μ, σ/√wt, log = TRUE).</summary>
    public static double LogLikelihood(double y, double mu, double wt, double sigma)
    {
        double r = y - mu;
        return -0.5 * wt * r * r / (sigma * sigma) + 0.5 * Math.Log(wt / (2.0 * Math.PI * sigma * sigma));
    }

    /// <summary>∂/∂log φ of −½·wt·(y − μ)²/φ − ½·log φ: ½(wt·(y − μ)²/φ − 1).</summary>
    internal override double LogLikelihoodLogDispersionDerivative(double y, double mu, double wt)
    {
        double r = y - mu;
        return 0.5 * (wt * r * r / Dispersion - 1.0);
    }

    /// <summary>Σ over rows with wt &gt; 0 of ½·log(wt / 2πφ).</summary>
    internal override double SaturatedLogLikelihood(ReadOnlySpan<double> y, ReadOnlySpan<double> wt)
    {
        double s = 0;
        int n = 0;
        for (int i = 0; i < y.Length; i++)
        {
            if (wt[i] == 0) continue;
            s += Math.Log(wt[i]);
            n++;
        }
        return 0.5 * (s - n * Math.Log(2.0 * Math.PI * Dispersion));
    }

    /// <summary>√φ = σ (glmmTMB's <c>sigma()</c> for gaussian).</summary>
    public override double SigmaOf(double dispersion) => Math.Sqrt(dispersion);

    /// <summary>dσ/d log φ = σ/2.</summary>
    public override double SigmaLogDerivative(double dispersion) => 0.5 * Math.Sqrt(dispersion);

    /// <summary>1: glmmTMB's Pearson residuals for gaussian, y − μ (as lme4's for lmer, unscaled by σ).</summary>
    public override double PearsonVariance(double mu) => 1.0;

    /// <inheritdoc/>
    public override string DispersionLabel => "Dispersion estimate for gaussian family (sigma^2)";

    /// <summary>Σ wt(y − μ)² / Σ wt, the ML estimate of φ at fixed μ.</summary>
    private protected override double StartDispersion(ReadOnlySpan<double> y, ReadOnlySpan<double> mu, ReadOnlySpan<double> wt)
    {
        double s = 0, sw = 0;
        for (int i = 0; i < y.Length; i++)
        {
            double r = y[i] - mu[i];
            s += wt[i] * r * r;
            sw += wt[i];
        }
        double phi = s / sw;
        return double.IsFinite(phi) && phi > 1e-300 ? phi : 1.0;
    }

    /// <summary>y (R's <c>mustart</c> for gaussian()).</summary>
    public override double StartingMu(double y, double wt) => y;

    /// <summary>μ finite (and positive for the log link).</summary>
    public override bool IsValidMu(double mu) => double.IsFinite(mu) && (Link is not LogLink || mu > 0);

    /// <summary>
    /// Rejects non-finite responses, non-finite or negative weights, and (as R's <c>gaussian()</c>) a non-positive
    /// response with the log link or a zero response with the inverse link.
    /// </summary>
    public override void ValidateResponse(ReadOnlySpan<double> y, ReadOnlySpan<double> weights)
    {
        if (y.Length != weights.Length) throw new ArgumentException("y and weights must have the same length");
        for (int i = 0; i < y.Length; i++)
        {
            double w = weights[i];
            CheckRow(i, y[i], w);
            // As R's gaussian()$initialize: the starting μ = y must be inside the link's domain.
            if (Link is LogLink && y[i] <= 0)
                throw new GlmmInputException($"row {Row(i)}: non-positive response {Num(y[i])} is not allowed for the gaussian family with the log link (the starting values need y > 0, as R's gaussian(link = \"log\"))");
            if (Link is InverseLink && y[i] == 0)
                throw new GlmmInputException($"row {Row(i)}: zero response is not allowed for the gaussian family with the inverse link (the starting values need y != 0, as R's gaussian(link = \"inverse\"))");
        }
    }
}
