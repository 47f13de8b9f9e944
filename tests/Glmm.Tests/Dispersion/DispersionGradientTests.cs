using Glmm.Families;
using Glmm.Fitting;
using Glmm.Model;

namespace Glmm.Tests.Dispersion;

/// <summary>
/// The exact gradient of the Laplace deviance in (θ, β, log φ) for the families with a dispersion parameter (observed
/// information, any link) against Richardson-extrapolated central differences, relative 1e-6: the block-diagonal path
/// (one grouping factor, a random slope), the cell path (two crossed factors), each link (nbinom2 identity: its GLM start
/// fails on grouseticks, the generic formula is checked through Gamma identity).
/// </summary>
public class DispersionGradientTests
{
    private static DispersionCriterion Criterion(string file, string formula, Family family, int threads = 0)
    {
        var table = CsvTableReader.Read(Path.Combine(AppContext.BaseDirectory, "fixtures", "data", file));
        var layout = new EngineLayout(ModelBuilder.Build(formula, table), family.ForFit());
        return new DispersionCriterion(new LaplaceCriterion(layout, threads, observedInformation: true, withGradient: true));
    }

    private static void CheckGradient(DispersionCriterion criterion, double[] x0)
    {
        Assert.True(criterion.HasGradient);
        int n = x0.Length;
        Assert.Equal(criterion.Dimension, n);
        var grad = new double[n];
        double d0 = criterion.Evaluate(x0, grad);
        Assert.True(double.IsFinite(d0));
        var modes = criterion.SaveModes();
        double F(double[] x)
        {
            criterion.RestoreModes(modes);
            return criterion.Evaluate(x);
        }
        var fd = new double[n];
        for (int j = 0; j < n; j++)
        {
            double Central(double h)
            {
                var xp = (double[])x0.Clone(); xp[j] += h;
                var xm = (double[])x0.Clone(); xm[j] -= h;
                return (F(xp) - F(xm)) / (2 * h);
            }
            double h0 = 1e-3 * Math.Max(1.0, Math.Abs(x0[j]));
            fd[j] = (4 * Central(h0 / 2) - Central(h0)) / 3;
        }
        double scale = 1.0 + fd.Max(Math.Abs);
        for (int j = 0; j < n; j++)
            Assert.True(Math.Abs(grad[j] - fd[j]) <= 1e-6 * scale, $"component {j}: analytic {grad[j]:R} vs finite difference {fd[j]:R}");
    }

    [Theory]
    [InlineData("log", 1.0, 0.2, 0.3, -1.2)]
    [InlineData("log", 0.5, -0.3, 0.6, 0.4)]
    [InlineData("identity", 0.3, 0.0, 0.2, -1.0)]
    public void GammaWithARandomSlope(string link, double t11, double t21, double t22, double logPhi)
    {
        var c = Criterion("gamma_slope.csv", "y ~ x + (1 + x | g)", new Gamma(Link.FromName(link)));
        double b0 = link == "log" ? 1.0 : 3.0;
        CheckGradient(c, [t11, t21, t22, b0, 0.1, logPhi]);
    }

    [Theory]
    [InlineData("log", 0.8, 0.3, 0.4, 0.2)]
    [InlineData("log", 0.3, -0.2, 0.1, -1.0)]
    public void GaussianLogWithARandomSlope(string link, double t11, double t21, double t22, double logPhi)
    {
        var c = Criterion("gaussian_log_slope.csv", "y ~ x + (1 + x | g)", new Gaussian(Link.FromName(link)));
        CheckGradient(c, [t11, t21, t22, 2.4, 0.35, logPhi]);
    }

    [Theory]
    [InlineData("inverse", 0.4, -3.0)]
    [InlineData("log", 0.2, -2.0)]
    public void GaussianWithAnIntercept(string link, double theta, double logPhi)
    {
        var c = Criterion("gaussian_inverse.csv", "y ~ x + (1 | g)", new Gaussian(Link.FromName(link)));
        var model = c.System.Layout.Model;
        var glm = GlmIrls.Fit(c.System.Layout.Family, model.X, model.Y, model.Weights, model.Offset);
        CheckGradient(c, [theta, .. glm.Coefficients.ToArray(), logPhi]);
    }

    [Theory]
    [InlineData("inverse", 0.5, -0.7)]
    [InlineData("log", 0.8, 0.0)]
    public void GammaWithAnIntercept(string link, double theta, double logPhi)
    {
        var c = Criterion("gamma_inverse.csv", "y ~ x + (1 | g)", new Gamma(Link.FromName(link)));
        var model = c.System.Layout.Model;
        var glm = GlmIrls.Fit(c.System.Layout.Family, model.X, model.Y, model.Weights, model.Offset);
        CheckGradient(c, [theta, .. glm.Coefficients.ToArray(), logPhi]);
    }

