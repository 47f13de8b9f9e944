using Glmm.Inference;
using Glmm.Tests.Fitting;
using Glmm.Tests.Reference;

namespace Glmm.Tests.Inference;

/// <summary>Simulation of new responses: seeded, on the response's scale, with the right moments.</summary>
public class SimulationTests
{
    [Fact]
    public void BinomialSimulationIsSeededAndOnTheTrialsGrid()
    {
        var fit = LaplaceReferenceTests.FitFixture(ReferenceFixture.Load("cbpp_after"));
        var a = Simulation.Simulate(fit, 3, seed: 11);
        var b = Simulation.Simulate(fit, 3, seed: 11);
        var c = Simulation.Simulate(fit, 3, seed: 12);
        for (int i = 0; i < 3; i++) Assert.Equal(a[i], b[i]);
        Assert.NotEqual(a[0], c[0]);
        var w = fit.Model.Weights;
        foreach (var y in a)
            for (int i = 0; i < y.Length; i++)
            {
                double k = y[i] * w[i];
                Assert.InRange(y[i], 0.0, 1.0);
                Assert.Equal(Math.Round(k), k, 1e-9);
            }
    }

    [Fact]
    public void ConditionalOnModesTheMeanIsTheFittedValue()
    {
        var fit = LaplaceReferenceTests.FitFixture(ReferenceFixture.Load("cbpp_after"));
        const int nsim = 2000;
        var sims = Simulation.Simulate(fit, nsim, seed: 3, useModes: true);
        for (int i = 0; i < fit.Nobs; i++)
        {
            double mean = sims.Average(y => y[i]);
            double mu = fit.Fitted[i], n = fit.Model.Weights[i];
            double se = Math.Sqrt(mu * (1 - mu) / n / nsim);
            Assert.True(Math.Abs(mean - mu) < 5 * se, $"row {i}: {mean} vs {mu}");
        }
    }

    [Fact]
    public void PoissonWithNewRandomEffectsHasTheMarginalMean()
    {
        // Marginal mean of a log-link Poisson GLMM: E[y] = exp(Xβ + σ²/2) summed over the variance of all terms.
        var fit = LaplaceReferenceTests.FitFixture(ReferenceFixture.Load("grouseticks_after"));
        const int nsim = 400;
        var sims = Simulation.Simulate(fit, nsim, seed: 5);
        double s2 = fit.RandomEffects.Sum(r => r.StdDev[0] * r.StdDev[0]);
        int n = fit.Nobs, p = fit.Beta.Count;
        double expected = 0, simulated = 0;
        for (int i = 0; i < n; i++)
        {
            double eta = fit.Model.Offset[i];
            for (int j = 0; j < p; j++) eta += fit.Model.X.Values[j * n + i] * fit.Beta[j];
            expected += Math.Exp(eta + s2 / 2);
        }
        foreach (var y in sims)
        {
            Assert.All(y, v => Assert.Equal(Math.Round(v), v));
            simulated += y.Sum();
        }
        simulated /= nsim;
        // The total varies mostly through the shared random effects; 5% is about 3 of its Monte Carlo SEs here.
        Assert.True(Math.Abs(simulated / expected - 1) < 0.05, $"{simulated} vs {expected}");
    }
}
