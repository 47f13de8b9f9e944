using Glmm.Families;
using Glmm.Fitting;
using Glmm.Model;
using Glmm.Optimization;
using Xunit.Abstractions;

namespace Glmm.Tests.Fitting;

/// <summary>Stage 2 (θ, β) by L-BFGS-B with the analytic gradient reaches BOBYQA's optimum with far fewer evaluations.</summary>
public class LaplaceGradientOptimizationTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("cbpp.csv", "cbind(incidence, size - incidence) ~ factor(period) + (1 | herd)", "binomial")]
    [InlineData("Contraception.csv", "use ~ age + I(age^2) + urban + livch + (1 + urban | district)", "binomial")]
    [InlineData("grouseticks.csv", "TICKS ~ factor(YEAR) + cHEIGHT + (1 | BROOD) + (1 | LOCATION)", "poisson")]
    public void LbfgsBReachesTheBobyqaOptimum(string file, string formula, string familyName)
    {
        var table = CsvTableReader.Read(Path.Combine(AppContext.BaseDirectory, "fixtures", "data", file));
        var model = ModelBuilder.Build(formula, table);
        var data = new EngineLayout(model, Family.Create(familyName));
        var re = data.Random;
        var glm = GlmIrls.Fit(data.Family, model.X, model.Y, model.Weights, model.Offset);
        var beta0 = glm.Coefficients.ToArray();
        // β in units of its GLM standard error (as the Fitter scales stage 2): x = (θ, z), β = β0 + se ∘ z.
        var se = glm.StandardErrors.ToArray();
        int nth = re.ThetaLength, p = data.P, n = nth + p;
        var x0 = re.InitialTheta.Concat(new double[p]).ToArray();
        var full = new double[n];
        double[] Full(double[] x)
        {
            for (int j = 0; j < nth; j++) full[j] = x[j];
            for (int j = 0; j < p; j++) full[nth + j] = beta0[j] + se[j] * x[nth + j];
            return full;
        }
        // No bounds: the deviance is even in the sign of each column of T, so the result is normalised afterwards.
        var lower = Enumerable.Repeat(double.NegativeInfinity, n).ToArray();
        var boxLower = Enumerable.Range(0, n).Select(j => j < nth ? re.LowerBounds[j] : double.NegativeInfinity).ToArray();
        var upper = Enumerable.Repeat(double.PositiveInfinity, n).ToArray();

        // Reference: BOBYQA on the deviance alone, tight.
        var pirlsB = new Pirls(data, withFixed: false);
        var bob = new Bobyqa().Minimize(x => pirlsB.Solve(Full(x).AsSpan(0, nth), full.AsSpan(nth)), (double[])x0.Clone(), boxLower, upper,
            new OptimizerOptions { InitialTrustRadius = 0.1, FinalTrustRadius = 1e-7, MaxEvaluations = 20000 });

        var pirls = new Pirls(data, withFixed: false);
        var gradient = new LaplaceGradient(pirls.System);
        var lb = new LbfgsB().Minimize((x, g) =>
        {
            double f = pirls.Solve(Full(x).AsSpan(0, nth), full.AsSpan(nth));
            if (double.IsFinite(f))
            {
                gradient.ComputeAtMode(g);
                for (int j = 0; j < p; j++) g[nth + j] *= se[j];
            }
            return f;
        }, x0, lower, upper, new LbfgsBOptions { ProjectedGradientTolerance = 1e-9 });
        var theta = lb.X[..nth];
        re.NormalizeThetaSigns(theta);
        Assert.All(theta.Where((_, j) => re.IsDiagonal(j)), t => Assert.True(t >= 0));
        Assert.Equal(lb.Value, pirls.Solve(theta, Full(lb.X).AsSpan(nth)), 9);
        output.WriteLine($"{file}: BOBYQA {bob.Value:R} in {bob.Evaluations} evaluations; L-BFGS-B {lb.Value:R} in {lb.Evaluations} evaluations ({lb.Message})");
        Assert.True(lb.Converged, lb.Message);
        Assert.True(lb.Value <= bob.Value + 1e-6, $"L-BFGS-B {lb.Value:R} vs BOBYQA {bob.Value:R}");
        Assert.True(lb.Evaluations < bob.Evaluations / 3, $"{lb.Evaluations} vs {bob.Evaluations}");
    }
}
