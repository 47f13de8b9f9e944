using System.Text.Json;
using Glmm.Families;

namespace Glmm.Tests.Dispersion;

/// <summary>
/// Laplace-REML (<c>--reml laplace</c>) for the families with a dispersion parameter against glmmTMB's REML = TRUE
/// (tools/dispersion_reml_fixtures.R): the restricted log-likelihood at least the reference's − 1e-3, β within 5% of its
/// SE, SDs and sigma within 1% + 1e-3, SEs (β, with glmmTMB's correction for the outer parameters, and sigma) within 2%.
/// </summary>
public class DispersionRemlTests
{
    private static string FixtureDirectory => Path.Combine(AppContext.BaseDirectory, "fixtures", "reference", "dispersion");

    private static string DataDirectory => Path.Combine(AppContext.BaseDirectory, "fixtures", "data");

    public static TheoryData<string> Names() =>
        ["reml_grouseticks_nbinom2", "reml_grouseticks_nbinom1", "reml_gamma_slope_log", "reml_gamma_inverse", "reml_gaussian_log_slope"];

    internal static (JsonElement Ref, GlmmFit Fit) FitFixture(string name, RemlVariant? reml = RemlVariant.Laplace)
    {
        var r = JsonDocument.Parse(File.ReadAllText(Path.Combine(FixtureDirectory, name + ".json"))).RootElement;
        var data = CsvTableReader.Read(Path.Combine(DataDirectory, r.GetProperty("data").GetString()!));
        var family = Family.Create(r.GetProperty("family").GetString()!, r.GetProperty("link").GetString());
        var fit = GlmmModel.Fit(r.GetProperty("formula").GetString()!, data, new GlmmOptions { Family = family, Reml = reml });
        return (r, fit);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void MatchesGlmmTmbReml(string name)
    {
        var (r, fit) = FitFixture(name);
        Assert.Equal(RemlVariant.Laplace, fit.Reml);
        Assert.True(fit.Converged, string.Join("; ", fit.Warnings));
        double reference = r.GetProperty("restrictedLogLik").GetDouble();
        Assert.True(fit.RestrictedLogLik >= reference - 1e-3, $"restricted logLik {fit.RestrictedLogLik:R} vs {reference:R}");
        Assert.True(fit.RestrictedLogLik <= reference + 1e-2, $"restricted logLik {fit.RestrictedLogLik:R} vs {reference:R}");
        var fe = r.GetProperty("fixedEffects").EnumerateArray().ToArray();
        Assert.Equal(fe.Length, fit.FixedEffects.Count);
        for (int j = 0; j < fe.Length; j++)
        {
            double se = fe[j].GetProperty("stdError").GetDouble();
            Assert.True(Math.Abs(fit.FixedEffects[j].Estimate - fe[j].GetProperty("estimate").GetDouble()) <= 0.05 * se, $"beta {j}: {fit.FixedEffects[j].Estimate} vs {fe[j].GetProperty("estimate").GetDouble()}");
            Assert.True(Math.Abs(fit.FixedEffects[j].StdError / se - 1) <= 0.02, $"SE {j}: {fit.FixedEffects[j].StdError} vs {se}");
        }
        var sd = r.GetProperty("stdDev").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var ours = fit.RandomEffects.SelectMany(c => c.StdDev).ToArray();
        Assert.Equal(sd.Length, ours.Length);
        for (int k = 0; k < sd.Length; k++) Assert.True(Math.Abs(ours[k] - sd[k]) <= 0.01 * sd[k] + 1e-3, $"SD {k}: {ours[k]} vs {sd[k]}");
        double sigma = r.GetProperty("sigma").GetDouble();
        Assert.True(Math.Abs(fit.Sigma - sigma) <= 0.01 * sigma + 1e-3, $"sigma {fit.Sigma} vs {sigma}");
        double sigmaSe = r.GetProperty("sigmaStdError").GetDouble();
        Assert.True(Math.Abs(fit.SigmaStdError / sigmaSe - 1) <= 0.02, $"sigma SE {fit.SigmaStdError} vs {sigmaSe}");
        // The reported logLik is the marginal (ML) likelihood at the REML estimates: below the ML fit's maximum.
        double ml = r.GetProperty("ml").GetProperty("logLik").GetDouble();
        Assert.True(fit.LogLik <= ml + 1e-3, $"logLik at the REML estimates {fit.LogLik} above the ML maximum {ml}");
    }

    [Fact]
    public void RemlSpreadsTheRandomEffectsAtLeastAsWideAsMl()
    {
        var (r, fit) = FitFixture("reml_gamma_slope_log");
        var ml = r.GetProperty("ml").GetProperty("stdDev").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var ours = fit.RandomEffects.SelectMany(c => c.StdDev).ToArray();
        for (int k = 0; k < ml.Length; k++) Assert.True(ours[k] > ml[k], $"SD {k}: REML {ours[k]} vs ML {ml[k]}");
    }

    [Theory]
    [InlineData("profile")]
    [InlineData("pql")]
    public void OtherRemlVariantsAreRefusedWithOneLine(string variant)
    {
        var e = Assert.Throws<GlmmInputException>(() => FitFixture("reml_gamma_inverse", FitNames.ParseReml(variant)));
        Assert.Contains("--reml laplace", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void TheCallersFamilyKeepsItsDispersion()
    {
        var family = Family.Create("Gamma", "log");
        double before = family.Dispersion;
        var data = CsvTableReader.Read(Path.Combine(DataDirectory, "gamma_slope.csv"));
        GlmmModel.Fit("y ~ x + (1 | g)", data, new GlmmOptions { Family = family, Reml = RemlVariant.Laplace });
        Assert.Equal(before, family.Dispersion);
    }
}
