using Glmm.Inference;
using Glmm.Tests.Fitting;
using Glmm.Tests.Reference;
using Xunit.Abstractions;

namespace Glmm.Tests.Inference;

/// <summary>Parametric bootstrap: determinism across thread counts, and agreement with lme4's bootMer on cbpp.</summary>
public class BootstrapTests
{
    private readonly ITestOutputHelper _out;

    public BootstrapTests(ITestOutputHelper output) => _out = output;

    [Fact]
    public void SameSeedSameNumbersWithOneAndTwoThreads()
    {
        var fit = LaplaceReferenceTests.FitFixture(ReferenceFixture.Load("cbpp_after"));
        var one = Bootstrap.Run(fit, 20, seed: 7, threads: 1);
        var two = Bootstrap.Run(fit, 20, seed: 7, threads: 2);
        Assert.Equal(0, one.Failed);
        for (int i = 0; i < 20; i++) Assert.Equal(one.Replicates[i], two.Replicates[i]);
        Assert.Equal(one.Intervals.Select(c => c.Lower), two.Intervals.Select(c => c.Lower));
        Assert.Equal(one.Intervals.Select(c => c.Upper), two.Intervals.Select(c => c.Upper));
        var other = Bootstrap.Run(fit, 20, seed: 8, threads: 2);
        Assert.NotEqual(one.Replicates[0][0], other.Replicates[0][0]);
        // Replicates vary around the estimates: the herd SD between 0 and 3, never all equal.
        Assert.All(one.Replicates, r => Assert.InRange(r[0], 0.0, 3.0));
        Assert.True(one.Replicates.Select(r => r[0]).Distinct().Count() > 15);
    }

    /// <summary>
    /// 500 replicates: the percentile interval of the herd SD against lme4's bootMer (seed 1, 500 replicates).
    /// Both are Monte Carlo estimates; lme4's fixture gives the Monte Carlo SE of each quantile (resampling its
    /// replicates): 0.050 (2.5%) and 0.025 (97.5%). The difference of two independent estimates has SD √2·SE;
    /// we allow 3·√2·SE.
    /// </summary>
    [Fact]
    public void Cbpp500ReplicatesAgreeWithBootMerWithinMonteCarloError()
    {
        var f = ReferenceFixture.Load("cbpp_after");
        var fit = LaplaceReferenceTests.FitFixture(f);
        var boot = Bootstrap.Run(fit, 500, seed: 1);
        var reference = f.Lme4!.Bootstrap!;
        var sd = boot.Intervals[0];
        Assert.Equal("sd_(Intercept)|herd", sd.Name);
        double se0 = reference.MonteCarloSE.Lower, se1 = reference.MonteCarloSE.Upper;
        double lo = reference.Percentile.Lower!.Value, hi = reference.Percentile.Upper!.Value;
        double d0 = sd.Lower - lo, d1 = sd.Upper - hi;
        var values = boot.Replicates.Select(r => r[0]).ToArray();
        double mean = values.Average();
        _out.WriteLine($"ours [{sd.Lower:F4}, {sd.Upper:F4}] mean {mean:F4} failed {boot.Failed} in {boot.Seconds:F1} s; " +
                       $"lme4 [{lo:F4}, {hi:F4}] mean {reference.Mean:F4}; " +
                       $"differences {d0:F4} ({d0 / (Math.Sqrt(2) * se0):F2} combined SE), {d1:F4} ({d1 / (Math.Sqrt(2) * se1):F2} combined SE)");
        Assert.Equal(0, boot.Failed);
        Assert.True(Math.Abs(d0) < 3 * Math.Sqrt(2) * se0, $"lower {sd.Lower} vs {lo}");
        Assert.True(Math.Abs(d1) < 3 * Math.Sqrt(2) * se1, $"upper {sd.Upper} vs {hi}");
        // The mean of the replicates: lme4's SD of replicates is 0.200, so the mean's SE is 0.009 per bootstrap.
        Assert.True(Math.Abs(mean - reference.Mean) < 4 * Math.Sqrt(2) * reference.SD / Math.Sqrt(500), $"mean {mean} vs {reference.Mean}");
    }
}
