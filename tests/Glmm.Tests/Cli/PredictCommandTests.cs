using System.Text.Json;
using Glmm.Cli;
using Glmm.Tests.Inference;

namespace Glmm.Tests.Cli;

/// <summary>The after-the-fit options of 'glmm fit' and the 'glmm predict' verb.</summary>
public class PredictCommandTests : IDisposable
{
    private const string Formula = "cbind(incidence, size - incidence) ~ factor(period) + (1 | herd)";
    private static readonly string CbppCsv = Path.Combine(AppContext.BaseDirectory, "fixtures", "data", "cbpp.csv");
    private readonly string _tmp = Path.Combine(Path.GetTempPath(), "glmm-predict-" + Guid.NewGuid().ToString("N"));

    public PredictCommandTests() => Directory.CreateDirectory(_tmp);

    public void Dispose() => Directory.Delete(_tmp, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = CommandLine.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    private string File_(string name, string text)
    {
        var path = Path.Combine(_tmp, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static double?[] Numbers(JsonElement e) =>
        e.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.Null ? (double?)null : x.GetDouble()).ToArray();

    private string SaveCbpp()
    {
        var model = Path.Combine(_tmp, "model.json");
        var (code, _, err) = Run("fit", "-d", CbppCsv, "-f", Formula, "--save", model, "--format", "json");
        Assert.Equal("", err);
        Assert.Equal(0, code);
        return model;
    }

    [Fact]
    public void FitPredictsNewDataAndSavedModelPredictsTheSame()
    {
        var nd = File_("new.csv", "herd,period\n1,4\n5,2\n15,1\n3,1\n");
        var (code, output, err) = Run("fit", "-d", CbppCsv, "-f", Formula, "--format", "json", "--predict", nd, "--type", "response");
        Assert.Equal("", err);
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(output);
        var fitted = Numbers(doc.RootElement.GetProperty("predictions"));
        Assert.Equal("response", doc.RootElement.GetProperty("predictionType").GetString());
        Assert.Equal(4, fitted.Length);
        // lme4's predict(fit, newdata, type = "response") for these rows, within 1e-3 (our estimates).
        var lme4 = PredictionFixture.Load("cbpp").NewDataPredictions["response"];
        double[] expected = { lme4[0], lme4[1], lme4[2], lme4[4] };
        for (int i = 0; i < 4; i++) Assert.Equal(expected[i], fitted[i]!.Value, 1e-3);

        var model = SaveCbpp();
        (code, output, err) = Run("predict", "--model", model, "--data", nd, "--type", "response", "--format", "json");
        Assert.Equal("", err);
        Assert.Equal(0, code);
        using var doc2 = JsonDocument.Parse(output);
        Assert.Equal(fitted, Numbers(doc2.RootElement.GetProperty("predictions")));
        Assert.Equal(4, doc2.RootElement.GetProperty("rows").GetInt32());

        (code, output, _) = Run("predict", "-m", model, "-d", nd, "--no-random");
        Assert.Equal(0, code);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("row,prediction,stdError", lines[0]);
        Assert.Equal(5, lines.Length);
        var fields = lines[3].Split(',');
        Assert.Equal("3", fields[0]);
        Assert.Equal(-1.39834286447115, double.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture), 1e-3);
        Assert.Equal(0.231214048099463, double.Parse(fields[2], System.Globalization.CultureInfo.InvariantCulture), 5e-3);
    }

    [Fact]
    public void MissingColumnIsOneLineAndExitCode2()
    {
        var model = SaveCbpp();
        var nd = File_("nd.csv", "herd\n1\n");
        var (code, output, err) = Run("predict", "--model", model, "--data", nd);
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.StartsWith("glmm: error: the new data have no column 'period', which the model uses (factor(period))", err);
        Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void NewLevelIsOneLineUnlessAllowed()
    {
        var model = SaveCbpp();
        var nd = File_("nd.csv", "herd,period\n1,1\n42,2\n");
        var (code, _, err) = Run("predict", "--model", model, "--data", nd);
        Assert.Equal(2, code);
        Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("level '42' of grouping factor 'herd'", err);
        (code, var output, err) = Run("predict", "--model", model, "--data", nd, "--allow-new-levels", "--format", "json");
        Assert.Equal(0, code);
        Assert.Contains("1 row(s) have grouping-factor levels not in the fitted data", err);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal(1, doc.RootElement.GetProperty("newLevelRows").GetInt32());
    }

    [Fact]
    public void OtherModelVersionIsOneLineAndExitCode2()
    {
        var model = SaveCbpp();
        File.WriteAllText(model, File.ReadAllText(model).Replace("\"formatVersion\": 1", "\"formatVersion\": 7"));
        var nd = File_("nd.csv", "herd,period\n1,1\n");
        var (code, output, err) = Run("predict", "--model", model, "--data", nd);
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Equal($"glmm: error: model file '{model}' has format version 7, but this glmm reads version 1; refit the model and save it again\n", err.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void MissingValuesArePredictedAsNullWithAWarning()
    {
        var model = SaveCbpp();
        var nd = File_("nd.csv", "herd,period\n1,1\nNA,2\n3,NA\n");
        var (code, output, err) = Run("predict", "--model", model, "--data", nd, "--format", "json");
        Assert.Equal(0, code);
        Assert.Equal("glmm: warning: nd.csv: 2 rows have missing values and are predicted as null (first: row 2, 'herd')\n", err.ReplaceLineEndings("\n"));
        using var doc = JsonDocument.Parse(output);
        var p = Numbers(doc.RootElement.GetProperty("predictions"));
        Assert.NotNull(p[0]);
        Assert.Null(p[1]);
        Assert.Null(p[2]);
        Assert.Equal(2, doc.RootElement.GetProperty("missingRows").GetInt32());
    }

    [Fact]
    public void RanefOutAndResiduals()
    {
        var csv = Path.Combine(_tmp, "ranef.csv");
        var (code, output, err) = Run("fit", "-d", CbppCsv, "-f", Formula, "--format", "json", "--ranef-out", csv, "--residuals", "pearson");
        Assert.Equal("", err);
        Assert.Equal(0, code);
        var lines = File.ReadAllLines(csv);
        Assert.Equal("group,level,term,mode,condSD", lines[0]);
        Assert.Equal(16, lines.Length);
        var first = lines[1].Split(',');
        Assert.Equal(new[] { "herd", "1", "(Intercept)" }, first[..3]);
        Assert.Equal(0.589629436492113, double.Parse(first[3], System.Globalization.CultureInfo.InvariantCulture), 1e-3);
        Assert.Equal(0.348223931115751, double.Parse(first[4], System.Globalization.CultureInfo.InvariantCulture), 1e-3);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal("pearson", doc.RootElement.GetProperty("residualType").GetString());
        var r = Numbers(doc.RootElement.GetProperty("residuals"));
        var lme4 = PredictionFixture.Load("cbpp").Residuals["pearson"];
        Assert.Equal(56, r.Length);
        for (int i = 0; i < 56; i++) Assert.Equal(lme4[i], r[i]!.Value, 1e-3);
    }

    [Fact]
    public void PredictionOptionsWithoutPredictAreAnError()
    {
        var (code, _, err) = Run("fit", "-d", CbppCsv, "-f", Formula, "--no-random");
        Assert.Equal(2, code);
        Assert.Contains("--no-random applies to --predict FILE", err);
    }
}