    [Theory]
    [InlineData("log", 0.6, 0.9, 1.2)]
    [InlineData("log", 1.2, 0.3, 0.0)]
    [InlineData("sqrt", 0.5, 0.5, 1.0)]
    [InlineData("log", 0.4, 0.3, 3.0)]
    public void NegativeBinomialCrossed(string link, double t1, double t2, double logTheta)
    {
        var c = Criterion("grouseticks.csv", "TICKS ~ factor(YEAR) + cHEIGHT + (1|BROOD) + (1|LOCATION)", new NegativeBinomial2(Link.FromName(link)));
        var model = c.System.Layout.Model;
        var glm = GlmIrls.Fit(c.System.Layout.Family, model.X, model.Y, model.Weights, model.Offset);
        CheckGradient(c, [t1, t2, .. glm.Coefficients.ToArray(), logTheta]);
    }

    [Theory]
    [InlineData("log", 0.6, 0.4, 0.7)]
    [InlineData("log", 1.1, 0.2, -0.5)]
    [InlineData("log", 0.3, 0.3, 3.0)]
    public void NegativeBinomial1Crossed(string link, double t1, double t2, double logPhi)
    {
        var c = Criterion("grouseticks.csv", "TICKS ~ factor(YEAR) + cHEIGHT + (1|BROOD) + (1|LOCATION)", new NegativeBinomial1(Link.FromName(link)));
        var model = c.System.Layout.Model;
        var glm = GlmIrls.Fit(c.System.Layout.Family, model.X, model.Y, model.Weights, model.Offset);
        CheckGradient(c, [t1, t2, .. glm.Coefficients.ToArray(), logPhi]);
    }

    [Theory]
    [InlineData("log", 0.6, 0.1, 0.3, 1.2, 0.4, 0.4)]
    [InlineData("log", 0.3, -0.2, 0.5, 1.0, 0.2, -1.5)]
    [InlineData("identity", 0.4, 0.0, 0.2, 6.0, 1.0, 0.8)]
    [InlineData("sqrt", 0.3, 0.05, 0.1, 2.2, 0.3, 0.3)]
    public void NegativeBinomial1WithARandomSlope(string link, double t11, double t21, double t22, double b0, double b1, double logPhi)
    {
        var c = Criterion("nbinom1_slope.csv", "y ~ x + (1 + x | g)", new NegativeBinomial1(Link.FromName(link)));
        CheckGradient(c, [t11, t21, t22, b0, b1, logPhi]);
    }

    [Fact]
    public void TheGradientDoesNotDependOnTheThreadCount()
    {
        double[] x = [0.6, 0.9, 0.0, 0.0, 0.0, 0.0, 1.2];
        var one = Criterion("grouseticks.csv", "TICKS ~ factor(YEAR) + cHEIGHT + (1|BROOD) + (1|LOCATION)", new NegativeBinomial2(), threads: 1);
        var two = Criterion("grouseticks.csv", "TICKS ~ factor(YEAR) + cHEIGHT + (1|BROOD) + (1|LOCATION)", new NegativeBinomial2(), threads: 2);
        var model = one.System.Layout.Model;
        var glm = GlmIrls.Fit(one.System.Layout.Family, model.X, model.Y, model.Weights, model.Offset);
        glm.Coefficients.ToArray().CopyTo(x, 2);
        var g1 = new double[x.Length];
        var g2 = new double[x.Length];
        Assert.Equal(one.Evaluate(x, g1), two.Evaluate(x, g2));
        Assert.Equal(g1, g2);
    }
}

/// <summary>
/// Stage 2 with the exact gradient reaches the derivative-free maximum (or higher) for links without a glmmTMB fixture:
/// the gradient path is not tuned to the fixtures' models.
/// </summary>
public class DispersionGradientStageTests
{
    [Theory]
    [InlineData("gamma_inverse.csv", "y ~ x + (1 | g)", "Gamma", "identity")]
    [InlineData("gamma_inverse.csv", "y ~ x + (1 | g)", "Gamma", "log")]
    [InlineData("gaussian_inverse.csv", "y ~ x + (1 | g)", "gaussian", "log")]
    [InlineData("grouseticks.csv", "TICKS ~ factor(YEAR) + cHEIGHT + (1|BROOD) + (1|LOCATION)", "nbinom2", "sqrt")]
    [InlineData("grouseticks.csv", "TICKS ~ factor(YEAR) + cHEIGHT + (1|BROOD)", "nbinom1", "log")]
    [InlineData("nbinom1_slope.csv", "y ~ x + (1 + x | g)", "nbinom1", "log")]
    public void GradientFitReachesTheDerivativeFreeMaximum(string file, string formula, string family, string link)
    {
        var data = CsvTableReader.Read(Path.Combine(AppContext.BaseDirectory, "fixtures", "data", file));
        var options = new GlmmOptions { Family = Family.Create(family, link) };
        var gradient = GlmmModel.Fit(formula, data, options);
        var free = GlmmModel.Fit(formula, data, options with { UseGradient = false });
        Assert.True(gradient.Converged, string.Join("; ", gradient.Warnings));
        Assert.True(gradient.LogLik >= free.LogLik - 1e-4, $"logLik {gradient.LogLik} vs derivative-free {free.LogLik}");
        Assert.True(Math.Abs(gradient.Sigma / free.Sigma - 1) <= 1e-3, $"sigma {gradient.Sigma} vs {free.Sigma}");
        Assert.True(gradient.Evaluations < free.Evaluations, $"{gradient.Evaluations} evaluations vs {free.Evaluations}");
    }
}
