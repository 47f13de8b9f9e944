namespace Glmm.Families;

/// <summary>
/// The negative binomial family with quadratic variance (glmmTMB's <c>nbinom2</c>, MASS's <c>negative.binomial(θ)</c>):
/// y ~ NB(size = θ, mean μ), Var y = μ + μ²/θ; glmmTMB's <c>sigma()</c> is θ. Links: log (default), sqrt, identity.
/// </summary>
/// <remarks>
/// At fixed θ (<see cref="Family.Dispersion"/>) it is an exponential family with V(μ) = μ + μ²/θ, so the engine's PIRLS,
/// deviance and observed information apply unchanged; the log link is not its canonical one (observed and expected
/// information differ).
/// </remarks>
public sealed class NegativeBinomial2 : Family
{
    private static readonly Link[] Links = [Link.Log, Link.Sqrt, Link.Identity];

    /// <summary>Creates the family; <paramref name="link"/> null means log.</summary>
    /// <exception cref="GlmmInputException">The link is not log, sqrt or identity.</exception>
    public NegativeBinomial2(Link? link = null) : base("nbinom2", link, Link.Log, Links) { }

    /// <inheritdoc/>
    public override string Name => "nbinom2";

    /// <summary>False: no link offered is canonical for the negative binomial.</summary>
    public override bool IsCanonical => false;

    /// <inheritdoc/>
    public override bool HasDispersion => true;

    /// <summary>μ + μ²/θ.</summary>
    public override double Variance(double mu) => mu + mu * mu / Dispersion;

    /// <summary>1 + 2μ/θ.</summary>
    public override double VarianceDerivative(double mu) => 1.0 + 2.0 * mu / Dispersion;

    /// <summary>2/θ.</summary>
    internal override double VarianceSecondDerivative(double mu) => 2.0 / Dispersion;

    /// <summary>∂(μ + μ²/θ)/∂log θ = −μ²/θ.</summary>
    internal override double VarianceLogDispersionDerivative(double mu) => -mu * mu / Dispersion;

    /// <summary>∂(1 + 2μ/θ)/∂log θ = −2μ/θ.</summary>
    internal override double VarianceDerivativeLogDispersionDerivative(double mu) => -2.0 * mu / Dispersion;

    // Tables by count k = 0 … max y at the dispersion they were made for: ψ(k + θ) − ψ(θ) (for the gradient), and the
    // saturated log-likelihood of a row with count k. Per fit (the family is the fit's own copy) and built serially.
    private double[]? _digammaTable, _saturatedTable;
    private double _digammaFor = double.NaN;

    /// <inheritdoc/>
    private protected override void ResetWorkingState()
    {
        _digammaTable = _saturatedTable = null;
        _digammaFor = double.NaN;
    }

    /// <summary>The largest count when a table by count is worth it (at most 16 entries per row, and 2²² in all); else −1.</summary>
    private static int TableSize(ReadOnlySpan<double> y)
    {
        double max = 0;
        foreach (double v in y) if (v > max) max = v;
        return max <= (1 << 22) && max <= 16.0 * y.Length + 4096 ? (int)max : -1;
    }

    /// <summary>ψ(k + θ) − ψ(θ) = Σ_{j&lt;k} 1/(θ + j) for the counts k up to the largest.</summary>
    internal override void PrepareDispersionDerivatives(ReadOnlySpan<double> y)
    {
        _digammaFor = double.NaN;
        int max = TableSize(y);
        if (max < 0) return;
        double th = Dispersion;
        if (_digammaTable is null || _digammaTable.Length < max + 1) _digammaTable = new double[max + 1];
        var t = _digammaTable;
        t[0] = 0;
        for (int k = 0; k < max; k++) t[k + 1] = t[k] + 1.0 / (th + k);
        _digammaFor = th;
    }

    /// <summary>wt·θ(ψ(y + θ) − ψ(θ) − log(1 + μ/θ) + (μ − y)/(θ + μ)).</summary>
    internal override double LogLikelihoodLogDispersionDerivative(double y, double mu, double wt)
    {
        double th = Dispersion;
        double psi = _digammaFor == th && y < _digammaTable!.Length ? _digammaTable[(int)y]
            : NumericalFunctions.Digamma(y + th) - NumericalFunctions.Digamma(th);
        return wt * th * (psi - NumericalFunctions.Log1P(mu / th) + (mu - y) / (th + mu));
    }

