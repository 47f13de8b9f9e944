using Glmm.Families;
using Glmm.Fitting;
using Glmm.Model;
using Glmm.Quadrature;

namespace Glmm.Tests.Fitting;

/// <summary>Adaptive Gauss–Hermite quadrature (issue 4) against brute-force integration and lme4.</summary>
public class QuadratureObjectiveTests
{
    /// <summary>Binary data, 6 clusters of 9 rows, covariates x1, x2 (seeded).</summary>
    private static DataTable Simulated(int clusters, int size, int seed)
    {
        var rng = new Random(seed);
        int n = clusters * size;
        var y = new double[n]; var x1 = new double[n]; var x2 = new double[n]; var g = new string[n];
        for (int c = 0, i = 0; c < clusters; c++)
        {
            double b0 = rng.NextDouble() * 2 - 1, b1 = rng.NextDouble() - 0.5, b2 = rng.NextDouble() - 0.5;
            for (int j = 0; j < size; j++, i++)
            {
                x1[i] = rng.NextDouble() * 2 - 1; x2[i] = rng.NextDouble() * 2 - 1;
                double eta = 0.2 + 0.8 * x1[i] - 0.5 * x2[i] + b0 + b1 * x1[i] + b2 * x2[i];
                y[i] = rng.NextDouble() < 1 / (1 + Math.Exp(-eta)) ? 1 : 0;
                g[i] = "c" + c.ToString("D2", System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        return DataTable.FromColumns(("y", y), ("x1", x1), ("x2", x2), ("g", g));
    }

    /// <summary>
    /// −2 Σ_clusters log ∫ p(y_l | v) φ_q(v) dv by the trapezoidal rule on [−9, 9]^q (spectrally accurate for
    /// these smooth, Gaussian-decaying integrands), with b = T v, η = Xβ + z'b.
    /// </summary>
    private static double BruteForceDeviance(ModelStructure model, Family family, double[] theta, double[] beta, int pointsPerDim)
    {
        var re = model.Random;
        var term = re.Terms[0];
        int q = term.Q, n = model.N;
        var t = new double[q * q];
        re.FillFactor(theta, 0, t);
        double h = 18.0 / (pointsPerDim - 1);
        var grid = Enumerable.Range(0, pointsPerDim).Select(k => -9.0 + k * h).ToArray();
        int total = (int)Math.Pow(pointsPerDim, q);
        double deviance = 0;
        var v = new double[q];
        var b = new double[q];
        for (int l = 0; l < term.LevelCount; l++)
        {
            var rows = Enumerable.Range(0, n).Where(i => term.Codes[i] == l).ToArray();
            var fixedEta = rows.Select(i => model.Offset[i] + Enumerable.Range(0, model.X.Columns).Sum(j => model.X[i, j] * beta[j])).ToArray();
            double sum = 0;
            for (int idx = 0; idx < total; idx++)
            {
                int rest = idx;
                double vv = 0;
                for (int d = 0; d < q; d++) { v[d] = grid[rest % pointsPerDim]; rest /= pointsPerDim; vv += v[d] * v[d]; }
                for (int r = 0; r < q; r++) { b[r] = 0; for (int c = 0; c <= r; c++) b[r] += t[r * q + c] * v[c]; }
                double ll = -0.5 * vv - 0.5 * q * Math.Log(2 * Math.PI);
                for (int k = 0; k < rows.Length; k++)
                {
                    int i = rows[k];
                    double eta = fixedEta[k];
                    for (int r = 0; r < q; r++) eta += term.Covariates[i * q + r] * b[r];
                    ll += family.LogLikelihood(model.Y[i], family.Link.Inverse(eta), model.Weights[i]);
                }
                sum += Math.Exp(ll);
            }
            deviance += -2 * Math.Log(sum * Math.Pow(h, q));
        }
        return deviance;
    }

    [Theory]
    [InlineData("y ~ x1 + x2 + (1 | g)", 1, 20, 721)]
    [InlineData("y ~ x1 + x2 + (1 + x1 | g)", 2, 20, 241)]
    [InlineData("y ~ x1 + x2 + (1 + x1 + x2 | g)", 3, 14, 61)]
    public void MatchesBruteForceIntegration(string formula, int q, int k, int points)
    {
        var model = ModelBuilder.Build(formula, Simulated(6, 9, 42));
        var family = Family.Create("binomial");
        var data = new EngineLayout(model, family);
        Assert.Equal(q, data.QBlock);
        var objective = new QuadratureCriterion(data, ProductGrid.Create(q, k));
        // θ with correlations (off-diagonal entries) and β away from the optimum.
        var theta = q switch
        {
            1 => new[] { 1.3 },
            2 => new[] { 1.1, 0.4, 0.7 },
            _ => new[] { 1.0, 0.3, -0.2, 0.8, 0.25, 0.6 },
        };
        var beta = new[] { 0.1, 0.7, -0.4 };
        double agq = objective.Evaluate(theta.Concat(beta).ToArray());
        double brute = BruteForceDeviance(model, family, theta, beta, points);
        // Each of the 6 cluster integrals to 1e-8 relative: the deviance (−2 Σ log) to 6 × 2e-8.
        Assert.True(Math.Abs(agq - brute) < 1.2e-7, $"AGQ {agq:R} vs brute force {brute:R}");
    }

    [Fact]
    public void OneNodeIsTheLaplaceApproximation()
    {
        var model = ModelBuilder.Build("y ~ x1 + x2 + (1 + x1 | g)", Simulated(6, 9, 7));
        var data = new EngineLayout(model, Family.Create("binomial"));
        var x = new[] { 0.9, 0.2, 0.5, 0.1, 0.7, -0.4 };
        double agq = new QuadratureCriterion(data, ProductGrid.Create(2, 1)).Evaluate(x);
        double laplace = new LaplaceCriterion(data, threads: 0, observedInformation: true, withGradient: false).Evaluate(x);
        Assert.Equal(laplace, agq, 10);
    }

    [Fact]
    public void CbppAgq25MatchesLme4()
    {
        var f = Reference.ReferenceFixture.Load("cbpp_agq25");
        var fit = LaplaceReferenceTests.FitFixture(f, new GlmmOptions { NAgq = 25 });
        var r = f.Lme4!;
        Assert.Equal(FitMethod.AdaptiveQuadrature, fit.Method);
        Assert.Equal(25, fit.NodesPerCluster);
        Assert.True(Math.Abs(fit.RandomEffects[0].StdDev[0] - r.RandomEffects![0].StdDev[0]) < 1e-3);
        for (int j = 0; j < fit.FixedEffects.Count; j++)
            Assert.True(Math.Abs(fit.FixedEffects[j].Estimate - r.Fixef[j].Estimate) < 1e-3, fit.FixedEffects[j].Name);
        // lme4 drops the binomial constant at nAGQ > 1; the fixture adds it back, and Glmm keeps it.
        Assert.True(Math.Abs(fit.LogLik - r.LogLikFull!.Value) < 1e-4, $"{fit.LogLik:R} vs {r.LogLikFull:R}");
    }

    /// <summary>
    /// The quadrature stage goes on from the Laplace optimum until the Newton decrement (central differences) is below
    /// 1e-7: at nAGQ = 3 the first decrement is below 1e-4, and stopping there left θ at 0.64226, next to the Laplace
    /// 0.64207, against lme4's 0.64397.
    /// </summary>
    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(9)]
    [InlineData(25)]
    public void CbppAgqEstimatesMatchLme4To2e4(int k)
    {
        var f = Reference.ReferenceFixture.Load($"cbpp_agq{k}");
        var fit = LaplaceReferenceTests.FitFixture(f, new GlmmOptions { NAgq = k });
        var r = f.Lme4!;
        Assert.True(fit.Converged);
        double sd = fit.RandomEffects[0].StdDev[0], sdR = r.RandomEffects![0].StdDev[0];
        Assert.True(Math.Abs(sd - sdR) < 2e-4, $"nAGQ = {k}: SD {sd:R} vs lme4 {sdR:R}");
        for (int j = 0; j < fit.FixedEffects.Count; j++)
            Assert.True(Math.Abs(fit.FixedEffects[j].Estimate - r.Fixef[j].Estimate) < 2e-4,
                $"nAGQ = {k}: {fit.FixedEffects[j].Name} {fit.FixedEffects[j].Estimate:R} vs lme4 {r.Fixef[j].Estimate:R}");
        // Glmm maximises the same quadrature likelihood: it is at least lme4's, and not far above.
        double gap = fit.LogLik - r.LogLikFull!.Value;
        Assert.InRange(gap, -1e-6, 1e-4);
    }

    [Fact]
    public void ContraceptionLogLikIsStableAcrossKAndAboveLaplace()
    {
        var f = Reference.ReferenceFixture.Load("contraception");
        double laplace = LaplaceReferenceTests.FitFixture(f).LogLik;
        var ll = new[] { 7, 11, 15 }.Select(k => LaplaceReferenceTests.FitFixture(f, new GlmmOptions { NAgq = k }).LogLik).ToArray();
        Assert.True(ll.Max() - ll.Min() < 1e-3, string.Join(", ", ll));
        Assert.All(ll, v => Assert.True(v > laplace, $"{v} <= Laplace {laplace}"));
    }

    [Fact]
    public void CrossedFactorsAreRefusedWithAReason()
    {
        var f = Reference.ReferenceFixture.Load("grouseticks");
        var e = Assert.Throws<GlmmInputException>(() => LaplaceReferenceTests.FitFixture(f, new GlmmOptions { NAgq = 5 }));
        Assert.Contains("share one grouping factor", e.Message);
    }

    [Fact]
    public void SparseGridAgreesWithProductGridForThreeRandomEffects()
    {
        var data = Simulated(80, 12, 2024);
        var product = GlmmModel.Fit("y ~ x1 + x2 + (1 + x1 + x2 | g)", data, new GlmmOptions { NAgq = 7 });
        var sparse = GlmmModel.Fit("y ~ x1 + x2 + (1 + x1 + x2 | g)", data, new GlmmOptions { NAgq = 7, Grid = QuadratureGrid.Sparse });
        Assert.Equal(343, product.NodesPerCluster);
        // Smolyak on nested Genz-Keister rules: 297 nodes against 343 at q = 3 (945 against 2401 at q = 4).
        Assert.Equal(297, sparse.NodesPerCluster);
        Assert.True(Math.Abs(product.LogLik - sparse.LogLik) < 2e-3, $"{product.LogLik:R} vs {sparse.LogLik:R}");
    }
}
