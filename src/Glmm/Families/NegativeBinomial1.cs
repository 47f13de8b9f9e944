namespace Glmm.Families;

/// <summary>
/// The negative binomial family with linear variance (glmmTMB's <c>nbinom1</c>): y ~ NB(size = μ/φ, mean μ), so
/// Var y = μ(1 + φ); glmmTMB's <c>sigma()</c> is φ. Links: log (default), sqrt, identity.
/// </summary>
/// <remarks>
/// For fixed φ it is not an exponential family (μ enters the size), so the row's score, curvature and their derivatives
/// come from the log-likelihood itself, ℓ = log Γ(y + a) − log Γ(a) − log Γ(y + 1) − a log(1 + φ) + y log(φ/(1 + φ)) with
/// a = μ/φ: dℓ/dμ = (ψ(y + a) − ψ(a) − log(1 + φ))/φ, d²ℓ/dμ² = (ψ₁(y + a) − ψ₁(a))/φ², d³ℓ/dμ³ = (ψ₂(y + a) − ψ₂(a))/φ³
/// (the differences as finite sums over the count when it is small). PIRLS scores with the quasi-likelihood weight
/// μ'²/(μ(1 + φ)) and the Laplace approximation uses the observed information −d²ℓ/dη²; the expected information has
/// no closed form, so <c>--information expected</c> is refused for this family.
/// </remarks>
public sealed class NegativeBinomial1 : Family
{
    private static readonly Link[] Links = [Link.Log, Link.Sqrt, Link.Identity];

    /// <summary>Counts up to this use finite sums for the digamma differences.</summary>
    private const int SumLimit = 64;

    /// <summary>Creates the family; <paramref name="link"/> null means log.</summary>
    /// <exception cref="GlmmInputException">The link is not log, sqrt or identity.</exception>
    public NegativeBinomial1(Link? link = null) : base("nbinom1", link, Link.Log, Links) { }

    /// <inheritdoc/>
    public override string Name => "nbinom1";

    /// <summary>False: nbinom1 is not an exponential family for fixed φ.</summary>
    public override bool IsCanonical => false;

    /// <inheritdoc/>
    public override bool HasDispersion => true;

    /// <summary>The conditional variance μ(1 + φ) (used for the PIRLS scoring weight and Pearson residuals).</summary>
    public override double Variance(double mu) => mu * (1.0 + Dispersion);

    /// <summary>1 + φ.</summary>
    public override double VarianceDerivative(double mu) => 1.0 + Dispersion;

    /// <summary>0.</summary>
    internal override double VarianceSecondDerivative(double mu) => 0.0;

    /// <inheritdoc/>
    internal override bool HasOwnObservedWeight => true;

    /// <inheritdoc/>
    public override string DispersionLabel => "Dispersion parameter for nbinom1 family ()";

    /// <summary>
    /// D1 = ψ(y + a) − ψ(a), D2 = ψ₁(y + a) − ψ₁(a), D3 = ψ₂(y + a) − ψ₂(a); as sums Σ_{j&lt;y} 1/(a + j), −Σ 1/(a + j)²,
    /// 2Σ 1/(a + j)³ for small counts (exact, no cancellation), else from the polygamma functions.
    /// </summary>
    private static void Differences(double y, double a, out double d1, out double d2, out double d3)
    {
        if (y <= SumLimit)
        {
            double s1 = 0, s2 = 0, s3 = 0;
            int k = (int)y;
            for (int j = 0; j < k; j++)
            {
                double r = 1.0 / (a + j), r2 = r * r;
                s1 += r;
                s2 += r2;
                s3 += r2 * r;
            }
            d1 = s1;
            d2 = -s2;
            d3 = 2.0 * s3;
            return;
        }
        d1 = NumericalFunctions.Digamma(y + a) - NumericalFunctions.Digamma(a);
        d2 = Trigamma(y + a) - Trigamma(a);
        d3 = Tetragamma(y + a) - Tetragamma(a);
    }

    /// <summary>log Γ(y + a) − log Γ(a): Σ_{j&lt;y} log(a + j) for small counts.</summary>
    private static double LogGammaRatio(double y, double a)
    {
        if (y <= 16)
        {
            int k = (int)y;
            double p = 1.0;
            for (int j = 0; j < k; j++) p *= a + j;
            if (double.IsFinite(p) && p > 0) return Math.Log(p);
        }
        return NumericalFunctions.LogGamma(y + a) - NumericalFunctions.LogGamma(a);
    }

    /// <summary>ψ₁(x) for x &gt; 0: the recurrence up to x ≥ 20, then the asymptotic series.</summary>
    internal static double Trigamma(double x)
    {
        double s = 0;
        while (x < 20)
        {
            s += 1.0 / (x * x);
            x += 1;
        }
        double r = 1.0 / x, r2 = r * r;
        return s + r + 0.5 * r2 + r * r2 * (1.0 / 6 - r2 * (1.0 / 30 - r2 * (1.0 / 42 - r2 * (1.0 / 30))));
    }

    /// <summary>ψ₂(x) for x &gt; 0: the recurrence up to x ≥ 20, then the asymptotic series.</summary>
    internal static double Tetragamma(double x)
    {
        double s = 0;
        while (x < 20)
        {
            s -= 2.0 / (x * x * x);
            x += 1;
        }
        double r = 1.0 / x, r2 = r * r;
        return s - r2 - r2 * r - r2 * r2 * (0.5 - r2 * (1.0 / 6 - r2 * (1.0 / 6 - r2 * (3.0 / 10))));
    }

