using System.Text.Json;

namespace Glmm.Tests.Fitting;

/// <summary>Models that once exposed engine bugs, against lme4 and glmmTMB (tools/regression_fixtures.R).</summary>
public class RegressionTests
{
    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var m in Load().EnumerateArray()) data.Add(m.GetProperty("name").GetString()!);
        return data;
    }

    private static JsonElement Load() => JsonDocument.Parse(File.ReadAllText(
        Path.Combine(AppContext.BaseDirectory, "fixtures", "regressions", "models.json"))).RootElement;

    [Theory]
    [MemberData(nameof(Names))]
    public void ReachesTheReferenceOptimum(string name)
    {
        var m = Load().EnumerateArray().First(e => e.GetProperty("name").GetString() == name);
        var data = CsvTableReader.Read(Path.Combine(AppContext.BaseDirectory, "fixtures", "data", m.GetProperty("data").GetString()!));
        var fit = GlmmModel.Fit(m.GetProperty("formula").GetString()!, data, new GlmmOptions { Family = Glmm.Families.Family.Create(m.GetProperty("family").GetString()!) });
        double best = Math.Max(m.GetProperty("lme4").GetDouble(), m.GetProperty("glmmTMB").GetDouble());
        Assert.True(fit.LogLik >= best - 1e-3, $"logLik {fit.LogLik:R} < {best:R} - 1e-3");
        Assert.Equal(m.GetProperty("lme4Singular").GetBoolean(), fit.Singular);
    }
}
