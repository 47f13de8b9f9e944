using System.Text.Json;
using Json.Schema;

namespace Glmm.Tests.Cli;

/// <summary>Every JSON document the tool writes validates against its committed schema (docs/schemas).</summary>
public class JsonSchemaTests
{
    private static readonly string Data = Path.Combine(AppContext.BaseDirectory, "fixtures", "data");

    // Each schema is built once: its $id registers it globally.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<JsonSchema>> Schemas = new();

    private static JsonSchema Schema(string name) => Schemas.GetOrAdd(name, n => new Lazy<JsonSchema>(() =>
        JsonSchema.FromText(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "schemas", n + ".schema.json"))))).Value;

    private static string Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Glmm.Cli.CommandLine.Run(args, stdout, stderr);
        Assert.True(code == 0, $"exit {code}: {stderr}");
        return stdout.ToString();
    }

    private static void AssertValid(string schema, string json)
    {
        using var doc = JsonDocument.Parse(json);
        var result = Schema(schema).Evaluate(doc.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.True(result.IsValid, schema + ": " + string.Join("; ", (result.Details ?? []).Where(d => d.Errors is not null)
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"))));
    }

    public static TheoryData<string[]> Fits() => new()
    {
        new[] { "fit", "--data", Path.Combine(Data, "cbpp.csv"), "--formula", "cbind(incidence, size - incidence) ~ factor(period) + (1 | herd)", "--format", "json", "--ranef" },
        new[] { "fit", "--data", Path.Combine(Data, "cbpp.csv"), "--formula", "cbind(incidence, size - incidence) ~ factor(period) + (1 | herd)", "--format", "json", "--verbose" },
        new[] { "fit", "--data", Path.Combine(Data, "cbpp.csv"), "--formula", "cbind(incidence, size - incidence) ~ period + (1 | herd)", "--format", "json", "--nagq", "5", "--confint", "wald" },
        new[] { "fit", "--data", Path.Combine(Data, "cbpp.csv"), "--formula", "cbind(incidence, size - incidence) ~ period + (1 | herd)", "--format", "json", "--nagq", "0" },
        new[] { "fit", "--data", Path.Combine(Data, "cbpp.csv"), "--formula", "cbind(incidence, size - incidence) ~ period + (1 | herd)", "--format", "json", "--reml", "laplace" },
        new[] { "fit", "--data", Path.Combine(Data, "cbpp.csv"), "--formula", "cbind(incidence, size - incidence) ~ period + (1 | herd)", "--format", "json", "--marginal" },
        new[] { "fit", "--data", Path.Combine(Data, "cbpp.csv"), "--formula", "cbind(incidence, size - incidence) ~ period + (1 | herd)", "--format", "json", "--confint", "boot", "--nsim", "20" },
        new[] { "fit", "--data", Path.Combine(Data, "grouseticks.csv"), "--formula", "TICKS ~ factor(YEAR) + cHEIGHT + (1 | BROOD) + (1 | LOCATION)", "--family", "poisson", "--format", "json" },
        new[] { "fit", "--data", Path.Combine(Data, "crossed_slopes.csv"), "--formula", "y ~ x + (1 | a) + (1 | b)", "--solver", "iterative", "--probes", "8", "--format", "json", "--ranef" },
        new[] { "fit", "--data", Path.Combine(Data, "grouseticks.csv"), "--formula", "TICKS ~ factor(YEAR) + cHEIGHT + (1 | BROOD) + (1 | LOCATION)", "--family", "nbinom2", "--format", "json" },
        new[] { "fit", "--data", Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "examples", "sleepstudy.csv"), "--formula", "Reaction ~ Days + (Days | Subject)", "--family", "gaussian", "--format", "json" },
        new[] { "fit", "--data", Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "examples", "sleepstudy.csv"), "--formula", "Reaction ~ Days + (Days | Subject)", "--family", "gaussian", "--reml", "profile", "--format", "json" },
        new[] { "fit", "--data", Path.Combine(Data, "Penicillin.csv"), "--formula", "diameter ~ 1 + (1 | plate) + (1 | sample)", "--family", "gaussian", "--reml", "laplace", "--ddf", "Kenward-Roger", "--format", "json" },
    };

    [Theory]
    [MemberData(nameof(Fits))]
    public void FitJsonValidates(string[] args) => AssertValid("fit", Run(args));

    [Fact]
    public void DescribeCompareCoefAndPredictJsonValidate()
    {
        string cbpp = Path.Combine(Data, "cbpp.csv");
        const string f1 = "cbind(incidence, size - incidence) ~ period + (1 | herd)";
        AssertValid("describe", Run("describe", "--data", cbpp, "--formula", f1, "--format", "json"));
        AssertValid("compare", Run("compare", "--data", cbpp, "--formula", "cbind(incidence, size - incidence) ~ 1 + (1 | herd)", "--formula", f1, "--format", "json"));
        string model = Path.Combine(Path.GetTempPath(), $"glmm-schema-{Guid.NewGuid():N}.json");
        try
        {
            Run("fit", "--data", cbpp, "--formula", f1, "--save", model);
            AssertValid("coef", Run("coef", "--model", model, "--format", "json"));
            AssertValid("predict", Run("predict", "--model", model, "--data", cbpp, "--format", "json"));
            AssertValid("predict", Run("predict", "--model", model, "--data", cbpp, "--no-random", "--format", "json"));
            AssertValid("predict", Run("predict", "--model", model, "--data", cbpp, "--type", "marginal", "--format", "json"));
        }
        finally
        {
            File.Delete(model);
        }
    }

    [Fact]
    public void TheInterruptedFitDocumentValidatesAndAFullFitMayNotLookInterrupted()
    {
        AssertValid("fit", Glmm.Results.JsonWriter.WriteInterrupted("fit", 12, "Laplace", 184.05));
        AssertValid("fit", Glmm.Results.JsonWriter.WriteInterrupted("fit", 0, "", double.PositiveInfinity));
        // Without "interrupted" every property of a fitted model is required.
        using var doc = JsonDocument.Parse("""{"schemaVersion": "1.1", "partial": true, "evaluations": 3}""");
        Assert.False(Schema("fit").Evaluate(doc.RootElement).IsValid);
    }

    [Fact]
    public void TheSchemasRejectADocumentWithoutItsVersion()
    {
        var json = Run("describe", "--data", Path.Combine(Data, "cbpp.csv"), "--formula", "cbind(incidence, size - incidence) ~ period + (1 | herd)", "--format", "json");
        var node = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        node.Remove("schemaVersion");
        using var doc = JsonDocument.Parse(node.ToJsonString());
        Assert.False(Schema("describe").Evaluate(doc.RootElement).IsValid);
    }
}
