using Glmm.Families;
using Glmm.Fitting;
using Glmm.Model;

namespace Glmm.Tests.Families;

public class GlmIrlsTests
{
    private sealed record Problem(FixedEffects X, double[] Y, double[] Weights, double[]? Offset);

    private static FixedEffects Build(int n, string[] names, Func<int, int, double> value)
    {
        var v = new double[n * names.Length];
        for (int j = 0; j < names.Length; j++)
            for (int i = 0; i < n; i++) v[j * n + i] = value(i, j);
        return new FixedEffects(n, names, v);
    }

    private static Problem Cbpp()
    {
        var d = FixtureCsv.Read("data", "cbpp.csv");
        int n = d.Rows.Count;
        string[] period = d.Texts("period");
        double[] inc = d.Numbers("incidence"), size = d.Numbers("size");
        var x = Build(n, ["(Intercept)", "period2", "period3", "period4"],
            (i, j) => j == 0 ? 1 : period[i] == (j + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) ? 1 : 0);
        return new Problem(x, inc.Select((s, i) => s / size[i]).ToArray(), size, null);
    }

    private static Problem Contraception()
    {
        var d = FixtureCsv.Read("data", "Contraception.csv");
        int n = d.Rows.Count;
        double[] age = d.Numbers("age");
        string[] urban = d.Texts("urban"), livch = d.Texts("livch"), use = d.Texts("use");
        string[] levels = ["1", "2", "3+"];
        var x = Build(n, ["(Intercept)", "age", "I(age^2)", "urbanY", "livch1", "livch2", "livch3+"], (i, j) => j switch
        {
            0 => 1,
            1 => age[i],
            2 => age[i] * age[i],
            3 => urban[i] == "Y" ? 1 : 0,
            _ => livch[i] == levels[j - 4] ? 1 : 0,
        });
        return new Problem(x, use.Select(u => u == "Y" ? 1.0 : 0.0).ToArray(), Enumerable.Repeat(1.0, n).ToArray(), null);
    }

    private static Problem Grouse(bool withYearAndOffset)
    {
        var d = FixtureCsv.Read("data", "grouseticks.csv");
        int n = d.Rows.Count;
        double[] ticks = d.Numbers("TICKS"), height = d.Numbers("HEIGHT"), ch = d.Numbers("cHEIGHT");
        string[] year = d.Texts("YEAR");
        FixedEffects x = withYearAndOffset
            ? Build(n, ["(Intercept)", "YEAR96", "YEAR97", "cHEIGHT"], (i, j) => j switch
            {
                0 => 1,
                1 => year[i] == "96" ? 1 : 0,
                2 => year[i] == "97" ? 1 : 0,
                _ => ch[i],
            })
            : Build(n, ["(Intercept)", "cHEIGHT"], (i, j) => j == 0 ? 1 : ch[i]);
        double[]? offset = withYearAndOffset ? height.Select(h => Math.Log(h / 100)).ToArray() : null;
        return new Problem(x, ticks, Enumerable.Repeat(1.0, n).ToArray(), offset);
    }

    private static readonly double[] ToyY = [0, 0, 0, 1, 5, 10, 20, 2, 0, 1];
    private static readonly double[] ToyX = [1, 2, 3, 4, 5, 6, 7, 2, 1, 3];

    private static Problem Toy() =>
        new(new FixedEffects(10, ["(Intercept)", "x"], [.. Enumerable.Repeat(1.0, 10), .. ToyX]), ToyY,
            Enumerable.Repeat(1.0, 10).ToArray(), null);

    [Theory]
    [InlineData("cbpp_logit", "binomial", "logit")]
    [InlineData("cbpp_cauchit", "binomial", "cauchit")]
    [InlineData("contra_probit", "binomial", "probit")]
    [InlineData("contra_cloglog", "binomial", "cloglog")]
    [InlineData("grouse_poisson", "poisson", "log")]
    [InlineData("grouse_sqrt", "poisson", "sqrt")]
    public void FitMatchesRGlm(string model, string familyName, string linkName)
    {
        var problem = model switch
        {
            "cbpp_logit" or "cbpp_cauchit" => Cbpp(),
            "contra_probit" or "contra_cloglog" => Contraception(),
            "grouse_poisson" => Grouse(true),
            _ => Grouse(false),
        };
        var fit = GlmIrls.Fit(Family.Create(familyName, linkName), problem.X, problem.Y, problem.Weights, problem.Offset);
        AssertMatchesR(model, fit);
        Assert.True(fit.Converged);
        Assert.False(fit.Boundary);
        Assert.Empty(fit.Warnings);
        // No deviance increase happens on these fits, so R's plain glm.fit path is the same.
        var plain = GlmIrls.Fit(Family.Create(familyName, linkName), problem.X, problem.Y, problem.Weights, problem.Offset,
            new GlmIrlsOptions { StepHalvingOnIncrease = false });
        Assert.Equal(fit.Coefficients, plain.Coefficients);
    }

    [Theory]
    [InlineData("toy_identity", "identity", 1.0)]
    [InlineData("toy_sqrt", "sqrt", 0.5)]
    public void BoundaryFitsFollowRsStepHalving(string model, string linkName, double start)
    {
        var p = Toy();
        var fit = GlmIrls.Fit(new Poisson(Link.FromName(linkName)), p.X, p.Y, p.Weights, null,
            new GlmIrlsOptions { Start = [start, start], StepHalvingOnIncrease = false });
        AssertMatchesR(model, fit);
        Assert.True(fit.Converged);
        Assert.True(fit.Boundary);
        Assert.Contains("step size truncated: out of bounds", fit.Warnings);
    }

