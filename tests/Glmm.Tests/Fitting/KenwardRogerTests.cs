using System.Text.Json;
using Glmm.Cli;
using Glmm.Families;
using Glmm.Fitting;
using Glmm.Inference;

namespace Glmm.Tests.Fitting;

/// <summary>
/// Kenward–Roger for the linear mixed model against pbkrtest's vcovAdj and Lb_ddf as lmerTest's summary(fit, ddf =
/// "Kenward-Roger") reports them (tools/kenward_roger_fixtures.R, fixtures/lmm_kr): sleepstudy (balanced: the adjustment
/// vanishes), Penicillin (crossed), an unbalanced crossed set with a random slope, and the weighted nested design (against
/// pbkrtest's own algebra on the fitted model's Σ with the residual σ²W⁻¹; pbkrtest as is ignores the weights in Σ).
/// </summary>
public class KenwardRogerTests
{
    private static string Dir(string sub) => Path.Combine(AppContext.BaseDirectory, "fixtures", sub);

    public static IEnumerable<object[]> Fixtures() =>
        Directory.EnumerateFiles(Dir("lmm_kr"), "*.json").Select(p => new object[] { Path.GetFileNameWithoutExtension(p) }).OrderBy(o => (string)o[0], StringComparer.Ordinal);

    private static JsonElement Load(string name) => JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir("lmm_kr"), name + ".json"))).RootElement;

    /// <summary>The reference Glmm follows: pbkrtest's, or for a weighted fit its algebra with the weights in Σ.</summary>
    private static JsonElement Reference(JsonElement r) => r.TryGetProperty("weightsInSigma", out var w) ? w : r;

    private static string? Weights(JsonElement r) => r.TryGetProperty("weights", out var w) && w.ValueKind == JsonValueKind.String ? w.GetString() : null;

    private static GlmmFit Fit(JsonElement r, DenominatorDf ddf, RemlVariant? reml = RemlVariant.Laplace) =>
        GlmmModel.Fit(r.GetProperty("formula").GetString()!, CsvTableReader.Read(Path.Combine(Dir("data"), r.GetProperty("data").GetString()!)),
            new GlmmOptions { Family = new Gaussian(), Reml = reml, WeightsColumn = Weights(r), Ddf = ddf });

    private static double[][] Matrix(JsonElement e) => e.EnumerateArray().Select(row => row.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();

    private static void Close(double expected, double actual, double relative, string what) =>
        Assert.True(Math.Abs(actual - expected) <= relative * Math.Abs(expected), $"{what}: {actual:R} vs {expected:R} (relative {Math.Abs(actual / expected - 1):E2})");

    /// <summary>The fit's SEs, t, df and p and the adjusted covariance: pbkrtest's within 1e-4 relative (the REML optimum moves within the optimiser's tolerance).</summary>
    [Theory]
    [MemberData(nameof(Fixtures))]
    public void MatchesPbkrtest(string name)
    {
        var r = Load(name);
        var reference = Reference(r);
        var fit = Fit(r, DenominatorDf.KenwardRoger);
        Assert.Equal(DenominatorDf.KenwardRoger, fit.Ddf);
        var fe = reference.GetProperty("fixedEffects").EnumerateArray().ToArray();
        Assert.Equal(fe.Length, fit.FixedEffects.Count);
        for (int j = 0; j < fe.Length; j++)
        {
            var f = fit.FixedEffects[j];
            Assert.Equal(fe[j].GetProperty("name").GetString(), f.Name);
            Close(fe[j].GetProperty("stdError").GetDouble(), f.StdError, 1e-4, $"{name} {f.Name} SE");
            Close(fe[j].GetProperty("df").GetDouble(), f.Df, 1e-4, $"{name} {f.Name} df");
            Close(fe[j].GetProperty("t").GetDouble(), f.Z, 1e-4, $"{name} {f.Name} t");
            Close(fe[j].GetProperty("p").GetDouble(), f.P, 1e-3, $"{name} {f.Name} p");
            Assert.Equal(Math.Sqrt(fit.AdjustedFixedEffectsCovariance![j, j]), f.StdError, 12);
        }
        var adjusted = Matrix(reference.GetProperty("vcovAdj"));
        for (int i = 0; i < adjusted.Length; i++)
            for (int j = 0; j < adjusted.Length; j++)
                Assert.True(Math.Abs(fit.AdjustedFixedEffectsCovariance![i, j] - adjusted[i][j]) <= 1e-4 * Math.Sqrt(adjusted[i][i] * adjusted[j][j]),
                    $"{name} vcovAdj[{i},{j}]: {fit.AdjustedFixedEffectsCovariance[i, j]:R} vs {adjusted[i][j]:R}");
        // The unadjusted covariance stays lme4's vcov.
        var vcov = Matrix(r.GetProperty("vcov"));
        for (int i = 0; i < vcov.Length; i++) Close(vcov[i][i], fit.FixedEffectsCovariance[i, i], 1e-4, $"{name} vcov[{i},{i}]");
    }

    /// <summary>The algebra itself is pbkrtest's to rounding: at lme4's θ, σ and vcov the adjusted covariance and df agree to 1e-8.</summary>
    [Theory]
    [MemberData(nameof(Fixtures))]
    public void EqualsPbkrtestAtLmersEstimates(string name)
    {
        var r = Load(name);
        var reference = Reference(r);
        var fit = Fit(r, DenominatorDf.Satterthwaite);
        var layout = new EngineLayout(fit.Model, new Gaussian());
        var theta = r.GetProperty("theta").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var vcov = Matrix(r.GetProperty("vcov"));
        var phi = new double[vcov.Length, vcov.Length];
        for (int i = 0; i < vcov.Length; i++)
            for (int j = 0; j < vcov.Length; j++) phi[i, j] = vcov[i][j];
        int n = fit.Model.Weights.Count(w => w > 0);
        var kr = KenwardRoger.Compute(layout, theta, r.GetProperty("sigma").GetDouble(), phi, n);
        var adjusted = Matrix(reference.GetProperty("vcovAdj"));
        var fe = reference.GetProperty("fixedEffects").EnumerateArray().ToArray();
        for (int i = 0; i < adjusted.Length; i++)
        {
            Close(fe[i].GetProperty("df").GetDouble(), kr.Df[i], 1e-8, $"{name} df {i}");
            for (int j = 0; j < adjusted.Length; j++)
                Assert.True(Math.Abs(kr.AdjustedCovariance[i, j] - adjusted[i][j]) <= 1e-9 * Math.Sqrt(adjusted[i][i] * adjusted[j][j]),
                    $"{name} vcovAdj[{i},{j}]: {kr.AdjustedCovariance[i, j]:R} vs {adjusted[i][j]:R}");
        }
    }

    /// <summary>pbkrtest as is, on the weighted fit, differs (it leaves the weights out of Σ): the fixture says by how much, and Glmm follows the fitted model.</summary>
    [Fact]
    public void WeightedFitDiffersFromPbkrtestAsIs()
    {
        var r = Load("kr_nested_weights");
        double asIs = r.GetProperty("pbkrtest").GetProperty("fixedEffects")[1].GetProperty("df").GetDouble();
        double inSigma = r.GetProperty("weightsInSigma").GetProperty("fixedEffects")[1].GetProperty("df").GetDouble();
        Assert.True(Math.Abs(asIs / inSigma - 1) > 0.1);
        Close(inSigma, Fit(r, DenominatorDf.KenwardRoger).FixedEffects[1].Df, 1e-4, "x df");
    }

    [Fact]
    public void SatterthwaiteStaysTheDefault()
    {
        var r = Load("kr_penicillin");
        var fit = Fit(r, new GlmmOptions().Ddf);
        Assert.Equal(DenominatorDf.Satterthwaite, fit.Ddf);
        Assert.Null(fit.AdjustedFixedEffectsCovariance);
        Assert.Equal(Math.Sqrt(fit.FixedEffectsCovariance[0, 0]), fit.FixedEffects[0].StdError, 12);
    }

    /// <summary>As lmerTest, which stops with "Kenward-Roger's method is only available for REML model fits".</summary>
    [Fact]
    public void MaximumLikelihoodFitIsRefused()
    {
        var r = Load("kr_sleepstudy");
        var e = Assert.Throws<GlmmInputException>(() => Fit(r, DenominatorDf.KenwardRoger, reml: null));
        Assert.Contains("REML", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OtherFamiliesAreRefused()
    {
        var table = CsvTableReader.Read(Path.Combine(Dir("data"), "cbpp.csv"));
        var e = Assert.Throws<GlmmInputException>(() => GlmmModel.Fit("cbind(incidence, size - incidence) ~ period + (1 | herd)", table,
            new GlmmOptions { Ddf = DenominatorDf.KenwardRoger }));
        Assert.Contains("linear mixed model", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Kenward-Roger", DenominatorDf.KenwardRoger)]
    [InlineData("kenward-roger", DenominatorDf.KenwardRoger)]
    [InlineData("Satterthwaite", DenominatorDf.Satterthwaite)]
    [InlineData("satterthwaite", DenominatorDf.Satterthwaite)]
    public void ParsesLmerTestsSpellings(string text, DenominatorDf expected) => Assert.Equal(expected, DenominatorDfNames.Parse(text));

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CommandLine.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void CommandLineSaysWhichMethod()
    {
        string data = Path.Combine(Dir("data"), "Penicillin.csv");
        const string formula = "diameter ~ 1 + (1 | plate) + (1 | sample)";
        var (code, text, err) = Run("fit", "--data", data, "--formula", formula, "--family", "gaussian", "--reml", "laplace", "--ddf", "Kenward-Roger");
        Assert.True(code == 0, err);
        Assert.Contains("Linear mixed model fit by REML. t-tests use Kenward-Roger's method", text, StringComparison.Ordinal);
        var (code2, json, err2) = Run("fit", "--data", data, "--formula", formula, "--family", "gaussian", "--reml", "laplace", "--ddf", "kenward-roger", "--format", "json");
        Assert.True(code2 == 0, err2);
        using var doc = JsonDocument.Parse(json);
        Assert.Equal("Kenward-Roger", doc.RootElement.GetProperty("ddf").GetString());
        Assert.Equal(1, doc.RootElement.GetProperty("vcovAdjusted").GetArrayLength());
        var fe = doc.RootElement.GetProperty("fixedEffects")[0];
        Assert.Equal(Math.Sqrt(doc.RootElement.GetProperty("vcovAdjusted")[0][0].GetDouble()), fe.GetProperty("stdError").GetDouble(), 12);
        Assert.True(fe.TryGetProperty("t", out _) && fe.TryGetProperty("df", out _) && fe.TryGetProperty("p", out _));

        var (code3, text3, _) = Run("fit", "--data", data, "--formula", formula, "--family", "gaussian", "--reml", "laplace");
        Assert.Equal(0, code3);
        Assert.Contains("t-tests use Satterthwaite's method", text3, StringComparison.Ordinal);

        var (code4, _, err4) = Run("fit", "--data", data, "--formula", formula, "--family", "gaussian", "--ddf", "Kenward-Roger");
        Assert.Equal(2, code4);
        Assert.Single(err4.Trim().Split('\n'));
        Assert.Contains("REML", err4, StringComparison.Ordinal);
        var (code5, _, err5) = Run("fit", "--data", data, "--formula", formula, "--family", "gaussian", "--reml", "laplace", "--ddf", "containment");
        Assert.Equal(2, code5);
        Assert.Contains("unknown --ddf 'containment'", err5, StringComparison.Ordinal);
    }
}
