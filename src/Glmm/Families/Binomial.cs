using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
namespace Glmm.Families;

/// <summary>
/// The binomial family: y is the proportion of successes and the weight is the number of trials
/// (for 0/1 data, the weight is 1 or a case weight). Links: logit (default), probit, cauchit,
/// cloglog, log — the ones R's <c>binomial()</c> accepts.
/// </summary>
/// <remarks>
/// <para>Log-likelihood. R's <c>binomial()$aic</c> uses <c>m = if (any(n &gt; 1)) n else weights</c>,
/// where n is the number of trials from a two-column (successes, failures) response and 1 for a
/// vector response; each row contributes (wt/m)·dbinom(round(m·y), round(m), μ). When the response
/// is a vector (n ≡ 1) or the prior weights are all 1 (so weights = n), m equals the weight in
/// every row; that is what <see cref="LogLikelihood(double, double, double)"/> and the three-span
/// overload compute. For a two-column response with prior weights other than 1, call
/// <see cref="LogLikelihood(ReadOnlySpan{double}, ReadOnlySpan{double}, ReadOnlySpan{double}, ReadOnlySpan{double})"/>
/// with the trial counts, which applies R's whole-data rule.</para>
/// <para>Probabilities use Loader's saddle-point form, as R's <c>dbinom</c>.</para>
/// </remarks>
public sealed class Binomial : Family
{
    private static readonly Link[] Links = [Link.Logit, Link.Probit, Link.Cloglog, Link.Cauchit, Link.Log];

    /// <summary>Creates the family; <paramref name="link"/> null means logit (the canonical link).</summary>
    /// <exception cref="GlmmInputException">The link is not one of <see cref="Family.AllowedLinks"/> (logit, probit, cloglog, cauchit, log).</exception>
    public Binomial(Link? link = null) : base("binomial", link, Link.Logit, Links) { }

    /// <inheritdoc/>
    public override string Name => "binomial";

    /// <summary>
    /// Fused logit fast path: one exponential and one logarithm per row, deviance as
    /// 2wt[y·max(−η,0) + (1−y)·max(η,0) + log(1 + e^−|η|) + y log y + (1−y) log(1−y)]; other links and
    /// |η| beyond R's clamp at 30 take the general path.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void IrlsRow(double y, double wt, double eta, out double mu, out double weight, out double score, out double deviance)
    {
        if (Link is not LogitLink || eta > 30.0 || eta < -30.0)
        {
            base.IrlsRow(y, wt, eta, out mu, out weight, out score, out deviance);
            return;
        }
        double e = Math.Exp(-Math.Abs(eta));
        double inv = 1.0 / (1.0 + e);
        mu = eta >= 0 ? inv : e * inv;
        weight = wt * e * inv * inv;
        score = wt * (y - mu);
        double d = NumericalFunctions.Log1P(e) + (eta >= 0 ? (1.0 - y) * eta : -y * eta);
        if (y > 0 && y < 1) d += y * Math.Log(y) + (1.0 - y) * Math.Log(1.0 - y);
        deviance = 2.0 * wt * d;
    }

    /// <summary>
    /// Logit rows four at a time (<see cref="VectorizedFunctions"/>): the same formulas as <see cref="IrlsRow"/>; a group
    /// of four with a proportion strictly between 0 and 1 or an |η| beyond 30 takes the scalar path.
    /// </summary>
    internal override double IrlsRows(ReadOnlySpan<double> y, ReadOnlySpan<double> wt, ReadOnlySpan<double> eta,
        Span<double> mu, Span<double> weight, Span<double> score) =>
        Link is LogitLink && VectorizedFunctions.IsSupported
            ? LogitRows(y, wt, eta, mu, weight, score, rowsWanted: true)
            : base.IrlsRows(y, wt, eta, mu, weight, score);

    /// <summary>The deviance of logit rows four at a time, as <see cref="IrlsRows"/>.</summary>
    internal override double DevianceRows(ReadOnlySpan<double> y, ReadOnlySpan<double> wt, ReadOnlySpan<double> eta) =>
        Link is LogitLink && VectorizedFunctions.IsSupported
            ? LogitRows(y, wt, eta, default, default, default, rowsWanted: false)
            : base.DevianceRows(y, wt, eta);

