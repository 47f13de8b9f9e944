using System.Runtime.CompilerServices;
namespace Glmm.Families;

/// <summary>
/// The Poisson family. Links: log (default), sqrt, identity — the ones R's <c>poisson()</c> accepts.
/// </summary>
/// <remarks>
/// Non-integer responses are accepted (R only warns, and the deviance is still defined), but, as in
/// R, dpois is then −∞ so the log-likelihood of such a row is −∞; <see cref="ResponseWarnings"/>
/// reports them.
/// </remarks>
public sealed class Poisson : Family
{
    /// <summary>The links this family accepts.</summary>
    public static IReadOnlyList<string> LinkNames { get; } = ["log", "identity", "sqrt"];

    /// <summary>Creates the family; <paramref name="link"/> null means log.</summary>
    /// <exception cref="GlmmInputException">The link is not one of <see cref="LinkNames"/>.</exception>
    public Poisson(Link? link = null) : base(AllowedLink(link ?? LogLink.Instance, "poisson", LinkNames)) { }

    /// <inheritdoc/>
    public override string Name => "poisson";

    /// <summary>μ.</summary>
    public override double Variance(double mu) => mu;

    /// <summary>1.</summary>
    public override double VarianceDerivative(double mu) => 1.0;

    /// <summary>True for the log link.</summary>
    public override bool IsCanonical => Link.Name == "log";

    /// <summary>2·wt·(y log(y/μ) − (y − μ)), which is 2·wt·μ at y = 0 (R's <c>poisson()$dev.resids</c>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override double DevianceResidual(double y, double mu, double wt) =>
        y > 0 ? 2.0 * (wt * (y * Math.Log(y / mu) - (y - mu))) : 2.0 * (mu * wt);

    /// <summary>Fused log-link fast path (μ = e^η, weight wt·μ, score wt·(y − μ)); other links take the general path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void IrlsRow(double y, double wt, double eta, out double mu, out double weight, out double score, out double deviance)
    {
        if (Link is not LogLink)
        {
            base.IrlsRow(y, wt, eta, out mu, out weight, out score, out deviance);
            return;
        }
        mu = Math.Max(Math.Exp(eta), Families.Link.DoubleEpsilon);
        weight = wt * mu;
        score = wt * (y - mu);
        deviance = DevianceResidual(y, mu, wt);
    }

    /// <summary>wt·log dpois(y, μ) (R's <c>poisson()$aic</c>); 0 when wt = 0.</summary>
    public override double LogLikelihood(double y, double mu, double wt) =>
        wt == 0 ? 0.0 : wt * SaddlePointDensity.LogDpois(y, mu);

    /// <summary>y + 0.1.</summary>
    public override double StartingMu(double y, double wt) => y + 0.1;

    /// <summary>μ finite and positive.</summary>
    public override bool IsValidMu(double mu) => double.IsFinite(mu) && mu > 0;

    /// <summary>Rejects non-finite or negative weights and non-finite or negative responses.</summary>
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
            if (y[i] < 0)
                throw new GlmmInputException($"row {Row(i)}: negative response {Num(y[i])} is not allowed for the poisson family");
        }
    }

    /// <summary>Reports the first non-integer response (whose log-likelihood is −∞, as R's dpois).</summary>
    public override IReadOnlyList<string> ResponseWarnings(ReadOnlySpan<double> y, ReadOnlySpan<double> weights)
    {
        for (int i = 0; i < y.Length; i++)
            if (Math.Abs(y[i] - Math.Round(y[i])) > 1e-7 * Math.Max(1.0, Math.Abs(y[i])))
                return [$"non-integer response {Num(y[i])} at row {Row(i)} in a poisson model: its log-likelihood is -Inf, as R's dpois"];
        return [];
    }

    /// <inheritdoc/>
    public override void WorkingWeights(ReadOnlySpan<double> mu, ReadOnlySpan<double> muEta, ReadOnlySpan<double> wt, Span<double> w)
    {
        CheckLengths(mu.Length, muEta.Length, wt.Length);
        if (w.Length != mu.Length) throw new ArgumentException("all spans must have the same length");
        for (int i = 0; i < mu.Length; i++)
            w[i] = wt[i] == 0 ? 0.0 : wt[i] * muEta[i] * muEta[i] / mu[i];
    }
}
