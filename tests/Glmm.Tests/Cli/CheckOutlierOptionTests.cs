using System.Text.Json;
using Glmm.Tests.Hostile;

namespace Glmm.Tests.Cli;

/// <summary>glmm check --outliers: each type named in the JSON, the default per response type, bad values as one-line errors.</summary>
public class CheckOutlierOptionTests
{
    private static readonly string Data = Path.Combine(AppContext.BaseDirectory, "fixtures", "data");

    private static JsonElement Outliers(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.GetProperty("tests").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "outliers").Clone();
    }

    [Theory]
    [InlineData(null, "exchangeable", 60)]
    [InlineData("exchangeable", "exchangeable", 60)]
    [InlineData("bootstrap", "bootstrap", 30)]
    [InlineData("binomial", "binomial", 0)]
    public void EachTypeIsNamedInTheJson(string? type, string method, int replicates)
    {
        string[] args = ["check", "--data", Path.Combine(Data, "grouseticks.csv"), "--formula", "TICKS ~ factor(YEAR) + cHEIGHT + (1 | BROOD)",
            "--family", "poisson", "--nsim", "60", "--format", "json"];
        if (type is not null) args = [.. args, "--outliers", type];
        if (type == "bootstrap") args = [.. args, "--outlier-replicates", "30"];
        var (code, json, err) = CliRunner.Run(args);
        Assert.True(code == 0, err);
        var o = Outliers(json);
        Assert.Equal(method, o.GetProperty("method").GetString());
        if (replicates > 0) Assert.Equal(replicates, o.GetProperty("replicates").GetInt32());
        else Assert.False(o.TryGetProperty("replicates", out _));
    }

    [Fact]
    public void ContinuousResponsesDefaultToTheBinomialTest()
    {
        var (code, json, err) = CliRunner.Run("check", "--data", Path.Combine(Data, "sleepstudy.csv"), "--formula", "Reaction ~ Days + (Days | Subject)",
            "--family", "gaussian", "--nsim", "40", "--format", "json");
        Assert.True(code == 0, err);
        Assert.Equal("binomial", Outliers(json).GetProperty("method").GetString());
    }

    [Theory]
    [InlineData("--outliers", "poisson")]
    [InlineData("--outlier-replicates", "0")]
    public void BadValuesAreOneLineErrors(string option, string value)
    {
        string[] args = ["check", "--data", Path.Combine(Data, "grouseticks.csv"), "--formula", "TICKS ~ cHEIGHT + (1 | BROOD)",
            "--family", "poisson", "--nsim", "20", option, value];
        if (option != "--outliers") args = [.. args, "--outliers", "bootstrap"];
        var (code, _, err) = CliRunner.Run(args);
        Assert.Equal(2, code);
        Assert.Single(err.Trim().Split('\n'));
        Assert.Contains(option.TrimStart('-'), err);
    }
}
