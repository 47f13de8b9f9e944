using System.Text;
using System.Text.Json;

namespace Glmm.Results;

/// <summary>Writes a fit as one JSON object (invariant formatting; non-finite numbers as null).</summary>
public static class JsonWriter
{
    /// <summary>
    /// The version of every JSON document the tool writes (fit, describe, predict, compare), as its first property
    /// <c>schemaVersion</c>: the minor number grows when properties are added, the major one when any changes meaning.
    /// </summary>
    public const string SchemaVersion = "1.1";

    /// <summary>Writes <c>"schemaVersion"</c>, the first property of every document.</summary>
    public static void WriteSchemaVersion(Utf8JsonWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.WriteString("schemaVersion", SchemaVersion);
    }

    /// <summary>
    /// The document of work interrupted before it had a result (Ctrl-C during a fit): <c>{"schemaVersion", "partial": true,
    /// "interrupted": what, "evaluations", "stage", "bestObjective"}</c>: the stage under way and the smallest criterion it
    /// reached (null before one).
    /// </summary>
    public static string WriteInterrupted(string what, int evaluations, string stage, double bestObjective)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            WriteSchemaVersion(w);
            w.WriteBoolean("partial", true);
            w.WriteString("interrupted", what);
            w.WriteNumber("evaluations", evaluations);
            w.WriteString("stage", stage);
            Number(w, "bestObjective", bestObjective);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>
    /// The fit as an indented JSON object; <paramref name="extra"/> may write further properties (predictions,
    /// intervals, …) into the same object before it is closed.
    /// </summary>
    public static string Write(GlmmFit fit, bool includeRanef = false, Action<Utf8JsonWriter>? extra = null)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            WriteSchemaVersion(w);
            w.WriteString("method", fit.Method.Name());
            if (fit.Method == FitMethod.AdaptiveQuadrature)
            {
                w.WriteNumber("nAGQ", fit.NAgq);
                w.WriteString("grid", fit.Grid?.Name());
                w.WriteNumber("nodesPerCluster", fit.NodesPerCluster);
            }
            if (fit.Reml is not null)
            {
                w.WriteString("reml", fit.Reml.Value.Name());
                Number(w, "restrictedLogLik", fit.RestrictedLogLik);
            }
            if (fit.FixedEffectsPrior is { } prior)
            {
                w.WriteStartObject("fixefPrior");
                w.WriteString("type", "normal");
                w.WriteNumber("sdIntercept", prior.InterceptSd);
                w.WriteNumber("sd", prior.Sd);
                w.WriteEndObject();
                Number(w, "penalizedDeviance", fit.PenalizedDeviance);
            }
            w.WriteString("family", fit.Family.Name);
            w.WriteString("link", fit.Family.Link.Name);
            w.WriteString("formula", fit.Formula);
            w.WriteNumber("nobs", fit.Nobs);
            w.WriteNumber("droppedRows", fit.DroppedRows);
            w.WriteStartArray("droppedColumns");
            foreach (var c in fit.Model.X.DroppedColumns) w.WriteStringValue(c);
            w.WriteEndArray();
            Number(w, "logLik", fit.LogLik);
            Number(w, "deviance", fit.Deviance);
            Number(w, "AIC", fit.AIC);
            Number(w, "BIC", fit.BIC);
            w.WriteNumber("dfResidual", fit.DfResidual);
            // glmmTMB's sigma(): the residual SD of a linear mixed model, 1/sqrt(shape) for Gamma, the size theta for nbinom2.
            if (double.IsFinite(fit.Sigma) || fit.Family.HasDispersion)
            {
                Number(w, "sigma", fit.Sigma);
                Number(w, "sigmaStdError", fit.SigmaStdError);
            }
            if (double.IsFinite(fit.RemlCriterion)) Number(w, "remlCriterion", fit.RemlCriterion);
            // A linear mixed model's df method (lmerTest's ddf) of the fixedEffects' t, df and p.
            if (fit.Ddf is { } ddf) w.WriteString("ddf", ddf.Name());
            w.WriteStartArray("fixedEffects");
            foreach (var f in fit.FixedEffects)
            {
                w.WriteStartObject();
                w.WriteString("name", f.Name);
                Number(w, "estimate", f.Estimate);
                Number(w, "stdError", f.StdError);
                if (fit.Family is Families.Gaussian { IsLinearMixedModel: true })
                {
                    Number(w, "t", f.Z);
                    Number(w, "df", f.Df);
                }
                else Number(w, "z", f.Z);
                Number(w, "p", f.P);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            // The covariance of β̂ (lme4's vcov), rows in fixedEffects order.
            w.WriteStartArray("vcov");
            for (int i = 0; i < fit.FixedEffects.Count; i++)
            {
                w.WriteStartArray();
                for (int j = 0; j < fit.FixedEffects.Count; j++) Value(w, fit.FixedEffectsCovariance[i, j]);
                w.WriteEndArray();
            }
            w.WriteEndArray();
            // Kenward-Roger's adjusted covariance (pbkrtest's vcovAdj), whose diagonal gives the fixedEffects' stdError.
            if (fit.AdjustedFixedEffectsCovariance is { } adjusted)
            {
                w.WriteStartArray("vcovAdjusted");
                for (int i = 0; i < adjusted.Rows; i++)
                {
                    w.WriteStartArray();
                    for (int j = 0; j < adjusted.Columns; j++) Value(w, adjusted[i, j]);
                    w.WriteEndArray();
                }
                w.WriteEndArray();
            }
            WriteRandomEffects(w, fit.RandomEffects);
            w.WriteStartArray("theta");
            foreach (var t in fit.Theta) Value(w, t);
            w.WriteEndArray();
            w.WriteBoolean("converged", fit.Converged);
            w.WriteBoolean("singular", fit.Singular);
            w.WriteStartArray("warnings");
            foreach (var m in fit.Warnings) w.WriteStringValue(m);
            w.WriteEndArray();
            w.WriteNumber("evaluations", fit.Evaluations);
            w.WriteNumber("sweeps", fit.Sweeps);
            Number(w, "seconds", Math.Round(fit.Seconds, 4));
            // The solver of the penalized system (issue 17), and for the iterative one its settings and accuracy.
            w.WriteString("solver", fit.Solver == LinearSolver.Iterative ? "iterative" : "cholesky");
            w.WriteString("solverReason", fit.SolverReason);
            if (fit.Iterative is { } it)
            {
                Number(w, "logLikMonteCarloError", it.LogLikMonteCarloError);
                w.WriteStartObject("iterative");
                w.WriteNumber("probes", it.Probes);
                w.WriteNumber("logLikProbes", it.LogLikProbes);
                w.WriteNumber("seed", it.Seed);
                w.WriteString("preconditioner", it.Preconditioner);
                Number(w, "tolerance", it.Tolerance);
                Number(w, "meanIterations", Math.Round(it.MeanIterations, 2));
                w.WriteEndObject();
            }
            if (includeRanef)
            {
                w.WriteStartArray("ranef");
                foreach (var m in fit.ConditionalModes)
                {
                    w.WriteStartObject();
                    w.WriteString("group", m.Group);
                    w.WriteString("level", m.Level);
                    w.WriteString("term", m.Term);
                    Number(w, "mode", m.Mode);
                    Number(w, "condSD", m.ConditionalSD);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            extra?.Invoke(w);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>
    /// Writes <c>"randomEffects": [{group, terms, stdDev, correlation, levels}, …]</c> (the fit's; also each row of the
    /// quadrature check).
    /// </summary>
    public static void WriteRandomEffects(Utf8JsonWriter w, IReadOnlyList<RandomEffectsComponent> components)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(components);
        w.WriteStartArray("randomEffects");
        foreach (var r in components)
        {
            w.WriteStartObject();
            w.WriteString("group", r.Group);
            w.WriteStartArray("terms");
            foreach (var t in r.Terms) w.WriteStringValue(t);
            w.WriteEndArray();
            w.WriteStartArray("stdDev");
            foreach (var s in r.StdDev) Value(w, s);
            w.WriteEndArray();
            w.WriteStartArray("correlation");
            int q = r.Terms.Count;
            for (int i = 0; i < q; i++)
            {
                w.WriteStartArray();
                for (int j = 0; j < q; j++) Value(w, r.Correlation[i, j]);
                w.WriteEndArray();
            }
            w.WriteEndArray();
            w.WriteNumber("levels", r.Levels);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>Writes a named number, or null when it is not finite.</summary>
    public static void Number(Utf8JsonWriter w, string name, double v)
    {
        w.WritePropertyName(name);
        Value(w, v);
    }

    /// <summary>Writes a number, or null when it is not finite.</summary>
    public static void Value(Utf8JsonWriter w, double v)
    {
        if (double.IsFinite(v)) w.WriteNumberValue(v);
        else w.WriteNullValue();
    }
}
