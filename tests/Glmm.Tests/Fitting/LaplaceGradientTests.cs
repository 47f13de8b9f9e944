using Glmm.Families;
using Glmm.Fitting;
using Glmm.Model;

namespace Glmm.Tests.Fitting;

public class LaplaceGradientTests
{
    private static EngineLayout Data(string file, string formula, string family, string? link = null)
    {
        var table = CsvTableReader.Read(Path.Combine(AppContext.BaseDirectory, "fixtures", "data", file));
        return new EngineLayout(ModelBuilder.Build(formula, table), Family.Create(family, link));
    }

    /// <summary>Analytic gradient against a Richardson-extrapolated central difference of the Laplace deviance.</summary>
    private static void CheckGradient(EngineLayout data, double[] theta, double[] betaShift, double tolerance, int threads = 0)
    {
        var model = data.Model;
        var glm = GlmIrls.Fit(data.Family, model.X, model.Y, model.Weights, model.Offset);
        var beta = glm.Coefficients.ToArray();
        for (int j = 0; j < beta.Length && j < betaShift.Length; j++) beta[j] += betaShift[j];
        int nth = theta.Length, p = beta.Length, n = nth + p;
        var pirls = new Pirls(data, withFixed: false, threads);
        var x0 = theta.Concat(beta).ToArray();
        Func<double[], double> f = x => pirls.Solve(x.AsSpan(0, nth), x.AsSpan(nth));
        double d0 = f(x0);
        Assert.True(double.IsFinite(d0));
        var grad = new double[n];
        var lg = new LaplaceGradient(pirls.System, threads);
        lg.ComputeAtMode(grad);
        var fd = new double[n];
        for (int j = 0; j < n; j++)
        {
            double Central(double h)
            {
                var xp = (double[])x0.Clone(); xp[j] += h;
                var xm = (double[])x0.Clone(); xm[j] -= h;
                return (f(xp) - f(xm)) / (2 * h);
            }
            // Steps in the scale of η: a β step is divided by its column's largest |x|.
            double colScale = 1.0;
            if (j >= nth) for (int i = 0; i < data.N; i++) colScale = Math.Max(colScale, Math.Abs(data.X[i * p + j - nth]));
            double h0 = 1e-3 * Math.Max(1.0, Math.Abs(x0[j])) / colScale;
            fd[j] = (4 * Central(h0 / 2) - Central(h0)) / 3;
        }
        double scale = 1.0 + fd.Max(Math.Abs);
        for (int j = 0; j < n; j++)
            Assert.True(Math.Abs(grad[j] - fd[j]) <= tolerance * scale,
                $"component {j}: analytic {grad[j]:R} vs finite difference {fd[j]:R}");
    }

    [Theory]
    [InlineData(0.64, 0.0)]
    [InlineData(1.0, 0.3)]
    [InlineData(0.2, -0.5)]
    public void Cbpp(double theta, double shift)
    {
        var data = Data("cbpp.csv", "cbind(incidence, size - incidence) ~ factor(period) + (1 | herd)", "binomial");
        CheckGradient(data, [theta], [shift, -shift, 0.1], 1e-6);
    }

    [Theory]
    [InlineData(0.5, 0.3, 0.6)]
    [InlineData(1.0, 0.0, 1.0)]
    [InlineData(0.4, -0.7, 0.2)]
    public void ContraceptionCorrelated(double t11, double t21, double t22)
    {
        var data = Data("Contraception.csv", "use ~ age + I(age^2) + urban + livch + (1 + urban | district)", "binomial");
        CheckGradient(data, [t11, t21, t22], [0.1, 0, 0, -0.2], 1e-6);
    }

    [Fact]
    public void ContraceptionUncorrelated()
    {
        var data = Data("Contraception.csv", "use ~ age + urban + (1 + age || district)", "binomial");
        CheckGradient(data, [0.6, 0.04], [0.05], 1e-6);
    }

    [Fact]
    public void ContraceptionThreeEffectsAndASecondTermOnTheSameFactor()
    {
        // A 3×3 block (q0 = 3 with a correlated term) plus an uncorrelated term on the same factor: q0 = 4.
        var data = Data("Contraception.csv", "use ~ age + urban + livch + (1 + urban + age | district) + (0 + livch | district)", "binomial");
        CheckGradient(data, [0.6, -0.2, 0.01, 0.5, 0.005, 0.02, 0.3, 0.2, -0.1, 0.25, 0.1, 0.05, 0.2, 0.1, 0.3, 0.15], [0.05, -0.1], 1e-6);
    }