    /// <summary>wt·log dnbinom(y, size = μ/φ, mu = μ); 0 when wt = 0.</summary>
    public override double LogLikelihood(double y, double mu, double wt)
    {
        if (wt == 0) return 0.0;
        double phi = Dispersion, a = mu / phi, l1p = NumericalFunctions.Log1P(phi);
        double l = LogGammaRatio(y, a) - NumericalFunctions.LogGamma(y + 1.0) - a * l1p + (y > 0 ? y * (Math.Log(phi) - l1p) : 0.0);
        return wt * l;
    }

    /// <summary>
    /// 2wt(ℓ(y; μ = y) − ℓ(y; μ)) (at y = 0 the supremum is 0, as μ → 0): a deviance in the sense the engine needs
    /// (−2 log p up to terms free of μ); not R's (glmmTMB defines none for nbinom1).
    /// </summary>
    public override double DevianceResidual(double y, double mu, double wt)
    {
        if (wt == 0) return 0.0;
        double phi = Dispersion, l1p = NumericalFunctions.Log1P(phi);
        double a = mu / phi;
        double diff = y > 0 ? LogGammaRatio(y, y / phi) - LogGammaRatio(y, a) - (y - mu) / phi * l1p : a * l1p;
        return 2.0 * wt * diff;
    }

    /// <summary>μ, the scoring weight wt·μ'²/(μ(1 + φ)), the score wt·μ'·dℓ/dμ and the deviance contribution.</summary>
    public override void IrlsRow(double y, double wt, double eta, out double mu, out double weight, out double score, out double deviance)
    {
        var link = Link;
        mu = link.Inverse(eta);
        double me = link.MuEta(eta), phi = Dispersion;
        weight = wt * me * me / (mu * (1.0 + phi));
        if (wt == 0)
        {
            score = 0;
            deviance = 0;
            return;
        }
        double a = mu / phi;
        Differences(y, a, out double d1, out _, out _);
        score = wt * me * (d1 - NumericalFunctions.Log1P(phi)) / phi;
        deviance = DevianceResidual(y, mu, wt);
    }

    /// <summary>−wt·d²ℓ/dη² = −wt(ℓ''μ'² + ℓ'μ'').</summary>
    internal override double ObservedWeight(double y, double wt, double eta)
    {
        if (wt == 0) return 0.0;
        var link = Link;
        double mu = link.Inverse(eta), m1 = link.MuEta(eta), m2 = link.MuEtaDerivative(eta), phi = Dispersion;
        Differences(y, mu / phi, out double d1, out double d2, out _);
        double l1 = (d1 - NumericalFunctions.Log1P(phi)) / phi, l2 = d2 / (phi * phi);
        return -wt * (l2 * m1 * m1 + l1 * m2);
    }

    /// <summary>
    /// From ℓ's derivatives in μ (ℓ', ℓ'', ℓ''') and in log φ at fixed μ: w = −(ℓ''μ'² + ℓ'μ''),
    /// dw/dη = −(ℓ'''μ'³ + 3ℓ''μ'μ'' + ℓ'μ'''); ∂ℓ/∂log φ = −a D1 + a log(1 + φ) − aφ/(1 + φ) + y/(1 + φ),
    /// ∂ℓ'/∂log φ = −ℓ' − (a D2 + φ/(1 + φ))/φ, ∂ℓ''/∂log φ = −2ℓ'' − a D3/φ².
    /// </summary>
    internal override void ObservedRowDerivatives(double y, double wt, double eta, out double weightEta,
        out double logLikDispersion, out double scoreDispersion, out double weightDispersion)
    {
        if (wt == 0)
        {
            weightEta = logLikDispersion = scoreDispersion = weightDispersion = 0;
            return;
        }
        var link = Link;
        double mu = link.Inverse(eta), m1 = link.MuEta(eta), m2 = link.MuEtaDerivative(eta), m3 = link.MuEtaSecondDerivative(eta);
        double phi = Dispersion, a = mu / phi, l1p = NumericalFunctions.Log1P(phi), q = phi / (1.0 + phi);
        Differences(y, a, out double d1, out double d2, out double d3);
        double l1 = (d1 - l1p) / phi, l2 = d2 / (phi * phi), l3 = d3 / (phi * phi * phi);
        weightEta = -wt * (l3 * m1 * m1 * m1 + 3.0 * l2 * m1 * m2 + l1 * m3);
        double dl = -a * d1 + a * l1p - a * q + y / (1.0 + phi);
        double dl1 = -l1 - (a * d2 + q) / phi;
        double dl2 = -2.0 * l2 - a * d3 / (phi * phi);
        logLikDispersion = wt * dl;
        scoreDispersion = wt * dl1 * m1;
        weightDispersion = -wt * (dl2 * m1 * m1 + dl1 * m2);
    }

    /// <summary>y + 1/6 at y = 0, else y.</summary>
    public override double StartingMu(double y, double wt) => y == 0 ? 1.0 / 6.0 : y;

    /// <summary>μ finite and positive.</summary>
    public override bool IsValidMu(double mu) => double.IsFinite(mu) && mu > 0;

    /// <summary>The moment estimate Σ((y − μ)² − μ) / Σμ, or 1 when the counts are not overdispersed.</summary>
    private protected override double StartDispersion(ReadOnlySpan<double> y, ReadOnlySpan<double> mu, ReadOnlySpan<double> wt)
    {
        double num = 0, den = 0;
        for (int i = 0; i < y.Length; i++)
        {
            double r = y[i] - mu[i];
            num += wt[i] * (r * r - mu[i]);
            den += wt[i] * mu[i];
        }
        double phi = num / den;
        return double.IsFinite(phi) && phi > 1e-8 && phi < 1e8 ? phi : 1.0;
    }

    /// <summary>Rejects non-finite or negative weights and responses that are not non-negative integers.</summary>
    public override void ValidateResponse(ReadOnlySpan<double> y, ReadOnlySpan<double> weights)
        => ValidateCounts(y, weights);
}
