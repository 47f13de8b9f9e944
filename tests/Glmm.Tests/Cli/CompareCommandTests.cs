using System.Text.Json;
using Glmm.Cli;
using Glmm.Inference;

namespace Glmm.Tests.Cli;

/// <summary><c>glmm compare</c> and <c>glmm fit --confint</c> on cbpp: numbers equal the library's; errors are one line, exit 2.</summary>
public class CompareCommandTests
{
    private static readonly string Cbpp = Path.Combine(AppContext.BaseDirectory, "fixtures", "data", "cbpp.csv");
    private const string Full = "cbind(incidence, size - incidence) ~ factor(period) + (1 | herd)";
    private const string Null = "cbind(incidence, size - incidence) ~ 1 + (1 | herd)";

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = CommandLine.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    [Fact]
    public void CompareJsonEqualsTheLibraryTest()
    {
        var (code, output, err) = Run("compare", "--data", Cbpp, "--formula", Full, "--formula", Null, "--format", "json");
        Assert.True(code == 0, err);
        var rows = JsonDocument.Parse(output).RootElement.GetProperty("anova");
        Assert.Equal(2, rows.GetArrayLength());
        Assert.Equal(2, rows[0].GetProperty("npar").GetInt32()); // ordered by npar: the smaller model first
        Assert.Equal(5, rows[1].GetProperty("npar").GetInt32());
        Assert.Equal(JsonValueKind.Null, rows[0].GetProperty("Chisq").ValueKind);
        var table = CsvTableReader.Read(Cbpp);
        var lib = LikelihoodRatio.Compare(GlmmModel.Fit(Null, table), GlmmModel.Fit(Full, table));
        Assert.Equal(lib[1].Chisq, rows[1].GetProperty("Chisq").GetDouble(), 1e-9);
        Assert.Equal(lib[1].P, rows[1].GetProperty("p").GetDouble(), 1e-12);
        Assert.Equal(3, rows[1].GetProperty("Df").GetInt32());
        // cbpp's period effect is strong: Chisq about 23 on 3 df (lme4: 2·(−92.027 + 103.55) ≈ 23.0).
        Assert.InRange(lib[1].Chisq, 20, 26);
        Assert.True(lib[1].P < 1e-4);
    }

    [Fact]
    public void CompareTextPrintsTheAnovaTable()
    {
        var (code, output, _) = Run("compare", "--data", Cbpp, "--formula", Null, "--formula", Full);
        Assert.Equal(0, code);
        var lines = output.Split('\n');
        Assert.StartsWith("Data: cbpp.csv", lines[0]);
        Assert.Contains(lines, l => l.Contains("npar") && l.Contains("Pr(>Chisq)"));
        Assert.Contains(lines, l => l.StartsWith("fit1 ") && l.TrimEnd().EndsWith("***"));
    }

    [Theory]
    [InlineData("cbind(incidence, size - incidence) ~ 1 + (1 | herd)", "cbind(incidence, size - incidence) ~ factor(period) + (0 + size | herd)", "not nested")]
    [InlineData("cbind(incidence, size - incidence) ~ factor(period) + (1 | herd)", "cbind(incidence, size - incidence) ~ factor(period) + (1 | herd)", "same number of parameters")]
    [InlineData("cbind(incidence, size - incidence) ~ 1 + (1 | herd)", "cbind(incidence, size) ~ factor(period) + (1 | herd)", "different responses")]
    public void CompareRefusesWithOneLine(string f0, string f1, string message)
    {
        var (code, output, err) = Run("compare", "--data", Cbpp, "--formula", f0, "--formula", f1);
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Contains(message, err);
        Assert.Single(err.TrimEnd().Split('\n'));
    }

    [Fact]
    public void CompareNeedsTwoFormulas()
    {
        var (code, _, err) = Run("compare", "--data", Cbpp, "--formula", Full);
        Assert.Equal(2, code);
        Assert.Contains("two or more times", err);
    }