    [Theory]
    [InlineData("use ~ age + I(age^2) + urban + livch + (1 + urban | district)", new[] { 0.5, 0.3, 0.6 })]
    [InlineData("use ~ age + urban + (1 + age || district)", new[] { 0.6, 0.04 })]
    [InlineData("use ~ age + urban + (1 | district)", new[] { 0.7 })]
    // Crossed and nested terms (H not block diagonal): the Jacobian comes from one solve with the whole factor.
    [InlineData("use ~ age + urban + (1 | district) + (1 | livch)", new[] { 0.5, 0.3 })]
    [InlineData("use ~ age + urban + (1 + age | district) + (1 | livch)", new[] { 0.5, 0.01, 0.02, 0.3 })]
    [InlineData("use ~ age + urban + (1 | district) + (1 | district:urban)", new[] { 0.5, 0.4 })]
    public void ModeJacobianPredictsTheModesToSecondOrder(string formula, double[] theta)
    {
        var data = Data("Contraception.csv", formula, "binomial");
        var glm = GlmIrls.Fit(data.Family, data.Model.X, data.Model.Y, data.Model.Weights, data.Model.Offset);
        var beta = glm.Coefficients.ToArray();
        int nth = theta.Length, n = nth + beta.Length;
        var pirls = new Pirls(data, withFixed: false);
        var x0 = theta.Concat(beta).ToArray();
        Assert.True(double.IsFinite(pirls.Solve(x0.AsSpan(0, nth), x0.AsSpan(nth))));
        var v0 = (double[])pirls.U.Clone();
        var lg = new LaplaceGradient(pirls.System);
        Assert.True(lg.HasModeJacobian);
        lg.ComputeAtMode(new double[n]);
        var predicted = new double[v0.Length];
        (double Predicted, double Stale) Errors(int j, double h)
        {
            var dx = new double[n];
            dx[j] = h;
            var x = (double[])x0.Clone();
            x[j] += h;
            pirls.SetModes(v0);
            Assert.True(double.IsFinite(pirls.Solve(x.AsSpan(0, nth), x.AsSpan(nth))));
            lg.PredictModes(v0, dx, predicted);
            double errPredicted = 0, errStale = 0;
            for (int a = 0; a < v0.Length; a++)
            {
                errPredicted = Math.Max(errPredicted, Math.Abs(predicted[a] - pirls.U[a]));
                errStale = Math.Max(errStale, Math.Abs(v0[a] - pirls.U[a]));
            }
            return (errPredicted, errStale);
        }
        for (int j = 0; j < n; j++)
        {
            // The prediction's error is O(h²) (halving h quarters it), keeping v0 is O(h).
            var (p1, s1) = Errors(j, 1e-4);
            var (p2, _) = Errors(j, 5e-5);
            Assert.True(p1 < 0.05 * s1, $"coordinate {j}: predicted error {p1:G3}, stale {s1:G3}");
            Assert.True(p2 < 0.3 * p1 || p1 < 1e-12, $"coordinate {j}: error {p1:G3} at h, {p2:G3} at h/2");
        }
    }

    [Theory]
    // The issue-12 designs: nested (the dense block a forest after elimination), partially crossed, crossed slopes.
    [InlineData("nested2.csv", "y ~ x + (1 | school/class)", new[] { 0.6, 0.7 })]
    [InlineData("nested3_slope.csv", "y ~ x + (1 | region) + (1 | region:school) + (1 + x | region:school:class)", new[] { 0.7, 0.1, 0.6, 0.5, 0.6 })]
    [InlineData("hospital_doctor.csv", "y ~ x + (1 | hospital) + (1 | hospital:ward) + (1 | doctor)", new[] { 0.5, 0.8, 0.6 })]
    [InlineData("crossed_slopes.csv", "y ~ x + (1 + x | a) + (1 + x | b)", new[] { 0.7, 0.2, 0.5, 0.6, 0.1, 0.6 })]
    public void DesignFixtures(string file, string formula, double[] theta)
    {
        var data = Data(file, formula, "binomial");
        CheckGradient(data, theta, [0.1, -0.05], 1e-6);
    }

    /// <summary>
    /// Non-canonical links with the observed information in H (the exact Laplace approximation): dw/dη from the family's
    /// third derivatives, per level (one factor) and through the cells (crossed, partially crossed).
    /// </summary>
    [Theory]
    [InlineData("Contraception.csv", "use ~ age + I(age^2) + urban + livch + (1 + urban | district)", "binomial", "probit", new[] { 0.3, 0.1, 0.4 })]
    [InlineData("cbpp.csv", "cbind(incidence, size - incidence) ~ factor(period) + (1 | herd)", "binomial", "cloglog", new[] { 0.6 })]
    [InlineData("cbpp.csv", "cbind(incidence, size - incidence) ~ factor(period) + (1 | herd)", "binomial", "cauchit", new[] { 0.8 })]
    [InlineData("probit_crossed_slope.csv", "y ~ x + (1 | a) + (1 + x | b)", "binomial", "probit", new[] { 0.5, 0.4, 0.1, 0.3 })]
    [InlineData("bin_partial_slope.csv", "y ~ x + (1 | hospital) + (1 + x | doctor)", "binomial", "cloglog", new[] { 0.4, 0.5, -0.1, 0.3 })]
    [InlineData("pois_crossed_offset.csv", "y ~ 1 + offset(log(t)) + (1 | a) + (1 | b)", "poisson", "sqrt", new[] { 0.3, 0.2 })]
    [InlineData("pois_nested_slope.csv", "y ~ x + (1 + x | school) + (1 | school:class)", "poisson", "sqrt", new[] { 0.3, 0.05, 0.2, 0.2 })]
    public void NonCanonicalLinks(string file, string formula, string family, string link, double[] theta)
    {
        var data = Data(file, formula, family, link);
        Assert.False(data.Family.IsCanonical);
        CheckGradient(data, theta, [0.05], 1e-6);
    }

