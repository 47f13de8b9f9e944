namespace Glmm.Families;

/// <summary>
/// An exponential family for the conditional distribution of y given the random effects: variance
/// function, deviance residuals and the log-likelihood with every constant (so logLik equals R's).
/// Weights are prior weights; for binomial data they are the numbers of trials and y is a proportion
/// (as R's <c>glm</c> holds them after <c>binomial()$initialize</c>).
/// </summary>
/// <remarks>
/// The per-row members are cheap virtual calls on sealed classes and never allocate. The span
/// members (<see cref="UpdateMu"/>, <see cref="WorkingWeights"/>, <see cref="Deviance"/>,
/// <see cref="LogLikelihood(ReadOnlySpan{double}, ReadOnlySpan{double}, ReadOnlySpan{double})"/>)
/// are what an iteration over all rows should call: one virtual call per sweep.
/// </remarks>
public abstract class Family
{
    /// <summary>
    /// Creates the family with <paramref name="link"/> (null: <paramref name="canonicalLink"/>), which must be one of
    /// <paramref name="allowedLinks"/>; a one-line input error listing the allowed links otherwise.
    /// </summary>
    private protected Family(string name, Link? link, Link canonicalLink, IReadOnlyList<Link> allowedLinks)
    {
        CanonicalLink = canonicalLink;
        AllowedLinks = allowedLinks;
        Link = link ?? canonicalLink;
        if (!allowedLinks.Contains(Link))
            throw new GlmmInputException($"link '{Link.Name}' is not available for the {name} family; valid links are: {string.Join(", ", allowedLinks.Select(l => l.Name))}");
    }

    /// <summary>The family names accepted by <see cref="Create"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["binomial", "poisson", "Gamma", "nbinom2", "nbinom1", "gaussian"];

    /// <summary>R's name: "binomial" or "poisson".</summary>
    public abstract string Name { get; }

    /// <summary>The link function.</summary>
    public Link Link { get; }

    /// <summary>The family's canonical link (the default when none is given).</summary>
    public Link CanonicalLink { get; }

    /// <summary>The links the family accepts, in R's order.</summary>
    public IReadOnlyList<Link> AllowedLinks { get; }

    /// <summary>V(μ).</summary>
    public abstract double Variance(double mu);

    /// <summary>V'(μ), for the observed information of non-canonical links.</summary>
    public abstract double VarianceDerivative(double mu);

    /// <summary>True when the link is the family's canonical one (then observed and expected information agree).</summary>
    public virtual bool IsCanonical => ReferenceEquals(Link, CanonicalLink);

    /// <summary>
    /// True when the conditional log-likelihood is concave in η on the whole real line (the canonical links of binomial and
    /// Poisson, binomial's probit and cloglog): the observed weights are never negative, so H = Λ'Z'WZΛ + I is positive
    /// definite everywhere, and PIRLS's mode is unique with no boundary in η — the Laplace deviance is then a smooth
    /// function of (θ, β) and a non-canonical link may take the analytic gradient. Not cauchit (not log-concave), Poisson's
    /// identity and sqrt links (η &gt; 0) or binomial's log (η &lt; 0), where PIRLS can stop at the boundary and the value
    /// depend on its start.
    /// </summary>
    internal bool ConcaveOnTheRealLine => IsCanonical || (this is Binomial && Link is ProbitLink or CloglogLink);

    /// <summary>
    /// True when the family has a dispersion parameter (Gamma's 1/shape, nbinom2's size) estimated with θ and β; binomial
    /// and Poisson have none.
    /// </summary>
    public virtual bool HasDispersion => false;

    /// <summary>
    /// The dispersion parameter's working value on its natural scale (Gamma: φ = 1/shape; nbinom2: the size θ), which
    /// every per-row member uses; the engine sets it (on the log scale outside) while it fits, on its own copy of the family
    /// (per fit): on the instance the caller created it stays 1. 1 for families without one.
    /// </summary>
    public double Dispersion { get; internal set; } = 1.0;

    /// <summary>
    /// The family a fit works with: a private copy when the family has a dispersion parameter (whose working value the fit
    /// moves), so that the instance the caller passed in is never changed and fits sharing it can run at once; this
    /// instance otherwise (binomial and Poisson hold no state).
    /// </summary>
    internal Family ForFit()
    {
        if (!HasDispersion) return this;
        var copy = (Family)MemberwiseClone();
        copy.Dispersion = 1.0;
        copy.ResetWorkingState();
        return copy;
    }

