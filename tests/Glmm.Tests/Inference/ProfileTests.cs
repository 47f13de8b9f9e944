using System.Diagnostics;
using Glmm.Inference;
using Glmm.Tests.Fitting;
using Glmm.Tests.Reference;
using Xunit.Abstractions;

namespace Glmm.Tests.Inference;

/// <summary>Profile intervals against lme4's <c>confint(method = "profile")</c>: each end within 1% of the interval's width.</summary>
public class ProfileTests
{
    private readonly ITestOutputHelper _out;

    public ProfileTests(ITestOutputHelper output) => _out = output;

    [Theory]
    [InlineData("cbpp_after")]
    [InlineData("grouseticks_after")]
    public void ProfileIntervalsMatchLme4(string name)
    {
        var f = ReferenceFixture.Load(name);
        var fit = LaplaceReferenceTests.FitFixture(f);
        var clock = Stopwatch.StartNew();
        var ours = Profile.Intervals(fit);
        _out.WriteLine($"{name}: profile {clock.Elapsed.TotalSeconds:F2} s (lme4 {f.Lme4!.ConfintProfileSeconds} s)");
        var lme4 = f.Lme4.ConfintProfile!;
        Assert.Equal(lme4.Select(r => r.Name), ours.Select(r => r.Name));
        double worst = 0;
        for (int i = 0; i < ours.Count; i++)
        {
            double lo = lme4[i].Lower!.Value, hi = lme4[i].Upper!.Value, width = hi - lo;
            double dl = Math.Abs(ours[i].Lower - lo) / width, du = Math.Abs(ours[i].Upper - hi) / width;
            _out.WriteLine($"{ours[i].Name,-28} {ours[i].Lower,12:F6} {ours[i].Upper,12:F6}   lme4 {lo,12:F6} {hi,12:F6}   rel {dl:E2} {du:E2}");
            worst = Math.Max(worst, Math.Max(dl, du));
            Assert.True(dl < 0.01 && du < 0.01, $"{ours[i].Name}: [{ours[i].Lower}, {ours[i].Upper}] vs lme4 [{lo}, {hi}]");
        }
        _out.WriteLine($"worst relative difference {worst:E2}");
    }

    [Fact]
    public void ResultsDoNotDependOnThreads()
    {
        var fit = LaplaceReferenceTests.FitFixture(ReferenceFixture.Load("cbpp_after"));
        var one = Profile.Intervals(fit, 0.9, threads: 1);
        var two = Profile.Intervals(fit, 0.9, threads: 2);
        for (int i = 0; i < one.Count; i++)
        {
            Assert.Equal(one[i].Lower, two[i].Lower);
            Assert.Equal(one[i].Upper, two[i].Upper);
        }
        // 90% intervals lie inside lme4's 95% ones.
        var lme4 = ReferenceFixture.Load("cbpp_after").Lme4!.ConfintProfile!;
        for (int i = 0; i < one.Count; i++)
            Assert.True(one[i].Lower > lme4[i].Lower && one[i].Upper < lme4[i].Upper, one[i].Name);
    }

    [Fact]
    public void CovarianceParameterizationRoundTripsAndNamesAsLme4()
    {
        var fit = LikelihoodRatioTests.Fit("use ~ age + urban + (1 + urban | district)");
        var re = fit.Model.Random;
        Assert.Equal(new[] { "sd_(Intercept)|district", "cor_urbanY.(Intercept)|district", "sd_urbanY|district" }, CovarianceParameterization.Names(re));
        var theta = new[] { 0.6, -0.5, 0.45 };
        var sdcor = CovarianceParameterization.FromTheta(re, theta);
        // Σ = TT': var1 = 0.36, cov = 0.6·(−0.5) = −0.3, var2 = 0.25 + 0.2025 = 0.4525.
        Assert.Equal(0.6, sdcor[0], 1e-14);
        Assert.Equal(Math.Sqrt(0.4525), sdcor[2], 1e-14);
        Assert.Equal(-0.3 / (0.6 * Math.Sqrt(0.4525)), sdcor[1], 1e-14);
        var back = new double[3];
        CovarianceParameterization.ToTheta(re, sdcor, back);
        for (int i = 0; i < 3; i++) Assert.Equal(theta[i], back[i], 1e-14);
        // A perfect correlation gives a zero second pivot.
        CovarianceParameterization.ToTheta(re, new[] { 0.5, 1.0, 0.8 }, back);
        Assert.Equal(new[] { 0.5, 0.8, 0.0 }, back.Select(v => Math.Round(v, 12)));
    }
}
