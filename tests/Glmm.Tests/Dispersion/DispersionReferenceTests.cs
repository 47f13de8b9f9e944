using System.Text.Json;
using Glmm.Families;

namespace Glmm.Tests.Dispersion;

/// <summary>
/// Families with a dispersion parameter against glmmTMB (tools/dispersion_fixtures.R): logLik at least the reference's
/// − 1e-3, β within 5% of its SE, SDs and sigma within 1% + 1e-3, SEs (β and sigma) within 2%; nbinom2 with the
/// expected information against glmer.nb.
/// </summary>
public class DispersionReferenceTests
{
    private static string FixtureDirectory => Path.Combine(AppContext.BaseDirectory, "fixtures", "reference", "dispersion");

    private static string DataDirectory => Path.Combine(AppContext.BaseDirectory, "fixtures", "data");

    public static TheoryData<string> Names() =>
        ["dispersion_grouseticks_nbinom2", "dispersion_gamma_slope_log", "dispersion_gamma_inverse",
            // tools/gaussian_link_fixtures.R: the gaussian family with the log and inverse links (σ² as the dispersion).
            "gaussian_log_slope", "gaussian_sleepstudy_log", "gaussian_inverse",
            "dispersion_grouseticks_nbinom1", "dispersion_nbinom1_slope"];

    private static (JsonElement Ref, GlmmFit Fit) FitFixture(string name, Information information = Information.Observed)
    {
        var r = JsonDocument.Parse(File.ReadAllText(Path.Combine(FixtureDirectory, name + ".json"))).RootElement;
        var data = CsvTableReader.Read(Path.Combine(DataDirectory, r.GetProperty("data").GetString()!));
        var family = Family.Create(r.GetProperty("family").GetString()!, r.GetProperty("link").GetString());
        var fit = GlmmModel.Fit(r.GetProperty("formula").GetString()!, data, new GlmmOptions { Family = family, Information = information });
        return (r, fit);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void MatchesGlmmTmb(string name)
    {
        var (r, fit) = FitFixture(name);
        Assert.True(fit.Converged, string.Join("; ", fit.Warnings));
        Assert.True(fit.LogLik >= r.GetProperty("logLik").GetDouble() - 1e-3, $"logLik {fit.LogLik} vs {r.GetProperty("logLik").GetDouble()}");
        var fe = r.GetProperty("fixedEffects").EnumerateArray().ToArray();
        Assert.Equal(fe.Length, fit.FixedEffects.Count);
        for (int j = 0; j < fe.Length; j++)
        {
            double se = fe[j].GetProperty("stdError").GetDouble();
            Assert.True(Math.Abs(fit.FixedEffects[j].Estimate - fe[j].GetProperty("estimate").GetDouble()) <= 0.05 * se, $"beta {j}");
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
        Assert.Equal(fit.FixedEffects.Count + fit.Theta.Count + 1, fit.ParameterCount);
    }

    /// <summary>
    /// sigma's Wald interval, on the log scale and back: glmmTMB's Wald interval of its log-dispersion coefficient d
    /// (log σ is linear in d) from the fixture's sigma and SE, exp(log σ ± z·SE(σ)/σ); the limits within 2% of the width.
    /// </summary>
    [Theory]
    [MemberData(nameof(Names))]
    public void SigmaHasAWaldIntervalOnTheLogScale(string name)
    {
        var (r, fit) = FitFixture(name);
        var rows = Glmm.Inference.Wald.Intervals(fit, 0.95);
        var row = Assert.Single(rows, x => x.Name == "sigma");
        double sigma = r.GetProperty("sigma").GetDouble(), se = r.GetProperty("sigmaStdError").GetDouble();
        double z = Glmm.Inference.Wald.NormalQuantile(0.975);
        double lower = sigma * Math.Exp(-z * se / sigma), upper = sigma * Math.Exp(z * se / sigma);
        double tol = 0.02 * (upper - lower);
        Assert.True(Math.Abs(row.Lower - lower) <= tol, $"lower {row.Lower} vs {lower}");
        Assert.True(Math.Abs(row.Upper - upper) <= tol, $"upper {row.Upper} vs {upper}");
        Assert.Equal(fit.Sigma, row.Estimate);
        // After the SD/correlation rows, before the fixed effects.
        Assert.Equal(rows.Count - fit.FixedEffects.Count - 1, rows.ToList().IndexOf(row));
    }

    [Fact]
    public void NegativeBinomialWithExpectedInformationMatchesGlmerNb()
    {
        var (r, fit) = FitFixture("dispersion_grouseticks_nbinom2", Information.Expected);
        var nb = r.GetProperty("glmerNb");
        // glmer.nb alternates θ with glmer fits; the joint maximum is at least as high.
        Assert.True(fit.LogLik >= nb.GetProperty("logLik").GetDouble() - 1e-3, $"logLik {fit.LogLik}");
        Assert.True(fit.LogLik <= nb.GetProperty("logLik").GetDouble() + 1e-2, $"logLik {fit.LogLik}");
        double theta = nb.GetProperty("theta").GetDouble();
        Assert.True(Math.Abs(fit.Sigma - theta) <= 0.01 * theta, $"theta {fit.Sigma} vs {theta}");
        var beta = nb.GetProperty("fixedEffects").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        for (int j = 0; j < beta.Length; j++)
            Assert.True(Math.Abs(fit.FixedEffects[j].Estimate - beta[j]) <= 0.05 * fit.FixedEffects[j].StdError, $"beta {j}");
    }
}
