using Glmm.Inference;
using Glmm.Tests.Reference;
using Xunit.Abstractions;

namespace Glmm.Tests.Inference;

/// <summary>
/// The likelihood-ratio test of Contraception with and without the random slope of urban against lme4's
/// <c>anova(fit0, fit1)</c> (fixture contraception_anova.json from tools/anova_fixture.R), and the checks
/// that refuse fits that are not nested or not on the same data.
/// </summary>
public class LikelihoodRatioTests
{
    private const string Fixed = "use ~ age + I(age^2) + urban + livch";
    private readonly ITestOutputHelper _out;

    public LikelihoodRatioTests(ITestOutputHelper output) => _out = output;

    private static readonly Lazy<DataTable> Contraception = new(() =>
        CsvTableReader.Read(Path.Combine(ReferenceFixture.DataDirectory, "Contraception.csv")));

    private static readonly Dictionary<string, GlmmFit> Fits = new();

    internal static GlmmFit Fit(string formula, GlmmOptions? options = null)
    {
        lock (Fits)
        {
            string key = formula + options;
            if (!Fits.TryGetValue(key, out var fit)) Fits[key] = fit = GlmmModel.Fit(formula, Contraception.Value, options);
            return fit;
        }
    }

    [Fact]
    public void SmallPValuesArePrintedAsRDoes()
    {
        var rows = new[]
        {
            new AnovaRow("fit0", "y ~ 1 + (1 | g)", 2, 213.66, 217.71, -104.83, 209.66, double.NaN, 0, double.NaN),
            new AnovaRow("fit1", "y ~ x + (1 | g)", 5, 194.05, 204.18, -92.026, 184.05, 25.61, 3, 1.151e-5),
        };
        string text = LikelihoodRatio.Format(rows);
        Assert.Contains(" 1.151e-05 ***", text);
        Assert.DoesNotContain("E-", text);
    }

    [Theory]
    [InlineData("contraception_anova")] // tools/anova_fixture.R
    [InlineData("contraception_after")] // tools/extension_fixtures.R after
    public void ContraceptionRandomSlopeTestMatchesLme4Anova(string fixture)
    {
        var f = ReferenceFixture.Load(fixture);
        var table = f.Lme4!.Anova!.Table;
        var fit0 = Fit(Fixed + " + (1 | district)");
        var fit1 = Fit(Fixed + " + (1 + urban | district)");
        var rows = LikelihoodRatio.Compare(fit1, fit0); // either order
        _out.WriteLine(LikelihoodRatio.Format(rows, "Contraception.csv"));
        Assert.Equal(2, rows.Count);
        for (int i = 0; i < 2; i++)
        {
            var r = rows[i];
            var e = table[i];
            _out.WriteLine($"{r.Model}: logLik {r.LogLik - e.LogLik:E2}, AIC {r.AIC - e.Aic:E2}, BIC {r.BIC - e.Bic:E2} vs lme4");
            Assert.Equal(e.NPar, r.NPar);
            Assert.Equal(e.LogLik, r.LogLik, 1e-3);
            Assert.Equal(e.Aic, r.AIC, 2e-3);
            Assert.Equal(e.Bic, r.BIC, 2e-3);
            Assert.Equal(e.Deviance, r.Deviance, 2e-3);
        }
        _out.WriteLine($"Chisq {rows[1].Chisq} vs {table[1].Chisq} ({rows[1].Chisq - table[1].Chisq!.Value:E2}); p {rows[1].P} vs {table[1].P} ({rows[1].P - table[1].P!.Value:E2})");
        Assert.Equal(table[1].Df, rows[1].Df);
        Assert.Equal(table[1].Chisq!.Value, rows[1].Chisq, 1e-3);
        Assert.Equal(table[1].P!.Value, rows[1].P, 1e-3);
        Assert.True(double.IsNaN(rows[0].Chisq) && double.IsNaN(rows[0].P));
    }

    [Fact]
    public void RefusesModelsThatAreNotNested()
    {
        var a = Fit(Fixed + " + (1 | district)");
        var b = Fit("use ~ age + urban + (1 + urban | district)"); // drops I(age^2) and livch: not nested in a's fixed part
        var e = Assert.Throws<GlmmInputException>(() => LikelihoodRatio.Compare(a, b));
        Assert.Contains("not nested", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        var same = Assert.Throws<GlmmInputException>(() => LikelihoodRatio.Compare(a, a));
        Assert.Contains("same number of parameters", same.Message);
    }

    [Fact]
    public void RefusesDifferentDataAndRemlFits()
    {
        var a = Fit(Fixed + " + (1 | district)");
        // Same formula shape on a different response: not the same data.
        var other = Fit("urban ~ age + (1 | district)");
        Assert.Contains("different responses", Assert.Throws<GlmmInputException>(() => LikelihoodRatio.Compare(other, a)).Message);
        var reml = Fit(Fixed + " + (1 + urban | district)", new GlmmOptions { Reml = RemlVariant.Laplace });
        Assert.Contains("REML", Assert.Throws<GlmmInputException>(() => LikelihoodRatio.Compare(a, reml)).Message);
    }
}
