using System.Globalization;
using Glmm.Families;

namespace Glmm.Inference;

/// <summary>Options of the quadrature adequacy check.</summary>
public sealed record QuadratureCheckOptions
{
    /// <summary>
    /// The log-likelihood is stable when two successive K differ by less than this (default 10⁻³: a thousandth of a
    /// log-likelihood unit, far below what changes a likelihood-ratio test or an AIC comparison, and above the optimiser's
    /// own accuracy of about 10⁻⁵ at the default tolerance).
    /// </summary>
    public double Tolerance { get; init; } = 1e-3;

    /// <summary>The largest K tried (odd K: 1, 3, 5, …; at most 25, lme4's upper limit of nAGQ, unless raised).</summary>
    public int MaxNagq { get; init; } = 25;

    /// <summary>
    /// The budget of each refit in row-node evaluations, as <see cref="GlmmOptions.MaxQuadratureWork"/> (NaN: the fit's own
    /// budget). The check stops before the first K above it instead of failing.
    /// </summary>
    public double MaxQuadratureWork { get; init; } = double.NaN;

    /// <summary>Threads for the refits; 0 for all cores (results do not depend on it); null: the fit's own setting.</summary>
    public int? Threads { get; init; }
}

/// <summary>One row of the quadrature check: the refit with K points per dimension and its changes from the previous K.</summary>
/// <param name="NAgq">K (1 = Laplace).</param>
/// <param name="LogLik">The maximised log-likelihood at K.</param>
/// <param name="FixedEffects">β̂ at K, in the order of the fit's fixed effects.</param>
/// <param name="RandomEffects">The random-effect SDs and correlations at K, one entry per term in lme4's order.</param>
/// <param name="Seconds">Wall-clock seconds of the refit.</param>
public sealed record QuadratureCheckRow(int NAgq, double LogLik, IReadOnlyList<double> FixedEffects, IReadOnlyList<RandomEffectsComponent> RandomEffects, double Seconds)
{
    /// <summary>The random-effect standard deviations at K, term by term (the columns of <see cref="QuadratureCheck.RandomEffectNames"/>).</summary>
    public IReadOnlyList<double> RandomEffectSDs => Array.AsReadOnly(RandomEffects.SelectMany(c => c.StdDev).ToArray());

    /// <summary>logLik(K) − logLik(previous K); NaN in the first row.</summary>
    public double LogLikChange { get; init; } = double.NaN;

    /// <summary>The largest |Δβ| from the previous K in units of the standard error at K; NaN in the first row.</summary>
    public double MaxFixedEffectChange { get; init; } = double.NaN;

    /// <summary>The largest |ΔSD| from the previous K, relative to the SD at K (absolute when the SD is 0); NaN in the first row.</summary>
    public double MaxRandomEffectSDChange { get; init; } = double.NaN;

    /// <summary>True when the refit converged.</summary>
    public bool Converged { get; init; } = true;
}

/// <summary>
/// "Is Laplace enough?": refits the model by adaptive Gauss–Hermite quadrature with K = 1 (Laplace), 3, 5, 7, … points per
/// random effect (product grid, K^q nodes per cluster) until the log-likelihood changes by less than the tolerance between
/// two successive K, within the cost budget of each refit; the recommendation is the smallest K whose log-likelihood is
/// within the tolerance of the last (most accurate) one. Needs random effects on one grouping factor, maximum likelihood,
/// and a family without a dispersion parameter (binomial, Poisson), as adaptive quadrature does here.
/// </summary>
public sealed class QuadratureCheck
{
    /// <summary>The table, one row per K, in increasing K.</summary>
    public required IReadOnlyList<QuadratureCheckRow> Rows { get; init; }

    /// <summary>The fixed-effect names (columns of <see cref="QuadratureCheckRow.FixedEffects"/>).</summary>
    public required IReadOnlyList<string> FixedEffectNames { get; init; }

    /// <summary>The random-effect SD names, <c>group.term</c> (columns of <see cref="QuadratureCheckRow.RandomEffectSDs"/>).</summary>
    public required IReadOnlyList<string> RandomEffectNames { get; init; }

    /// <summary>The tolerance on the log-likelihood change.</summary>
    public required double Tolerance { get; init; }

    /// <summary>True when two successive K agreed within the tolerance; false when the budget or the largest K stopped the check first.</summary>
    public required bool Stabilised { get; init; }

    /// <summary>The recommended K: 1 when the Laplace approximation is adequate.</summary>
    public required int RecommendedNagq { get; init; }

    /// <summary>Why the check stopped: stabilised, the largest K, or the budget (with the K refused).</summary>
    public required string StopReason { get; init; }

    /// <summary>Random effects per cluster (q): each refit has K^q nodes per cluster.</summary>
    public required int EffectsPerCluster { get; init; }