    /// <summary>glmmTMB's <c>sigma()</c> at dispersion <paramref name="dispersion"/> (Gamma: 1/√shape; nbinom2: θ).</summary>
    public virtual double SigmaOf(double dispersion) => dispersion;

    /// <summary>d sigma / d log(dispersion), for the delta-method standard error of sigma.</summary>
    public virtual double SigmaLogDerivative(double dispersion) => dispersion;

    /// <summary>What glmmTMB's summary calls the dispersion line (e.g. "Dispersion parameter for nbinom2 family ()").</summary>
    public virtual string DispersionLabel => "";

    /// <summary>R's deviance residual contribution wt·d(y, μ) without the dispersion (<c>family$dev.resids</c>), for residuals.</summary>
    public virtual double UnitDevianceResidual(double y, double mu, double wt) => DevianceResidual(y, mu, wt);

    /// <summary>The variance R's Pearson residuals divide by (glmmTMB: with the dispersion).</summary>
    public virtual double PearsonVariance(double mu) => Variance(mu);

    /// <summary>
    /// The maximum-likelihood dispersion for fixed μ (the start of a mixed-model fit, from the GLM), by Newton steps
    /// on log(dispersion) with difference derivatives; the working value is left at the estimate.
    /// </summary>
    internal double EstimateDispersion(ReadOnlySpan<double> y, ReadOnlySpan<double> mu, ReadOnlySpan<double> wt)
    {
        if (!HasDispersion) return 1.0;
        double LogLikAt(double logD, ReadOnlySpan<double> yy, ReadOnlySpan<double> mm, ReadOnlySpan<double> ww)
        {
            Dispersion = Math.Exp(logD);
            return LogLikelihood(yy, mm, ww);
        }
        double x = Math.Log(StartDispersion(y, mu, wt));
        const double h = 1e-3;
        for (int it = 0; it < 100; it++)
        {
            double f0 = LogLikAt(x, y, mu, wt), fp = LogLikAt(x + h, y, mu, wt), fm = LogLikAt(x - h, y, mu, wt);
            double g = (fp - fm) / (2 * h), c = (fp - 2 * f0 + fm) / (h * h);
            double step = c < 0 ? -g / c : Math.Sign(g);
            step = Math.Clamp(step, -2.0, 2.0);
            double fx = f0;
            bool moved = false;
            for (int k = 0; k < 30; k++, step *= 0.5)
            {
                double ft = LogLikAt(x + step, y, mu, wt);
                if (double.IsFinite(ft) && ft >= fx)
                {
                    x += step;
                    moved = true;
                    break;
                }
            }
            if (!moved || Math.Abs(step) < 1e-10) break;
            if (x > 30) { x = 30; break; }
            if (x < -30) { x = -30; break; }
        }
        Dispersion = Math.Exp(x);
        return Dispersion;
    }

    /// <summary>Drops any per-fit tables (in a fresh per-fit copy).</summary>
    private protected virtual void ResetWorkingState() { }

    /// <summary>V''(μ), for the derivative of the observed information (families with a dispersion parameter).</summary>
    internal virtual double VarianceSecondDerivative(double mu) =>
        throw new NotSupportedException($"V''(mu) is not available for the {Name} family");

    /// <summary>∂V(μ)/∂log φ at fixed μ (0 without a dispersion).</summary>
    internal virtual double VarianceLogDispersionDerivative(double mu) => 0.0;

    /// <summary>∂V'(μ)/∂log φ at fixed μ (0 without a dispersion).</summary>
    internal virtual double VarianceDerivativeLogDispersionDerivative(double mu) => 0.0;

    /// <summary>
    /// Readies <see cref="LogLikelihoodLogDispersionDerivative"/> for the current dispersion and the responses
    /// <paramref name="y"/> (nbinom2: a table of ψ(y + θ) − ψ(θ) by count). Not thread-safe: call it once, serially.
    /// </summary>
    internal virtual void PrepareDispersionDerivatives(ReadOnlySpan<double> y) { }

    /// <summary>wt·∂ log p(y | μ)/∂log φ at fixed μ, after <see cref="PrepareDispersionDerivatives"/> (0 without a dispersion).</summary>
    internal virtual double LogLikelihoodLogDispersionDerivative(double y, double mu, double wt) => 0.0;

