using System.Globalization;
using System.Text.Json;
using Glmm.Families;
using Glmm.Inference;
using Dist = MathNet.Numerics.Distributions;

namespace Glmm.Tests.Inference;

/// <summary>
/// DHARMa's bootstrapped outlier test: the same numbers as DHARMa's formula evaluated in R on fixed simulations with R's own
/// resamples (tools/check_fixtures.R), the default's choice between bootstrap and binomial, and the acceptance: on
/// well-specified data of each family no test flags more often than its nominal rate, over the seeds the other tests use,
/// while overdispersed counts are flagged.
/// </summary>
public class OutlierBootstrapTests
{
    private static readonly string FixturePath = Path.Combine(AppContext.BaseDirectory, "fixtures", "check", "dharma_outliers_bootstrap.json");
    private static readonly string TestsPath = Path.Combine(AppContext.BaseDirectory, "fixtures", "check", "dharma_tests.json");

    private static double[] Arr(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    private static void AssertMatches(JsonElement c, JsonElement b)
    {
        string name = c.GetProperty("name").GetString()!;
        var sims = c.GetProperty("simulated").EnumerateArray().Select(Arr).ToArray();
        var resamples = b.GetProperty("resamples").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
        var check = ResidualCheck.FromSimulations(Arr(c.GetProperty("observed")), sims, Arr(c.GetProperty("fitted")), Arr(c.GetProperty("uniforms")),
            c.GetProperty("integerResponse").GetBoolean(), OutlierTestType.Bootstrap, resamples);
        var t = check.Test("outliers")!;
        Assert.Equal("bootstrap", t.Method);
        Assert.Equal(b.GetProperty("replicates").GetInt32(), t.Replicates);
        Assert.Equal(b.GetProperty("statistic").GetDouble(), t.Statistic);
        Assert.True(Math.Abs(b.GetProperty("expectedFrequency").GetDouble() - t.ExpectedFrequency) < 1e-14, $"{name}: expected frequency {t.ExpectedFrequency} vs R {b.GetProperty("expectedFrequency").GetDouble()}");
        Assert.True(Math.Abs(b.GetProperty("p").GetDouble() - t.P) < 1e-14, $"{name}: p {t.P} vs R {b.GetProperty("p").GetDouble()}");
        // The exchangeable test (R by brute force, here from each row's extremes), the default for integer responses.
        var ex = ResidualCheck.FromSimulations(Arr(c.GetProperty("observed")), sims, Arr(c.GetProperty("fitted")), Arr(c.GetProperty("uniforms")),
            c.GetProperty("integerResponse").GetBoolean(), OutlierTestType.Default).Test("outliers")!;
        var e = b.GetProperty("exchangeable");
        Assert.Equal("exchangeable", ex.Method);
        Assert.Equal(sims.Length, ex.Replicates);
        Assert.Equal(t.Statistic, ex.Statistic);
        Assert.True(Math.Abs(e.GetProperty("expectedFrequency").GetDouble() - ex.ExpectedFrequency) < 1e-14, $"{name}: exchangeable expected {ex.ExpectedFrequency} vs R {e.GetProperty("expectedFrequency").GetDouble()}");
        Assert.True(Math.Abs(e.GetProperty("p").GetDouble() - ex.P) < 1e-14, $"{name}: exchangeable p {ex.P} vs R {e.GetProperty("p").GetDouble()}");
        // The other tests are untouched by the outlier test's type.
        Assert.Equal(ResidualCheck.FromSimulations(Arr(c.GetProperty("observed")), sims, Arr(c.GetProperty("fitted")), Arr(c.GetProperty("uniforms")),
            c.GetProperty("integerResponse").GetBoolean()).Tests.Where(x => x.Name != "outliers"), check.Tests.Where(x => x.Name != "outliers"));
    }

    [Fact]
    public void GivenTheSameSimulationsAndResamplesTheBootstrapIsDharmas()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(FixturePath));
        using var tests = JsonDocument.Parse(File.ReadAllText(TestsPath));
        var byName = tests.RootElement.GetProperty("cases").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);
        var extra = doc.RootElement.GetProperty("extraCases").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);
        int count = 0;
        foreach (var b in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            string name = b.GetProperty("name").GetString()!;
            AssertMatches(byName.TryGetValue(name, out var c) ? c : extra[name], b);
            count++;
        }
        Assert.Equal(5, count);
    }

    [Fact]
    public void TheDefaultIsExchangeableForIntegerResponsesAndBinomialForContinuousOnes()
    {
        var o = new ResidualCheckOptions { Simulations = 250 };
        Assert.Equal(OutlierTestType.Binomial, o.ResolveOutliers(integerResponse: false));
        Assert.Equal(OutlierTestType.Exchangeable, o.ResolveOutliers(integerResponse: true));
        Assert.Equal(OutlierTestType.Bootstrap, (o with { Outliers = OutlierTestType.Bootstrap }).ResolveOutliers(integerResponse: false));
        Assert.Equal(OutlierTestType.Binomial, (o with { Outliers = OutlierTestType.Binomial }).ResolveOutliers(integerResponse: true));
    }

    [Fact]
    public void ResamplesLeaveOutTheReplicatesOwnSimulationAndCoverTheOthers()
    {
        var sel = OutlierBootstrap.Resamples(20, 20, new SeededRandom(5, 1));
        for (int i = 0; i < 20; i++)
        {
            Assert.Equal(20, sel[i].Length);
            Assert.DoesNotContain(i, sel[i]);
            Assert.All(sel[i], j => Assert.InRange(j, 0, 19));
        }
        var all = sel.SelectMany(s => s).GroupBy(j => j).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(20, all.Count);
        // Each index is drawn 400/20·(19/19) = 20 times on average over the 20 replicates.
        Assert.All(all.Values, v => Assert.InRange(v, 5, 40));
    }

    /// <summary>Well-specified data of a family: 80 clusters of 8, a covariate and a random intercept (SD 0.3; log or logit link, Gaussian identity).</summary>
    internal static (DataTable Table, string Formula, Family Family) WellSpecified(int seed, string family)
    {
        if (family == "poisson") return (ResidualCheckTests.Counts(seed, "poisson"), "y ~ x + (1 | g)", new Poisson());
        var rng = new Random(seed);
        const int clusters = 80, size = 8, n = clusters * size;
        var y = new double[n];
        var f = new double[n];
        var x = new double[n];
        var g = new string[n];
        for (int c = 0; c < clusters; c++)
        {
            double b = (family == "gaussian" ? 2.0 : 0.3) * Dist.Normal.Sample(rng, 0, 1);
            for (int k = 0; k < size; k++)
            {
                int i = c * size + k;
                x[i] = Dist.Normal.Sample(rng, 0, 1);
                g[i] = "g" + c.ToString(CultureInfo.InvariantCulture);
                switch (family)
                {
                    case "binomial":
                        y[i] = Dist.Binomial.Sample(rng, 1 / (1 + Math.Exp(-(-0.2 + 0.6 * x[i] + b))), 6);
                        f[i] = 6 - y[i];
                        break;
                    case "nbinom2":
                        double mu = Math.Exp(1.0 + 0.4 * x[i] + b);
                        y[i] = Dist.Poisson.Sample(rng, Dist.Gamma.Sample(rng, 2.0, 2.0 / mu));
                        break;
                    case "Gamma":
                        y[i] = Dist.Gamma.Sample(rng, 3.0, 3.0 / Math.Exp(1 + 0.3 * x[i] + b));
                        break;
                    case "gaussian":
                        y[i] = 10 + 1.5 * x[i] + b + Dist.Normal.Sample(rng, 0, 3);
                        break;
                    default: throw new ArgumentException(family);
                }
            }
        }
        return family switch
        {
            "binomial" => (DataTable.FromColumns(("y", y), ("f", f), ("x", x), ("g", g)), "cbind(y, f) ~ x + (1 | g)", new Binomial()),
            "nbinom2" => (DataTable.FromColumns(("y", y), ("x", x), ("g", g)), "y ~ x + (1 | g)", Family.Create("nbinom2")),
            "Gamma" => (DataTable.FromColumns(("y", y), ("x", x), ("g", g)), "y ~ x + (1 | g)", Family.Create("Gamma", "log")),
            _ => (DataTable.FromColumns(("y", y), ("x", x), ("g", g)), "y ~ x + (1 | g)", Family.Create("gaussian")),
        };
    }

    [Theory]
    [InlineData("binomial")]
    [InlineData("poisson")]
    [InlineData("nbinom2")]
    [InlineData("Gamma")]
    [InlineData("gaussian")]
    public void OnWellSpecifiedDataNoTestFlagsMoreThanItsNominalRate(string family)
    {
        // The defaults (new random effects, as DHARMa; the exchangeable outlier test for integer responses), 100 simulations, seeds
        // 1-40 as ResidualCheckTests uses. At most 4 of 40 seeds with p <= 0.05 for each test (2 expected at the nominal 5%). The
        // binomial outlier test failed this on the Poisson counts (11 of 40), DHARMa's bootstrap too (8 of 40 Poisson, 8 binomial).
        var checks = Enumerable.Range(1, 40).AsParallel().AsOrdered().Select(s =>
        {
            var (table, formula, fam) = WellSpecified(s, family);
            var fit = GlmmModel.Fit(formula, table, new GlmmOptions { Family = fam, Threads = 1 });
            return fit.CheckResiduals(new ResidualCheckOptions { Simulations = 100, Seed = 1000 + s, Threads = 1 });
        }).ToArray();
        bool integer = family is "binomial" or "poisson" or "nbinom2";
        Assert.All(checks, c => Assert.Equal(integer ? "exchangeable" : "binomial", c.Test("outliers")!.Method));
        var flagged = checks[0].Tests.Select(t => (t.Name, Count: checks.Count(c => c.Test(t.Name)!.P <= 0.05))).ToArray();
        string report = string.Join(", ", flagged.Select(f => $"{f.Name} {f.Count}/40"));
        foreach (var (name, count) in flagged) Assert.True(count <= 4, $"{family}: {report}");
    }

    [Fact]
    public void TheDefaultFlagsGrossOutliersAndOverdispersedCounts()
    {
        foreach (int seed in new[] { 1, 2, 3, 4 })
        {
            // Poisson counts with 32 of 640 replaced by five times their value plus 10: far outside any simulation.
            var data = ResidualCheckTests.Counts(seed, "outliers");
            var fit = GlmmModel.Fit("y ~ x + (1 | g)", data, new GlmmOptions { Family = new Poisson(), Threads = 1 });
            var t = fit.CheckResiduals(new ResidualCheckOptions { Seed = 1000 + seed }).Test("outliers")!;
            Assert.Equal("exchangeable", t.Method);
            Assert.True(t.P < 0.001 && t.Statistic >= 24, $"seed {seed}: {t.Verdict()}");
            Assert.Contains("from the 250 simulations", t.Verdict());
        }
        // Negative-binomial counts (shape 1.5) fitted as Poisson: more observations outside the envelope than the simulations give.
        var nb = Enumerable.Range(1, 8).AsParallel().AsOrdered().Select(seed =>
        {
            var fit = GlmmModel.Fit("y ~ x + (1 | g)", ResidualCheckTests.Counts(seed, "nb"), new GlmmOptions { Family = new Poisson(), Threads = 1 });
            return fit.CheckResiduals(new ResidualCheckOptions { Simulations = 100, Seed = 1000 + seed, Threads = 1 }).Test("outliers")!;
        }).ToArray();
        Assert.All(nb, t => Assert.True(t.Statistic / t.Observations > t.ExpectedFrequency, t.Verdict()));
        Assert.True(nb.Count(t => t.P <= 0.05) >= 6, string.Join("; ", nb.Select(t => t.Verdict())));
    }

    [Fact]
    public void TheOutlierTestsDoNotDependOnTheThreadsAndReplicatesAreCapped()
    {
        var fit = GlmmModel.Fit("y ~ x + (1 | g)", ResidualCheckTests.Counts(2, "poisson"), new GlmmOptions { Family = new Poisson() });
        var o = new ResidualCheckOptions { Simulations = 40, Seed = 8, OutlierReplicates = 500, Threads = 1, Outliers = OutlierTestType.Bootstrap };
        var a = fit.CheckResiduals(o).Test("outliers")!;
        var b = fit.CheckResiduals(o with { Threads = 0 }).Test("outliers")!;
        Assert.Equal(a, b);
        Assert.Equal(40, a.Replicates);
        Assert.Contains("from 40 bootstrap replicates", a.Verdict());
        Assert.Throws<GlmmInputException>(() => fit.CheckResiduals(o with { OutlierReplicates = 0 }));
        var binomial = fit.CheckResiduals(o with { Outliers = OutlierTestType.Binomial }).Test("outliers")!;
        Assert.Equal("binomial", binomial.Method);
        Assert.Equal(2.0 / 41, binomial.ExpectedFrequency, 15);
        var ex = fit.CheckResiduals(o with { Outliers = OutlierTestType.Default }).Test("outliers")!;
        Assert.Equal(ex, fit.CheckResiduals(o with { Outliers = OutlierTestType.Exchangeable, Threads = 0 }).Test("outliers"));
        Assert.Equal(a.Statistic, ex.Statistic);
    }
}