    [Fact]
    public void InvalidFirstStepWithoutStartIsAnInputError()
    {
        var p = Toy();
        var ex = Assert.Throws<GlmmInputException>(() => GlmIrls.Fit(new Poisson(IdentityLink.Instance), p.X, p.Y));
        Assert.Contains("starting values", ex.Message);
    }

    [Fact]
    public void StepHalvingOnDevianceIncreaseReachesTheMleWhereRsPlainIrlsFails()
    {
        double[] yb = [0, 0, 1, 0, 1, 1, 1, 0, 1, 1];
        var p = Toy() with { Y = yb };
        // From (−6, 2) the second IRLS step raises the deviance (67 → 145); glm.fit carries on and
        // stops at a point with fitted probabilities 0 and 1 (deviance 288.35). Halving finds the MLE.
        var fit = GlmIrls.Fit(new Binomial(), p.X, p.Y, p.Weights, null, new GlmIrlsOptions { Start = [-6, 2] });
        // SEs use W from the last-but-one iterate (as R's summary.glm), which depends on the path: 1e-4.
        AssertMatchesR("toy_logit", fit, checkIterations: false, seTolerance: 1e-4);
        Assert.True(fit.Converged);

        var plain = GlmIrls.Fit(new Binomial(), p.X, p.Y, p.Weights, null,
            new GlmIrlsOptions { Start = [-6, 2], StepHalvingOnIncrease = false });
        var summary = FixtureCsv.Read("glm", "glm_summary.csv");
        var s = summary.Rows.Single(r => summary.Text(r, "model") == "toy_logit_badstart");
        Close.Relative(summary.Number(s, "deviance"), plain.Deviance, 1e-8, "R's plain IRLS deviance");
        Assert.Equal((int)summary.Number(s, "iter"), plain.Iterations);
        Assert.Contains(plain.Warnings, w => w.Contains("fitted probabilities numerically 0 or 1"));
    }

    private static void AssertMatchesR(string model, GlmFitResult fit, bool checkIterations = true, double seTolerance = 1e-6)
    {
        var coef = FixtureCsv.Read("glm", "glm_coefficients.csv");
        var rows = coef.Rows.Where(r => coef.Text(r, "model") == model).ToArray();
        Assert.Equal(rows.Select(r => coef.Text(r, "term")), fit.Names);
        for (int j = 0; j < rows.Length; j++)
        {
            Close.Relative(coef.Number(rows[j], "estimate"), fit.Coefficients[j], 1e-7, $"{model} {fit.Names[j]} estimate");
            Close.Relative(coef.Number(rows[j], "se"), fit.StandardErrors[j], seTolerance, $"{model} {fit.Names[j]} SE");
        }

        var summary = FixtureCsv.Read("glm", "glm_summary.csv");
        var s = summary.Rows.Single(r => summary.Text(r, "model") == model);
        Close.Relative(summary.Number(s, "deviance"), fit.Deviance, 1e-8, model + " deviance");
        Close.Relative(summary.Number(s, "loglik"), fit.LogLikelihood, 1e-8, model + " logLik");
        Close.Relative(summary.Number(s, "aic"), fit.Aic, 1e-8, model + " AIC");
        if (checkIterations) Assert.Equal((int)summary.Number(s, "iter"), fit.Iterations);
        Assert.Equal(summary.Text(s, "boundary") == "TRUE", fit.Boundary);
    }

    [Fact]
    public void CovarianceIsSymmetricAndMatchesStandardErrors()
    {
        var p = Cbpp();
        var fit = GlmIrls.Fit(new Binomial(), p.X, p.Y, p.Weights, null);
        var cov = fit.UnscaledCovarianceMatrix();
        // The diagonal is R's summary(glm)$coefficients SE² (fixtures/glm/glm_coefficients.csv, model cbpp_logit).
        var coef = FixtureCsv.Read("glm", "glm_coefficients.csv");
        var rSe = coef.Rows.Where(r => coef.Text(r, "model") == "cbpp_logit").Select(r => coef.Number(r, "se")).ToArray();
        Assert.Equal(4, rSe.Length);
        for (int i = 0; i < 4; i++)
        {
            Close.Relative(rSe[i] * rSe[i], cov[i, i], 2e-6, $"var[{i}]");
            for (int j = 0; j < 4; j++) Assert.Equal(cov[i, j], cov[j, i]);
        }
        // For a saturated-by-group logit model the covariance of intercept and period2 is −var(intercept).
        Assert.Equal(-cov[0, 0], cov[0, 1], 12);
    }

    [Fact]
    public void RankDeficientXIsReported()
    {
        var x = new FixedEffects(4, ["(Intercept)", "a", "b"], [1, 1, 1, 1, 0, 1, 0, 1, 0, 2, 0, 2]);
        var ex = Assert.Throws<GlmmInputException>(() => GlmIrls.Fit(new Poisson(), x, [1, 2, 3, 4]));
        Assert.Contains("'b'", ex.Message);
    }

    [Fact]
    public void SeparatedDataWarnsAboutFittedProbabilities()
    {
        var x = new FixedEffects(6, ["(Intercept)", "x"], [1, 1, 1, 1, 1, 1, 1, 2, 3, 4, 5, 6]);
        var fit = GlmIrls.Fit(new Binomial(), x, [0, 0, 0, 1, 1, 1]);
        Assert.Contains(fit.Warnings, w => w.Contains("fitted probabilities numerically 0 or 1"));
        Assert.True(fit.Coefficients[1] > 10);
    }
}
