using System.Globalization;
using System.Text.Json;
using Glmm.Inference;

namespace Glmm.Tests.Cli;

/// <summary>`glmm simulate` and `glmm coef` print what the library's Simulation and RandomEffectTable give.</summary>
public class CoefSimulateCommandTests
{
    private static readonly string Cbpp = Path.Combine(AppContext.BaseDirectory, "fixtures", "data", "cbpp.csv");
    private const string Formula = "cbind(incidence, size - incidence) ~ period + (1 | herd)";

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Glmm.Cli.CommandLine.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void SimulateWritesTheLibrarysSimulationsAsCsv()
    {
        var (code, output, err) = Run("simulate", "--data", Cbpp, "--formula", Formula, "--nsim", "3", "--seed", "11");
        Assert.Equal((0, ""), (code, err));
        var lines = output.TrimEnd('\n').Split('\n');
        Assert.Equal("row,sim_1,sim_2,sim_3", lines[0]);
        var fit = GlmmModel.Fit(Formula, CsvTableReader.Read(Cbpp));
        var sims = Simulation.Simulate(fit, 3, 11);
        Assert.Equal(fit.Nobs + 1, lines.Length);
        for (int i = 0; i < fit.Nobs; i++)
        {
            var cells = lines[i + 1].Split(',');
            Assert.Equal(fit.RowsUsed[i] + 1, int.Parse(cells[0], CultureInfo.InvariantCulture));
            for (int k = 0; k < 3; k++) Assert.Equal(sims[k][i], double.Parse(cells[k + 1], CultureInfo.InvariantCulture));
        }
        // Another seed, other numbers; --use-modes conditions on the modes.
        Assert.NotEqual(output, Run("simulate", "--data", Cbpp, "--formula", Formula, "--nsim", "3", "--seed", "12").Out);
        Assert.NotEqual(output, Run("simulate", "--data", Cbpp, "--formula", Formula, "--nsim", "3", "--seed", "11", "--use-modes").Out);
        Assert.Equal(2, Run("simulate", "--data", Cbpp, "--formula", Formula, "--nsim", "0").Code);
    }

    [Fact]
    public void CoefPrintsLme4sCoefOfASavedModel()
    {
        string model = Path.Combine(Path.GetTempPath(), $"glmm-coef-{Guid.NewGuid():N}.json");
        try
        {
            Assert.Equal(0, Run("fit", "--data", Cbpp, "--formula", Formula, "--save", model).Code);
            var (code, output, err) = Run("coef", "--model", model, "--format", "json");
            Assert.Equal((0, ""), (code, err));
            var fit = GlmmModel.Fit(Formula, CsvTableReader.Read(Cbpp));
            var table = RandomEffectTable.Coefficients(fit).Single();
            using var doc = JsonDocument.Parse(output);
            var coef = doc.RootElement.GetProperty("coef")[0];
            Assert.Equal("herd", coef.GetProperty("group").GetString());
            Assert.Equal(table.Columns, coef.GetProperty("columns").EnumerateArray().Select(c => c.GetString()));
            var values = coef.GetProperty("values");
            for (int l = 0; l < table.Levels.Count; l++)
                for (int j = 0; j < table.Columns.Count; j++) Assert.Equal(table.Values[l, j], values[l][j].GetDouble(), 1e-12);
            var text = Run("coef", "--model", model).Out;
            Assert.StartsWith("$herd\n", text);
            Assert.Contains("(Intercept)", text);
        }
        finally
        {
            File.Delete(model);
        }
    }
}
