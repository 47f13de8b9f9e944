using System.Globalization;
using System.Text;
using Glmm.Families;
using Glmm.Fitting;
using Glmm.Model;

namespace Glmm.Tests.Fitting;

/// <summary>
/// With an expensive factor (a dense block of crossed factors) the gradient stage starts at lme4's start without stage
/// 1's quadratic-model steps, and L-BFGS-B stops at a looser relative function change for the Newton polish to finish the
/// optimum: the same deviance and estimates as stage 1 followed by L-BFGS-B to the usual 1e-13.
/// </summary>
public class ExpensiveFactorStagesTests
{
    [Fact]
    public void TheShortcutsReachTheSameOptimum()
    {
        var rng = new Random(11);
        var ua = Enumerable.Range(0, 3_000).Select(_ => 0.8 * Normal(rng)).ToArray();
        var ub = Enumerable.Range(0, 500).Select(_ => 0.5 * Normal(rng)).ToArray();
        var sb = new StringBuilder("y,x,a,b\n");
        for (int i = 0; i < 12_000; i++)
        {
            int a = rng.Next(ua.Length), b = rng.Next(ub.Length);
            double x = Normal(rng), eta = -0.3 + 0.6 * x + ua[a] + ub[b];
            sb.Append(CultureInfo.InvariantCulture, $"{(rng.NextDouble() < 1 / (1 + Math.Exp(-eta)) ? 1 : 0)},{x:R},a{a},b{b}\n");
        }
        var model = ModelBuilder.Build("y ~ x + (1 | a) + (1 | b)", CsvTableReader.Read(new StringReader(sb.ToString()), "crossed.csv"));
        var options = new GlmmOptions { Family = Family.Create("binomial") };
        var layout = new EngineLayout(model, options.Family);
        var system = new PenalizedSystem(layout, withFixed: false);
        Assert.True(system.FactorIsExpensive && system.FactorFlopsPerRow >= FitControl.From(options).Stage1SkipFactorPerRow);
        var control = FitControl.From(options);
        Assert.True(control.ExpensiveGradientFunctionTolerance > control.GradientFunctionTolerance);
        var loose = Fitter.Fit(model, options);
        var tight = Fitter.Fit(model, options, control with
        {
            ExpensiveGradientFunctionTolerance = control.GradientFunctionTolerance,
            Stage1SkipFactorPerRow = double.PositiveInfinity,
            ExpensiveSeedSecantPairs = false,
        });
        Assert.True(loose.Converged && tight.Converged);
        Assert.True(Math.Abs(loose.LogLik - tight.LogLik) <= 1e-8, $"{loose.LogLik:R} vs {tight.LogLik:R}");
        for (int j = 0; j < loose.Theta.Count; j++) Assert.Equal(tight.Theta[j], loose.Theta[j], 5);
        for (int j = 0; j < loose.Beta.Count; j++)
            Assert.True(Math.Abs(loose.Beta[j] - tight.Beta[j]) <= 1e-3 * tight.FixedEffects[j].StdError, $"β[{j}]");
        Assert.True(loose.Evaluations <= tight.Evaluations, $"{loose.Evaluations} vs {tight.Evaluations} evaluations");
    }

    private static double Normal(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
