using System.Text.Json;
using Glmm.Families;

namespace Glmm.Tests.Dispersion;

/// <summary>The dispersion's working value is per fit: fits sharing one options instance (one family object) run at once.</summary>
public class DispersionConcurrencyTests
{
    private static string FixtureDirectory => Path.Combine(AppContext.BaseDirectory, "fixtures", "reference", "dispersion");

    private static string DataDirectory => Path.Combine(AppContext.BaseDirectory, "fixtures", "data");

    private static (string Formula, DataTable Data) Load(string name)
    {
        var r = JsonDocument.Parse(File.ReadAllText(Path.Combine(FixtureDirectory, name + ".json"))).RootElement;
        return (r.GetProperty("formula").GetString()!, CsvTableReader.Read(Path.Combine(DataDirectory, r.GetProperty("data").GetString()!)));
    }

    [Fact]
    public async Task ConcurrentFitsWithOneOptionsInstanceEqualSequentialOnes()
    {
        var nb = Load("dispersion_grouseticks_nbinom2");
        var gamma = Load("dispersion_gamma_slope_log");
        var nbOptions = new GlmmOptions { Family = new NegativeBinomial2(), Threads = 1 };
        var gammaOptions = new GlmmOptions { Family = new Gamma(Link.Log), Threads = 1 };
        var sequentialNb = GlmmModel.Fit(nb.Formula, nb.Data, nbOptions);
        var sequentialGamma = GlmmModel.Fit(gamma.Formula, gamma.Data, gammaOptions);
        // The caller's family object is never moved off its initial value.
        Assert.Equal(1.0, nbOptions.Family.Dispersion);
        Assert.Equal(1.0, gammaOptions.Family.Dispersion);

        var jobs = new List<Func<GlmmFit>>();
        for (int k = 0; k < 3; k++)
        {
            jobs.Add(() => GlmmModel.Fit(nb.Formula, nb.Data, nbOptions));
            jobs.Add(() => GlmmModel.Fit(gamma.Formula, gamma.Data, gammaOptions));
        }
        var fits = await Task.WhenAll(jobs.Select(j => Task.Run(j)));
        for (int k = 0; k < fits.Length; k++)
        {
            var expected = k % 2 == 0 ? sequentialNb : sequentialGamma;
            var fit = fits[k];
            Assert.Equal(expected.LogLik, fit.LogLik);
            Assert.Equal(expected.Sigma, fit.Sigma);
            Assert.Equal(expected.FixedEffects.Select(f => f.Estimate), fit.FixedEffects.Select(f => f.Estimate));
            Assert.Equal(expected.Theta, fit.Theta);
        }
        Assert.Equal(1.0, nbOptions.Family.Dispersion);
    }
}
