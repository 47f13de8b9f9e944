using System.Globalization;
using Glmm.Fitting;
using Glmm.Model;

namespace Glmm.Tests.Hostile;

/// <summary>
/// Scale-invariant numerics (issue 13): X's columns are scaled internally by powers of two, so rescaling a covariate by
/// 10^k changes its estimate and standard error by exactly 10^-k (to 1e-4 relative) and nothing else.
/// </summary>
public class ScaleInvarianceTests
{
    private static readonly DataTable Scaling = CsvTableReader.Read(Path.Combine(CliRunner.FixtureDir, "scaling.csv"));

    [Theory]
    [InlineData("0.0001")]
    [InlineData("0.001")]
    [InlineData("0.01")]
    [InlineData("0.1")]
    [InlineData("10")]
    [InlineData("100")]
    [InlineData("1000")]
    [InlineData("10000")]
    [InlineData("30000")]
    public void RescalingACovariateRescalesItsEstimateAndStandardErrorOnly(string factor)
    {
        double s = double.Parse(factor, CultureInfo.InvariantCulture);
        var reference = GlmmModel.Fit("y ~ x + (1 | g)", Scaling);
        var scaled = GlmmModel.Fit($"y ~ I(x * {factor}) + (1 | g)", Scaling);
        Assert.Equal(reference.LogLik, scaled.LogLik, 1e-8);
        Assert.Equal(1.0, scaled.FixedEffects[1].Estimate * s / reference.FixedEffects[1].Estimate, 1e-4);
        Assert.Equal(1.0, scaled.FixedEffects[1].StdError * s / reference.FixedEffects[1].StdError, 1e-4);
        Assert.Equal(1.0, scaled.FixedEffects[0].StdError / reference.FixedEffects[0].StdError, 1e-4);
        Assert.Equal(reference.RandomEffects[0].StdDev[0], scaled.RandomEffects[0].StdDev[0], 1e-6);
        Assert.True(scaled.Converged);
    }

    [Theory]
    [InlineData("1e-12")]
    [InlineData("1e20")]
    public void FarOffScalesAreExactAndPrintedInScientificNotation(string factor)
    {
        double s = double.Parse(factor, CultureInfo.InvariantCulture);
        var reference = GlmmModel.Fit("y ~ x + (1 | g)", Scaling);
        var scaled = GlmmModel.Fit($"y ~ I(x * {factor}) + (1 | g)", Scaling);
        Assert.Equal(1.0, scaled.FixedEffects[1].Estimate * s / reference.FixedEffects[1].Estimate, 1e-4);
        Assert.Equal(1.0, scaled.FixedEffects[1].StdError * s / reference.FixedEffects[1].StdError, 1e-4);
        // A column of fixed notation would need hundreds of digits (or show only zeros): 4 significant digits instead.
        string name = scaled.FixedEffects[1].Name;
        var line = scaled.Summary().Split('\n').First(l => l.StartsWith(" " + name + " ", StringComparison.Ordinal));
        Assert.Matches(@"^ I\(x \* [0-9.e+-]+\)\s+-?[0-9]\.[0-9]{3}e[+-][0-9]{2}\s+[0-9]\.[0-9]{3}e[+-][0-9]{2}\s", line);
    }

    [Fact]
    public void ContraceptionAgeTimesTenThousandHasTheSameZAsAge()
    {
        // The issue's case: the SE was 2.3 times too large (z 0.71 instead of 1.67).
        var data = CsvTableReader.Read(Path.Combine(CliRunner.DataDir, "Contraception.csv"));
        var plain = GlmmModel.Fit("use ~ age + urban + (1 | district)", data);
        var scaled = GlmmModel.Fit("use ~ I(age * 10000) + urban + (1 | district)", data);
        Assert.Equal(1.0, scaled.FixedEffects[1].StdError * 10000 / plain.FixedEffects[1].StdError, 1e-4);
        Assert.Equal(plain.FixedEffects[1].Z, scaled.FixedEffects[1].Z, 1e-3);
        Assert.Equal(plain.LogLik, scaled.LogLik, 1e-8);
    }

    [Fact]
    public void TheInternalFactorsArePowersOfTwoAndLeaveUnitColumnsAlone()
    {
        var model = ModelBuilder.Build("y ~ x + I(x^2 * 1000) + I(x^3 / 1000) + (1 | g)", Scaling);
        var scaling = FixedEffectsScaling.For(model.X);
        double Rms(int j) => Math.Sqrt(model.X.Column(j).ToArray().Average(v => v * v));
        Assert.Equal(1.0, scaling.Factors[0]);                     // (Intercept)
        Assert.InRange(Rms(1), 0.25, 4);
        Assert.Equal(1.0, scaling.Factors[1]);                     // x: root mean square 2.4, inside [1/4, 4]
        Assert.InRange(Rms(2), 1e3, 1e5);
        Assert.Equal(Math.ScaleB(1.0, (int)Math.Round(Math.Log2(Rms(2)))), scaling.Factors[2]);
        Assert.InRange(Rms(3), 1e-3, 0.2);
        Assert.Equal(Math.ScaleB(1.0, (int)Math.Round(Math.Log2(Rms(3)))), scaling.Factors[3]);
        // Mapping back is exact: β/c and V/(cᵢcⱼ) with powers of two lose no bits.
        var beta = new[] { 0.1, 0.2, 0.3, 0.4 };
        Assert.Equal(beta, scaling.BetaToOriginal(scaling.BetaToInternal(beta)));
    }
}
