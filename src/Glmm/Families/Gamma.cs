namespace Glmm.Families;

/// <summary>
/// The Gamma family with glmmTMB's parameterisation: y ~ Gamma(shape = 1/φ, scale = μφ), so E y = μ and Var y = φμ²;
/// glmmTMB's <c>sigma()</c> is √φ = 1/√shape. Links: inverse (canonical, R's default), identity, log.
/// </summary>
/// <remarks>
/// The dispersion φ (<see cref="Family.Dispersion"/>) enters every engine member: <see cref="Variance"/> is φμ² and
/// <see cref="DevianceResidual"/> is R's Gamma deviance divided by φ, so that the PIRLS deviance differs from
/// −2 log p(y | μ, φ) by a term free of μ, as for the families without a dispersion.
/// </remarks>
public sealed class Gamma : Family
{
    private static readonly Link[] Links = [Link.InverseMu, Link.Identity, Link.Log];

    /// <summary>Creates the family; <paramref name="link"/> null means inverse (the canonical link, R's default).</summary>
    /// <exception cref="GlmmInputException">The link is not inverse, identity or log.</exception>
    public Gamma(Link? link = null) : base("Gamma", link, Link.InverseMu, Links) { }

    /// <inheritdoc/>
    public override string Name => "Gamma";

    /// <inheritdoc/>
    public override bool HasDispersion => true;

    /// <summary>φμ².</summary>
    public override double Variance(double mu) => Dispersion * mu * mu;

    /// <summary>2φμ.</summary>
    public override double VarianceDerivative(double mu) => 2.0 * Dispersion * mu;

    /// <summary>2φ.</summary>
    internal override double VarianceSecondDerivative(double mu) => 2.0 * Dispersion;

    /// <summary>∂(φμ²)/∂log φ = φμ².</summary>
    internal override double VarianceLogDispersionDerivative(double mu) => Dispersion * mu * mu;

    /// <summary>∂(2φμ)/∂log φ = 2φμ.</summary>
    internal override double VarianceDerivativeLogDispersionDerivative(double mu) => 2.0 * Dispersion * mu;

    private double _digammaFor = double.NaN, _digammaShape;

    /// <summary>ψ(1/φ) for the current φ.</summary>
    internal override void PrepareDispersionDerivatives(ReadOnlySpan<double> y)
    {
        _digammaFor = Dispersion;
        _digammaShape = NumericalFunctions.Digamma(1.0 / Dispersion);
    }

    /// <summary>With a = 1/φ: −a·wt(−ψ(a) + log a + 1 − log μ + log y − y/μ).</summary>
    internal override double LogLikelihoodLogDispersionDerivative(double y, double mu, double wt)
    {
        double a = 1.0 / Dispersion;
        double psi = _digammaFor == Dispersion ? _digammaShape : NumericalFunctions.Digamma(a);
        return -a * wt * (-psi + Math.Log(a) + 1.0 + Math.Log(y / mu) - y / mu);
    }

    /// <summary>Σ wt(−log Γ(a) + a log a − a − log y) with a = 1/φ: one log per row, log Γ once.</summary>
    internal override double SaturatedLogLikelihood(ReadOnlySpan<double> y, ReadOnlySpan<double> wt)
    {
        double a = 1.0 / Dispersion;
        double perRow = -NumericalFunctions.LogGamma(a) + a * Math.Log(a) - a;
        double sw = 0, swly = 0;
        for (int i = 0; i < y.Length; i++)
        {
            if (wt[i] == 0) continue;
            sw += wt[i];
            swly += wt[i] * Math.Log(y[i]);
        }
        return sw * perRow - swly;
    }

    /// <summary>R's <c>Gamma()$dev.resids</c>, −2wt(log(y/μ) − (y − μ)/μ), divided by φ.</summary>
    public override double DevianceResidual(double y, double mu, double wt) => UnitDevianceResidual(y, mu, wt) / Dispersion;

    /// <summary>R's <c>Gamma()$dev.resids</c>.</summary>
    public override double UnitDevianceResidual(double y, double mu, double wt) => -2.0 * wt * (Math.Log(y / mu) - (y - mu) / mu);

    /// <summary>wt·log dgamma(y, shape = 1/φ, scale = μφ); 0 when wt = 0.</summary>
    public override double LogLikelihood(double y, double mu, double wt)
    {
        if (wt == 0) return 0.0;
        double phi = Dispersion, a = 1.0 / phi;
        return wt * (-NumericalFunctions.LogGamma(a) - a * Math.Log(mu * phi) + (a - 1.0) * Math.Log(y) - y / (mu * phi));
    }

    /// <summary>√φ (glmmTMB's <c>sigma()</c> for Gamma).</summary>
    public override double SigmaOf(double dispersion) => Math.Sqrt(dispersion);

    /// <summary>d√φ/d log φ = √φ/2.</summary>
    public override double SigmaLogDerivative(double dispersion) => 0.5 * Math.Sqrt(dispersion);

    /// <summary>μ², without the dispersion, as glmmTMB 1.1.5's Pearson residuals (y − μ)/μ.</summary>
    public override double PearsonVariance(double mu) => mu * mu;

    /// <inheritdoc/>
    public override string DispersionLabel => "Dispersion estimate for Gamma family (sigma^2)";

    /// <summary>y (R's <c>mustart</c>).</summary>
    public override double StartingMu(double y, double wt) => y;

    /// <summary>μ finite and positive.</summary>
    public override bool IsValidMu(double mu) => double.IsFinite(mu) && mu > 0;

    /// <summary>Σ wt((y − μ)/μ)² / Σ wt, the moment estimate of φ.</summary>
    private protected override double StartDispersion(ReadOnlySpan<double> y, ReadOnlySpan<double> mu, ReadOnlySpan<double> wt)
    {
        double s = 0, sw = 0;
        for (int i = 0; i < y.Length; i++)
        {
            double r = (y[i] - mu[i]) / mu[i];
            s += wt[i] * r * r;
            sw += wt[i];
        }
        double phi = s / sw;
        return double.IsFinite(phi) && phi > 1e-12 ? phi : 1.0;
    }

    /// <summary>Rejects non-finite or negative weights and non-finite or non-positive responses.</summary>
    public override void ValidateResponse(ReadOnlySpan<double> y, ReadOnlySpan<double> weights)
    {
        if (y.Length != weights.Length) throw new ArgumentException("y and weights must have the same length");
        for (int i = 0; i < y.Length; i++)
        {
            double w = weights[i];
            CheckRow(i, y[i], w);
            if (y[i] <= 0)
                throw new GlmmInputException($"row {Row(i)}: non-positive response {Num(y[i])} is not allowed for the Gamma family");
        }
    }
}