    /// <summary>One line: "Laplace adequate" or "use --nagq K", with the numbers behind it.</summary>
    public string Verdict()
    {
        var ci = CultureInfo.InvariantCulture;
        var last = Rows[^1];
        var first = Rows[0];
        string head = RecommendedNagq == 1 ? "Laplace adequate" : string.Create(ci, $"use --nagq {RecommendedNagq}");
        string detail = Stabilised
            ? string.Create(ci, $"logLik stable to {Tolerance:G3} by K = {last.NAgq} ({last.LogLik:F4}); Laplace differs by {first.LogLik - last.LogLik:G3}")
            : string.Create(ci, $"logLik not yet stable to {Tolerance:G3} ({StopReason}); the largest K fitted, {last.NAgq}, is used");
        return head + ": " + detail;
    }

    /// <summary>Runs the check on <paramref name="fit"/>.</summary>
    public static QuadratureCheck Run(GlmmFit fit, QuadratureCheckOptions? options = null, IProgress<QuadratureCheckRow>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fit);
        options ??= new QuadratureCheckOptions();
        var model = fit.Model;
        var re = model.Random;
        if (fit.Family is Gaussian { IsLinearMixedModel: true })
            throw new GlmmInputException("the quadrature check does not apply to a linear mixed model (gaussian family, identity link): its likelihood is exact, with no Laplace approximation to check");
        if (fit.Family.HasDispersion)
            throw new GlmmInputException($"the quadrature check needs adaptive quadrature, which the {fit.Family.Name} family does not have here yet (its dispersion parameter is fitted with the Laplace approximation only)");
        if (fit.Reml is not null)
            throw new GlmmInputException("the quadrature check compares maximum-likelihood fits; drop --reml");
        if (fit.FixedEffectsPrior is not null)
            throw new GlmmInputException("the quadrature check compares maximum-likelihood fits; drop --fixef-prior");
        if (!re.SingleGroupingFactor)
            throw new GlmmInputException($"the quadrature check needs all random-effect terms on one grouping factor, but this model's use {string.Join(", ", re.Terms.Select(t => t.GroupName).Distinct())} (crossed or nested): adaptive quadrature integrates each cluster separately");
        if (!(options.Tolerance > 0) || double.IsInfinity(options.Tolerance))
            throw new GlmmInputException(string.Create(CultureInfo.InvariantCulture, $"the quadrature check's tolerance must be a positive number, not {options.Tolerance}"));
        if (options.MaxNagq < 3)
            throw new GlmmInputException($"the quadrature check's largest K must be 3 or more, not {options.MaxNagq}");
        int maxK = Math.Min(options.MaxNagq, Fitting.CriterionFactory.MaxQuadraturePoints);
        int q = re.Terms.Sum(t => t.Q);
        double budget = double.IsNaN(options.MaxQuadratureWork) ? fit.Options.MaxQuadratureWork : options.MaxQuadratureWork;
        double evaluations = Fitting.CriterionFactory.ExpectedQuadratureEvaluations(re.ThetaLength + model.X.Columns);
        var baseOptions = fit.Options with
        {
            Grid = QuadratureGrid.Product,
            MaxQuadratureWork = budget,
            Threads = options.Threads ?? fit.Options.Threads,
        };

