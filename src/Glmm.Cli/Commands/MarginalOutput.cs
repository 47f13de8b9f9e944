using System.Globalization;
using System.Text;
using System.Text.Json;
using Glmm.Inference;
using Glmm.Results;

namespace Glmm.Cli.Commands;

/// <summary><c>glmm fit --marginal</c>: the population-averaged coefficients as a text table and the JSON key <c>marginalCoefficients</c>.</summary>
internal static class MarginalOutput
{
    public static readonly OptionSpec Marginal = new("marginal", null,
        "add the population-averaged (marginal) coefficients with delta-method standard errors (GLMMadaptive's marginal_coefs; JSON key 'marginalCoefficients')");

    /// <summary>The coefficients when --marginal is given, else null.</summary>
    public static IReadOnlyList<MarginalCoefficient>? Compute(ParsedOptions options, GlmmFit fit) =>
        options.Has(Marginal) ? MarginalEffects.Coefficients(fit) : null;

    /// <summary>Writes <c>marginalCoefficients</c>: [{name, estimate, stdError}] in the order of the fixed effects (null for a missing SE).</summary>
    public static void WriteJson(Utf8JsonWriter w, IReadOnlyList<MarginalCoefficient> coefficients)
    {
        w.WriteStartArray("marginalCoefficients");
        foreach (var c in coefficients)
        {
            w.WriteStartObject();
            w.WriteString("name", c.Name);
            w.WritePropertyName("estimate");
            JsonWriter.Value(w, c.Estimate);
            w.WritePropertyName("stdError");
            JsonWriter.Value(w, c.StdError);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>The text table (as the fixed-effects table: name, estimate, standard error).</summary>
    public static string Text(IReadOnlyList<MarginalCoefficient> coefficients)
    {
        int width = Math.Max(11, coefficients.Max(c => c.Name.Length));
        var sb = new StringBuilder("\nMarginal (population-averaged) coefficients:\n");
        sb.Append(new string(' ', width)).Append("   Estimate Std. Error\n");
        foreach (var c in coefficients)
            sb.Append(c.Name.PadRight(width)).Append(' ').Append(Format(c.Estimate).PadLeft(10)).Append(' ').Append(Format(c.StdError).PadLeft(10)).Append('\n');
        return sb.ToString();
    }

    private static string Format(double v) => double.IsFinite(v) ? v.ToString("0.000000", CultureInfo.InvariantCulture) : "NA";
}