    /// <summary>
    /// Of one row at η: the derivative in η of the observed weight w = −d²ℓ/dη² (<paramref name="weightEta"/>), and the
    /// derivatives in log φ at fixed η of ℓ, of the score s = dℓ/dη and of w. With g = μ'/V: s = wt(y − μ)g,
    /// w = wt(μ'g − (y − μ)g'), dw/dη = wt(μ''g + 2μ'g' − (y − μ)g'').
    /// </summary>
    internal virtual void ObservedRowDerivatives(double y, double wt, double eta, out double weightEta,
        out double logLikDispersion, out double scoreDispersion, out double weightDispersion)
    {
        var link = Link;
        double mu = link.Inverse(eta), m1 = link.MuEta(eta), m2 = link.MuEtaDerivative(eta), m3 = link.MuEtaSecondDerivative(eta);
        double v = Variance(mu), v1 = VarianceDerivative(mu), v2 = VarianceSecondDerivative(mu);
        double iv = 1.0 / v, iv2 = iv * iv, m1sq = m1 * m1;
        double g = m1 * iv;
        double g1 = m2 * iv - m1sq * v1 * iv2;
        double g2 = m3 * iv - 3.0 * m1 * m2 * v1 * iv2 - m1sq * m1 * v2 * iv2 + 2.0 * m1sq * m1 * v1 * v1 * iv2 * iv;
        double r = y - mu;
        weightEta = wt * (m2 * g + 2.0 * m1 * g1 - r * g2);
        double dv = VarianceLogDispersionDerivative(mu), dv1 = VarianceDerivativeLogDispersionDerivative(mu);
        double dg = -g * dv * iv;
        double dg1 = -m2 * dv * iv2 + m1sq * (2.0 * v1 * dv * iv2 * iv - dv1 * iv2);
        scoreDispersion = wt * r * dg;
        weightDispersion = wt * (m1 * dg - r * dg1);
        logLikDispersion = wt == 0 ? 0.0 : LogLikelihoodLogDispersionDerivative(y, mu, wt);
    }

    /// <summary>
    /// True when the family gives the observed weight −wt·d²ℓ/dη² itself (<see cref="ObservedWeight"/>; nbinom1, not an
    /// exponential family for fixed φ) instead of the exponential-family correction of the IRLS weight.
    /// </summary>
    internal virtual bool HasOwnObservedWeight => false;

    /// <summary>The observed weight −wt·d²ℓ/dη² of one row at η, when <see cref="HasOwnObservedWeight"/>.</summary>
    internal virtual double ObservedWeight(double y, double wt, double eta) =>
        throw new NotSupportedException($"the {Name} family has no observed weight of its own");

    /// <summary>
    /// Σ log p(y_i | μ = y_i) + ½ wt·d(y_i, μ) in the family's sense (free of μ), so that −2 log p(y | μ) = Σ dev_i − 2 × this;
    /// evaluated at <see cref="StartingMu"/>. Families with a dispersion override it with a cheaper form.
    /// </summary>
    internal virtual double SaturatedLogLikelihood(ReadOnlySpan<double> y, ReadOnlySpan<double> wt)
    {
        double s = 0;
        for (int i = 0; i < y.Length; i++)
        {
            double mu0 = StartingMu(y[i], wt[i]);
            s += LogLikelihood(y[i], mu0, wt[i]) + 0.5 * DevianceResidual(y[i], mu0, wt[i]);
        }
        return s;
    }

    /// <summary>A rough dispersion from y and μ to start <see cref="EstimateDispersion"/> at.</summary>
    private protected virtual double StartDispersion(ReadOnlySpan<double> y, ReadOnlySpan<double> mu, ReadOnlySpan<double> wt) => 1.0;

    /// <summary>The row's deviance contribution wt·d(y, μ) (R's <c>dev.resids</c>).</summary>
    public abstract double DevianceResidual(double y, double mu, double wt);

    /// <summary>The row's log-likelihood log p(y | μ) with all constants, as R's <c>aic()</c> counts it.</summary>
    /// <remarks>For the binomial family this is the form R uses when no row has more than one trial
    /// recorded apart from the weight (see <see cref="Binomial"/>); the span overload is the whole-data form.</remarks>
    public abstract double LogLikelihood(double y, double mu, double wt);

    /// <summary>The deviance contribution at the linear predictor η (fused fast paths for canonical links).</summary>
    public virtual double DevianceAt(double y, double wt, double eta) => DevianceResidual(y, Link.Inverse(eta), wt);

