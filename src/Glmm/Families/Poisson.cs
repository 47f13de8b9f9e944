using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
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
    private static readonly Link[] Links = [Link.Log, Link.Identity, Link.Sqrt];

    /// <summary>Creates the family; <paramref name="link"/> null means log (the canonical link).</summary>
    /// <exception cref="GlmmInputException">The link is not one of <see cref="Family.AllowedLinks"/> (log, identity, sqrt).</exception>
    public Poisson(Link? link = null) : base("poisson", link, Link.Log, Links) { }

    /// <inheritdoc/>
    public override string Name => "poisson";

    /// <summary>μ.</summary>
    public override double Variance(double mu) => mu;

    /// <summary>1.</summary>
    public override double VarianceDerivative(double mu) => 1.0;

    /// <summary>V''(μ) = 0.</summary>
    internal override double VarianceSecondDerivative(double mu) => 0.0;

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

    /// <summary>
    /// Log-link rows four at a time (<see cref="VectorizedFunctions"/>): μ = e^η, and the deviance as
    /// 2wt[y(log y − η) − (y − μ)] (log μ = η exactly where μ is not clamped); a group of four with η outside
    /// [log ε, 700] or a subnormal y takes the scalar path.
    /// </summary>
    internal override double IrlsRows(ReadOnlySpan<double> y, ReadOnlySpan<double> wt, ReadOnlySpan<double> eta,
        Span<double> mu, Span<double> weight, Span<double> score) =>
        Link is LogLink && VectorizedFunctions.IsSupported
            ? LogRows(y, wt, eta, mu, weight, score, rowsWanted: true)
            : base.IrlsRows(y, wt, eta, mu, weight, score);

    /// <summary>The deviance of log-link rows four at a time, as <see cref="IrlsRows"/>.</summary>
    internal override double DevianceRows(ReadOnlySpan<double> y, ReadOnlySpan<double> wt, ReadOnlySpan<double> eta) =>
        Link is LogLink && VectorizedFunctions.IsSupported
            ? LogRows(y, wt, eta, default, default, default, rowsWanted: false)
            : base.DevianceRows(y, wt, eta);

    private const double EtaMin = -36.04365338911715;   // log(DBL_EPSILON): below it μ is clamped
    private const double EtaMax = 700.0;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private double LogRows(ReadOnlySpan<double> y, ReadOnlySpan<double> wt, ReadOnlySpan<double> eta,
        Span<double> mu, Span<double> weight, Span<double> score, bool rowsWanted)
    {
        int n = y.Length, i = 0;
        var acc = Vector256<double>.Zero;
        var one = Vector256<double>.One;
        var lo = Vector256.Create(EtaMin);
        var hi = Vector256.Create(EtaMax);
        var tiny = Vector256.Create(2.2250738585072014e-308);
        double dev = 0;
        for (; i + 4 <= n; i += 4)
        {
            var ev = Vector256.Create(eta.Slice(i, 4));
            var yv = Vector256.Create(y.Slice(i, 4));
            var positive = Vector256.GreaterThan(yv, Vector256<double>.Zero);
            bool scalar = !Vector256.GreaterThanOrEqualAll(ev, lo) || !Vector256.LessThanOrEqualAll(ev, hi)
                || (positive & Vector256.LessThan(yv, tiny)) != Vector256<double>.Zero;
            if (scalar)
            {
                for (int j = i; j < i + 4; j++) dev += ScalarRow(y, wt, eta, mu, weight, score, j, rowsWanted);
                continue;
            }
            var wv = Vector256.Create(wt.Slice(i, 4));
            var m = VectorizedFunctions.Exp(ev);
            if (rowsWanted)
            {
                m.CopyTo(mu.Slice(i, 4));
                (wv * m).CopyTo(weight.Slice(i, 4));
                (wv * (yv - m)).CopyTo(score.Slice(i, 4));
            }
            var logY = VectorizedFunctions.Log(Vector256.ConditionalSelect(positive, yv, one));
            acc += wv * (yv * (logY - ev) - (yv - m));
        }
        dev += 2.0 * Vector256.Sum(acc);
        for (; i < n; i++) dev += ScalarRow(y, wt, eta, mu, weight, score, i, rowsWanted);
        return dev;
    }

    /// <summary>One row at many η (the nodes of a quadrature), four at a time for the log link.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal override void DeviancesAt(double y, double wt, ReadOnlySpan<double> eta, Span<double> deviance)
    {
        if (Link is not LogLink || !VectorizedFunctions.IsSupported)
        {
            base.DeviancesAt(y, wt, eta, deviance);
            return;
        }
        int n = eta.Length, k = 0;
        var yv = Vector256.Create(y);
        var logY = Vector256.Create(y > 0 ? Math.Log(y) : 0.0);
        var twoWt = Vector256.Create(2.0 * wt);
        var lo = Vector256.Create(EtaMin);
        var hi = Vector256.Create(EtaMax);
        for (; k + 4 <= n; k += 4)
        {
            var ev = Vector256.Create(eta.Slice(k, 4));
            if (!Vector256.GreaterThanOrEqualAll(ev, lo) || !Vector256.LessThanOrEqualAll(ev, hi))
            {
                for (int j = k; j < k + 4; j++) deviance[j] = DevianceAt(y, wt, eta[j]);
                continue;
            }
            var m = VectorizedFunctions.Exp(ev);
            (twoWt * (yv * (logY - ev) - (yv - m))).CopyTo(deviance.Slice(k, 4));
        }
        for (; k < n; k++) deviance[k] = DevianceAt(y, wt, eta[k]);
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
            CheckRow(i, y[i], w);
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
