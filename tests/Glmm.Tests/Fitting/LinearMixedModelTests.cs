using System.Text.Json;
using Glmm.Cli;
using Glmm.Families;
using Glmm.Inference;

namespace Glmm.Tests.Fitting;

/// <summary>
/// The linear mixed model (gaussian family, identity link) against lme4's lmer and lmerTest (tools/lmm_fixtures.R,
/// fixtures/lmm/*.json): sleepstudy (correlated slope), Penicillin (crossed), Dyestuff, and a generated nested design
/// with prior weights, each by ML and REML.
/// </summary>
public class LinearMixedModelTests
{
    private static string Dir(string sub) => Path.Combine(AppContext.BaseDirectory, "fixtures", sub);

    public static IEnumerable<object[]> Fixtures() =>
        Directory.EnumerateFiles(Dir("lmm"), "*.json").Select(p => new object[] { Path.GetFileNameWithoutExtension(p) }).OrderBy(o => (string)o[0], StringComparer.Ordinal);

    private static JsonElement Load(string name) => JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir("lmm"), name + ".json"))).RootElement;

    private static GlmmFit Fit(JsonElement r, RemlVariant? variant = RemlVariant.Profile, int threads = 0)
    {
        var table = CsvTableReader.Read(Path.Combine(Dir("data"), r.GetProperty("data").GetString()!));
        bool reml = r.GetProperty("reml").GetBoolean();
        string? weights = r.TryGetProperty("weights", out var w) && w.ValueKind == JsonValueKind.String ? w.GetString() : null;
        return GlmmModel.Fit(r.GetProperty("formula").GetString()!, table, new GlmmOptions
        {
            Family = new Gaussian(),
            Reml = reml ? variant : null,
            WeightsColumn = weights,
            Threads = threads,
        });
    }

    private static double[] Array(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void MatchesLmerAndLmerTest(string name)
    {
        var r = Load(name);
        var fit = Fit(r);
        bool reml = r.GetProperty("reml").GetBoolean();
        Assert.True(fit.Converged, name);
        if (reml)
        {
            double crit = r.GetProperty("remlCriterion").GetDouble();
            Assert.True(fit.RemlCriterion <= crit + 1e-6, $"{name}: REML criterion {fit.RemlCriterion:R} vs lmer {crit:R}");
            Assert.True(Math.Abs(fit.RemlCriterion - crit) < 1e-6, $"{name}: REML criterion {fit.RemlCriterion:R} vs lmer {crit:R}");
            Assert.Equal(-0.5 * fit.RemlCriterion, fit.RestrictedLogLik, 10);
        }
        else
        {
            double ll = r.GetProperty("logLik").GetDouble();
            Assert.True(fit.LogLik >= ll - 1e-6, $"{name}: logLik {fit.LogLik:R} vs lmer {ll:R}");
            Assert.True(Math.Abs(fit.LogLik - ll) < 1e-6, $"{name}: logLik {fit.LogLik:R} vs lmer {ll:R}");
            Assert.Equal(r.GetProperty("AIC").GetDouble(), fit.AIC, 5);
        }
        // The ML log-likelihood at the estimates (for a REML fit, at the REML estimates): lmer's logLik(fit, REML = FALSE).
        Assert.True(Math.Abs(fit.LogLik - r.GetProperty("logLik").GetDouble()) < 1e-4, $"{name}: logLik at the estimates");
        Assert.Equal(r.GetProperty("nobs").GetInt32(), fit.Nobs);

        double sigma = r.GetProperty("sigma").GetDouble();
        Assert.True(Math.Abs(fit.Sigma - sigma) <= 1e-3 * sigma, $"{name}: sigma {fit.Sigma:R} vs {sigma:R}");
        var fe = r.GetProperty("fixedEffects").EnumerateArray().ToArray();
        Assert.Equal(fe.Length, fit.FixedEffects.Count);
        for (int j = 0; j < fe.Length; j++)
        {
            var f = fit.FixedEffects[j];
            Assert.Equal(fe[j].GetProperty("name").GetString(), f.Name);
            double se = fe[j].GetProperty("stdError").GetDouble();
            Assert.True(Math.Abs(f.Estimate - fe[j].GetProperty("estimate").GetDouble()) <= 1e-3 * se, $"{name} {f.Name}: estimate");
            Assert.True(Math.Abs(f.StdError - se) <= 1e-3 * se, $"{name} {f.Name}: SE {f.StdError:R} vs {se:R}");
            double df = fe[j].GetProperty("df").GetDouble();
            Assert.True(Math.Abs(f.Df - df) <= 1e-2 * df, $"{name} {f.Name}: Satterthwaite df {f.Df:R} vs lmerTest {df:R}");
            Assert.True(Math.Abs(f.Z - fe[j].GetProperty("t").GetDouble()) <= 1e-3 * Math.Max(1, Math.Abs(f.Z)), $"{name} {f.Name}: t");
            double p = fe[j].GetProperty("p").GetDouble();
            Assert.True(Math.Abs(f.P - p) <= 2e-2 * p + 1e-12, $"{name} {f.Name}: p {f.P:R} vs {p:R}");
        }
        var re = r.GetProperty("randomEffects").EnumerateArray().ToArray();
        Assert.Equal(re.Length, fit.RandomEffects.Count);
        for (int k = 0; k < re.Length; k++)
        {
            Assert.Equal(re[k].GetProperty("group").GetString(), fit.RandomEffects[k].Group);
            var sd = Array(re[k].GetProperty("stdDev"));
            for (int i = 0; i < sd.Length; i++)
                Assert.True(Math.Abs(fit.RandomEffects[k].StdDev[i] - sd[i]) <= 1e-3 * sd[i] + 1e-6, $"{name} {re[k].GetProperty("group").GetString()} sd {i}");
            var cor = re[k].GetProperty("correlation").EnumerateArray().Select(Array).ToArray();
            for (int i = 0; i < cor.Length; i++)
                for (int j = 0; j < cor.Length; j++)
                    Assert.True(Math.Abs(fit.RandomEffects[k].Correlation[i, j] - cor[i][j]) <= 1e-3, $"{name} correlation");
        }
        // Residuals and fitted values as R's residuals.merMod / fitted (pearson: √w (y − μ), not divided by σ).
        var response = Residuals.Compute(fit, ResidualType.Response);
        var pearson = Residuals.Compute(fit, ResidualType.Pearson);
        var rh = Array(r.GetProperty("residualsHead"));
        var ph = Array(r.GetProperty("pearsonHead"));
        var fh = Array(r.GetProperty("fittedHead"));
        for (int i = 0; i < rh.Length; i++)
        {
            Assert.True(Math.Abs(response[i] - rh[i]) <= 1e-3 * sigma, $"{name}: response residual {i}");
            Assert.True(Math.Abs(pearson[i] - ph[i]) <= 1e-3 * sigma * 2, $"{name}: pearson residual {i}");
            Assert.True(Math.Abs(fit.Fitted[i] - fh[i]) <= 1e-3 * sigma, $"{name}: fitted {i}");
        }
    }

    /// <summary>For a linear mixed model every REML variant is the exact REML criterion: the same estimates, bit for bit, and lmer's to 1e-6.</summary>
    [Theory]
    [InlineData("sleepstudy_reml")]
    [InlineData("penicillin_reml")]
    [InlineData("nested_weights_reml")]
    public void EveryRemlVariantIsLmersReml(string name)
    {
        var r = Load(name);
        var fits = new[] { RemlVariant.Laplace, RemlVariant.Profile, RemlVariant.Pql }.Select(v => Fit(r, v)).ToArray();
        foreach (var f in fits.Skip(1))
        {
            Assert.Equal(fits[0].Theta, f.Theta);
            Assert.Equal(fits[0].Beta, f.Beta);
            Assert.Equal(fits[0].Sigma, f.Sigma);
            Assert.Equal(fits[0].RemlCriterion, f.RemlCriterion);
        }
        var fe = r.GetProperty("fixedEffects").EnumerateArray().ToArray();
        for (int j = 0; j < fe.Length; j++)
        {
            double b = fe[j].GetProperty("estimate").GetDouble();
            Assert.True(Math.Abs(fits[0].Beta[j] - b) <= 1e-6 * Math.Abs(b) + 1e-6 * fe[j].GetProperty("stdError").GetDouble(), $"{name}: beta {j}");
        }
        double sigma = r.GetProperty("sigma").GetDouble();
        Assert.True(Math.Abs(fits[0].Sigma - sigma) <= 1e-5 * sigma, $"{name}: sigma {fits[0].Sigma:R} vs {sigma:R}");
        Assert.True(Math.Abs(fits[0].RemlCriterion - r.GetProperty("remlCriterion").GetDouble()) <= 1e-6, $"{name}: criterion");
    }

    [Fact]
    public void ResultsDoNotDependOnThreads()
    {
        var r = Load("penicillin_ml");
        var a = Fit(r, threads: 1);
        var b = Fit(r, threads: 2);
        Assert.Equal(a.LogLik, b.LogLik);
        Assert.Equal(a.Theta, b.Theta);
        Assert.Equal(a.Beta, b.Beta);
        Assert.Equal(a.FixedEffects.Select(f => f.Df), b.FixedEffects.Select(f => f.Df));
    }

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = CommandLine.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    private static readonly string Sleep = Path.Combine(AppContext.BaseDirectory, "fixtures", "data", "sleepstudy.csv");
    private const string SleepFormula = "Reaction ~ Days + (Days | Subject)";

    [Fact]
    public void JsonHasSigmaTDfAndTheRemlCriterion()
    {
        var (code, output, err) = Run("fit", "--data", Sleep, "--formula", SleepFormula, "--family", "gaussian", "--reml", "laplace", "--format", "json");
        Assert.True(code == 0, err);
        var root = JsonDocument.Parse(output).RootElement;
        var r = Load("sleepstudy_reml");
        Assert.Equal(r.GetProperty("sigma").GetDouble(), root.GetProperty("sigma").GetDouble(), 3);
        Assert.True(root.GetProperty("sigmaStdError").GetDouble() > 0);
        Assert.Equal(r.GetProperty("remlCriterion").GetDouble(), root.GetProperty("remlCriterion").GetDouble(), 5);
        Assert.Equal("REML", root.GetProperty("method").GetString());
        foreach (var f in root.GetProperty("fixedEffects").EnumerateArray())
        {
            Assert.True(f.TryGetProperty("t", out _));
            Assert.True(f.TryGetProperty("df", out _));
            Assert.True(f.TryGetProperty("p", out _));
            Assert.False(f.TryGetProperty("z", out _));
        }
        var (code2, text, err2) = Run("fit", "--data", Sleep, "--formula", SleepFormula, "--family", "gaussian");
        Assert.True(code2 == 0, err2);
        Assert.Contains("Linear mixed model fit by maximum likelihood", text);
        Assert.Contains(" Residual ", text);
        Assert.Contains("t value", text);
        Assert.DoesNotContain("NaN", text);
        Assert.DoesNotContain("Infinity", text);
    }

    [Theory]
    [InlineData("--link", "logit", "link 'logit' is not available for the gaussian family")]
    [InlineData("--link", "probit", "link 'probit' is not available for the gaussian family")]
    [InlineData("--nagq", "3", "does not apply to a linear mixed model")]
    public void BadInputIsOneLineAndExitTwo(string option, string value, string message)
    {
        var (code, output, err) = Run("fit", "--data", Sleep, "--formula", SleepFormula, "--family", "gaussian", option, value);
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Contains(message, err);
        Assert.Single(err.TrimEnd().Split('\n'));
    }

    [Fact]
    public void CompareIsALikelihoodRatioTestOfMlFits()
    {
        var table = CsvTableReader.Read(Sleep);
        var options = new GlmmOptions { Family = new Gaussian() };
        var full = GlmmModel.Fit(SleepFormula, table, options);
        var reduced = GlmmModel.Fit("Reaction ~ Days + (1 | Subject)", table, options);
        var rows = LikelihoodRatio.Compare(reduced, full);
        Assert.Equal(4, rows[0].NPar);   // β (2), θ (1), σ
        Assert.Equal(6, rows[1].NPar);
        Assert.Equal(2 * (full.LogLik - reduced.LogLik), rows[1].Chisq, 9);
        var reml = GlmmModel.Fit(SleepFormula, table, options with { Reml = RemlVariant.Profile });
        Assert.Throws<GlmmInputException>(() => LikelihoodRatio.Compare(reduced, reml));
    }
    /// <summary>The parametric bootstrap refits the linear mixed model (y ~ N(μ, σ²/w), b = σΛu): its percentile intervals cover
    /// the estimates, are on the scale of lmer's SDs and σ, and do not depend on the threads.</summary>
    [Fact]
    public void BootstrapRefitsTheLinearMixedModel()
    {
        var fit = GlmmModel.Fit(SleepFormula, CsvTableReader.Read(Sleep), new GlmmOptions { Family = new Gaussian() });
        var a = Bootstrap.Run(fit, 40, 7, threads: 1);
        var b = Bootstrap.Run(fit, 40, 7, threads: 2);
        Assert.Equal(["sd_(Intercept)|Subject", "cor_Days.(Intercept)|Subject", "sd_Days|Subject", "sigma", "(Intercept)", "Days"], a.Names);
        Assert.Equal(0, a.Failed);
        for (int k = 0; k < a.Intervals.Count; k++)
        {
            Assert.Equal(a.Intervals[k].Lower, b.Intervals[k].Lower);
            Assert.Equal(a.Intervals[k].Upper, b.Intervals[k].Upper);
        }
        var sigma = a.Intervals[3];
        Assert.Equal(fit.Sigma, sigma.Estimate);
        Assert.InRange(fit.Sigma, sigma.Lower, sigma.Upper);
        Assert.InRange(fit.RandomEffects[0].StdDev[0], a.Intervals[0].Lower, a.Intervals[0].Upper);
        Assert.InRange(fit.RandomEffects[0].StdDev[1], a.Intervals[2].Lower, a.Intervals[2].Upper);
        Assert.InRange(fit.Beta[1], a.Intervals[5].Lower, a.Intervals[5].Upper);
        Assert.True(a.Intervals[0].Lower > 5, "the SDs are σ times θ's");
    }
}
