using Glmm.Families;
using Glmm.Inference;

namespace Glmm.Tests.Inference;

/// <summary>Residuals as R's residuals.glmerMod: response, Pearson, deviance, working.</summary>
public class ResidualsTests
{
    [Theory]
    [InlineData("cbpp")]
    [InlineData("grouseticks")]
    [InlineData("poisson_offset")]
    public void DevianceResidualsSquareToLme4sDevianceAndSummaryQuantilesAreLme4s(string name)
    {
        // lme4's deviance() of a GLMM is the conditional deviance; summary()'s "Scaled residuals" are the quantiles
        // of the Pearson residuals (fixtures/prediction, tools/prediction_fixtures.R). Row by row: ResidualsMatchLme4.
        var f = PredictionFixture.Load(name);
        var fit = f.Fit;
        var family = Family.Create(f.Family, f.Link);
        var y = fit.Model.Y;
        var w = fit.Model.Weights;
        var deviance = Residuals.Compute(fit);
        Assert.Equal(fit.Nobs, deviance.Length);
        double lme4Deviance = f.ConditionalDeviance!.Value;
        // At lme4's η to rounding, at our estimates within 1e-3 relative.
        var atLme4 = Residuals.Compute(family, y, w, f.Fitted["link"], ResidualType.Deviance);
        Assert.True(Math.Abs(atLme4.Sum(d => d * d) / lme4Deviance - 1) < 1e-10, $"{atLme4.Sum(d => d * d):R} vs {lme4Deviance:R}");
        Assert.True(Math.Abs(family.Deviance(y, f.Fitted["response"], w) / lme4Deviance - 1) < 1e-10, "Family.Deviance at lme4's μ");
        Assert.True(Math.Abs(deviance.Sum(d => d * d) / lme4Deviance - 1) < 1e-3, $"{deviance.Sum(d => d * d):R} vs {lme4Deviance:R}");
        var lme4Residuals = f.Residuals["deviance"];
        for (int i = 0; i < fit.Nobs; i++) Assert.Equal(Math.Sign(lme4Residuals[i]), Math.Sign(deviance[i]));
        var quantiles = f.ScaledResidualQuantiles!;
        Assert.Equal(quantiles.Length, fit.ScaledResidualQuantiles.Count);
        for (int k = 0; k < quantiles.Length; k++)
            Assert.True(Math.Abs(fit.ScaledResidualQuantiles[k] - quantiles[k]) < 1e-3 * Math.Max(1, Math.Abs(quantiles[k])),
                $"quantile {k}: {fit.ScaledResidualQuantiles[k]:R} vs lme4 {quantiles[k]:R}");
    }

    [Fact]
    public void HandComputedPoissonAndBinomialRows()
    {
        // Poisson log link, y = 3, μ = 2 (η = log 2): deviance 2(3 log 1.5 − 1).
        var poisson = Family.Create("poisson");
        double eta = Math.Log(2);
        Assert.Equal(Math.Sqrt(2 * (3 * Math.Log(1.5) - 1)), Residuals.Compute(poisson, new[] { 3.0 }, new[] { 1.0 }, new[] { eta }, ResidualType.Deviance)[0], 14);
        Assert.Equal(1 / Math.Sqrt(2), Residuals.Compute(poisson, new[] { 3.0 }, new[] { 1.0 }, new[] { eta }, ResidualType.Pearson)[0], 14);
        Assert.Equal(0.5, Residuals.Compute(poisson, new[] { 3.0 }, new[] { 1.0 }, new[] { eta }, ResidualType.Working)[0], 14);
        // Binomial y = 0 with 4 trials, μ = 0.2: deviance residual −sqrt(2·4·log(1/0.8)).
        var binomial = Family.Create("binomial");
        double e2 = Math.Log(0.2 / 0.8);
        Assert.Equal(-Math.Sqrt(8 * Math.Log(1 / 0.8)), Residuals.Compute(binomial, new[] { 0.0 }, new[] { 4.0 }, new[] { e2 }, ResidualType.Deviance)[0], 14);
        Assert.Equal(-0.2 * Math.Sqrt(4 / 0.16), Residuals.Compute(binomial, new[] { 0.0 }, new[] { 4.0 }, new[] { e2 }, ResidualType.Pearson)[0], 14);
        Assert.Equal(ResidualType.Working, Residuals.ParseType("Working"));
        Assert.Throws<GlmmInputException>(() => Residuals.ParseType("partial"));
    }
}
