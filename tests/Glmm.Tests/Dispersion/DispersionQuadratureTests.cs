using System.Globalization;
using System.Text;
using Glmm.Families;
using Glmm.Fitting;
using Glmm.Model;
using Glmm.Quadrature;
using MathNet.Numerics;

namespace Glmm.Tests.Dispersion;

/// <summary>
/// Adaptive quadrature for the families with a dispersion parameter (no R reference exists): one node equals the
/// Laplace deviance exactly (scalar and vector random effects), the deviance settles as the number of nodes grows, and
/// on a tiny data set it equals an independent brute-force integration (Simpson's rule on a fine grid, densities
/// written out here) of the marginal likelihood.
/// </summary>
public class DispersionQuadratureTests
{
    private static string Data(string file) => Path.Combine(AppContext.BaseDirectory, "fixtures", "data", file);

    private static DispersionCriterion Criterion(ModelStructure m, Family family, int nodes)
    {
        var layout = new EngineLayout(m, family.ForFit());
        return nodes == 0
            ? new DispersionCriterion(new LaplaceCriterion(layout, threads: 1, observedInformation: true, withGradient: false))
            : new DispersionCriterion(new QuadratureCriterion(layout, ProductGrid.Create(layout.QBlock, nodes), threads: 1));
    }

    /// <summary>(θ, β, log φ) of the fit, in the raw model's units.</summary>
    private static double[] Estimates(GlmmFit fit) => [.. fit.Theta, .. fit.Beta, Math.Log(fit.Dispersion)];

    [Theory]
    [InlineData("gamma_inverse.csv", "y ~ x + (1 | g)", "Gamma", "inverse")]
    [InlineData("gamma_slope.csv", "y ~ x + (1 + x | g)", "Gamma", "log")]
    [InlineData("nbinom1_slope.csv", "y ~ x + (1 + x | g)", "nbinom1", "log")]
    [InlineData("grouseticks.csv", "TICKS ~ cHEIGHT + (1 | BROOD)", "nbinom2", "log")]
    [InlineData("gaussian_log_slope.csv", "y ~ x + (1 + x | g)", "gaussian", "log")]
    public void OneNodeIsTheLaplaceDeviance(string file, string formula, string family, string link)
    {
        var f = Family.Create(family, link);
        var table = CsvTableReader.Read(Data(file));
        var fit = GlmmModel.Fit(formula, table, new GlmmOptions { Family = f });
        var m = ModelBuilder.Build(formula, table);
        var x = Estimates(fit);
        double laplace = Criterion(m, f, 0).Evaluate(x);
        double one = Criterion(m, f, 1).Evaluate(x);
        Assert.Equal(-2 * fit.LogLik, laplace, 1e-6 * Math.Abs(laplace));
        Assert.True(Math.Abs(one - laplace) <= 1e-9 * Math.Abs(laplace), $"one node {one:R} vs Laplace {laplace:R}");
        // Away from the optimum too.
        x[0] *= 1.3;
        x[^1] += 0.2;
        Assert.True(Math.Abs(Criterion(m, f, 1).Evaluate(x) - Criterion(m, f, 0).Evaluate(x)) <= 1e-9 * Math.Abs(laplace));
    }

    [Theory]
    [InlineData("gamma_inverse.csv", "y ~ x + (1 | g)", "Gamma", "inverse")]
    [InlineData("gamma_slope.csv", "y ~ x + (1 + x | g)", "Gamma", "log")]
    [InlineData("grouseticks.csv", "TICKS ~ cHEIGHT + (1 | BROOD)", "nbinom2", "log")]
    public void DevianceSettlesAsTheNodesGrow(string file, string formula, string family, string link)
    {
        var f = Family.Create(family, link);
        var table = CsvTableReader.Read(Data(file));
        var fit = GlmmModel.Fit(formula, table, new GlmmOptions { Family = f });
        var m = ModelBuilder.Build(formula, table);
        var x = Estimates(fit);
        var d = new[] { 3, 5, 9, 15, 21 }.Select(k => Criterion(m, f, k).Evaluate(x)).ToArray();
        for (int i = 1; i < d.Length - 1; i++)
            Assert.True(Math.Abs(d[i + 1] - d[i]) <= Math.Abs(d[i] - d[i - 1]) + 1e-9, $"differences do not shrink: {string.Join(", ", d.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))}");
        Assert.True(Math.Abs(d[^1] - d[^2]) < 1e-5, $"K = 15 vs 21: {d[^2]:R} vs {d[^1]:R}");
    }

