using System.Text.Json;
using Glmm.Results;

namespace Glmm.Inference;

/// <summary>One confidence interval, named as lme4's <c>confint(..., oldNames = FALSE)</c> names its rows.</summary>
/// <param name="Name"><c>sd_(Intercept)|herd</c>, <c>cor_urbanY.(Intercept)|district</c> or a fixed-effect name.</param>
/// <param name="Estimate">The point estimate.</param>
/// <param name="Lower">Lower limit (NaN where the method gives none, as lme4's NA).</param>
/// <param name="Upper">Upper limit (NaN where the method gives none).</param>
public sealed record ConfidenceInterval(string Name, double Estimate, double Lower, double Upper)
{
    /// <summary>Writes the JSON key <c>confint</c>: an array of {"name", "lower", "upper"} (NaN as null).</summary>
    public static void WriteJson(Utf8JsonWriter w, IReadOnlyList<ConfidenceInterval> intervals, string key = "confint")
    {
        w.WriteStartArray(key);
        foreach (var ci in intervals)
        {
            w.WriteStartObject();
            w.WriteString("name", ci.Name);
            JsonWriter.Number(w, "lower", ci.Lower);
            JsonWriter.Number(w, "upper", ci.Upper);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>A text table in R's style: name, estimate, lower and upper limits at the level's percent points.</summary>
    public static string Format(IReadOnlyList<ConfidenceInterval> intervals, double level)
    {
        var ci = System.Globalization.CultureInfo.InvariantCulture;
        double a = (1 - level) / 2 * 100;
        string lo = (a.ToString("0.###", ci)) + " %", hi = ((100 - a).ToString("0.###", ci)) + " %";
        int width = Math.Max(4, intervals.Count == 0 ? 4 : intervals.Max(i => i.Name.Length));
        var sb = new System.Text.StringBuilder();
        sb.Append(new string(' ', width)).Append($" {"Estimate",10} {lo,10} {hi,10}\n");
        foreach (var i in intervals)
            sb.Append(i.Name.PadRight(width)).Append(' ')
              .Append(Num(i.Estimate).PadLeft(10)).Append(' ')
              .Append(Num(i.Lower).PadLeft(10)).Append(' ')
              .Append(Num(i.Upper).PadLeft(10)).Append('\n');
        return sb.ToString();

        static string Num(double v) => double.IsFinite(v) ? v.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture) : "NA";
    }
}
