using Glmm.Families;
using Glmm.Fitting;
using Glmm.Model;

namespace Glmm.Tests.Hostile;

/// <summary>Every "could not be fitted" names its cause (issue 13): separation, zero weights, non-integer counts, extreme covariates.</summary>
public class FitFailureTests : IDisposable
{
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    private static readonly string Separated = Path.Combine(CliRunner.FixtureDir, "separated.csv");

    private const string QuasiSeparated = "the model could not be fitted: the fixed effects are quasi-completely separated: the likelihood keeps rising as " +
        "(Intercept) (towards +), fb (towards -), fc (towards -) diverge, which fits some rows exactly (lme4 and glmmTMB report huge estimates and standard errors here); remove or merge the separating terms";

    [Theory]
    [InlineData("y ~ f + x1 + (1 | g)")]
    [InlineData("y ~ f + x1 + (1 | g)", "--nagq", "0")]
    [InlineData("y ~ f + x1 + (1 + x1 | g)")]
    [InlineData("y ~ f + x1 + (1 | g)", "--reml", "laplace")]
    [InlineData("y ~ f + x1 + (1 | g)", "--nagq", "5")]
    [InlineData("y ~ f + x1 + (1 | g)", "--confint", "wald")]
    public void QuasiSeparationByAFactorLevelIsNamed(string formula, params string[] more)
    {
        // Every row with f = a is a success (tools/hostile_fixtures.R). lme4 reports (Intercept) 20.6 ± 1024, glmmTMB 23.1 ± 8349.
        var args = new[] { "fit", "-d", Separated, "-f", formula }.Concat(more).ToArray();
        Assert.Equal(QuasiSeparated, CliRunner.Refused(args));
    }

    [Fact]
    public void WithoutTheSeparatingFactorTheSameDataFit()
    {
        var (code, output, err) = CliRunner.Run("fit", "-d", Separated, "-f", "y ~ x1 + (1 | g)");
        Assert.Equal(0, code);
        Assert.Equal("", err);
        Assert.Contains("Converged in", output);
    }

    [Fact]
    public void CompleteSeparationByACovariateIsNamed()
    {
        var rows = Enumerable.Range(0, 40).Select(i =>
        {
            double x = Math.Round(Math.Sin(i * 1.7) * 3, 3);
            return $"{(x > 0 ? 1 : 0)},{x.ToString(System.Globalization.CultureInfo.InvariantCulture)},g{i % 5}";
        });
        var data = _cli.File("complete.csv", "y,x,g\n" + string.Join("\n", rows) + "\n");
        Assert.Equal("the model could not be fitted: the fixed effects are completely separated: the likelihood keeps rising as (Intercept) (towards -), x (towards +) diverge, " +
            "which fits every row exactly (lme4 and glmmTMB report huge estimates and standard errors here); remove or merge the separating terms",
            CliRunner.Refused("fit", "-d", data, "-f", "y ~ x + (1 | g)"));
    }

    [Fact]
    public void PoissonZeroCountsInALevelAreSeparation()
    {
        var rows = Enumerable.Range(0, 48).Select(i => $"{(i % 3 == 0 ? 0 : 1 + i % 4)},{(i % 3 == 0 ? "a" : i % 3 == 1 ? "b" : "c")},g{i % 6}");
        var data = _cli.File("pois.csv", "y,f,g\n" + string.Join("\n", rows) + "\n");
        Assert.Equal("the model could not be fitted: the fixed effects are quasi-completely separated: the likelihood keeps rising as (Intercept) (towards -), fb (towards +), fc (towards +) diverge, " +
            "which fits some rows exactly (lme4 and glmmTMB report huge estimates and standard errors here); remove or merge the separating terms",
            CliRunner.Refused("fit", "-d", data, "-f", "y ~ f + (1 | g)", "--family", "poisson"));
    }

    [Fact]
    public void TheLinearProgramFindsNoSeparationInOrdinaryData()
    {
        var data = CsvTableReader.Read(Path.Combine(CliRunner.DataDir, "cbpp.csv"));
        var model = ModelBuilder.Build("cbind(incidence, size - incidence) ~ factor(period) + (1 | herd)", data);
        var result = SeparationCheck.Run(model, new Binomial());
        Assert.NotNull(result);
        Assert.False(result.Separated);
        var contraception = ModelBuilder.Build("use ~ age + I(age^2) + urban + livch + (1 | district)", CsvTableReader.Read(Path.Combine(CliRunner.DataDir, "Contraception.csv")));
        Assert.False(SeparationCheck.Run(contraception, new Binomial())!.Separated);
    }

    [Fact]
    public void TheLinearProgramReturnsTheRecessionDirection()
    {
        var model = ModelBuilder.Build("y ~ f + x1 + (1 | g)", CsvTableReader.Read(Separated));
        var r = SeparationCheck.Run(model, new Binomial())!;
        Assert.True(r.Separated);
        Assert.False(r.Complete);
        // Along b the rows with f = a (all successes) rise and every other row stays put: Xb = 1 for f = a, 0 otherwise.
        Assert.Equal(new[] { "(Intercept)", "fb", "fc" }, r.Coefficients.Select(c => c.Name));
        Assert.Equal(new[] { 1, -1, -1 }, r.Coefficients.Select(c => c.Sign));
        Assert.Equal(0.0, r.Direction[3], 12);
        Assert.Equal(-r.Direction[0], r.Direction[1], 12);
        Assert.Equal(-r.Direction[0], r.Direction[2], 12);
    }