    /// <summary>
    /// Everything PIRLS needs from one row at η, in one call: μ, the IRLS weight wt·μ'²/V(μ), the score
    /// wt·(y − μ)·μ'/V(μ) (d log p/dη) and the deviance contribution. Families override it with fused
    /// fast paths for their canonical links; the result equals the separate calls.
    /// </summary>
    public virtual void IrlsRow(double y, double wt, double eta, out double mu, out double weight, out double score, out double deviance)
    {
        mu = Link.Inverse(eta);
        double me = Link.MuEta(eta);
        double v = Variance(mu);
        weight = wt * me * me / v;
        score = wt * (y - mu) * me / v;
        deviance = DevianceResidual(y, mu, wt);
    }

    /// <summary>
    /// <see cref="IrlsRow"/> over a range of rows: fills μ, the IRLS weights and the scores, returns Σ deviance.
    /// Families override it with vectorised kernels for their canonical links.
    /// </summary>
    internal virtual double IrlsRows(ReadOnlySpan<double> y, ReadOnlySpan<double> wt, ReadOnlySpan<double> eta,
        Span<double> mu, Span<double> weight, Span<double> score)
    {
        double dev = 0;
        for (int i = 0; i < y.Length; i++)
        {
            IrlsRow(y[i], wt[i], eta[i], out mu[i], out weight[i], out score[i], out double d);
            dev += d;
        }
        return dev;
    }

    /// <summary>Row j through the scalar path, for the vector kernels' fallbacks: its deviance, and μ, weight, score when wanted.</summary>
    private protected double ScalarRow(ReadOnlySpan<double> y, ReadOnlySpan<double> wt, ReadOnlySpan<double> eta,
        Span<double> mu, Span<double> weight, Span<double> score, int j, bool rowsWanted)
    {
        if (!rowsWanted) return DevianceAt(y[j], wt[j], eta[j]);
        IrlsRow(y[j], wt[j], eta[j], out mu[j], out weight[j], out score[j], out double d);
        return d;
    }

    /// <summary>The deviance contribution of one row (y, wt) at each of several linear predictors (quadrature nodes).</summary>
    internal virtual void DeviancesAt(double y, double wt, ReadOnlySpan<double> eta, Span<double> deviance)
    {
        for (int k = 0; k < eta.Length; k++) deviance[k] = DevianceAt(y, wt, eta[k]);
    }

    /// <summary>Σ <see cref="DevianceAt"/> over a range of rows.</summary>
    internal virtual double DevianceRows(ReadOnlySpan<double> y, ReadOnlySpan<double> wt, ReadOnlySpan<double> eta)
    {
        double dev = 0;
        for (int i = 0; i < y.Length; i++) dev += DevianceAt(y[i], wt[i], eta[i]);
        return dev;
    }

    /// <summary>R's <c>mustart</c>: a starting μ for IRLS from y and the weight.</summary>
    public abstract double StartingMu(double y, double wt);

    /// <summary>Checks the response values and weights; throws <see cref="GlmmInputException"/> naming the first bad row.</summary>
    public abstract void ValidateResponse(ReadOnlySpan<double> y, ReadOnlySpan<double> weights);

    /// <summary>
    /// Conditions under which R warns but fits anyway (e.g. "non-integer #successes in a binomial glm!"),
    /// one message per kind naming the first row (1-based). Empty when there is nothing to say.
    /// </summary>
    public virtual IReadOnlyList<string> ResponseWarnings(ReadOnlySpan<double> y, ReadOnlySpan<double> weights) => [];

    /// <summary>R's <c>validmu</c> for one value: μ finite and inside the family's range.</summary>
    public abstract bool IsValidMu(double mu);

    /// <summary>The deviance Σ wtᵢ·d(yᵢ, μᵢ) (sum of R's <c>dev.resids</c>).</summary>
    public virtual double Deviance(ReadOnlySpan<double> y, ReadOnlySpan<double> mu, ReadOnlySpan<double> wt)
    {
        CheckLengths(y.Length, mu.Length, wt.Length);
        double sum = 0;
        for (int i = 0; i < y.Length; i++) sum += DevianceResidual(y[i], mu[i], wt[i]);
        return sum;
    }

    /// <summary>
    /// The total log-likelihood over all rows with every constant, equal to −½·R's <c>family$aic</c>
    /// (so to R's <c>logLik</c> of a glm). This is the whole-data form: prefer it to summing the
    /// per-row overload.
    /// </summary>
    public virtual double LogLikelihood(ReadOnlySpan<double> y, ReadOnlySpan<double> mu, ReadOnlySpan<double> wt)
    {
        CheckLengths(y.Length, mu.Length, wt.Length);
        double sum = 0;
        for (int i = 0; i < y.Length; i++) sum += LogLikelihood(y[i], mu[i], wt[i]);
        return sum;
    }

