using Glmm.Families;
using Glmm.Inference;

namespace Glmm.Tests.Dispersion;

/// <summary>
/// The parametric bootstrap of the families with a dispersion parameter: each replicate refits (θ, β, log φ) on its own
/// copy of the family, sigma gets a row after the random-effect rows; the same replicates whatever the thread count,
/// and the replicates' spread of sigma and β near their Wald standard errors (fixed seeds: deterministic).
/// </summary>
public class DispersionBootstrapTests
{
    [Theory]
    [InlineData("gamma_inverse.csv", "y ~ x + (1 | g)", "Gamma", "inverse")]
    [InlineData("grouseticks.csv", "TICKS ~ factor(YEAR) + cHEIGHT + (1|BROOD)", "nbinom2", "log")]
    [InlineData("grouseticks.csv", "TICKS ~ factor(YEAR) + cHEIGHT + (1|BROOD)", "nbinom1", "log")]
    public void ReplicatesCarryTheDispersion(string file, string formula, string family, string link)
    {
        var data = CsvTableReader.Read(Path.Combine(AppContext.BaseDirectory, "fixtures", "data", file));
        var fit = GlmmModel.Fit(formula, data, new GlmmOptions { Family = Family.Create(family, link) });
        var one = Bootstrap.Run(fit, 40, seed: 11, threads: 1);
        var two = Bootstrap.Run(fit, 40, seed: 11, threads: 2);
        Assert.Equal(0, one.Failed);
        for (int i = 0; i < one.Replicates.Count; i++) Assert.Equal(one.Replicates[i], two.Replicates[i]);
        int nth = fit.Theta.Count;
        Assert.Equal("sigma", one.Names[nth]);
        Assert.Equal(fit.Sigma, one.Intervals[nth].Estimate);
        Assert.Equal(nth + 1 + fit.FixedEffects.Count, one.Names.Count);
        double Sd(int k)
        {
            var v = one.Replicates.Select(r => r[k]).ToArray();
            double m = v.Average();
            return Math.Sqrt(v.Sum(x => (x - m) * (x - m)) / (v.Length - 1));
        }
        Assert.InRange(Sd(nth) / fit.SigmaStdError, 0.6, 1.6);
        for (int j = 0; j < fit.FixedEffects.Count; j++)
            Assert.InRange(Sd(nth + 1 + j) / fit.FixedEffects[j].StdError, 0.6, 1.6);
        var sigma = one.Intervals[nth];
        Assert.True(sigma.Lower < fit.Sigma && fit.Sigma < sigma.Upper, $"sigma {fit.Sigma} outside [{sigma.Lower}, {sigma.Upper}]");
    }
}
