using System.Text.Json;

namespace Glmm.Tests.Cli;

/// <summary>Every JSON document carries schemaVersion; the fit's has vcov (the covariance of β̂ in fixedEffects order).</summary>
public class JsonSchemaVersionTests
{
    private static string Example(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "data", name);

    [Fact]
    public void TheFitJsonHasTheSchemaVersionAndTheCovarianceOfTheFixedEffects()
    {
        var fit = GlmmModel.Fit("cbind(incidence, size - incidence) ~ factor(period) + (1 | herd)", CsvTableReader.Read(Example("cbpp.csv")));
        using var doc = JsonDocument.Parse(Glmm.Results.JsonWriter.Write(fit));
        var root = doc.RootElement;
        Assert.Equal(Glmm.Results.JsonWriter.SchemaVersion, root.GetProperty("schemaVersion").GetString());
        Assert.Equal("schemaVersion", root.EnumerateObject().First().Name);
        var vcov = root.GetProperty("vcov");
        var fe = root.GetProperty("fixedEffects");
        Assert.Equal(fe.GetArrayLength(), vcov.GetArrayLength());
        for (int i = 0; i < fe.GetArrayLength(); i++)
        {
            var row = vcov[i];
            Assert.Equal(fe.GetArrayLength(), row.GetArrayLength());
            double se = fe[i].GetProperty("stdError").GetDouble();
            Assert.Equal(se * se, row[i].GetDouble(), 1e-12);
            for (int j = 0; j < row.GetArrayLength(); j++) Assert.Equal(row[j].GetDouble(), vcov[j][i].GetDouble(), 1e-15);
        }
    }

    [Theory]
    [InlineData("describe")]
    [InlineData("compare")]
    public void OtherDocumentsHaveTheSchemaVersion(string verb)
    {
        var args = verb == "describe"
            ? new[] { "describe", "--data", Example("cbpp.csv"), "--formula", "cbind(incidence, size - incidence) ~ period + (1 | herd)", "--format", "json" }
            : new[] { "compare", "--data", Example("cbpp.csv"), "--formula", "cbind(incidence, size - incidence) ~ 1 + (1 | herd)", "--formula", "cbind(incidence, size - incidence) ~ period + (1 | herd)", "--format", "json" };
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Glmm.Cli.CommandLine.Run(args, stdout, stderr);
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(stdout.ToString());
        Assert.Equal(Glmm.Results.JsonWriter.SchemaVersion, doc.RootElement.GetProperty("schemaVersion").GetString());
    }
}
