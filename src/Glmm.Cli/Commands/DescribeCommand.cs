using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Glmm.Formulas;
using Glmm.Model;

namespace Glmm.Cli.Commands;

/// <summary>
/// <c>glmm describe</c>: builds the model structure from a data file and a formula without fitting and
/// prints it: observations used and dropped, the response, X's columns, the random-effects terms and θ.
/// </summary>
internal sealed class DescribeCommand : Command
{
    public override string Name => "describe";

    public override string Summary => "show the model structure a formula gives on a data file, without fitting";

    public override string Description =>
        "Prints the number of observations (and rows dropped for missing values, and why), the response,\n" +
        "the fixed-effect columns as R's model.matrix names them, each random-effects term (grouping\n" +
        "factor, columns, number of levels) and the layout of the covariance parameters theta.";

    public override IReadOnlyList<OptionSpec> Options { get; } =
        CommonOptions.Model.Append(CommonOptions.Format).ToArray();

    public override int Execute(ParsedOptions options, TextWriter stdout, TextWriter stderr)
    {
        string path = options.Require(CommonOptions.Data);
        var data = CommonOptions.ReadData(options, stderr);
        string formula = options.Require(CommonOptions.Formula);
        string? weights = options.Get(CommonOptions.Weights);
        var model = ModelBuilder.Build(formula, data, new ModelBuildOptions { WeightsColumn = weights });
        var offsets = Formula.Parse(formula).OffsetLabels;
        var summary = ResponseSummary.Of(model);
        if (CommonOptions.IsJson(options)) WriteJson(stdout, path, data.RowCount, weights, model, offsets, summary);
        else WriteText(stdout, path, data.RowCount, weights, model, offsets, summary);
        return 0;
    }

    private static string F(double v) => double.IsNegativeInfinity(v) ? "-Inf" : double.IsPositiveInfinity(v) ? "Inf"
        : v.ToString("G6", CultureInfo.InvariantCulture);

    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);

    private static void WriteText(TextWriter w, string path, int rows, string? weights, ModelStructure m,
        IReadOnlyList<string> offsets, ResponseSummary r)
    {
        w.WriteLine($"Formula:       {m.Formula}");
        w.WriteLine($"Data:          {path} ({I(rows)} rows)");
        w.WriteLine(m.DroppedRows == 0
            ? $"Observations:  {I(m.N)} (no rows dropped)"
            : $"Observations:  {I(m.N)} ({I(m.DroppedRows)} row{(m.DroppedRows == 1 ? "" : "s")} dropped: {m.DroppedReason})");
        w.WriteLine($"Response:      {m.ResponseName}: {r.Text}");
        if (weights is not null) w.WriteLine($"Weights:       {weights}");
        if (offsets.Count > 0) w.WriteLine($"Offset:        {string.Join(" + ", offsets)}");
        w.WriteLine();
        w.WriteLine($"Fixed effects: {I(m.X.Columns)} column{(m.X.Columns == 1 ? "" : "s")}");
        foreach (var name in m.X.Names) w.WriteLine($"  {name}");
        if (m.X.DroppedColumns.Count > 0)
            w.WriteLine($"  dropped as linearly dependent: {string.Join(", ", m.X.DroppedColumns)}");
        w.WriteLine();
        var terms = m.Random.Terms;
        w.WriteLine($"Random effects: {I(terms.Count)} term{(terms.Count == 1 ? "" : "s")}, {I(m.Random.TotalRandomEffects)} random effects");
        int gw = Math.Max(5, terms.Max(t => t.GroupName.Length)) + 2;
        int tw = Math.Max(7, terms.Max(t => string.Join(", ", t.TermNames).Length)) + 2;
        w.WriteLine($"  {"Group".PadRight(gw)}{"Columns".PadRight(tw)}Levels");
        foreach (var t in terms)
            w.WriteLine($"  {t.GroupName.PadRight(gw)}{string.Join(", ", t.TermNames).PadRight(tw)}{I(t.LevelCount)}");
        w.WriteLine();
        w.WriteLine($"Theta: {I(m.Random.ThetaLength)} parameter{(m.Random.ThetaLength == 1 ? "" : "s")} (lower triangles of the relative covariance factors, column by column)");
        var names = m.Random.ThetaNames();
        int nw = Math.Max(4, names.Max(n => n.Length)) + 2;
        w.WriteLine($"  {"Name".PadRight(nw)}Lower bound");
        for (int k = 0; k < names.Length; k++)
            w.WriteLine($"  {names[k].PadRight(nw)}{F(m.Random.LowerBounds[k])}");
    }

    private static void WriteJson(TextWriter w, string path, int rows, string? weights, ModelStructure m,
        IReadOnlyList<string> offsets, ResponseSummary r)
    {
        using var stream = new MemoryStream();
        using (var j = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            j.WriteStartObject();
            Glmm.Results.JsonWriter.WriteSchemaVersion(j);
            j.WriteString("formula", m.Formula);
            j.WriteString("data", path);
            j.WriteNumber("dataRows", rows);
            j.WriteNumber("nobs", m.N);
            j.WriteNumber("droppedRows", m.DroppedRows);
            j.WriteString("droppedReason", m.DroppedReason);
            j.WriteStartObject("response");
            j.WriteString("name", m.ResponseName);
            j.WriteString("kind", r.Kind);
            foreach (var (key, value) in r.Values) j.WriteNumber(key, value);
            j.WriteEndObject();
            if (weights is null) j.WriteNull("weights"); else j.WriteString("weights", weights);
            j.WriteStartArray("offsets");
            foreach (var o in offsets) j.WriteStringValue(o);
            j.WriteEndArray();
            j.WriteStartArray("fixedEffectNames");
            foreach (var n in m.X.Names) j.WriteStringValue(n);
            j.WriteEndArray();
            j.WriteStartArray("droppedColumns");
            foreach (var n in m.X.DroppedColumns) j.WriteStringValue(n);
            j.WriteEndArray();
            j.WriteStartArray("randomEffects");
            foreach (var t in m.Random.Terms)
            {
                j.WriteStartObject();
                j.WriteString("group", t.GroupName);
                j.WriteStartArray("terms");
                foreach (var n in t.TermNames) j.WriteStringValue(n);
                j.WriteEndArray();
                j.WriteNumber("levels", t.LevelCount);
                j.WriteEndObject();
            }
            j.WriteEndArray();
            j.WriteNumber("thetaLength", m.Random.ThetaLength);
            j.WriteStartArray("theta");
            var names = m.Random.ThetaNames();
            for (int k = 0; k < names.Length; k++)
            {
                j.WriteStartObject();
                j.WriteString("name", names[k]);
                double lb = m.Random.LowerBounds[k];
                if (double.IsNegativeInfinity(lb)) j.WriteNull("lowerBound"); else j.WriteNumber("lowerBound", lb);
                j.WriteNumber("initial", m.Random.InitialTheta[k]);
                j.WriteEndObject();
            }
            j.WriteEndArray();
            j.WriteEndObject();
        }
        w.WriteLine(Encoding.UTF8.GetString(stream.ToArray()));
    }
}
