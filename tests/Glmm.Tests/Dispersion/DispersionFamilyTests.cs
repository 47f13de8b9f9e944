using System.Text.Json;
using Glmm.Families;

namespace Glmm.Tests.Dispersion;

/// <summary>The Gamma and nbinom2 families' per-row functions against R's dgamma/dnbinom, dev.resids and lgamma
/// (fixtures/reference/dispersion/dispersion_family_values.json, from tools/dispersion_fixtures.R).</summary>
public class DispersionFamilyTests
{
    private static readonly JsonElement Values = JsonDocument.Parse(File.ReadAllText(Path.Combine(
        AppContext.BaseDirectory, "fixtures", "reference", "dispersion", "dispersion_family_values.json"))).RootElement;

    private static double[] Array(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    [Fact]
    public void GammaLogLikelihoodEqualsDgamma()
    {
        var g = Values.GetProperty("gamma");
        double y = g.GetProperty("y").GetDouble(), mu = g.GetProperty("mu").GetDouble(), phi = g.GetProperty("phi").GetDouble();
        var f = new Gamma(Link.Log) { Dispersion = phi };
        Assert.Equal(g.GetProperty("logLik").GetDouble(), f.LogLikelihood(y, mu, 1.0), 1e-12);
        double dev = g.GetProperty("devResid").GetDouble();
        Assert.Equal(dev, f.UnitDevianceResidual(y, mu, 1.0), 1e-13);
        Assert.Equal(dev / phi, f.DevianceResidual(y, mu, 1.0), 1e-12);
        Assert.Equal(Math.Sqrt(phi), f.SigmaOf(phi), 1e-15);
    }

    [Fact]
    public void NegativeBinomialLogLikelihoodEqualsDnbinom()
    {
        var g = Values.GetProperty("nbinom2");
        var y = Array(g.GetProperty("y"));
        double mu = g.GetProperty("mu").GetDouble(), theta = g.GetProperty("theta").GetDouble();
        var ll = Array(g.GetProperty("logLik"));
        var dev = Array(g.GetProperty("devResid"));
        var f = new NegativeBinomial2 { Dispersion = theta };
        for (int i = 0; i < y.Length; i++)
        {
            Assert.Equal(ll[i], f.LogLikelihood(y[i], mu, 1.0), 1e-12);
            Assert.Equal(dev[i], f.DevianceResidual(y[i], mu, 1.0), 1e-12);
        }
        Assert.Equal(mu + mu * mu / theta, f.Variance(mu), 1e-14);
    }

    [Fact]
    public void LogGammaIsAccurate()
    {
        var g = Values.GetProperty("lgamma");
        var x = Array(g.GetProperty("x"));
        var v = Array(g.GetProperty("value"));
        for (int i = 0; i < x.Length; i++) Assert.Equal(v[i], NumericalFunctions.LogGamma(x[i]), Math.Abs(v[i]) * 1e-14 + 1e-14);
    }

    [Fact]
    public void BadResponsesAreRefusedNamingTheRow()
    {
        var e = Assert.Throws<GlmmInputException>(() => new Gamma().ValidateResponse(new[] { 1.0, 0.0 }, new[] { 1.0, 1.0 }));
        Assert.Contains("row 2", e.Message);
        e = Assert.Throws<GlmmInputException>(() => new NegativeBinomial2().ValidateResponse(new[] { 1.0, 2.5 }, new[] { 1.0, 1.0 }));
        Assert.Contains("row 2", e.Message);
        e = Assert.Throws<GlmmInputException>(() => new NegativeBinomial2().ValidateResponse(new[] { -1.0 }, new[] { 1.0 }));
        Assert.Contains("row 1", e.Message);
        e = Assert.Throws<GlmmInputException>(() => Family.Create("Gamma", "logit"));
        Assert.Contains("logit", e.Message);
        Assert.IsType<Gamma>(Family.Create("gamma"));
        Assert.Same(Link.InverseMu, Family.Create("Gamma").Link);
    }

    /// <summary>σ² is the dispersion of the gaussian family outside the identity link: dnorm with σ = √φ, every constant.</summary>
    [Fact]
    public void GaussianWithALinkHasADispersion()
    {
        var g = (Gaussian)new Gaussian(Link.Log).ForFit();
        Assert.True(g.HasDispersion);
        Assert.False(new Gaussian().HasDispersion);
        g.Dispersion = 2.25;
        // dnorm(3, 2.5, 1.5 / sqrt(2), log = TRUE) = -0.9904983...
        double expected = -0.5 * 2 * 0.25 / 2.25 + 0.5 * Math.Log(2 / (2 * Math.PI * 2.25));
        Assert.Equal(expected, g.LogLikelihood(3.0, 2.5, 2.0), 1e-14);
        Assert.Equal(1.5, g.SigmaOf(g.Dispersion), 1e-15);
        // The saturated part plus half the deviance is the log-likelihood.
        double[] y = [3.0, 1.0], mu = [2.5, 1.2], w = [2.0, 0.5];
        double sat = g.SaturatedLogLikelihood(y, w);
        double dev = g.DevianceResidual(3.0, 2.5, 2.0) + g.DevianceResidual(1.0, 1.2, 0.5);
        Assert.Equal(g.LogLikelihood(y, mu, w), sat - 0.5 * dev, 1e-12);
        var e = Assert.Throws<GlmmInputException>(() => new Gaussian(Link.Log).ValidateResponse(new[] { 1.0, 0.0 }, new[] { 1.0, 1.0 }));
        Assert.Contains("row 2", e.Message);
        e = Assert.Throws<GlmmInputException>(() => new Gaussian(Link.InverseMu).ValidateResponse(new[] { 0.0 }, new[] { 1.0 }));
        Assert.Contains("row 1", e.Message);
        new Gaussian().ValidateResponse(new[] { -1.0, 0.0 }, new[] { 1.0, 1.0 });
    }
}
