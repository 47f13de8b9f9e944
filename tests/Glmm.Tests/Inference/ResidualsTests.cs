using Glmm.Families;
using Glmm.Inference;

namespace Glmm.Tests.Inference;

/// <summary>Residuals as R's residuals.glmerMod: response, Pearson, deviance, working.</summary>
public class ResidualsTests
{
    [Fact]
    public void TypesAgreeWithTheirDefinitionsOnCbpp()
    {
        var fit = PredictionFixture.Load("cbpp").Fit;
        var y = fit.Model.Y;
        var w = fit.Model.Weights;
        var response = Residuals.Compute(fit, ResidualType.Response);
        var pearson = Residuals.Compute(fit, ResidualType.Pearson);
        var deviance = Residuals.Compute(fit);
        var working = Residuals.Compute(fit, ResidualType.Working);
        Assert.Equal(fit.Nobs, deviance.Length);
        double sumDev = 0;
        for (int i = 0; i < fit.Nobs; i++)
        {
            double mu = fit.Fitted[i];
            Assert.Equal(y[i] - mu, response[i], 12);
            Assert.Equal((y[i] - mu) * Math.Sqrt(w[i] / (mu * (1 - mu))), pearson[i], 10);
            Assert.Equal((y[i] - mu) / (mu * (1 - mu)), working[i], 10);
            Assert.Equal(Math.Sign(y[i] - mu), Math.Sign(deviance[i]));
            sumDev += deviance[i] * deviance[i];
        }
        // The deviance residuals square to the conditional deviance Σ wt·d(y, μ).
        Assert.Equal(fit.Family.Deviance(y, fit.Fitted.ToArray(), w), sumDev, 9);
        // The summary's scaled-residual quantiles are those of the Pearson residuals.
        var sorted = pearson.OrderBy(r => r).ToArray();
        Assert.Equal(fit.ScaledResidualQuantiles[0], sorted[0], 10);
        Assert.Equal(fit.ScaledResidualQuantiles[4], sorted[^1], 10);
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
