using Glmm.Data;
using Glmm.Families;
using Glmm.Fitting;
using Glmm.Model;

namespace Glmm.Tests.Fitting;

public class PirlsTests
{
    private static ModelStructure Cbpp() => ModelBuilder.Build("cbind(incidence, size - incidence) ~ factor(period) + (1 | herd)",
        CsvTableReader.Read(Path.Combine(AppContext.BaseDirectory, "fixtures", "data", "cbpp.csv")));

    [Theory]
    [InlineData("binomial", "logit")]
    [InlineData("binomial", "probit")]
    [InlineData("binomial", "cloglog")]
    public void WithThetaZeroReproducesTheGlm(string familyName, string link)
    {
        // With θ = 0 the random effects vanish: PIRLS over (v, β) is IRLS for the GLM, the factor is I,
        // and the Laplace deviance is the GLM's −2 logLik.
        var model = Cbpp();
        var family = Family.Create(familyName, link);
        var glm = GlmIrls.Fit(family, model.X, model.Y, model.Weights, model.Offset);
        var pirls = new Pirls(new EngineLayout(model, family), withFixed: true);
        double dev = pirls.Solve(new double[] { 0.0 });
        Assert.True(pirls.Converged);
        for (int j = 0; j < model.X.Columns; j++) Assert.Equal(glm.Coefficients[j], pirls.Beta[j], 7);
        Assert.Equal(-2 * glm.LogLikelihood, dev, 7);
        Assert.Equal(0.0, pirls.LogDetL, 12);
    }

    [Fact]
    public void ModeSolvesThePenalizedScoreEquations()
    {
        // At the conditional mode, Σ_i r_i a_i − v = 0 for every herd (the gradient of the penalized log-likelihood).
        var model = Cbpp();
        var family = Family.Create("binomial");
        var data = new EngineLayout(model, family);
        var pirls = new Pirls(data, withFixed: false);
        var beta = new[] { -1.4, -1.0, -1.1, -1.6 };
        double theta = 0.64;
        pirls.Solve(new[] { theta }, beta);
        Assert.True(pirls.Converged);
        var score = new double[15];
        for (int i = 0; i < data.N; i++)
        {
            int l = data.Codes(0)[i];
            double mu = pirls.Mu[i];
            score[l] += data.Weights[i] * (data.Y[i] - mu) * theta;
        }
        for (int l = 0; l < 15; l++) Assert.Equal(pirls.U[l], score[l], 9);
    }

    [Fact]
    public void LaplaceDevianceMatchesADenseComputation()
    {
        // −2 log p(y|ṽ) + ‖ṽ‖² + log|Λ'Z'WZΛ + I| computed densely from the mode.
        var model = Cbpp();
        var family = Family.Create("binomial");
        var data = new EngineLayout(model, family);
        var pirls = new Pirls(data, withFixed: false);
        var beta = new[] { -1.4, -1.0, -1.1, -1.6 };
        double theta = 0.64;
        double dev = pirls.Solve(new[] { theta }, beta);
        double ll = 0, logDet = 0;
        var h = new double[15];
        for (int i = 0; i < data.N; i++)
        {
            double mu = pirls.Mu[i];
            ll += family.LogLikelihood(data.Y[i], mu, data.Weights[i]);
            h[data.Codes(0)[i]] += data.Weights[i] * mu * (1 - mu) * theta * theta;
        }
        foreach (var x in h) logDet += Math.Log(1 + x);
        double vv = pirls.U.Sum(v => v * v);
        Assert.Equal(-2 * ll + vv + logDet, dev, 9);
    }
}
