using Glmm.Model;

namespace Glmm.Tests;

public class RandomEffectsStructureTests
{
    [Fact]
    public void ThetaLayoutFollowsLme4()
    {
        var n = 4;
        var big = new RandomEffectsTerm("g", new[] { 0, 1, 2, 0 }, new[] { "a", "b", "c" }, new[] { "(Intercept)", "x" }, new double[2 * n]);
        var small = new RandomEffectsTerm("h", new[] { 0, 1, 0, 1 }, new[] { "u", "v" }, new[] { "(Intercept)" }, new double[n]);
        var s = new RandomEffectsStructure(new[] { small, big });
        Assert.Equal("g", s.Terms[0].GroupName);
        Assert.Equal(4, s.ThetaLength);
        Assert.Equal(new[] { 0.0, double.NegativeInfinity, 0.0, 0.0 }, s.LowerBounds);
        Assert.Equal(new[] { 1.0, 0.0, 1.0, 1.0 }, s.InitialTheta);
        Assert.Equal(8, s.TotalRandomEffects);
        var t = new double[4];
        s.FillFactor(new[] { 2.0, 3.0, 4.0, 5.0 }, 0, t);
        Assert.Equal(new[] { 2.0, 0.0, 3.0, 4.0 }, t);
        var cov = s.Covariance(new[] { 2.0, 3.0, 4.0, 5.0 }, 0);
        Assert.Equal(new[] { 4.0, 6.0, 6.0, 25.0 }, cov);
    }
}
