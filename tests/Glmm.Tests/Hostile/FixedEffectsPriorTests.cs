using System.Text.Json;

namespace Glmm.Tests.Hostile;

/// <summary>The weak normal prior on β (blme's fixef.prior), the remedy for separation (issue 13).</summary>
public class FixedEffectsPriorTests
{
    private static readonly string Separated = Path.Combine(CliRunner.FixtureDir, "separated.csv");
    private static readonly DataTable Cbpp = CsvTableReader.Read(Path.Combine(CliRunner.DataDir, "cbpp.csv"));
    private const string CbppFormula = "cbind(incidence, size - incidence) ~ factor(period) + (1 | herd)";

    [Fact]
    public void SeparatedDataGiveFiniteEstimatesWithTheWarningAndThePriorInTheSummary()
    {
        var (code, output, err) = CliRunner.Run("fit", "-d", Separated, "-f", "y ~ f + x1 + (1 | g)", "--fixef-prior", "normal");
        Assert.Equal(0, code);
        Assert.Equal("", err);
        Assert.StartsWith("Generalized linear mixed model fit by penalized maximum likelihood (Laplace Approximation)\n", output);
        Assert.Contains("  Prior: fixed effects ~ N(0, 10^2) for (Intercept), N(0, 2.5^2) for the others (blme's fixef.prior = normal); the estimates maximise the penalized likelihood", output);
        Assert.Contains("Warning: the fixed effects are quasi-completely separated ((Intercept) (towards +), fb (towards -), fc (towards -) diverge by maximum likelihood); " +
            "the normal prior keeps their estimates finite, and their standard errors reflect the prior more than the data", output);

        (code, output, _) = CliRunner.Run("fit", "-d", Separated, "-f", "y ~ f + x1 + (1 | g)", "--fixef-prior", "normal", "--format", "json");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.Equal(10.0, root.GetProperty("fixefPrior").GetProperty("sdIntercept").GetDouble());
        Assert.Equal(2.5, root.GetProperty("fixefPrior").GetProperty("sd").GetDouble());
        foreach (var f in root.GetProperty("fixedEffects").EnumerateArray())
        {
            Assert.InRange(Math.Abs(f.GetProperty("estimate").GetDouble()), 0, 10);
            Assert.InRange(f.GetProperty("stdError").GetDouble(), 0.05, 5);
        }
    }

    [Fact]
    public void ThePenalizedDevianceIsTheDeviancePlusThePenaltyAtTheEstimates()
    {
        var fit = GlmmModel.Fit(CbppFormula, Cbpp, new GlmmOptions { FixedEffectsPrior = new NormalPrior(3, 0.5) });
        double penalty = fit.FixedEffects.Select((f, j) => f.Estimate * f.Estimate / (j == 0 ? 9.0 : 0.25)).Sum();
        Assert.Equal(fit.Deviance + penalty, fit.PenalizedDeviance, 1e-9);
        Assert.True(fit.Converged);
        // The prior pulls the period effects towards 0 compared with maximum likelihood.
        var ml = GlmmModel.Fit(CbppFormula, Cbpp);
        for (int j = 1; j < 4; j++) Assert.True(Math.Abs(fit.FixedEffects[j].Estimate) < Math.Abs(ml.FixedEffects[j].Estimate));
        Assert.True(fit.LogLik < ml.LogLik);
    }

    [Fact]
    public void AVagueBalancePriorReproducesMaximumLikelihood()
    {
        var ml = GlmmModel.Fit(CbppFormula, Cbpp);
        var vague = GlmmModel.Fit(CbppFormula, Cbpp, new GlmmOptions { FixedEffectsPrior = new NormalPrior(1e4, 1e4) });
        Assert.Equal(ml.LogLik, vague.LogLik, 1e-5);
        for (int j = 0; j < 4; j++)
        {
            Assert.Equal(ml.FixedEffects[j].Estimate, vague.FixedEffects[j].Estimate, 1e-3 * ml.FixedEffects[j].StdError);
            Assert.Equal(1.0, vague.FixedEffects[j].StdError / ml.FixedEffects[j].StdError, 1e-3);
        }
        Assert.Equal(ml.RandomEffects[0].StdDev[0], vague.RandomEffects[0].StdDev[0], 1e-4);
    }

    [Theory]
    [InlineData("cauchy", "--fixef-prior must be 'normal' or 'normal:SD_INTERCEPT,SD' with positive SDs (e.g. normal:10,2.5), not 'cauchy'")]
    [InlineData("normal:0,1", "--fixef-prior must be 'normal' or 'normal:SD_INTERCEPT,SD' with positive SDs (e.g. normal:10,2.5), not 'normal:0,1'")]
    [InlineData("normal:1", "--fixef-prior must be 'normal' or 'normal:SD_INTERCEPT,SD' with positive SDs (e.g. normal:10,2.5), not 'normal:1'")]
    public void BadPriorsAreOneLine(string prior, string message) =>
        Assert.Equal(message, CliRunner.Refused("fit", "-d", Separated, "-f", "y ~ f + x1 + (1 | g)", "--fixef-prior", prior));

    [Theory]
    [InlineData("--nagq", "0")]
    [InlineData("--nagq", "5")]
    [InlineData("--reml", "laplace")]
    public void ThePriorNeedsTheLaplaceCriterion(string option, string value) =>
        Assert.Equal("--fixef-prior needs the Laplace criterion (--nagq 1, no --reml): with nAGQ = 0 beta is estimated inside PIRLS, and the prior is not defined for quadrature or REML here",
            CliRunner.Refused("fit", "-d", Separated, "-f", "y ~ f + x1 + (1 | g)", "--fixef-prior", "normal", option, value));

    [Fact]
    public void ProfilesOfAPenalizedFitAreRefused() =>
        Assert.Equal("the profile likelihood needs a maximum-likelihood fit, not a penalized one (refit without --fixef-prior; Wald intervals are available)",
            CliRunner.Refused("fit", "-d", Path.Combine(CliRunner.DataDir, "cbpp.csv"), "-f", CbppFormula, "--fixef-prior", "normal", "--confint", "profile"));
}