        var rows = new List<QuadratureCheckRow>();
        string? stop = null;
        bool stable = false;
        for (int k = 1; k <= maxK; k += 2)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (k > 1 && budget > 0 && !double.IsPositiveInfinity(budget))
            {
                double work = Math.Pow(k, q) * model.N * evaluations;
                if (work > budget)
                {
                    stop = string.Create(CultureInfo.InvariantCulture, $"K = {k} would need {work:G3} row-node evaluations, above the budget of {budget:G3}");
                    break;
                }
            }
            var refit = k == 1 && fit.NAgq == 1 ? fit : GlmmModel.Fit(model, baseOptions with { NAgq = k });
            var row = Row(refit, k, rows.Count > 0 ? rows[^1] : null);
            rows.Add(row);
            progress?.Report(row);
            if (rows.Count > 1 && Math.Abs(row.LogLikChange) < options.Tolerance)
            {
                stable = true;
                stop = "stabilised";
                break;
            }
        }
        stop ??= $"reached the largest K, {rows[^1].NAgq}";
        if (rows.Count == 1) stop = "no K > 1 fits the budget: " + stop;
        double final = rows[^1].LogLik;
        int recommended = rows[^1].NAgq;
        if (stable)
            foreach (var row in rows)
                if (Math.Abs(row.LogLik - final) < options.Tolerance) { recommended = row.NAgq; break; }
        return new QuadratureCheck
        {
            Rows = rows.AsReadOnly(),
            FixedEffectNames = fit.FixedEffects.Select(f => f.Name).ToArray(),
            RandomEffectNames = fit.RandomEffects.SelectMany(c => c.Terms.Select(t => $"{c.Group}.{t}")).ToArray(),
            Tolerance = options.Tolerance,
            Stabilised = stable,
            RecommendedNagq = recommended,
            StopReason = stop,
            EffectsPerCluster = q,
        };
    }

    private static QuadratureCheckRow Row(GlmmFit f, int k, QuadratureCheckRow? previous)
    {
        var beta = f.Beta.ToArray();
        var row = new QuadratureCheckRow(k, f.LogLik, beta, f.RandomEffects, f.Seconds) { Converged = f.Converged };
        var sds = row.RandomEffectSDs;
        var previousSds = previous?.RandomEffectSDs;
        if (previous is null) return row;
        double db = 0, ds = 0;
        for (int j = 0; j < beta.Length; j++)
        {
            double se = f.FixedEffects[j].StdError;
            double d = Math.Abs(beta[j] - previous.FixedEffects[j]);
            db = Math.Max(db, se > 0 && double.IsFinite(se) ? d / se : d);
        }
        for (int j = 0; j < sds.Count; j++)
        {
            double d = Math.Abs(sds[j] - previousSds![j]);
            ds = Math.Max(ds, sds[j] > 0 ? d / sds[j] : d);
        }
        return row with { LogLikChange = f.LogLik - previous.LogLik, MaxFixedEffectChange = db, MaxRandomEffectSDChange = ds };
    }

    /// <summary>
    /// Writes the check's properties into the open JSON object: <c>quadratureCheck</c> (one object per K: nagq, logLik, its change,
    /// fixedEffects as [{name, estimate}], randomEffects as the fit's [{group, terms, stdDev, correlation, levels}], the largest
    /// changes), <c>recommendedNagq</c>, <c>quadratureStabilised</c>, <c>quadratureTolerance</c> and <c>quadratureVerdict</c>.
    /// </summary>
    public void WriteJson(System.Text.Json.Utf8JsonWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.WriteStartArray("quadratureCheck");
        foreach (var r in Rows)
        {
            w.WriteStartObject();
            w.WriteNumber("nagq", r.NAgq);
            Results.JsonWriter.Number(w, "logLik", r.LogLik);
            Results.JsonWriter.Number(w, "logLikChange", r.LogLikChange);
            Results.JsonWriter.Number(w, "maxFixedEffectChange", r.MaxFixedEffectChange);
            Results.JsonWriter.Number(w, "maxRandomEffectSDChange", r.MaxRandomEffectSDChange);
            w.WriteStartArray("fixedEffects");
            for (int j = 0; j < r.FixedEffects.Count; j++)
            {
                w.WriteStartObject();
                w.WriteString("name", FixedEffectNames[j]);
                Results.JsonWriter.Number(w, "estimate", r.FixedEffects[j]);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            Results.JsonWriter.WriteRandomEffects(w, r.RandomEffects);
            w.WriteBoolean("converged", r.Converged);
            Results.JsonWriter.Number(w, "seconds", r.Seconds);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteNumber("recommendedNagq", RecommendedNagq);
        w.WriteBoolean("quadratureStabilised", Stabilised);
        Results.JsonWriter.Number(w, "quadratureTolerance", Tolerance);
        w.WriteString("quadratureStopReason", StopReason);
        w.WriteString("quadratureVerdict", Verdict());
    }

    /// <summary>The table as text: K, logLik, its change, the largest β change (in SEs) and SD change (relative), then β and the SDs.</summary>
    public string Format()
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new System.Text.StringBuilder();
        sb.Append(ci, $"Quadrature check ({EffectsPerCluster} random effect{(EffectsPerCluster == 1 ? "" : "s")} per cluster, product grid K^{EffectsPerCluster} nodes; tolerance {Tolerance:G3} on logLik)\n");
        var names = FixedEffectNames.Concat(RandomEffectNames.Select(n => "sd " + n)).ToArray();
        sb.Append(ci, $"{"K",4} {"logLik",14} {"change",11} {"max|dBeta|/SE",14} {"max|dSD|/SD",12} {"seconds",8}\n");
        foreach (var r in Rows)
        {
            string change = double.IsNaN(r.LogLikChange) ? "" : r.LogLikChange.ToString("G3", ci);
            string db = double.IsNaN(r.MaxFixedEffectChange) ? "" : r.MaxFixedEffectChange.ToString("G3", ci);
            string ds = double.IsNaN(r.MaxRandomEffectSDChange) ? "" : r.MaxRandomEffectSDChange.ToString("G3", ci);
            sb.Append(ci, $"{r.NAgq,4} {r.LogLik,14:F5} {change,11} {db,14} {ds,12} {r.Seconds,8:F2}{(r.Converged ? "" : "  (not converged)")}\n");
        }
        sb.Append('\n');
        int width = Math.Max(12, names.Max(n => n.Length) + 1);
        sb.Append("K".PadRight(width));
        foreach (var r in Rows) sb.Append(r.NAgq.ToString(ci).PadLeft(11));
        sb.Append('\n');
        for (int j = 0; j < names.Length; j++)
        {
            sb.Append(names[j].PadRight(width));
            foreach (var r in Rows)
            {
                double v = j < FixedEffectNames.Count ? r.FixedEffects[j] : r.RandomEffectSDs[j - FixedEffectNames.Count];
                sb.Append(v.ToString("F6", ci).PadLeft(11));
            }
            sb.Append('\n');
        }
        sb.Append('\n').Append(Verdict()).Append('\n');
        return sb.ToString();
    }
}