    /// <summary>Σ deviance over logit rows and, when <paramref name="rowsWanted"/>, μ, weight and score of each.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private double LogitRows(ReadOnlySpan<double> y, ReadOnlySpan<double> wt, ReadOnlySpan<double> eta,
        Span<double> mu, Span<double> weight, Span<double> score, bool rowsWanted)
    {
        int n = y.Length, i = 0;
        var acc = Vector256<double>.Zero;
        var one = Vector256<double>.One;
        var limit = Vector256.Create(30.0);
        double dev = 0;
        for (; i + 4 <= n; i += 4)
        {
            var ev = Vector256.Create(eta.Slice(i, 4));
            var yv = Vector256.Create(y.Slice(i, 4));
            var fractional = Vector256.GreaterThan(yv, Vector256<double>.Zero) & Vector256.LessThan(yv, one);
            if (Vector256.GreaterThanAny(Vector256.Abs(ev), limit) || fractional != Vector256<double>.Zero)
            {
                for (int j = i; j < i + 4; j++) dev += ScalarRow(y, wt, eta, mu, weight, score, j, rowsWanted);
                continue;
            }
            var wv = Vector256.Create(wt.Slice(i, 4));
            var e = VectorizedFunctions.Exp(-Vector256.Abs(ev));
            var positive = Vector256.GreaterThanOrEqual(ev, Vector256<double>.Zero);
            if (rowsWanted)
            {
                var inv = one / (one + e);
                var m = Vector256.ConditionalSelect(positive, inv, e * inv);
                m.CopyTo(mu.Slice(i, 4));
                (wv * e * inv * inv).CopyTo(weight.Slice(i, 4));
                (wv * (yv - m)).CopyTo(score.Slice(i, 4));
            }
            var lin = Vector256.ConditionalSelect(positive, (one - yv) * ev, -(yv * ev));
            acc += wv * (VectorizedFunctions.Log1PUnit(e) + lin);
        }
        dev += 2.0 * Vector256.Sum(acc);
        for (; i < n; i++) dev += ScalarRow(y, wt, eta, mu, weight, score, i, rowsWanted);
        return dev;
    }

    /// <summary>One 0/1 row at many η (the nodes of a quadrature), four at a time for the logit link.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal override void DeviancesAt(double y, double wt, ReadOnlySpan<double> eta, Span<double> deviance)
    {
        if (Link is not LogitLink || !VectorizedFunctions.IsSupported || (y > 0 && y < 1))
        {
            base.DeviancesAt(y, wt, eta, deviance);
            return;
        }
        int n = eta.Length, k = 0;
        var yv = Vector256.Create(y);
        var twoWt = Vector256.Create(2.0 * wt);
        var one = Vector256<double>.One;
        var limit = Vector256.Create(30.0);
        for (; k + 4 <= n; k += 4)
        {
            var ev = Vector256.Create(eta.Slice(k, 4));
            if (Vector256.GreaterThanAny(Vector256.Abs(ev), limit))
            {
                for (int j = k; j < k + 4; j++) deviance[j] = DevianceAt(y, wt, eta[j]);
                continue;
            }
            var e = VectorizedFunctions.Exp(-Vector256.Abs(ev));
            var positive = Vector256.GreaterThanOrEqual(ev, Vector256<double>.Zero);
            var lin = Vector256.ConditionalSelect(positive, (one - yv) * ev, -(yv * ev));
            (twoWt * (VectorizedFunctions.Log1PUnit(e) + lin)).CopyTo(deviance.Slice(k, 4));
        }
        for (; k < n; k++) deviance[k] = DevianceAt(y, wt, eta[k]);
    }

    /// <summary>Logit fast path of the deviance at η: one exponential and one logarithm.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override double DevianceAt(double y, double wt, double eta)
    {
        if (Link is not LogitLink || eta > 30.0 || eta < -30.0) return base.DevianceAt(y, wt, eta);
        double d = NumericalFunctions.Log1P(Math.Exp(-Math.Abs(eta))) + (eta >= 0 ? (1.0 - y) * eta : -y * eta);
        if (y > 0 && y < 1) d += y * Math.Log(y) + (1.0 - y) * Math.Log(1.0 - y);
        return 2.0 * wt * d;
    }

    /// <summary>μ(1 − μ).</summary>
    public override double Variance(double mu) => mu * (1.0 - mu);

    /// <summary>1 − 2μ.</summary>
    public override double VarianceDerivative(double mu) => 1.0 - 2.0 * mu;

    /// <summary>V''(μ) = −2.</summary>
    internal override double VarianceSecondDerivative(double mu) => -2.0;

    /// <summary>True for the logit link.</summary>

    /// <summary>2·wt·(y log(y/μ) + (1−y) log((1−y)/(1−μ))), with 0·log 0 = 0 (R's <c>binomial_dev_resids</c>);
    /// 0 when wt = 0 (R zeroes y on such rows, so whatever y they hold cannot make this NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override double DevianceResidual(double y, double mu, double wt) =>
        wt == 0 ? 0.0 : 2.0 * wt * (YLogY(y, mu) + YLogY(1.0 - y, 1.0 - mu));

    private static double YLogY(double y, double mu) => y != 0.0 ? y * Math.Log(y / mu) : 0.0;

    /// <summary>log dbinom(round(wt·y), round(wt), μ); 0 when wt ≤ 0 (R's aic with m = wt).</summary>
    public override double LogLikelihood(double y, double mu, double wt) =>
        wt > 0 ? SaddlePointDensity.LogDbinom(Math.Round(wt * y), Math.Round(wt), mu) : 0.0;

    /// <summary>
    /// R's <c>binomial()$aic</c> rule in full: <c>m = any(trials &gt; 1) ? trials : wt</c>, each row
    /// contributing (wt/m)·log dbinom(round(m·y), round(m), μ), and 0 where m ≤ 0. Here
    /// <paramref name="trials"/> is R's n: the row totals of a two-column response, or all 1.
    /// </summary>
    public double LogLikelihood(ReadOnlySpan<double> y, ReadOnlySpan<double> mu, ReadOnlySpan<double> wt, ReadOnlySpan<double> trials)
    {
        CheckLengths(y.Length, mu.Length, wt.Length);
        if (trials.Length != y.Length) throw new ArgumentException("trials must have one value per row", nameof(trials));
        bool useTrials = false;
        foreach (double n in trials)
            if (n > 1) { useTrials = true; break; }
        if (!useTrials) return LogLikelihood(y, mu, wt);
        double sum = 0;
        for (int i = 0; i < y.Length; i++)
        {
            double m = trials[i];
            if (m > 0)
                sum += wt[i] / m * SaddlePointDensity.LogDbinom(Math.Round(m * y[i]), Math.Round(m), mu[i]);
        }
        return sum;
    }

    /// <summary>(wt·y + ½)/(wt + 1).</summary>
    public override double StartingMu(double y, double wt) => (wt * y + 0.5) / (wt + 1.0);

    /// <summary>μ finite with 0 &lt; μ &lt; 1.</summary>
    public override bool IsValidMu(double mu) => double.IsFinite(mu) && mu > 0 && mu < 1;

    /// <summary>
    /// Rejects non-finite or negative weights, non-finite y, and y outside [0, 1] (rows with weight 0
    /// are not checked for range, as R sets their y to 0).
    /// </summary>
    public override void ValidateResponse(ReadOnlySpan<double> y, ReadOnlySpan<double> weights)
    {
        if (y.Length != weights.Length) throw new ArgumentException("y and weights must have the same length");
        for (int i = 0; i < y.Length; i++)
        {
            double w = weights[i];
            CheckRow(i, y[i], w);
            if (w > 0 && (y[i] < 0 || y[i] > 1))
                throw new GlmmInputException(
                    $"row {Row(i)}: binomial response {Num(y[i])} is outside [0, 1] (give a proportion with the number of trials as weight, or successes and failures)");
        }
    }

    /// <summary>R's warning when wt·y is not a whole number (tolerance 0.001, as R's initialize).</summary>
    public override IReadOnlyList<string> ResponseWarnings(ReadOnlySpan<double> y, ReadOnlySpan<double> weights)
    {
        for (int i = 0; i < y.Length; i++)
        {
            double m = weights[i] * y[i];
            if (Math.Abs(m - Math.Round(m)) > 0.001)
                return [$"non-integer #successes in a binomial glm! (first at row {Row(i)})"];
        }
        return [];
    }

    /// <inheritdoc/>
    public override void WorkingWeights(ReadOnlySpan<double> mu, ReadOnlySpan<double> muEta, ReadOnlySpan<double> wt, Span<double> w)
    {
        CheckLengths(mu.Length, muEta.Length, wt.Length);
        if (w.Length != mu.Length) throw new ArgumentException("all spans must have the same length");
        for (int i = 0; i < mu.Length; i++)
            w[i] = wt[i] == 0 ? 0.0 : wt[i] * muEta[i] * muEta[i] / (mu[i] * (1.0 - mu[i]));
    }
}