    /// <summary>A tiny data set: 4 clusters of 5 rows, x fixed, responses written out (positive reals and counts).</summary>
    private static DataTable Tiny()
    {
        double[] y = [0.8, 2.1, 1.3, 3.9, 0.4, 1.7, 5.2, 2.6, 0.9, 4.4, 0.3, 0.7, 1.1, 0.5, 2.0, 6.1, 3.3, 8.0, 2.2, 4.7];
        int[] counts = [0, 3, 1, 7, 2, 4, 9, 2, 0, 5, 1, 0, 2, 1, 3, 12, 6, 15, 4, 8];
        var sb = new StringBuilder("y,n,x,g\n");
        for (int i = 0; i < 20; i++)
            sb.Append(CultureInfo.InvariantCulture, $"{y[i]},{counts[i]},{(i % 5 - 2) * 0.4},c{i / 5}\n");
        return CsvTableReader.Read(new StringReader(sb.ToString()), "tiny");
    }

    /// <summary>
    /// −2 log L by brute force: per cluster ∫ Π_j p(y_j | b) N(b; 0, s²) db with b = s·u, Simpson's rule on u ∈ [−12, 12]
    /// with 6,000 intervals, in logs (shifted by the largest term).
    /// </summary>
    private static double BruteForce(Func<double, double, double> logDensity, double[] resp, double[] x, string[] g,
        double s, double b0, double b1, Func<double, double> inverseLink)
    {
        double total = 0;
        foreach (var level in g.Distinct())
        {
            var rows = Enumerable.Range(0, g.Length).Where(i => g[i] == level).ToArray();
            const int n = 6000;
            double lo = -12, h = 24.0 / n;
            var logf = new double[n + 1];
            for (int k = 0; k <= n; k++)
            {
                double u = lo + k * h, b = s * u;
                double lf = -0.5 * u * u - 0.5 * Math.Log(2 * Math.PI);
                foreach (int i in rows) lf += logDensity(resp[i], inverseLink(b0 + b1 * x[i] + b));
                logf[k] = lf;
            }
            double max = logf.Max(), sum = 0;
            for (int k = 0; k <= n; k++) sum += (k == 0 || k == n ? 1 : k % 2 == 1 ? 4 : 2) * Math.Exp(logf[k] - max);
            total += max + Math.Log(sum * h / 3);
        }
        return -2 * total;
    }

