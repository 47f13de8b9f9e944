using System.Text.Json;
using Glmm.Families;
using Glmm.Inference;

namespace Glmm.Tests.Inference;

/// <summary>
/// Profile-likelihood intervals of the linear mixed model against lme4's confint(profile) (tools/lmm_fixtures.R
/// profile: SDs on the response scale, sigma, β; within 1e-3 relative) and of the families with a dispersion parameter
/// (log φ profiled too, a sigma row) against glmmTMB's profile intervals (tools/dispersion_profile_fixtures.R; glmmTMB
/// interpolates its profile by a spline, so within 1% of the interval's width).
/// </summary>
public class DispersionProfileTests
{
    private static string Data(string file) => Path.Combine(AppContext.BaseDirectory, "fixtures", "data", file);

    private static JsonElement Fixture(params string[] path) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine([AppContext.BaseDirectory, "fixtures", .. path]))).RootElement;

    [Theory]
    [InlineData("profile_sleepstudy_ml")]
    [InlineData("profile_penicillin_ml")]
    [InlineData("profile_dyestuff_ml")]
    [InlineData("profile_sleepstudy_reml")]
    [InlineData("profile_penicillin_reml")]
    [InlineData("profile_dyestuff_reml")]
    public void LinearMixedModelMatchesLme4(string name)
    {
        var r = Fixture("lmm_profile", name + ".json");
        var fit = GlmmModel.Fit(r.GetProperty("formula").GetString()!, CsvTableReader.Read(Data(r.GetProperty("data").GetString()!)),
            new GlmmOptions { Family = new Gaussian(), Reml = r.GetProperty("reml").GetBoolean() ? RemlVariant.Laplace : null });
        var ours = Profile.Intervals(fit, 0.95);
        var theirs = r.GetProperty("intervals").EnumerateArray().ToArray();
        Assert.Equal(theirs.Select(t => t.GetProperty("name").GetString()), ours.Select(o => o.Name));
        for (int i = 0; i < theirs.Length; i++)
        {
            double lo = theirs[i].GetProperty("lower").GetDouble(), hi = theirs[i].GetProperty("upper").GetDouble();
            Assert.True(Math.Abs(ours[i].Lower - lo) <= 1e-3 * Math.Abs(lo) + 1e-6, $"{ours[i].Name} lower {ours[i].Lower:R} vs lme4 {lo:R}");
            Assert.True(Math.Abs(ours[i].Upper - hi) <= 1e-3 * Math.Abs(hi) + 1e-6, $"{ours[i].Name} upper {ours[i].Upper:R} vs lme4 {hi:R}");
        }
        Assert.Equal(fit.Sigma, ours.Single(o => o.Name == "sigma").Estimate);
    }

    /// <summary>lme4's profile of a REML fit is that of its ML refit: the same limits, the REML fit's estimates.</summary>
    [Fact]
    public void RemlLinearMixedModelIsProfiledByItsMaximumLikelihoodRefit()
    {
        var table = CsvTableReader.Read(Data("Dyestuff.csv"));
        var reml = GlmmModel.Fit("Yield ~ 1 + (1 | Batch)", table, new GlmmOptions { Family = new Gaussian(), Reml = RemlVariant.Pql });
        var ml = GlmmModel.Fit("Yield ~ 1 + (1 | Batch)", table, new GlmmOptions { Family = new Gaussian() });
        var a = Profile.Intervals(reml, 0.9, threads: 1);
        var b = Profile.Intervals(ml, 0.9, threads: 1);
        Assert.Equal(b.Select(i => (i.Name, i.Lower, i.Upper)), a.Select(i => (i.Name, i.Lower, i.Upper)));
        Assert.Equal(reml.Sigma, a.Single(i => i.Name == "sigma").Estimate);
        Assert.Equal(reml.RandomEffects[0].StdDev[0], a[0].Estimate, 12);
        Assert.Equal(reml.Beta[0], a[^1].Estimate);
        Assert.True(reml.RandomEffects[0].StdDev[0] > ml.RandomEffects[0].StdDev[0]);
    }

    [Theory]
    [InlineData("profile_grouseticks_nbinom2")]
    [InlineData("profile_gamma_inverse")]
    public void DispersionFamiliesMatchGlmmTmb(string name)
    {
        var r = Fixture("reference", "dispersion", name + ".json");
        var family = Family.Create(r.GetProperty("family").GetString()!, r.GetProperty("link").GetString());
        var fit = GlmmModel.Fit(r.GetProperty("formula").GetString()!, CsvTableReader.Read(Data(r.GetProperty("data").GetString()!)),
            new GlmmOptions { Family = family });
        var ours = Profile.Intervals(fit, 0.95);
        int nth = fit.Theta.Count;
        void Near(ConfidenceInterval o, double lo, double hi)
        {
            double tol = 0.01 * (hi - lo);
            Assert.True(Math.Abs(o.Lower - lo) <= tol, $"{o.Name} lower {o.Lower:R} vs glmmTMB {lo:R}");
            Assert.True(Math.Abs(o.Upper - hi) <= tol, $"{o.Name} upper {o.Upper:R} vs glmmTMB {hi:R}");
        }
        var s = r.GetProperty("sigmaInterval");
        Assert.Equal("sigma", ours[nth].Name);
        Near(ours[nth], s.GetProperty("lower").GetDouble(), s.GetProperty("upper").GetDouble());
        var fe = r.GetProperty("fixedEffects").EnumerateArray().ToArray();
        Assert.Equal(fit.FixedEffects.Count, fe.Length);
        for (int j = 0; j < fe.Length; j++) Near(ours[nth + 1 + j], fe[j].GetProperty("lower").GetDouble(), fe[j].GetProperty("upper").GetDouble());
        if (r.TryGetProperty("stdDev", out var sd) && sd.ValueKind == JsonValueKind.Array)
        {
            var rows = sd.EnumerateArray().ToArray();
            for (int k = 0; k < rows.Length; k++) Near(ours[k], rows[k].GetProperty("lower").GetDouble(), rows[k].GetProperty("upper").GetDouble());
        }
        // The dispersion does not leak: the fit's family keeps its estimate.
        Assert.Equal(fit.Sigma, fit.Family.SigmaOf(fit.Dispersion), 12);
    }

    [Fact]
    public void SigmaIntervalIsTheSameForAnyThreadCountAndNearWald()
    {
        var fit = GlmmModel.Fit("TICKS ~ cHEIGHT + (1|BROOD)", CsvTableReader.Read(Data("grouseticks.csv")),
            new GlmmOptions { Family = new NegativeBinomial1() });
        var one = Profile.Intervals(fit, 0.9, threads: 1);
        var two = Profile.Intervals(fit, 0.9, threads: 2);
        Assert.Equal(one, two);
        var sigma = one.Single(o => o.Name == "sigma");
        var wald = Wald.Intervals(fit, 0.9).Single(o => o.Name == "sigma");
        Assert.True(sigma.Lower < fit.Sigma && fit.Sigma < sigma.Upper);
        Assert.InRange((sigma.Upper - sigma.Lower) / (wald.Upper - wald.Lower), 0.8, 1.25);
    }

    [Fact]
    public void RemlFitsAreRefusedInOneLine()
    {
        var fit = GlmmModel.Fit("y ~ x + (1 | g)", CsvTableReader.Read(Data("gamma_inverse.csv")),
            new GlmmOptions { Family = Family.Create("Gamma", "inverse"), Reml = RemlVariant.Laplace });
        var e = Assert.Throws<GlmmInputException>(() => Profile.Intervals(fit, 0.95));
        Assert.Contains("REML", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
