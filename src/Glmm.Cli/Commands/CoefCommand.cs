using System.Globalization;
using System.Text;
using System.Text.Json;
using Glmm.Inference;
using Glmm.Results;

namespace Glmm.Cli.Commands;

/// <summary><c>glmm coef</c>: lme4's <c>coef()</c> of a saved model — per grouping factor and level, the fixed effects plus that level's random effects.</summary>
internal sealed class CoefCommand : Command
{
    private static readonly OptionSpec ModelFile = new("model", "FILE", "model file written by 'glmm fit ... --save FILE'")
    { Required = true, Alias = "m" };

    public override string Name => "coef";

    public override string Summary => "per-level coefficients of a saved model (lme4's coef)";

    public override string Description =>
        "Reads a model saved by 'glmm fit --save' and prints, for each grouping factor, a table with one row per level:\n" +
        "the fixed effects plus that level's conditional modes (terms only in the random part first), as lme4's coef().";

    public override IReadOnlyList<OptionSpec> Options { get; } = new[] { ModelFile, CommonOptions.Format };

    public override int Execute(ParsedOptions options, TextWriter stdout, TextWriter stderr)
    {
        var tables = RandomEffectTable.Coefficients(SavedModel.Load(options.Require(ModelFile)));
        if (CommonOptions.IsJson(options))
        {
            using var stream = new MemoryStream();
            using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            {
                w.WriteStartObject();
                JsonWriter.WriteSchemaVersion(w);
                w.WriteStartArray("coef");
                foreach (var t in tables)
                {
                    w.WriteStartObject();
                    w.WriteString("group", t.Group);
                    w.WriteStartArray("columns");
                    foreach (var c in t.Columns) w.WriteStringValue(c);
                    w.WriteEndArray();
                    w.WriteStartArray("levels");
                    foreach (var l in t.Levels) w.WriteStringValue(l);
                    w.WriteEndArray();
                    w.WriteStartArray("values");
                    for (int i = 0; i < t.Levels.Count; i++)
                    {
                        w.WriteStartArray();
                        for (int j = 0; j < t.Columns.Count; j++) JsonWriter.Value(w, t.Values[i, j]);
                        w.WriteEndArray();
                    }
                    w.WriteEndArray();
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            stdout.WriteLine(Encoding.UTF8.GetString(stream.ToArray()));
            return 0;
        }
        var sb = new StringBuilder();
        foreach (var t in tables)
        {
            var cells = new string[t.Levels.Count, t.Columns.Count];
            for (int i = 0; i < t.Levels.Count; i++)
                for (int j = 0; j < t.Columns.Count; j++)
                    cells[i, j] = double.IsFinite(t.Values[i, j]) ? t.Values[i, j].ToString("G7", CultureInfo.InvariantCulture) : "NA";
            int nameWidth = t.Levels.Count == 0 ? 1 : t.Levels.Max(l => l.Length);
            var widths = Enumerable.Range(0, t.Columns.Count)
                .Select(j => Math.Max(t.Columns[j].Length, Enumerable.Range(0, t.Levels.Count).Select(i => cells[i, j].Length).DefaultIfEmpty(0).Max())).ToArray();
            sb.Append('$').Append(t.Group).Append('\n').Append(new string(' ', nameWidth));
            for (int j = 0; j < t.Columns.Count; j++) sb.Append(' ').Append(t.Columns[j].PadLeft(widths[j]));
            sb.Append('\n');
            for (int i = 0; i < t.Levels.Count; i++)
            {
                sb.Append(t.Levels[i].PadRight(nameWidth));
                for (int j = 0; j < t.Columns.Count; j++) sb.Append(' ').Append(cells[i, j].PadLeft(widths[j]));
                sb.Append('\n');
            }
            sb.Append('\n');
        }
        stdout.Write(sb.ToString());
        return 0;
    }
}