    /// <summary>
    /// Σ wt(log Γ(y + θ) − log Γ(θ) − log Γ(y + 1) + θ log θ + y log y − (y + θ) log(y + θ)), by a table over the counts
    /// (log Γ(k + θ) − log Γ(θ) − log Γ(k + 1) = Σ_{j&lt;k} log((θ + j)/(j + 1))) when the counts are not too large.
    /// </summary>
    internal override double SaturatedLogLikelihood(ReadOnlySpan<double> y, ReadOnlySpan<double> wt)
    {
        int max = TableSize(y);
        if (max < 0) return base.SaturatedLogLikelihood(y, wt);
        double th = Dispersion;
        if (_saturatedTable is null || _saturatedTable.Length < max + 1) _saturatedTable = new double[max + 1];
        var t = _saturatedTable;
        double lg = 0, thLogTh = th * Math.Log(th);
        t[0] = 0;
        for (int k = 1; k <= max; k++)
        {
            lg += Math.Log((th + k - 1) / k);
            // k log k − (k + θ) log(k + θ) = −k log(1 + θ/k) − θ log(k + θ).
            t[k] = lg + thLogTh - k * NumericalFunctions.Log1P(th / k) - th * Math.Log(k + th);
        }
        double s = 0;
        for (int i = 0; i < y.Length; i++)
            if (wt[i] != 0) s += wt[i] * t[(int)y[i]];
        return s;
    }

    /// <summary>2wt(y log(max(y, 1)/μ) − (y + θ) log((y + θ)/(μ + θ))) (MASS's <c>negative.binomial()$dev.resids</c>).</summary>
    public override double DevianceResidual(double y, double mu, double wt)
    {
        double th = Dispersion;
        double a = y > 0 ? y * Math.Log(y / mu) : 0.0;
        // (y + θ) log((y + θ)/(μ + θ)) = (y + θ) log1p((y − μ)/(μ + θ)).
        double b = (y + th) * NumericalFunctions.Log1P((y - mu) / (mu + th));
        return 2.0 * wt * (a - b);
    }

    /// <summary>wt·log dnbinom(y, size = θ, mu = μ); 0 when wt = 0.</summary>
    public override double LogLikelihood(double y, double mu, double wt)
    {
        if (wt == 0) return 0.0;
        double th = Dispersion;
        double lg = NumericalFunctions.LogGamma(y + th) - NumericalFunctions.LogGamma(th) - NumericalFunctions.LogGamma(y + 1.0);
        // θ log(θ/(θ + μ)) + y log(μ/(θ + μ)).
        double l = -th * NumericalFunctions.Log1P(mu / th) + (y > 0 ? y * (Math.Log(mu) - Math.Log(th + mu)) : 0.0);
        return wt * (lg + l);
    }

    /// <inheritdoc/>
    public override string DispersionLabel => "Dispersion parameter for nbinom2 family ()";

    /// <summary>y + 1/6 at y = 0, else y (MASS's <c>mustart</c>).</summary>
    public override double StartingMu(double y, double wt) => y == 0 ? 1.0 / 6.0 : y;

    /// <summary>μ finite and positive.</summary>
    public override bool IsValidMu(double mu) => double.IsFinite(mu) && mu > 0;

    /// <summary>The moment estimate Σμ² / Σ((y − μ)² − μ), or 1 when the counts are not overdispersed.</summary>
    private protected override double StartDispersion(ReadOnlySpan<double> y, ReadOnlySpan<double> mu, ReadOnlySpan<double> wt)
    {
        double num = 0, den = 0;
        for (int i = 0; i < y.Length; i++)
        {
            double r = y[i] - mu[i];
            num += wt[i] * mu[i] * mu[i];
            den += wt[i] * (r * r - mu[i]);
        }
        double th = num / den;
        return double.IsFinite(th) && th > 1e-8 && th < 1e8 ? th : 1.0;
    }

    /// <summary>Rejects non-finite or negative weights and responses that are not non-negative integers.</summary>
    public override void ValidateResponse(ReadOnlySpan<double> y, ReadOnlySpan<double> weights)
        => ValidateCounts(y, weights);
}
