using System.Text.Json;
using Glmm.Families;
using Glmm.Inference;
using Glmm.Tests.Reference;
using Dist = MathNet.Numerics.Distributions;

namespace Glmm.Tests.Inference;

/// <summary>
/// glmm check's residual tests: the deterministic part against DHARMa's definitions evaluated in R on fixed simulated
/// matrices (tools/check_fixtures.R), and the acceptance properties on simulated data: uniform p values over many seeds
/// when the model is right, overdispersion and zero-inflation flagged when it is not, determinism whatever the threads.
/// </summary>
public class ResidualCheckTests
{
    private static readonly string FixturePath = Path.Combine(AppContext.BaseDirectory, "fixtures", "check", "dharma_tests.json");

    [Fact]
    public void GivenTheSameSimulationsTheTestsAreDharmas()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(FixturePath));
        int count = 0;
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            string name = c.GetProperty("name").GetString()!;
            double[] Arr(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();
            var observed = Arr(c.GetProperty("observed"));
            var fitted = Arr(c.GetProperty("fitted"));
            var uniforms = Arr(c.GetProperty("uniforms"));
            var sims = c.GetProperty("simulated").EnumerateArray().Select(Arr).ToArray();
            bool integer = c.GetProperty("integerResponse").GetBoolean();
            var check = ResidualCheck.FromSimulations(observed, sims, fitted, uniforms, integer);

            var expected = Arr(c.GetProperty("residuals"));
            for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], check.Residuals[i], 1e-14);
            foreach (var test in check.Tests)
            {
                var e = c.GetProperty(test.Name);
                double stat = e.GetProperty("statistic").GetDouble(), p = e.GetProperty("p").GetDouble();
                Assert.True(Math.Abs(stat - test.Statistic) <= 1e-10 * Math.Max(1, Math.Abs(stat)), $"{name} {test.Name}: statistic {test.Statistic} vs R {stat}");
                Assert.True(Math.Abs(p - test.P) <= 1e-9 + 1e-7 * p, $"{name} {test.Name}: p {test.P} vs R {p}");
            }
            Assert.Equal(integer, check.Test("zeroInflation") is not null);
            count++;
        }
        Assert.Equal(6, count);
    }

    [Theory]
    [InlineData(0.05, 10)]
    [InlineData(0.2, 30)]
    [InlineData(0.03, 99)]
    [InlineData(0.3, 5)]
    public void TheExactKolmogorovDistributionIsRsPsmirnovFree(double d, int n)
    {
        // Marsaglia-Tsang-Wang against a direct check: the exact CDF lies between 0 and 1, increases in d and tends to the
        // asymptotic distribution of sqrt(n) D.
        double p1 = ResidualTests.KolmogorovExact(d, n), p2 = ResidualTests.KolmogorovExact(d + 0.01, n);
        Assert.InRange(p1, 0.0, 1.0);
        Assert.True(p2 >= p1);
        Assert.True(Math.Abs(p1 - ResidualTests.KolmogorovAsymptotic(Math.Sqrt(n) * d, 1e-10)) < 0.15);
    }

    [Fact]
    public void BinomialTestIsRs()
    {
        // R: binom.test(3, 80, 2/101)$p.value, binom.test(0, 400, 2/101)$p.value, binom.test(10, 90, 2/101)$p.value
        Assert.Equal(0.21146940221266, ResidualTests.BinomialTest(3, 80, 2.0 / 101), 11);
        Assert.Equal(0.000833213396602914, ResidualTests.BinomialTest(0, 400, 2.0 / 101), 13);
        Assert.Equal(1.25169374733007e-05, ResidualTests.BinomialTest(10, 90, 2.0 / 101), 15);
        Assert.Equal(1.0, ResidualTests.BinomialTest(2, 101, 2.0 / 101));
    }

    /// <summary>
    /// Poisson counts with a random intercept (80 clusters of 8), optionally overdispersed (negative binomial), zero-inflated or
    /// with gross outliers (every 20th count five times a Poisson draw plus 10).
    /// </summary>
    internal static DataTable Counts(int seed, string kind, int clusters = 80, int size = 8)
    {
        var rng = new Random(seed);
        int n = clusters * size;
        var y = new double[n];
        var x = new double[n];
        var g = new string[n];
        for (int c = 0; c < clusters; c++)
        {
            double b = 0.3 * Dist.Normal.Sample(rng, 0, 1);
            for (int k = 0; k < size; k++)
            {
                int i = c * size + k;
                x[i] = Dist.Normal.Sample(rng, 0, 1);
                g[i] = "g" + c.ToString(System.Globalization.CultureInfo.InvariantCulture);
                double mu = Math.Exp(1.0 + 0.4 * x[i] + b);
                y[i] = kind switch
                {
                    "nb" => Dist.Poisson.Sample(rng, Dist.Gamma.Sample(rng, 1.5, 1.5 / mu)),
                    "zi" => rng.NextDouble() < 0.25 ? 0 : Dist.Poisson.Sample(rng, mu),
                    "outliers" when i % 20 == 7 => 5 * Dist.Poisson.Sample(rng, mu) + 10,
                    _ => Dist.Poisson.Sample(rng, mu),
                };
            }
        }
        return DataTable.FromColumns(("y", y), ("x", x), ("g", g));
    }

    private static ResidualCheck CheckCounts(int seed, string kind, int nsim = 100, int threads = 1)
    {
        var fit = GlmmModel.Fit("y ~ x + (1 | g)", Counts(seed, kind), new GlmmOptions { Family = new Poisson(), Threads = 1 });
        return fit.CheckResiduals(new ResidualCheckOptions { Simulations = nsim, Seed = 1000 + seed, Threads = threads });
    }

    private static readonly Lazy<ResidualCheck[]> WellSpecified = new(() =>
        Enumerable.Range(1, 40).AsParallel().AsOrdered().Select(s => CheckCounts(s, "poisson")).ToArray());

    [Fact]
    public void OnDataSimulatedFromTheFittedModelTheResidualsAreUniform()
    {
        // Responses simulated from the fitted model itself (given the modes, so observations are independent) and checked against
        // the same model: the residuals are exactly uniform, so over 40 seeds the KS p values are uniform too (a KS test of them
        // does not reject at 0.01) and each test flags at most at its nominal rate.
        var checks = Enumerable.Range(1, 40).AsParallel().AsOrdered().Select(s =>
        {
            var fit = GlmmModel.Fit("y ~ x + (1 | g)", Counts(s, "poisson"), new GlmmOptions { Family = new Poisson(), Threads = 1 });
            var ystar = Simulation.Simulate(fit, 1, seed: 5000 + s, useModes: true)[0];
            return QuantileResiduals.Check(fit, new ResidualCheckOptions { Simulations = 100, Seed = s, Conditional = true, Threads = 1 }, ystar);
        }).ToArray();
        var ks = checks.Select(c => c.Test("uniformity")!.P).ToArray();
        Assert.True(ResidualTests.Uniformity(ks).P > 0.01, "KS p values not uniform: " + string.Join(", ", ks.Select(p => p.ToString("G3"))));
        // The outlier test too: the default for counts is the exchangeable simulation test (the binomial one flags too often on
        // integer responses, OutlierBootstrapTests).
        foreach (string name in ResidualTests.Names)
        {
            var p = checks.Select(c => c.Test(name)!.P).ToArray();
            Assert.True(p.Count(v => v <= 0.05) <= 6, $"{name}: {p.Count(v => v <= 0.05)} of 40 seeds flagged at 0.05");
        }
        var all = checks.SelectMany(c => c.Residuals).ToArray();
        for (int d = 0; d < 10; d++)
        {
            double frac = all.Count(r => r >= d / 10.0 && r < (d + 1) / 10.0) / (double)all.Length;
            Assert.InRange(frac, 0.09, 0.11);
        }
    }

    [Fact]
    public void OnContinuousResponsesFromTheFittedModelEveryTestHoldsItsLevel()
    {
        // A Gamma fit (40 clusters of 5); 40 response vectors simulated from it (given the modes) and checked against it: no ties,
        // so the residuals are uniform and the binomial outlier test is exact too. A continuous response's residuals lie on the
        // grid k/nsim, which biases D by up to 1/nsim: 1000 simulations keep that far below the KS test's noise for 200 rows.
        var rng = new Random(11);
        const int rows = 200;
        var y = new double[rows];
        var x = new double[rows];
        var g = new string[rows];
        for (int c = 0; c < 40; c++)
        {
            double b = 0.4 * Dist.Normal.Sample(rng, 0, 1);
            for (int k = 0; k < 5; k++)
            {
                int i = c * 5 + k;
                x[i] = Dist.Normal.Sample(rng, 0, 1);
                g[i] = "c" + c.ToString(System.Globalization.CultureInfo.InvariantCulture);
                double mu = Math.Exp(1 + 0.3 * x[i] + b);
                y[i] = Dist.Gamma.Sample(rng, 3, 3 / mu);
            }
        }
        var fit = GlmmModel.Fit("y ~ x + (1 | g)", DataTable.FromColumns(("y", y), ("x", x), ("g", g)), new GlmmOptions { Family = Family.Create("Gamma", "log") });
        var checks = Enumerable.Range(1, 40).Select(s => QuantileResiduals.Check(fit,
            new ResidualCheckOptions { Simulations = 1000, Seed = s, Conditional = true }, Simulation.Simulate(fit, 1, seed: 9000 + s, useModes: true)[0])).ToArray();
        Assert.True(ResidualTests.Uniformity(checks.Select(c => c.Test("uniformity")!.P).ToArray()).P > 0.01);
        foreach (var t in checks[0].Tests)
            Assert.True(checks.Count(c => c.Test(t.Name)!.P <= 0.05) <= 6, $"{t.Name}: {checks.Count(c => c.Test(t.Name)!.P <= 0.05)} of 40 flagged");
    }

    [Fact]
    public void OnWellSpecifiedDataNothingIsFlagged()
    {
        // The data's own responses, well specified, with DHARMa's defaults (new random effects): the fitted model adapts to the
        // data, so the tests are if anything conservative; flagged at 0.05 no more often than the nominal rate, never strongly.
        var checks = WellSpecified.Value;
        foreach (string name in ResidualTests.Names)
        {
            var p = checks.Select(c => c.Test(name)!.P).ToArray();
            // P(Binomial(40, 0.05) > 6) < 0.005.
            Assert.True(p.Count(v => v <= 0.05) <= 6, $"{name}: {p.Count(v => v <= 0.05)} of 40 seeds flagged at 0.05: " + string.Join(", ", p.Select(v => v.ToString("G3"))));
            Assert.True(p.Min() > 0.001, $"{name}: a well-specified seed has p = {p.Min()}");
        }
    }

    [Fact]
    public void OverdispersionAndZeroInflationAreFlaggedWhereTheSameSeedsWellSpecifiedAreNot()
    {
        var seeds = Enumerable.Range(1, 8).ToArray();
        var nb = seeds.AsParallel().AsOrdered().Select(s => CheckCounts(s, "nb")).ToArray();
        var zi = seeds.AsParallel().AsOrdered().Select(s => CheckCounts(s, "zi")).ToArray();
        var ok = WellSpecified.Value;
        for (int k = 0; k < seeds.Length; k++)
        {
            var d = nb[k].Test("dispersion")!;
            Assert.True(d.P < 0.001 && d.Statistic > 1, $"seed {seeds[k]}: NB counts fitted as Poisson: dispersion {d.Statistic}, p {d.P}");
            var z = zi[k].Test("zeroInflation")!;
            Assert.True(z.P < 0.001 && z.Statistic > 1, $"seed {seeds[k]}: zero-inflated counts: zeros ratio {z.Statistic}, p {z.P}");
            Assert.True(ok[seeds[k] - 1].Test("dispersion")!.P > 0.001 && ok[seeds[k] - 1].Test("zeroInflation")!.P > 0.001);
        }
        // Well specified, the same seeds: flagged (p <= 0.05) no more often than the nominal rate allows.
        int flagged = seeds.Count(s => ok[s - 1].Test("dispersion")!.P <= 0.05 || ok[s - 1].Test("zeroInflation")!.P <= 0.05);
        Assert.True(flagged <= 2, $"{flagged} of {seeds.Length} well-specified seeds flagged");
    }

    [Fact]
    public void TheResultDoesNotDependOnTheThreads()
    {
        var a = CheckCounts(3, "nb", nsim: 60, threads: 1);
        var b = CheckCounts(3, "nb", nsim: 60, threads: 2);
        var c = CheckCounts(3, "nb", nsim: 60, threads: 0);
        Assert.Equal(a.Residuals, b.Residuals);
        Assert.Equal(a.Residuals, c.Residuals);
        Assert.Equal(a.Tests, b.Tests);
        Assert.Equal(a.Tests, c.Tests);
        Assert.Equal(a.SimulatedSpread, c.SimulatedSpread);
        var d = CheckCounts(3, "nb", nsim: 60, threads: 1) is { } same ? same : null;
        Assert.Equal(a.Residuals, d!.Residuals);
    }

    [Fact]
    public void TheSimulationsAreSimulatesOwn()
    {
        // check with seed S counts against the responses `glmm simulate --seed S` writes (stream (S, j) for simulation j).
        var fit = GlmmModel.Fit("y ~ x + (1 | g)", Counts(5, "poisson"), new GlmmOptions { Family = new Poisson() });
        const int nsim = 30;
        var sims = Simulation.Simulate(fit, nsim, seed: 77);
        var check = fit.CheckResiduals(new ResidualCheckOptions { Simulations = nsim, Seed = 77 });
        var y = fit.Model.Y;
        for (int i = 0; i < fit.Nobs; i++)
        {
            int less = sims.Count(s => s[i] < y[i]), leq = sims.Count(s => s[i] <= y[i]);
            Assert.InRange(check.Residuals[i], less / (double)nsim, leq / (double)nsim);
        }
    }

    public static TheoryData<string, string, string, string?> Families() => new()
    {
        { "cbpp.csv", "cbind(incidence, size - incidence) ~ factor(period) + (1 | herd)", "binomial", null },
        { "Contraception.csv", "use ~ age + urban + (1 | district)", "binomial", null },
        { "grouseticks.csv", "TICKS ~ factor(YEAR) + cHEIGHT + (1 | BROOD)", "poisson", null },
        { "grouseticks.csv", "TICKS ~ factor(YEAR) + cHEIGHT + (1 | BROOD)", "nbinom2", null },
        { "nbinom1_slope.csv", null!, "nbinom1", null },
        { "gamma_slope.csv", null!, "Gamma", "log" },
        { "sleepstudy.csv", "Reaction ~ Days + (Days | Subject)", "gaussian", null },
        { "gaussian_log_slope.csv", null!, "gaussian", "log" },
    };

    [Theory]
    [MemberData(nameof(Families))]
    public void EveryFamilyGivesResidualsInTheUnitIntervalAndFiniteTests(string data, string? formula, string family, string? link)
    {
        var table = CsvTableReader.Read(Path.Combine(ReferenceFixture.DataDirectory, data));
        formula ??= DispersionFormula(data);
        var fit = GlmmModel.Fit(formula, table, new GlmmOptions { Family = Family.Create(family, link) });
        var check = fit.CheckResiduals(new ResidualCheckOptions { Simulations = 50, Seed = 9 });
        Assert.Equal(fit.Nobs, check.Residuals.Count);
        Assert.All(check.Residuals, r => Assert.InRange(r, 0.0, 1.0));
        bool discrete = family is "binomial" or "poisson" or "nbinom2" or "nbinom1";
        Assert.Equal(discrete, check.IntegerResponse);
        Assert.Equal(discrete ? ResidualTests.Names : ResidualTests.Names.Where(n => n != "zeroInflation"), check.Tests.Select(t => t.Name));
        foreach (var t in check.Tests)
        {
            Assert.True(double.IsFinite(t.Statistic), $"{t.Name}: {t.Statistic}");
            Assert.InRange(t.P, 0.0, 1.0);
            Assert.StartsWith(t.Name + ":", t.Verdict());
        }
        // Same seed, same answer.
        Assert.Equal(check.Residuals, fit.CheckResiduals(new ResidualCheckOptions { Simulations = 50, Seed = 9, Threads = 2 }).Residuals);
    }

    private static string DispersionFormula(string data) => data switch
    {
        "nbinom1_slope.csv" => "y ~ x + (1 + x | g)",
        "gamma_slope.csv" => "y ~ x + (1 + x | g)",
        "gaussian_log_slope.csv" => "y ~ x + (1 + x | g)",
        _ => throw new ArgumentException(data),
    };

    [Fact]
    public void BadOptionsAreOneLineInputErrors()
    {
        var fit = GlmmModel.Fit("y ~ x + (1 | g)", Counts(1, "poisson"), new GlmmOptions { Family = new Poisson() });
        Assert.Throws<GlmmInputException>(() => fit.CheckResiduals(new ResidualCheckOptions { Simulations = 1 }));
        Assert.Throws<GlmmInputException>(() => fit.CheckResiduals(new ResidualCheckOptions { Threads = -1 }));
    }
}
