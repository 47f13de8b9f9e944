using System.Globalization;
using System.Text;
using System.Text.Json;
using Glmm.Inference;
using Glmm.Results;

namespace Glmm.Cli.Commands;

/// <summary>
/// The options and output shared by <c>glmm fit --predict</c> and <c>glmm predict</c>, and the other
/// after-the-fit options of <c>glmm fit</c> (--ranef-out, --residuals, --save).
/// </summary>
internal static class PredictionOutput
{
    public static readonly OptionSpec Type = new("type", "TYPE", "scale of the predictions: link (the linear predictor, as lme4), response (the mean) or marginal (the population-averaged mean, the random effects integrated out)")
    { Default = "link", Allowed = new[] { "link", "response", "marginal" } };

    public static readonly OptionSpec NoRandom = new("no-random", null,
        "predict without the random effects (population level, lme4's re.form = NA); adds delta-method standard errors");

    public static readonly OptionSpec AllowNewLevels = new("allow-new-levels", null,
        "grouping-factor levels not in the fitted data get a random effect of 0 instead of being an error");

    public static readonly OptionSpec Predict = new("predict", "FILE",
        "CSV of new data to predict; adds 'predictions' (one per row of FILE, in order; null for rows with missing values) to the JSON");

    public static readonly OptionSpec RanefOut = new("ranef-out", "FILE",
        "write the conditional modes and conditional SDs of the random effects as CSV (group,level,term,mode,condSD)");

    public static readonly OptionSpec Residuals = new("residuals", "TYPE",
        "add the residuals of the rows used to the JSON (key 'residuals')")
    { Allowed = new[] { "deviance", "pearson", "working", "response" } };

    public static readonly OptionSpec Save = new("save", "FILE", "save the fitted model as JSON for 'glmm predict --model FILE'");

    /// <summary>The after-the-fit options of <c>glmm fit</c>, in help order.</summary>
    public static readonly IReadOnlyList<OptionSpec> FitOptions = new[] { RanefOut, Predict, Type, NoRandom, AllowNewLevels, Residuals, Save };

    public static PredictionOptions Options(ParsedOptions options) => new()
    {
        Scale = Prediction.ParseScale(options.Get(Type) ?? "link"),
        IncludeRandom = !options.Has(NoRandom),
        AllowNewLevels = options.Has(AllowNewLevels),
    };

    /// <summary>Reads a prediction data file; a missing-value warning goes to stderr.</summary>
    public static PredictionResult Run(Func<DataTable, PredictionOptions, PredictionResult> predict, string path, ParsedOptions options, TextWriter stderr)
    {
        var data = path == "-" ? TableReader.Read(Console.OpenStandardInput(), "standard input") : TableReader.Read(path);
        var result = predict(data, Options(options));
        string missing = Prediction.DescribeMissing(result);
        if (missing.Length > 0) stderr.WriteLine($"glmm: warning: {Path.GetFileName(path)}: {missing}");
        if (result.NewLevelRows > 0)
            stderr.WriteLine($"glmm: note: {Path.GetFileName(path)}: {result.NewLevelRows.ToString(CultureInfo.InvariantCulture)} row(s) have grouping-factor levels not in the fitted data; their random effects are 0");
        return result;
    }

    /// <summary>Writes <c>predictionType</c>, <c>predictionRandom</c>, <c>predictions</c> and (population level) <c>predictionStdErrors</c>.</summary>
    public static void WriteJson(Utf8JsonWriter w, PredictionResult r)
    {
        w.WriteString("predictionType", ScaleName(r.Scale));
        w.WriteBoolean("predictionRandom", r.IncludeRandom);
        w.WriteStartArray("predictions");
        foreach (var v in r.Values) JsonWriter.Value(w, v);
        w.WriteEndArray();
        if (r.StdErrors is { } se)
        {
            w.WriteStartArray("predictionStdErrors");
            foreach (var v in se) JsonWriter.Value(w, v);
            w.WriteEndArray();
        }
    }

    /// <summary>The predictions as CSV: <c>row,prediction[,stdError]</c>, rows numbered from 1, NA for missing.</summary>
    public static string Csv(PredictionResult r)
    {
        var sb = new StringBuilder(r.StdErrors is null ? "row,prediction\n" : "row,prediction,stdError\n");
        for (int i = 0; i < r.Values.Count; i++)
        {
            sb.Append((i + 1).ToString(CultureInfo.InvariantCulture)).Append(',').Append(Number(r.Values[i]));
            if (r.StdErrors is { } se) sb.Append(',').Append(Number(se[i]));
            sb.Append('\n');
        }
        return sb.ToString();
    }

    private static string Number(double v) => double.IsFinite(v) ? v.ToString("R", CultureInfo.InvariantCulture) : "NA";

    /// <summary>
    /// Carries out --ranef-out, --predict, --residuals and --save for a fit. Returns what to add to the
    /// JSON object and the text to print after the summary.
    /// </summary>
    public static (Action<Utf8JsonWriter>? Json, string Text) AfterFit(ParsedOptions options, GlmmFit fit, TextWriter stderr)
    {
        if (!options.Has(Predict))
            foreach (var o in new[] { Type, NoRandom, AllowNewLevels })
                if (options.Has(o)) throw new GlmmInputException($"--{o.Name} applies to --predict FILE, which is not given");
        if (options.Get(RanefOut) is { } ranefPath)
            Write(ranefPath, RandomEffectTable.ToCsv(fit.ConditionalModes));
        if (options.Get(Save) is { } savePath)
            Write(savePath, SavedModel.FromFit(fit).ToJson() + "\n");
        PredictionResult? predictions = null;
        string? predictPath = options.Get(Predict);
        if (predictPath is not null)
            predictions = Run((d, o) => Prediction.Predict(fit, d, o), predictPath, options, stderr);
        double[]? residuals = null;
        string? residualType = options.Get(Residuals);
        if (residualType is not null) residuals = Inference.Residuals.Compute(fit, Inference.Residuals.ParseType(residualType));
        if (predictions is null && residuals is null) return (null, "");

        var text = new StringBuilder();
        if (predictions is not null)
        {
            text.Append('\n').Append($"Predictions for {Path.GetFileName(predictPath)} ({ScaleName(predictions.Scale)} scale, {(predictions.Scale == PredictionScale.Marginal ? "random effects integrated out" : predictions.IncludeRandom ? "with random effects" : "without random effects")}):\n");
            text.Append(Csv(predictions));
        }
        if (residuals is not null)
        {
            text.Append('\n').Append($"Residuals ({residualType}) of the rows used:\n");
            foreach (var r in residuals) text.Append(Number(r)).Append('\n');
        }
        return (w =>
        {
            if (predictions is not null) WriteJson(w, predictions);
            if (residuals is not null)
            {
                w.WriteString("residualType", residualType);
                w.WriteStartArray("residuals");
                foreach (var r in residuals) JsonWriter.Value(w, r);
                w.WriteEndArray();
            }
        }, text.ToString());
    }

    private static string ScaleName(PredictionScale scale) => scale switch
    {
        PredictionScale.Link => "link",
        PredictionScale.Marginal => "marginal",
        _ => "response",
    };

    private static void Write(string path, string content) => AtomicFile.WriteAllText(path, content);
}
