using System.Text;
using System.Text.Json;
using Glmm.Inference;
using Glmm.Results;

namespace Glmm.Cli.Commands;

/// <summary><c>glmm predict</c>: predictions for new data from a model saved by <c>glmm fit --save</c>, without refitting.</summary>
internal sealed class PredictCommand : Command
{
    private static readonly OptionSpec ModelFile = new("model", "FILE", "model file written by 'glmm fit ... --save FILE'")
    { Required = true, Alias = "m" };

    public override string Name => "predict";

    public override string Summary => "predict new data from a saved model";

    public override string Description =>
        "Reads a model saved by 'glmm fit --save' and predicts each row of --data (columns named as in the\n" +
        "formula; the response is not needed). Text output is CSV: row,prediction (and stdError with\n" +
        "--no-random); rows with missing values give NA (null in JSON) and a warning on stderr.";

    public override IReadOnlyList<OptionSpec> Options { get; } = new[]
    {
        ModelFile, CommonOptions.Data, PredictionOutput.Type, PredictionOutput.NoRandom, PredictionOutput.AllowNewLevels, CommonOptions.Format,
    };

    public override int Execute(ParsedOptions options, TextWriter stdout, TextWriter stderr)
    {
        string modelPath = options.Require(ModelFile);
        var model = SavedModel.Load(modelPath);
        string dataPath = options.Require(CommonOptions.Data);
        var result = PredictionOutput.Run((d, o) => Prediction.Predict(model, d, o), dataPath, options, stderr);
        if (!CommonOptions.IsJson(options))
        {
            stdout.Write(PredictionOutput.Csv(result));
            return 0;
        }
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            Glmm.Results.JsonWriter.WriteSchemaVersion(w);
            w.WriteString("model", Path.GetFileName(modelPath));
            w.WriteString("formula", model.Formula);
            w.WriteString("data", Path.GetFileName(dataPath));
            w.WriteNumber("rows", result.Values.Count);
            w.WriteNumber("missingRows", result.MissingRows.Count);
            w.WriteNumber("newLevelRows", result.NewLevelRows);
            PredictionOutput.WriteJson(w, result);
            w.WriteEndObject();
        }
        stdout.WriteLine(Encoding.UTF8.GetString(stream.ToArray()));
        return 0;
    }
}