    [Fact]
    public void VerbAggCrossed()
    {
        var data = Data("VerbAgg.csv", "r2 ~ Anger + Gender + btype + situ + (1 | id) + (1 | item)", "binomial");
        CheckGradient(data, [1.2, 0.5], [0.1], 1e-6);
    }

    [Fact]
    public void GrouseticksPoisson()
    {
        var data = Data("grouseticks.csv", "TICKS ~ factor(YEAR) + cHEIGHT + (1 | BROOD) + (1 | LOCATION)", "poisson");
        CheckGradient(data, [0.9, 0.7], [0.1, 0, -0.1], 1e-6);
    }

    /// <summary>A simulated crossed binary data set large enough (20,000 rows) to be split into several chunks.</summary>
    private static EngineLayout Simulated()
    {
        var rng = new Random(11);
        var path = Path.Combine(Path.GetTempPath(), $"glmm-gradient-sim-{Environment.ProcessId}.csv");
        var ug = Enumerable.Range(0, 400).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var uh = Enumerable.Range(0, 30).Select(_ => 2 * (rng.NextDouble() - 0.5)).ToArray();
        using (var w = new StreamWriter(path))
        {
            w.WriteLine("y,x,g,h");
            for (int i = 0; i < 20000; i++)
            {
                int g = rng.Next(400), h = rng.Next(30);
                double x = rng.NextDouble() - 0.5;
                double eta = -0.3 + 0.8 * x + ug[g] + uh[h] * (1 + x);
                int y = rng.NextDouble() < 1 / (1 + Math.Exp(-eta)) ? 1 : 0;
                w.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{y},{x:R},g{g},h{h}"));
            }
        }
        var table = CsvTableReader.Read(path);
        File.Delete(path);
        return new EngineLayout(ModelBuilder.Build("y ~ x + (1 | g) + (1 + x | h)", table), Family.Create("binomial"));
    }

    [Fact]
    public void SimulatedCrossedInSeveralChunks()
    {
        var data = Simulated();
        Assert.True(data.ChunkLevels(data.DenseRandom).Length > 2);
        CheckGradient(data, [0.4, 0.9, 0.2, 0.5], [0.1], 1e-6);
    }

    [Fact]
    public void SameWithOneAndTwoThreads()
    {
        var data = Simulated();
        var model = data.Model;
        var beta = GlmIrls.Fit(data.Family, model.X, model.Y, model.Weights, model.Offset).Coefficients.ToArray();
        double[] theta = [0.5, 1.0, 0.1, 0.4];
        double[] Run(int threads)
        {
            var pirls = new Pirls(data, withFixed: false, threads);
            pirls.Solve(theta, beta);
            var g = new double[theta.Length + beta.Length];
            new LaplaceGradient(pirls.System, threads).ComputeAtMode(g);
            return g;
        }
        var g1 = Run(1);
        var g2 = Run(2);
        Assert.Equal(g1, g2);
        Assert.Contains(g1, x => Math.Abs(x) > 1e-3);
    }

    [Fact]
    public void WhichNonCanonicalLinksTakeTheGradient()
    {
        // lme4's Laplace (expected weights in H): their derivative in η is not implemented, so the fit is derivative-free.
        var table = CsvTableReader.Read(Path.Combine(AppContext.BaseDirectory, "fixtures", "data", "cbpp.csv"));
        var data = new EngineLayout(ModelBuilder.Build("cbind(incidence, size - incidence) ~ period + (1 | herd)", table), Family.Create("binomial", "probit"));
        Assert.False(new LaplaceCriterion(data, 1, observedInformation: false, withGradient: true).HasGradient);
        Assert.True(new LaplaceCriterion(data, 1, observedInformation: true, withGradient: true).HasGradient);
        // Cauchit (not log-concave) and a link with a boundary in η (Poisson's sqrt: η > 0) stay derivative-free.
        var cauchit = new EngineLayout(ModelBuilder.Build("cbind(incidence, size - incidence) ~ period + (1 | herd)", table), Family.Create("binomial", "cauchit"));
        Assert.False(new LaplaceCriterion(cauchit, 1, observedInformation: true, withGradient: true).HasGradient);
        var counts = CsvTableReader.Read(Path.Combine(AppContext.BaseDirectory, "fixtures", "data", "pois_nested_slope.csv"));
        var sqrt = new EngineLayout(ModelBuilder.Build("y ~ x + (1 | school)", counts), Family.Create("poisson", "sqrt"));
        Assert.False(new LaplaceCriterion(sqrt, 1, observedInformation: true, withGradient: true).HasGradient);
    }
}