    [Fact]
    public void AllWeightsZeroIsNamed()
    {
        var data = _cli.File("w.csv", "y,x,g,w\n" + string.Join("\n", Enumerable.Range(0, 20).Select(i => $"{i % 2},{i},g{i % 4},0")) + "\n");
        Assert.Equal("the model could not be fitted: every prior weight is zero (weights column 'w'), so no row carries information",
            CliRunner.Refused("fit", "-d", data, "-f", "y ~ x + (1 | g)", "--weights", "w"));
    }

    [Fact]
    public void NonIntegerPoissonCountsAreNamed()
    {
        var data = _cli.File("p.csv", "y,x,g\n" + string.Join("\n", Enumerable.Range(0, 20).Select(i => $"{i % 3 + (i == 4 ? 0.5 : 0)},{i},g{i % 4}")) + "\n");
        Assert.Equal("the model could not be fitted: non-integer response 1.5 at row 5 in a poisson model: its log-likelihood is -Inf, as R's dpois",
            CliRunner.Refused("fit", "-d", data, "-f", "y ~ x + (1 | g)", "--family", "poisson"));
    }

    [Fact]
    public void ACovariateOf1e308IsNamedWithItsColumnAndRow()
    {
        var data = _cli.File("big.csv", "y,x,g\n" + string.Join("\n", Enumerable.Range(0, 20).Select(i => $"{i % 2},{(i == 7 ? "1e308" : i.ToString(System.Globalization.CultureInfo.InvariantCulture))},g{i % 4}")) + "\n");
        Assert.Equal("the model could not be fitted: fixed-effects column 'x' holds 1E+308 at data row 8: beyond 1E+150 its square overflows the model's arithmetic; rescale it",
            CliRunner.Refused("fit", "-d", data, "-f", "y ~ x + (1 | g)"));
        Assert.Equal("the fixed-effects column 'I(x^2)' is Inf in data row 8; values must be finite",
            CliRunner.Refused("fit", "-d", data, "-f", "y ~ I(x^2) + (1 | g)"));
    }

    [Fact]
    public void ACovariateOnTheScaleOf1e200IsRefusedAndOneOf1e12IsNot()
    {
        var data = _cli.File("tiny.csv", "y,x,g\n" + string.Join("\n", Enumerable.Range(0, 20).Select(i => $"{i * 7 % 3 % 2},{(i * 1e-200).ToString("R", System.Globalization.CultureInfo.InvariantCulture)},g{i % 4}")) + "\n");
        Assert.Equal("the model could not be fitted: fixed-effects column 'x' has values of order 1.11E-199 (root mean square): below 1E-100 the variance of its coefficient overflows; rescale it",
            CliRunner.Refused("fit", "-d", data, "-f", "y ~ x + (1 | g)"));
        var (code, output, _) = CliRunner.Run("fit", "-d", data, "-f", "y ~ I(x * 1e188) + (1 | g)");
        Assert.Equal(0, code);
        Assert.Contains(" I(x * 1e+188) ", output);
    }

    [Fact]
    public void NonIntegerBinomialSuccessesWarnAsRDoes()
    {
        // R's binomial()$initialize warns "non-integer #successes in a binomial glm!"; glmer passes it on, and so does the fit.
        var data = Path.Combine(CliRunner.DataDir, "cbpp.csv");
        var fit = GlmmModel.Fit("I(incidence/size) ~ factor(period) + (1 | herd)", CsvTableReader.Read(data));
        Assert.Equal(["non-integer #successes in a binomial glm! (first at row 1)"], fit.Warnings);
        Assert.True(fit.Converged);
        var (code, output, _) = CliRunner.Run("fit", "-d", data, "-f", "cbind(incidence + 0.5, size - incidence) ~ factor(period) + (1 | herd)", "--format", "json");
        Assert.Equal(0, code);
        Assert.Contains("\"non-integer #successes in a binomial glm! (first at row 1)\"", output);
    }

    [Fact]
    public void TheDiagnosisOfAFailedCriterionNamesTheOverflow()
    {
        var data = CsvTableReader.Read(Path.Combine(CliRunner.DataDir, "cbpp.csv"));
        var model = ModelBuilder.Build("cbind(incidence, size - incidence) ~ factor(period) + (1 | herd)", data);
        Assert.Equal("the model could not be fitted: the linear predictor eta overflowed (|eta| reached 1E+200), so the binomial likelihood is not finite at the estimates; " +
            "check the response, the family and link, and covariates on extreme scales",
            FitPreconditions.Diagnose(model, new Binomial(), [1.0, -1e200, double.PositiveInfinity]));
    }
}
