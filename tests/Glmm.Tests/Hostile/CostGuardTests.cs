using Glmm.Fitting;
using Glmm.Model;

namespace Glmm.Tests.Hostile;

/// <summary>The quadrature cost guard (issue 13): huge grids are refused before the fit, with the numbers.</summary>
public class CostGuardTests
{
    private static readonly string Six = Path.Combine(CliRunner.FixtureDir, "six_effects.csv");
    private const string SixFormula = "y ~ x1 + x2 + x3 + x4 + x5 + (1 + x1 + x2 + x3 + x4 + x5 | g)";

    [Fact]
    public void SixEffectsWithSevenPointsAreRefusedWithTheNumbers()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal("nAGQ = 7 with 6 random effects per cluster: the product grid has 117,649 nodes per cluster; with 320 rows and about 597 deviance evaluations " +
            "that is 2.25E+10 row-node evaluations, above the budget of 1E+09 (about 10 s on one core); use --grid sparse (4,545 nodes), --nagq 4 or less, or raise the budget with --max-quadrature-work",
            CliRunner.Refused("fit", "-d", Six, "-f", SixFormula, "--nagq", "7"));
        Assert.True(clock.Elapsed.TotalSeconds < 5, $"{clock.Elapsed.TotalSeconds} s");
    }

    [Fact]
    public void AHundredPointsInThreeDimensionsAreRefused()
    {
        string data = Path.Combine(CliRunner.FixtureDir, "scaling.csv");
        Assert.Equal("nAGQ = 100 with 3 random effects per cluster: the product grid has 1,000,000 nodes per cluster; with 400 rows and about 103 deviance evaluations " +
            "that is 4.12E+10 row-node evaluations, above the budget of 1E+09 (about 10 s on one core); use --nagq 28 or less, or raise the budget with --max-quadrature-work",
            CliRunner.Refused("fit", "-d", data, "-f", "y ~ x + (1 + x + I(x^2) | g)", "--nagq", "100"));
    }

    [Fact]
    public void TheSparseGridIsCheckedToo()
    {
        Assert.Equal("nAGQ = 7 with 6 random effects per cluster: the sparse grid has 4,545 nodes per cluster; with 320 rows and about 597 deviance evaluations " +
            "that is 8.68E+08 row-node evaluations, above the budget of 1E+08 (about 1 s on one core); use --nagq 2 or less, or raise the budget with --max-quadrature-work",
            CliRunner.Refused("fit", "-d", Six, "-f", SixFormula, "--nagq", "7", "--grid", "sparse", "--max-quadrature-work", "1e8"));
    }

    [Fact]
    public void TheBudgetCanBeRaisedOrSwitchedOff()
    {
        var model = ModelBuilder.Build(SixFormula, CsvTableReader.Read(Six));
        var refused = Assert.Throws<GlmmInputException>(() => CriterionFactory.Create(model, new GlmmOptions { NAgq = 7 }));
        Assert.StartsWith("nAGQ = 7 with 6 random effects per cluster", refused.Message);
        Assert.Equal(117_649, CriterionFactory.Create(model, new GlmmOptions { NAgq = 7, MaxQuadratureWork = 0 }).Rule!.Count);
        Assert.Equal(117_649, CriterionFactory.Create(model, new GlmmOptions { NAgq = 7, MaxQuadratureWork = 3e10 }).Rule!.Count);
        Assert.Equal(597, CriterionFactory.ExpectedQuadratureEvaluations(21 + 6));
    }

    [Theory]
    [InlineData("--grid", "sparse", "glmm: warning: --grid sparse has no effect without --nagq K > 1 (adaptive quadrature)\n")]
    [InlineData("--max-quadrature-work", "1e12", "glmm: warning: --max-quadrature-work has no effect without --nagq K > 1 (adaptive quadrature)\n")]
    public void QuadratureOptionsWithoutQuadratureWarn(string option, string value, string warning)
    {
        var (code, output, err) = CliRunner.Run("fit", "-d", Path.Combine(CliRunner.DataDir, "cbpp.csv"),
            "-f", "cbind(incidence, size - incidence) ~ factor(period) + (1 | herd)", option, value);
        Assert.Equal(0, code);
        Assert.Equal(warning, err);
        Assert.Contains("Converged in", output);
    }
}