    [Theory]
    [InlineData("Gamma", "log")]
    [InlineData("gaussian", "log")]
    [InlineData("nbinom2", "log")]
    [InlineData("nbinom1", "log")]
    public void EqualsBruteForceIntegrationOnATinySet(string family, string link)
    {
        var table = Tiny();
        bool counts = family.StartsWith("nbinom", StringComparison.Ordinal);
        string formula = (counts ? "n" : "y") + " ~ x + (1 | g)";
        var f = Family.Create(family, link);
        var m = ModelBuilder.Build(formula, table);
        var resp = m.Y.ToArray();
        var x = m.X.Column(1).ToArray();
        var g = Enumerable.Range(0, 20).Select(i => $"c{i / 5}").ToArray();
        // A point of the parameter space (not an optimum): θ = s, β, log φ.
        // (The inverse link is left out: a normal random effect takes its η below 0, where the model has no density.)
        double s = 0.7, b0 = 0.9, b1 = 0.4, logPhi = family == "Gamma" ? Math.Log(0.5) : Math.Log(1.8);
        double phi = Math.Exp(logPhi);
        Func<double, double, double> density = family switch
        {
            // Gamma with φ = 1/shape, mean μ.
            "Gamma" => (yy, mu) => -SpecialFunctions.GammaLn(1 / phi) - (1 / phi) * Math.Log(mu * phi) + (1 / phi - 1) * Math.Log(yy) - yy / (mu * phi),
            // gaussian: σ² = φ.
            "gaussian" => (yy, mu) => -0.5 * (yy - mu) * (yy - mu) / phi - 0.5 * Math.Log(2 * Math.PI * phi),
            // nbinom2: size θ = φ.
            "nbinom2" => (yy, mu) => SpecialFunctions.GammaLn(yy + phi) - SpecialFunctions.GammaLn(phi) - SpecialFunctions.GammaLn(yy + 1)
                + phi * Math.Log(phi / (phi + mu)) + yy * Math.Log(mu / (phi + mu)),
            // nbinom1: size μ/φ.
            _ => (yy, mu) =>
            {
                double k = mu / phi;
                return SpecialFunctions.GammaLn(yy + k) - SpecialFunctions.GammaLn(k) - SpecialFunctions.GammaLn(yy + 1)
                    + k * Math.Log(1 / (1 + phi)) + yy * Math.Log(phi / (1 + phi));
            }
            ,
        };
        Func<double, double> inverse = link == "inverse" ? e => 1 / e : Math.Exp;
        double brute = BruteForce(density, resp, x, g, s, b0, b1, inverse);
        double agq = Criterion(m, f, 25).Evaluate([s, b0, b1, logPhi]);
        double laplace = Criterion(m, f, 0).Evaluate([s, b0, b1, logPhi]);
        Assert.True(Math.Abs(agq - brute) < 1e-7 * Math.Abs(brute), $"AGQ {agq:R} vs brute force {brute:R} (Laplace {laplace:R})");
    }

    [Theory]
    [InlineData("gamma_inverse.csv", "y ~ x + (1 | g)", "Gamma", "inverse", "product")]
    [InlineData("gamma_slope.csv", "y ~ x + (1 + x | g)", "Gamma", "log", "sparse")]
    public void FitsWithQuadratureNearTheLaplaceFit(string file, string formula, string family, string link, string grid)
    {
        var table = CsvTableReader.Read(Data(file));
        var laplace = GlmmModel.Fit(formula, table, new GlmmOptions { Family = Family.Create(family, link) });
        var agq = GlmmModel.Fit(formula, table, new GlmmOptions
        {
            Family = Family.Create(family, link), NAgq = 5, Grid = grid == "sparse" ? QuadratureGrid.Sparse : QuadratureGrid.Product,
        });
        Assert.True(agq.Converged, string.Join("; ", agq.Warnings));
        Assert.Equal(FitMethod.AdaptiveQuadrature, agq.Method);
        // Large clusters: the Laplace approximation is already close; the AGQ fit maximises its own likelihood.
        Assert.True(Math.Abs(agq.LogLik - laplace.LogLik) < 0.5, $"AGQ {agq.LogLik} vs Laplace {laplace.LogLik}");
        var m = ModelBuilder.Build(formula, table);
        var f = Family.Create(family, link);
        var atLaplace = Criterion(m, f, 5).Evaluate(Estimates(laplace));
        Assert.True(-2 * agq.LogLik <= atLaplace + 1e-4, $"AGQ optimum {-2 * agq.LogLik} above AGQ at the Laplace estimates {atLaplace}");
        Assert.True(Math.Abs(agq.Sigma - laplace.Sigma) < 0.02 * laplace.Sigma);
        Assert.True(agq.SigmaStdError > 0);
        for (int j = 0; j < agq.FixedEffects.Count; j++)
            Assert.True(Math.Abs(agq.FixedEffects[j].Estimate - laplace.FixedEffects[j].Estimate) < 0.2 * laplace.FixedEffects[j].StdError);
    }

    [Fact]
    public void NagqZeroIsRefusedInOneLine()
    {
        var e = Assert.Throws<GlmmInputException>(() => GlmmModel.Fit("y ~ x + (1 | g)", CsvTableReader.Read(Data("gamma_inverse.csv")),
            new GlmmOptions { Family = Family.Create("Gamma", "inverse"), NAgq = 0 }));
        Assert.Contains("--nagq 0", e.Message);
    }
}