    /// <summary>μᵢ = g⁻¹(ηᵢ) and (dμ/dη)ᵢ for all rows (η includes any offset).</summary>
    public void UpdateMu(ReadOnlySpan<double> eta, Span<double> mu, Span<double> muEta) =>
        Link.InverseAndMuEta(eta, mu, muEta);

    /// <summary>
    /// The IRLS working weights wᵢ = wtᵢ·(dμ/dη)ᵢ² / V(μᵢ) (R's glm.fit uses their square roots);
    /// rows with wtᵢ = 0 get 0.
    /// </summary>
    public virtual void WorkingWeights(ReadOnlySpan<double> mu, ReadOnlySpan<double> muEta, ReadOnlySpan<double> wt, Span<double> w)
    {
        CheckLengths(mu.Length, muEta.Length, wt.Length);
        if (w.Length != mu.Length) throw new ArgumentException("all spans must have the same length");
        for (int i = 0; i < mu.Length; i++)
            w[i] = wt[i] == 0 ? 0.0 : wt[i] * muEta[i] * muEta[i] / Variance(mu[i]);
    }

    /// <summary>
    /// The family named <paramref name="familyName"/> with the link <paramref name="linkName"/>, or
    /// the family's default link (binomial: logit, poisson: log) when it is null or empty.
    /// Letter case is ignored.
    /// </summary>
    /// <exception cref="GlmmInputException">Unknown family or link, or a link the family does not allow.</exception>
    public static Family Create(string familyName, string? linkName = null)
    {
        Link? link = string.IsNullOrWhiteSpace(linkName) ? null : Link.FromName(linkName);
        return familyName.Trim().ToLowerInvariant() switch
        {
            "binomial" => new Binomial(link),
            "poisson" => new Poisson(link),
            "gamma" => new Gamma(link),
            "nbinom2" => new NegativeBinomial2(link),
            "nbinom1" => new NegativeBinomial1(link),
            "gaussian" => new Gaussian(link),
            _ => throw new GlmmInputException(
                $"unknown family '{familyName}'; valid families are: {string.Join(", ", Names)}"),
        };
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name}({Link.Name})";

    /// <summary>Families are equal when they are of the same kind with the same link.</summary>
    public override bool Equals(object? obj) => obj is Family f && f.GetType() == GetType() && ReferenceEquals(f.Link, Link);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(GetType(), Link);

    /// <summary>Throws when the spans differ in length.</summary>
    protected static void CheckLengths(int n, int a, int b)
    {
        if (a != n || b != n)
            throw new ArgumentException("all spans must have the same length");
    }

    /// <summary>The checks every family makes of row i: a finite, non-negative weight and a finite response (one line naming the row).</summary>
    private protected static void CheckRow(int i, double y, double w)
    {
        if (!double.IsFinite(w))
            throw new GlmmInputException($"row {Row(i)}: weight {Num(w)} is not a finite number");
        if (w < 0)
            throw new GlmmInputException($"row {Row(i)}: negative weight {Num(w)} is not allowed");
        if (!double.IsFinite(y))
            throw new GlmmInputException($"row {Row(i)}: response {Num(y)} is not a finite number");
    }

    /// <summary>
    /// The checks of a count family (the negative binomials): each row's weight and response as <see cref="CheckRow"/>, and
    /// the response a non-negative integer; one line naming the row and the family.
    /// </summary>
    private protected void ValidateCounts(ReadOnlySpan<double> y, ReadOnlySpan<double> weights)
    {
        if (y.Length != weights.Length) throw new ArgumentException("y and weights must have the same length");
        for (int i = 0; i < y.Length; i++)
        {
            CheckRow(i, y[i], weights[i]);
            if (y[i] < 0)
                throw new GlmmInputException($"row {Row(i)}: negative count {Num(y[i])} is not allowed for the {Name} family");
            if (y[i] != Math.Floor(y[i]))
                throw new GlmmInputException($"row {Row(i)}: non-integer count {Num(y[i])} is not allowed for the {Name} family");
        }
    }

    /// <summary>The 1-based row label used in error messages.</summary>
    protected static string Row(int index) => (index + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A number formatted for an error message (invariant culture, round-trip).</summary>
    protected static string Num(double value) => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
