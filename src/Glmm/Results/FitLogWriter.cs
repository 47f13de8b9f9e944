using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Glmm.Results;

/// <summary>The fit log (<see cref="GlmmFit.FitLog"/>) as text lines and as the JSON array <c>fitLog</c>.</summary>
public static class FitLogWriter
{
    /// <summary>
    /// One evaluation as a line: <c>  12  Laplace  184.05352  theta [0.642, …]  beta [−1.398, …]</c> (the criterion
    /// and the parameters to 8 significant digits; "Inf" where the criterion could not be evaluated).
    /// </summary>
    public static string FormatLine(FitEvaluation e)
    {
        var sb = new StringBuilder();
        sb.Append(e.Evaluation.ToString(CultureInfo.InvariantCulture).PadLeft(5)).Append("  ").Append(e.Stage.PadRight(24))
            .Append(double.IsFinite(e.Objective) ? e.Objective.ToString("G10", CultureInfo.InvariantCulture) : "Inf")
            .Append("  theta ").Append(Vector(e.Theta));
        if (e.Beta.Count > 0) sb.Append("  beta ").Append(Vector(e.Beta));
        if (e.Dispersion is { } d) sb.Append("  dispersion ").Append(d.ToString("G8", CultureInfo.InvariantCulture));
        return sb.ToString();
    }

    /// <summary>The header line over <see cref="FormatLine"/>'s lines.</summary>
    public static string Header => " eval  stage                   criterion";

    /// <summary>Writes <c>"fitLog": [{evaluation, stage, objective, theta, beta, dispersion?}, …]</c>.</summary>
    public static void WriteJson(Utf8JsonWriter w, IReadOnlyList<FitEvaluation> log)
    {
        w.WriteStartArray("fitLog");
        foreach (var e in log)
        {
            w.WriteStartObject();
            w.WriteNumber("evaluation", e.Evaluation);
            w.WriteString("stage", e.Stage);
            JsonWriter.Number(w, "objective", e.Objective);
            w.WriteStartArray("theta");
            foreach (double t in e.Theta) JsonWriter.Value(w, t);
            w.WriteEndArray();
            w.WriteStartArray("beta");
            foreach (double b in e.Beta) JsonWriter.Value(w, b);
            w.WriteEndArray();
            if (e.Dispersion is { } d) JsonWriter.Number(w, "dispersion", d);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static string Vector(IReadOnlyList<double> v) =>
        "[" + string.Join(", ", v.Select(x => double.IsFinite(x) ? x.ToString("G8", CultureInfo.InvariantCulture) : "NA")) + "]";
}
