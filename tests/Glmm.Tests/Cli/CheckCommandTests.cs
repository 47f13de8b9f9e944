using System.Text.Json;
using Glmm.Tests.Hostile;
using Json.Schema;

namespace Glmm.Tests.Cli;

/// <summary>glmm check: the JSON interface (tests, quadratureCheck, recommendedNagq) against its schema, the text verdicts, bad input.</summary>
public class CheckCommandTests
{
    private static readonly string Data = Path.Combine(AppContext.BaseDirectory, "fixtures", "data");

    private static readonly Lazy<JsonSchema> Schema = new(() =>
        JsonSchema.FromText(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "schemas", "check.schema.json"))));

    private static void AssertValid(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var result = Schema.Value.Evaluate(doc.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.True(result.IsValid, string.Join("; ", (result.Details ?? []).Where(d => d.Errors is not null)
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"))));
    }

    [Fact]
    public void ResidualTestsAsJsonAndText()
    {
        string[] args = ["check", "--data", Path.Combine(Data, "grouseticks.csv"), "--formula", "TICKS ~ factor(YEAR) + cHEIGHT + (1 | BROOD)",
            "--family", "poisson", "--nsim", "100", "--seed", "4"];
        var (code, json, err) = CliRunner.Run([.. args, "--format", "json"]);
        Assert.True(code == 0, err);
        AssertValid(json);
        using var doc = JsonDocument.Parse(json);
        var tests = doc.RootElement.GetProperty("tests").EnumerateArray().ToArray();
        Assert.Equal(["uniformity", "dispersion", "zeroInflation", "outliers"], tests.Select(t => t.GetProperty("name").GetString()));
        // Grouse ticks fitted as Poisson with only the brood effect: overdispersed (the location effect is missing).
        Assert.Equal(100, doc.RootElement.GetProperty("nsim").GetInt32());
        var (code2, text, _) = CliRunner.Run(args);
        Assert.Equal(0, code2);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (var name in new[] { "uniformity", "dispersion", "zeroInflation", "outliers" })
            Assert.Single(lines, l => l.TrimStart().StartsWith(name + ":", StringComparison.Ordinal));
        Assert.DoesNotContain("NaN", text);
        // Same seed, same document (whatever the threads).
        var (_, again, _) = CliRunner.Run([.. args, "--format", "json", "--threads", "1"]);
        Assert.Equal(Strip(json), Strip(again));
    }

    private static string Strip(string json)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        node.Remove("checkSeconds");
        return node.ToJsonString();
    }

    [Fact]
    public void QuadratureCheckAsJson()
    {
        var (code, json, err) = CliRunner.Run("check", "--data", Path.Combine(Data, "cbpp.csv"), "--formula", "cbind(incidence, size - incidence) ~ factor(period) + (1 | herd)",
            "--quadrature", "--nsim", "50", "--format", "json");
        Assert.True(code == 0, err);
        AssertValid(json);
        using var doc = JsonDocument.Parse(json);
        var rows = doc.RootElement.GetProperty("quadratureCheck").EnumerateArray().ToArray();
        Assert.Equal(1, rows[0].GetProperty("nagq").GetInt32());
        Assert.Equal(4, rows[0].GetProperty("fixedEffects").GetArrayLength());
        Assert.Equal("herd", rows[0].GetProperty("randomEffects")[0].GetProperty("group").GetString());
        int k = doc.RootElement.GetProperty("recommendedNagq").GetInt32();
        Assert.Contains(rows, r => r.GetProperty("nagq").GetInt32() == k);
        Assert.Equal(4, doc.RootElement.GetProperty("tests").GetArrayLength());
        var (code2, text, _) = CliRunner.Run("check", "--data", Path.Combine(Data, "cbpp.csv"), "--formula", "cbind(incidence, size - incidence) ~ factor(period) + (1 | herd)",
            "--quadrature", "--no-residuals");
        Assert.Equal(0, code2);
        Assert.Contains($"use --nagq {k}", text);
        Assert.DoesNotContain("uniformity:", text);
    }

    [Theory]
    [InlineData("--nsim", "1")]
    [InlineData("--tolerance", "-1")]
    [InlineData("--quadrature", null)]
    public void BadInputIsOneLineAndExitTwo(string option, string? value)
    {
        string[] args = ["check", "--data", Path.Combine(Data, "grouseticks.csv"), "--formula", "TICKS ~ cHEIGHT + (1 | BROOD) + (1 | LOCATION)", "--family", "poisson", option];
        var (code, stdout, err) = CliRunner.Run(value is null ? args : [.. args, value]);
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("glmm: error:", StringComparison.Ordinal));
    }
}