    [Fact]
    public void FitConfintWaldAndBootJsonEqualTheLibrary()
    {
        var (code, output, err) = Run("fit", "--data", Cbpp, "--formula", Full, "--format", "json", "--confint", "wald", "--level", "0.9");
        Assert.True(code == 0, err);
        var ci = JsonDocument.Parse(output).RootElement.GetProperty("confint");
        var fit = GlmmModel.Fit(Full, CsvTableReader.Read(Cbpp), new GlmmOptions { DataName = "cbpp.csv" });
        var wald = Wald.Intervals(fit, 0.9);
        Assert.Equal(wald.Select(w => w.Name), ci.EnumerateArray().Select(e => e.GetProperty("name").GetString()));
        Assert.Equal("sd_(Intercept)|herd", ci[0].GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Null, ci[0].GetProperty("lower").ValueKind);
        Assert.Equal(wald[1].Lower, ci[1].GetProperty("lower").GetDouble(), 1e-12);

        (code, output, err) = Run("fit", "--data", Cbpp, "--formula", Full, "--format", "json", "--confint", "boot", "--nsim", "6", "--seed", "3", "--threads", "1");
        Assert.True(code == 0, err);
        Assert.Equal("", err); // no progress line when stderr is not a terminal
        ci = JsonDocument.Parse(output).RootElement.GetProperty("confint");
        var boot = Bootstrap.Run(fit, 6, 3, threads: 2);
        for (int i = 0; i < boot.Intervals.Count; i++)
        {
            Assert.Equal(boot.Intervals[i].Lower, ci[i].GetProperty("lower").GetDouble(), 1e-12);
            Assert.Equal(boot.Intervals[i].Upper, ci[i].GetProperty("upper").GetDouble(), 1e-12);
        }
    }

    [Fact]
    public void FitConfintOptionErrors()
    {
        var (code, _, err) = Run("fit", "--data", Cbpp, "--formula", Full, "--nsim", "10");
        Assert.Equal(2, code);
        Assert.Contains("need --confint", err);
        (code, _, err) = Run("fit", "--data", Cbpp, "--formula", Full, "--confint", "wald", "--level", "95");
        Assert.Equal(2, code);
        Assert.Contains("--level", err);
    }
}

/// <summary>`glmm compare` with three nested models against lme4's anova(m0, m1, m2) (tools/anova_nested3_fixture.R).</summary>
public class CompareThreeModelsTests
{
    [Fact]
    public void ThreeNestedModelsGiveLme4sAnovaTable()
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "fixtures");
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "anova", "contraception_anova3.json")));
        var root = doc.RootElement;
        var formulas = root.GetProperty("formulas").EnumerateArray().Select(f => f.GetString()!).ToArray();
        var data = CsvTableReader.Read(Path.Combine(dir, "data", root.GetProperty("data").GetString()!));
        // Given out of order: the table is ordered by the number of parameters.
        var fits = new[] { formulas[2], formulas[0], formulas[1] }.Select(f => GlmmModel.Fit(f, data)).ToArray();
        var rows = Glmm.Inference.LikelihoodRatio.Compare(fits);
        var table = root.GetProperty("table");
        Assert.Equal(3, rows.Count);
        for (int i = 0; i < 3; i++)
        {
            var r = table[i];
            Assert.Equal(formulas[i], rows[i].Formula);
            Assert.Equal(r.GetProperty("npar").GetInt32(), rows[i].NPar);
            Assert.True(rows[i].LogLik >= r.GetProperty("logLik").GetDouble() - 1e-6);
            Assert.Equal(r.GetProperty("logLik").GetDouble(), rows[i].LogLik, 1e-4);
            Assert.Equal(r.GetProperty("AIC").GetDouble(), rows[i].AIC, 1e-3);
            if (i == 0) continue;
            Assert.Equal(r.GetProperty("Chisq").GetDouble(), rows[i].Chisq, 1e-3);
            Assert.Equal(r.GetProperty("Df").GetInt32(), rows[i].Df);
            double p = r.GetProperty("p").GetDouble();
            Assert.True(Math.Abs(Math.Log(rows[i].P) - Math.Log(p)) < 1e-3, $"p {rows[i].P} vs lme4 {p}");
        }
        // Not nested: a model whose fixed effect is not in the next one.
        var other = GlmmModel.Fit("use ~ urban + (1 | district)", data);
        var e = Assert.Throws<GlmmInputException>(() => Glmm.Inference.LikelihoodRatio.Compare([fits[1], other, fits[0]]));
        Assert.Contains("nested", e.Message);
    }
}
