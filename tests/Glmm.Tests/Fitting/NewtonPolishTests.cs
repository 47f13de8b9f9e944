using Glmm.Families;
using Glmm.Fitting;
using Glmm.Model;

namespace Glmm.Tests.Fitting;

/// <summary>
/// The Newton polish after the gradient stage: from a point near the optimum (as L-BFGS-B's relative stop leaves it on a
/// large data set) it reaches the optimum, with each step's check from the new gradient and the Hessian already at hand,
/// to the same deviance and estimates as a polish that takes the Hessian anew after every step.
/// </summary>
public class NewtonPolishTests
{
    [Theory]
    [InlineData("VerbAgg.csv", "r2 ~ Anger + Gender + btype + situ + (1 | id) + (1 | item)")]
    [InlineData("cbpp.csv", "cbind(incidence, size - incidence) ~ factor(period) + (1 | herd)")]
    public void PolishReachesTheOptimumFromNearby(string file, string formula)
    {
        var table = CsvTableReader.Read(Path.Combine(AppContext.BaseDirectory, "fixtures", "data", file));
        var fit = GlmmModel.Fit(formula, table, new GlmmOptions());
        var data = new EngineLayout(ModelBuilder.Build(formula, table), Family.Create("binomial"));
        var re = data.Random;
        var control = FitControl.From(new GlmmOptions());
        // Off the optimum by a few thousandths of a standard error's worth in every coordinate.
        var theta = fit.Theta.Select(t => t * (1 + 2e-3)).ToArray();
        var beta = fit.Beta.Select((b, j) => b + 3e-3 * fit.FixedEffects[j].StdError).ToArray();
        var results = new List<PolishResult>();
        foreach (bool freshHessian in new[] { false, true })
        {
            var criterion = new LaplaceCriterion(data, threads: 1, observedInformation: true, withGradient: true);
            double d0 = Stages.EvaluateAt(criterion, theta, beta);
            var modes = criterion.SaveModes();
            var check = Stages.AssessConvergence(criterion, theta, beta, modes, re, expensive: false);
            Assert.True(check.Decrement > control.PolishDecrement, $"start decrement {check.Decrement}");
            var polished = Stages.Polish(freshHessian ? new WithoutGradient(criterion) : criterion, theta, beta, d0, modes, check,
                () => criterion.SaveModes(), re, control);
            Assert.True(polished.Evaluations > 0);
            Assert.True(polished.Check.Decrement <= control.PolishDecrement || polished.Evaluations == control.PolishMaxSteps,
                $"decrement {polished.Check.Decrement} after {polished.Evaluations} steps");
            Assert.True(polished.Deviance < d0);
            results.Add(polished);
        }
        double optimum = -2 * fit.LogLik;
        foreach (var r in results) Assert.True(Math.Abs(r.Deviance - optimum) <= 1e-7, $"{r.Deviance:R} vs the fit's {optimum:R}");
        Assert.True(Math.Abs(results[0].Deviance - results[1].Deviance) <= 1e-9, $"{results[0].Deviance:R} vs {results[1].Deviance:R}");
        for (int j = 0; j < beta.Length; j++)
            Assert.True(Math.Abs(results[0].Beta[j] - results[1].Beta[j]) <= 1e-6 * fit.FixedEffects[j].StdError, $"β[{j}]");
    }

    /// <summary>The criterion seen without its gradient, so that the polish takes the check's Hessian anew after each step.</summary>
    private sealed class WithoutGradient(ICriterion inner) : ICriterion
    {
        public int Dimension => inner.Dimension;
        public bool IncludesBeta => inner.IncludesBeta;
        public ReadOnlySpan<double> LowerBounds => inner.LowerBounds;
        public bool HasGradient => false;
        public PenalizedSystem System => inner.System;
        public int Sweeps => inner.Sweeps;
        public int Evaluations => inner.Evaluations;
        public double Evaluate(ReadOnlySpan<double> x) => inner.Evaluate(x);
        public double Evaluate(ReadOnlySpan<double> x, Span<double> gradient) => inner.Evaluate(x, gradient);
        public double[] SaveModes() => inner.SaveModes();
        public void RestoreModes(ReadOnlySpan<double> u) => inner.RestoreModes(u);
    }
}
