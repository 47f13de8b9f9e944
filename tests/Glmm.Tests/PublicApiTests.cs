using Glmm.Families;
using Glmm.Inference;

namespace Glmm.Tests;

/// <summary>
/// The public surface as the README shows it (its library snippets, statement for statement), typed options, and a
/// result that cannot be changed through what it exposes.
/// </summary>
public class PublicApiTests
{
    private static string Example(string name)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Glmm.sln"))) dir = dir.Parent;
        return Path.Combine(dir?.FullName ?? throw new DirectoryNotFoundException("repository root"), "examples", name);
    }

    private static readonly Lazy<GlmmFit> Contraception = new(() => GlmmModel.Fit(
        "use ~ age + I(age^2) + urban + livch + (1 + urban | district)", CsvTableReader.Read(Example("contraception.csv")),
        new GlmmOptions { Family = new Binomial(Link.Logit), NAgq = 1 }));

    [Fact]
    public void ReadmeLibrarySnippetRuns()
    {
        // README, section Library, with `using Glmm;` (and Glmm.Families for the family) only.
        var data = CsvTableReader.Read(Example("contraception.csv"));
        var fit = GlmmModel.Fit("use ~ age + I(age^2) + urban + livch + (1 + urban | district)", data,
            new GlmmOptions { Family = new Binomial(Link.Logit), NAgq = 1 });
        string summary = fit.Summary();
        double logLik = fit.LogLik;
        var modes = fit.ConditionalModes;
        string json = fit.ToJson(includeRanef: true);
        Assert.StartsWith("Generalized linear mixed model fit by maximum likelihood (Laplace Approximation)", summary);
        // glmmTMB's −1180.30514 (the better of lme4 1.1-31 and glmmTMB; tests/Glmm.Tests/fixtures/reference/contraception.json).
        Assert.InRange(logLik, -1180.30514271751 - 1e-3, -1180.30514271751 + 1e-3);
        Assert.Equal(2 * 60, modes.Count);
        Assert.Contains("\"ranef\"", json);
        Assert.Contains("\"method\": \"Laplace\"", json);

        // README, section After the fit.
        var newData = CsvTableReader.Read(Example("contraception.csv"));
        var pred = Prediction.Predict(fit, newData, new PredictionOptions
        { Scale = PredictionScale.Response, IncludeRandom = false, AllowNewLevels = true });
        Assert.Equal(data.RowCount, pred.Values.Count);

        // README, section Inference (the comparison; intervals and the bootstrap are exercised in their own tests).
        var fit0 = GlmmModel.Fit("use ~ age + I(age^2) + urban + livch + (1 | district)", data);
        IReadOnlyList<AnovaRow> t = LikelihoodRatio.Compare(fit0, fit);
        Assert.Equal(2, t.Count);
        // lme4's anova: Chisq 12.1180 (tests/Glmm.Tests/fixtures/reference/contraception_anova.json).
        Assert.InRange(t[1].Chisq, 12.10, 12.13);
    }

    [Fact]
    public void FamiliesDeclareTheirLinksAsObjects()
    {
        Assert.Same(Link.Logit, new Binomial().CanonicalLink);
        Assert.Same(Link.Log, new Poisson().CanonicalLink);
        Assert.Equal(["logit", "probit", "cloglog", "cauchit", "log"], new Binomial().AllowedLinks.Select(l => l.Name));
        Assert.Equal(["log", "identity", "sqrt"], new Poisson().AllowedLinks.Select(l => l.Name));
        Assert.True(new Poisson(Link.Log).IsCanonical);
        Assert.False(new Poisson(Link.Sqrt).IsCanonical);
        var e = Assert.Throws<GlmmInputException>(() => new Poisson(Link.Logit));
        Assert.Equal("link 'logit' is not available for the poisson family; valid links are: log, identity, sqrt", e.Message);
        // Equal families make equal options (records compare them by kind and link).
        Assert.Equal(new GlmmOptions { Family = new Binomial(Link.Probit) }, new GlmmOptions { Family = Family.Create("binomial", "probit") });
        Assert.NotEqual(new GlmmOptions { Family = new Binomial(Link.Probit) }, new GlmmOptions { Family = new Binomial() });
    }

    [Theory]
    [InlineData("product", QuadratureGrid.Product)]
    [InlineData("Sparse", QuadratureGrid.Sparse)]
    public void GridNamesRoundTrip(string name, QuadratureGrid grid)
    {
        Assert.Equal(grid, FitNames.ParseGrid(name));
        Assert.Equal(name.ToLowerInvariant(), grid.Name());
    }

    [Fact]
    public void EnumNamesAreTheCommandLineSpellings()
    {
        Assert.Equal(["nAGQ=0", "Laplace", "AGQ", "REML", "ML"], Enum.GetValues<FitMethod>().Select(m => m.Name()));
        Assert.Equal(["laplace", "profile", "pql"], Enum.GetValues<RemlVariant>().Select(v => v.Name()));
        Assert.All(Enum.GetValues<RemlVariant>(), v => Assert.Equal(v, FitNames.ParseReml(v.Name())));
        Assert.All(Enum.GetValues<Information>(), v => Assert.Equal(v, FitNames.ParseInformation(v.Name())));
        var e = Assert.Throws<GlmmInputException>(() => FitNames.ParseGrid("hexagonal"));
        Assert.Equal("unknown grid 'hexagonal': use product, sparse", e.Message);
    }

    [Fact]
    public void TheResultCannotBeChangedThroughWhatItExposes()
    {
        var fit = Contraception.Value;
        Assert.False(fit.Beta is double[]);
        Assert.False(fit.Theta is double[]);
        Assert.Throws<NotSupportedException>(() => ((IList<double>)fit.Beta)[0] = 0);
        Assert.Throws<NotSupportedException>(() => ((IList<double>)fit.RandomEffects[0].StdDev)[0] = 0);
        Assert.Throws<NotSupportedException>(() => ((IList<double>)fit.RandomEffectModes[0])[0] = 0);
        Assert.Throws<NotSupportedException>(() => ((IList<string>)fit.Warnings).Add("x"));
        // Matrices are copies: changing what ToArray returns leaves the fit alone.
        var cov = fit.FixedEffectsCovariance.ToArray();
        double before = fit.FixedEffectsCovariance[0, 0];
        cov[0, 0] = 42;
        Assert.Equal(before, fit.FixedEffectsCovariance[0, 0]);
        Assert.Equal(1.0, fit.RandomEffects[0].Correlation[0, 0]);
        Assert.Equal(fit.RandomEffects[0].Correlation[1, 0], fit.RandomEffects[0].Correlation[0, 1]);
        // A list handed to the result is copied, so the caller cannot change it afterwards.
        var beta = fit.Beta.ToArray();
        var copy = new GlmmFit
        {
            Method = fit.Method, Family = fit.Family, Formula = fit.Formula, Nobs = fit.Nobs, LogLik = fit.LogLik,
            ParameterCount = fit.ParameterCount, FixedEffects = fit.FixedEffects, FixedEffectsCovariance = fit.FixedEffectsCovariance,
            RandomEffects = fit.RandomEffects, Theta = fit.Theta, ConditionalModes = fit.ConditionalModes,
            ScaledResidualQuantiles = fit.ScaledResidualQuantiles, Converged = fit.Converged, Singular = fit.Singular,
            Warnings = fit.Warnings, Evaluations = fit.Evaluations, Beta = beta, LinearPredictor = fit.LinearPredictor,
            Fitted = fit.Fitted, Options = fit.Options, RandomEffectModes = fit.RandomEffectModes,
        };
        beta[0] = 42;
        Assert.Equal(fit.Beta[0], copy.Beta[0]);
    }

    [Fact]
    public void ToleranceGovernsTheGradientStageToo()
    {
        // GlmmOptions.Tolerance is the accuracy asked of the estimates in the final stage, the gradient stage included:
        // a loose tolerance stops L-BFGS-B earlier, with a deviance no better than the default's.
        var data = CsvTableReader.Read(Example("contraception.csv"));
        const string formula = "use ~ age + I(age^2) + urban + livch + (1 + urban | district)";
        var tight = Contraception.Value;
        var loose = GlmmModel.Fit(formula, data, new GlmmOptions { Tolerance = 1e-1 });
        Assert.True(loose.Evaluations < tight.Evaluations, $"{loose.Evaluations} vs {tight.Evaluations} evaluations");
        Assert.True(loose.LogLik <= tight.LogLik + 1e-9);
        Assert.True(loose.LogLik >= tight.LogLik - 1e-2, $"{loose.LogLik} vs {tight.LogLik}");
    }
}
