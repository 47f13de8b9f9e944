using System.Globalization;
using System.Text.Json;
using Glmm.Families;
using Glmm.Inference;
using Glmm.Results;

namespace Glmm.Tests.Inference;

/// <summary>
/// Population-averaged coefficients and predictions against tools/marginal_fixture.R, which integrates the same lme4 fit
/// by a brute-force product grid over the random effects (independent of the library's one-dimensional reduction).
/// </summary>
public class MarginalEffectsTests
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "fixtures");

    private sealed record Fixture(string Data, string Formula, string NewData, double[] Beta, double[] Theta, double[] FixefStdErrors,
        double[] Marginal, double[] MarginalStdErrors, double[] Predictions, double TmbLogLik, double[] TmbMarginal);

    private static Fixture Load(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures, "marginal", name + ".json")));
        var r = doc.RootElement;
        double[] A(string key) => r.GetProperty(key).EnumerateArray().Select(e => e.GetDouble()).ToArray();
        return new Fixture(r.GetProperty("data").GetString()!, r.GetProperty("formula").GetString()!, r.GetProperty("newdata").GetString()!,
            A("fixef"), A("theta"), A("fixefStdErrors"), A("marginalCoefficients"), A("marginalStdErrors"), A("marginalPredictions"),
            r.GetProperty("glmmTMB").GetProperty("logLik").GetDouble(),
            r.GetProperty("glmmTMB").GetProperty("marginalCoefficients").EnumerateArray().Select(e => e.GetDouble()).ToArray());
    }

    private static GlmmFit Fit(Fixture f) => GlmmModel.Fit(f.Formula, CsvTableReader.Read(Path.Combine(Fixtures, "data", f.Data)));

    public static TheoryData<string> Names() => new() { "contraception_slope", "logistic_slope", "logistic_crossed" };

    [Theory]
    [MemberData(nameof(Names))]
    public void CoefficientsAtLme4sParametersEqualTheBruteForceIntegral(string name)
    {
        var f = Load(name);
        var fit = Fit(f);
        var at = MarginalEffects.CoefficientsAt(fit, f.Theta, f.Beta);
        for (int j = 0; j < f.Marginal.Length; j++) Assert.Equal(f.Marginal[j], at[j], 1e-8);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void CoefficientsOfOurFitAgreeWithTheReferenceFitsToTheTolerance(string name)
    {
        var f = Load(name);
        var fit = Fit(f);
        var mc = MarginalEffects.Coefficients(fit);
        Assert.Equal(fit.FixedEffects.Select(b => b.Name), mc.Select(c => c.Name));
        // Our maximum is glmmTMB's (the exact Laplace); lme4's glmer Laplace can differ slightly (0.007 in logLik on logistic_slope).
        Assert.Equal(f.TmbLogLik, fit.LogLik, 1e-4);
        for (int j = 0; j < f.Marginal.Length; j++)
        {
            // Our (θ̂, β̂) agree with glmmTMB's to about 1e-5, so the marginal coefficients to 1e-4.
            Assert.Equal(f.TmbMarginal[j], mc[j].Estimate, 1e-4);
            // The delta-method SE from our Hessian and from lme4's (at lme4's slightly different estimates): within 2%.
            Assert.InRange(mc[j].StdError / f.MarginalStdErrors[j], 0.98, 1.02);
            // Population-averaged effects of a logistic GLMM are attenuated towards zero.
            Assert.True(Math.Abs(mc[j].Estimate) < Math.Abs(fit.Beta[j]));
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void MarginalPredictionsEqualTheBruteForceIntegral(string name)
    {
        var f = Load(name);
        var fit = Fit(f);
        var model = SavedModel.FromFit(fit) with { Beta = f.Beta, Theta = f.Theta };
        var nd = CsvTableReader.Read(Path.Combine(Fixtures, "marginal", f.NewData));
        var p = Prediction.Predict(model, nd, new PredictionOptions { Scale = PredictionScale.Marginal });
        Assert.Equal(PredictionScale.Marginal, p.Scale);
        Assert.Null(p.StdErrors);
        for (int i = 0; i < f.Predictions.Length; i++) Assert.Equal(f.Predictions[i], p.Values[i], 1e-8);
        // Marginal means lie between the population-level response prediction and 1/2 (the logit's attenuation).
        var pop = Prediction.Predict(model, nd, new PredictionOptions { Scale = PredictionScale.Response, IncludeRandom = false });
        for (int i = 0; i < f.Predictions.Length; i++)
            Assert.True(Math.Abs(p.Values[i] - 0.5) <= Math.Abs(pop.Values[i] - 0.5) + 1e-15);
    }

    [Fact]
    public void TheMeansOfTheFitAreTheQuadratureOfTheInverseLink()
    {
        var f = Load("logistic_slope");
        var fit = Fit(f);
        var means = MarginalEffects.Means(fit);
        // Row 0 by a different rule (a fine trapezoid in one dimension over z'b ~ N(0, v)).
        var model = fit.Model;
        double x = model.X[0, 1];
        double eta = fit.Beta[0] + fit.Beta[1] * x;
        var t = fit.Theta;
        double c0 = t[0] + t[1] * x, c1 = t[2] * x; // T'z with z = (1, x), T = [[t0, 0], [t1, t2]]
        double sd = Math.Sqrt(c0 * c0 + c1 * c1);
        double sum = 0, h = 0.01;
        for (double u = -10; u <= 10; u += h) sum += h * Math.Exp(-0.5 * u * u) / Math.Sqrt(2 * Math.PI) / (1 + Math.Exp(-(eta + sd * u)));
        Assert.Equal(sum, means[0], 1e-10);
    }

    [Fact]
    public void AnIdentityLinkHasTheConditionalCoefficients()
    {
        var data = CsvTableReader.Read(Path.Combine(Fixtures, "data", "sleepstudy.csv"));
        var fit = GlmmModel.Fit("Reaction ~ Days + (Days | Subject)", data, new GlmmOptions { Family = new Gaussian() });
        var mc = MarginalEffects.Coefficients(fit);
        for (int j = 0; j < mc.Count; j++)
        {
            Assert.Equal(fit.FixedEffects[j].Estimate, mc[j].Estimate);
            Assert.Equal(fit.FixedEffects[j].StdError, mc[j].StdError);
        }
    }

    [Fact]
    public void APoissonFitWithAnOffsetAttenuatesNothingButTheIntercept()
    {
        // Log link: E[exp(η + z'b)] = exp(η + v/2), so with a random intercept only the intercept moves, by σ²/2.
        var data = CsvTableReader.Read(Path.Combine(Fixtures, "data", "grouseticks.csv"));
        var fit = GlmmModel.Fit("TICKS ~ cHEIGHT + (1 | BROOD)", data, new GlmmOptions { Family = new Poisson() });
        var mc = MarginalEffects.Coefficients(fit);
        double v = fit.Theta[0] * fit.Theta[0];
        Assert.Equal(fit.Beta[0] + v / 2, mc[0].Estimate, 1e-9);
        Assert.Equal(fit.Beta[1], mc[1].Estimate, 1e-9);
        Assert.True(mc[0].StdError > 0 && mc[1].StdError > 0);
    }

    [Fact]
    public void FitMarginalWritesTheTableAndTheJson()
    {
        string data = Path.Combine(Fixtures, "data", "Contraception.csv");
        const string formula = "use ~ age + urban + (1 + urban | district)";
        var (code, json, err) = Run("fit", "--data", data, "--formula", formula, "--marginal", "--format", "json");
        Assert.Equal((0, ""), (code, err));
        using var doc = JsonDocument.Parse(json);
        var names = doc.RootElement.GetProperty("fixedEffects").EnumerateArray().Select(e => e.GetProperty("name").GetString()).ToArray();
        var mc = doc.RootElement.GetProperty("marginalCoefficients").EnumerateArray().ToArray();
        Assert.Equal(names, mc.Select(e => e.GetProperty("name").GetString()));
        var f = Load("contraception_slope");
        for (int j = 0; j < mc.Length; j++) Assert.Equal(f.TmbMarginal[j], mc[j].GetProperty("estimate").GetDouble(), 1e-4);
        var (code2, text, _) = Run("fit", "--data", data, "--formula", formula, "--marginal");
        Assert.Equal(0, code2);
        Assert.Contains("Marginal (population-averaged) coefficients:", text);
        Assert.Contains("urbanY", text.Split("Marginal (population-averaged)")[1]);
    }

    [Fact]
    public void PredictTypeMarginalFromASavedModel()
    {
        string data = Path.Combine(Fixtures, "data", "Contraception.csv");
        string model = Path.Combine(Path.GetTempPath(), $"glmm-marginal-{Guid.NewGuid():N}.json");
        try
        {
            Assert.Equal(0, Run("fit", "--data", data, "--formula", "use ~ age + urban + (1 + urban | district)", "--save", model).Code);
            var (code, csv, err) = Run("predict", "--model", model, "--data", Path.Combine(Fixtures, "marginal", "contraception_slope_newdata.csv"), "--type", "marginal");
            Assert.Equal((0, ""), (code, err));
            var lines = csv.TrimEnd('\n').Split('\n');
            Assert.Equal("row,prediction", lines[0]);
            var f = Load("contraception_slope");
            for (int i = 0; i < f.Predictions.Length; i++)
                Assert.Equal(f.Predictions[i], double.Parse(lines[i + 1].Split(',')[1], CultureInfo.InvariantCulture), 1e-4);
            var bad = Run("predict", "--model", model, "--data", data, "--type", "marginals");
            Assert.Equal(2, bad.Code);
        }
        finally
        {
            File.Delete(model);
        }
    }

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Glmm.Cli.CommandLine.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
