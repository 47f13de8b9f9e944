using Glmm.Families;

namespace Glmm.Tests.Families;

public class FamilyTests
{
    [Theory]
    [InlineData("binomial")]
    [InlineData("poisson")]
    public void PerRowQuantitiesMatchR(string name)
    {
        var csv = FixtureCsv.Read("glm", $"family_{name}.csv");
        var family = Family.Create(name, null);
        foreach (var row in csv.Rows)
        {
            double y = csv.Number(row, "y"), mu = csv.Number(row, "mu"), wt = csv.Number(row, "wt");
            string what = $"{name} y={y:R} mu={mu:R} wt={wt:R}";
            Close.Relative(csv.Number(row, "devres"), family.DevianceResidual(y, mu, wt), 1e-12, what + " dev.resids");
            Close.Relative(csv.Number(row, "loglik"), family.LogLikelihood(y, mu, wt), 1e-12, what + " loglik");
            Close.Relative(csv.Number(row, "variance"), family.Variance(mu), 1e-15, what + " variance");
            Close.Relative(csv.Number(row, "mustart"), family.StartingMu(y, wt), 1e-15, what + " mustart");
        }
        double[] ys = csv.Numbers("y"), mus = csv.Numbers("mu"), wts = csv.Numbers("wt");
        Close.Relative(csv.Numbers("devres").Sum(), family.Deviance(ys, mus, wts), 1e-12, "deviance");
        Close.Relative(csv.Numbers("loglik").Sum(), family.LogLikelihood(ys, mus, wts), 1e-12, "total loglik");
    }

    [Fact]
    public void BinomialLogLikelihoodByHand()
    {
        var b = new Binomial();
        // dbinom(3, 10, 0.2) = choose(10, 3)·0.2³·0.8⁷ = 120·0.008·0.2097152
        Assert.Equal(Math.Log(120 * 0.008 * 0.2097152), b.LogLikelihood(0.3, 0.2, 10), 14);
        // 0/1 rows: log μ and log(1 − μ)
        Assert.Equal(Math.Log(0.7), b.LogLikelihood(1, 0.7, 1), 15);
        Assert.Equal(Math.Log(0.3), b.LogLikelihood(0, 0.7, 1), 15);
        // deviance residual by hand: 2·10·(0.3·log(0.3/0.2) + 0.7·log(0.7/0.8))
        Assert.Equal(20 * (0.3 * Math.Log(1.5) + 0.7 * Math.Log(0.875)), b.DevianceResidual(0.3, 0.2, 10), 13);
    }

    [Fact]
    public void PoissonLogLikelihoodByHand()
    {
        var p = new Poisson();
        // dpois(4, 2.5) = e^−2.5·2.5⁴/4!
        Assert.Equal(-2.5 + 4 * Math.Log(2.5) - Math.Log(24), p.LogLikelihood(4, 2.5, 1), 14);
        Assert.Equal(2 * (-2.5 + 4 * Math.Log(2.5) - Math.Log(24)), p.LogLikelihood(4, 2.5, 2), 13);
        Assert.Equal(-2.5, p.LogLikelihood(0, 2.5, 1), 15);
        Assert.Equal(2 * 2.5, p.DevianceResidual(0, 2.5, 1), 15);
        Assert.Equal(double.NegativeInfinity, p.LogLikelihood(2.5, 2.5, 1));
    }

    [Fact]
    public void SaddlePointDensityIsAccurateForLargeCounts()
    {
        // log dbinom(400000, 1e6, 0.4) by the normal approximation's leading term: −½ log(2π n p q).
        double exact = SaddlePointDensity.LogDbinom(400000, 1e6, 0.4);
        Assert.Equal(-0.5 * Math.Log(2 * Math.PI * 1e6 * 0.4 * 0.6), exact, 5);
        // Stirling error at integers against log-gamma
        foreach (double n in new[] { 1.0, 7, 15, 16, 40, 100, 1000 })
        {
            double viaGamma = MathNet.Numerics.SpecialFunctions.GammaLn(n + 1) - (n + 0.5) * Math.Log(n) + n - 0.5 * Math.Log(2 * Math.PI);
            Assert.Equal(viaGamma, SaddlePointDensity.StirlingError(n), 12);
        }
    }

    [Fact]
    public void BinomialWholeDataRuleMatchesR()
    {
        var csv = FixtureCsv.Read("glm", "binomial_whole_data.csv");
        var b = new Binomial();
        foreach (var set in csv.Texts("set").Distinct())
        {
            var rows = csv.Rows.Where(r => csv.Text(r, "set") == set).ToArray();
            double[] Col(string c) => rows.Select(r => csv.Number(r, c)).ToArray();
            double expected = csv.Number(rows[0], "total_loglik");
            Close.Relative(expected, b.LogLikelihood(Col("y"), Col("mu"), Col("wt"), Col("n")), 1e-12, set);
            if (set == "zero_one_weighted")
                Close.Relative(expected, b.LogLikelihood(Col("y"), Col("mu"), Col("wt")), 1e-12, set + " (m = wt)");
        }
    }

    [Fact]
    public void CreateChecksNamesAndLinks()
    {
        Assert.Equal("logit", Family.Create("binomial", null).Link.Name);
        Assert.Equal("log", Family.Create("Poisson", "").Link.Name);
        Assert.Equal("cloglog", Family.Create("binomial", "cloglog").Link.Name);
        Assert.Equal("identity", Family.Create("gaussian", null).Link.Name);
        var e1 = Assert.Throws<GlmmInputException>(() => Family.Create("student", null));
        Assert.Contains("binomial, poisson, Gamma, nbinom2, nbinom1, gaussian", e1.Message);
        var e4 = Assert.Throws<GlmmInputException>(() => Family.Create("gaussian", "logit"));
        Assert.Contains("identity, log", e4.Message);
        var e2 = Assert.Throws<GlmmInputException>(() => Family.Create("poisson", "logit"));
        Assert.Contains("log, identity, sqrt", e2.Message);
        var e3 = Assert.Throws<GlmmInputException>(() => Family.Create("binomial", "sqrt"));
        Assert.Contains("logit, probit, cloglog, cauchit, log", e3.Message);
    }

    [Fact]
    public void ValidateResponseNamesTheRow()
    {
        var b = new Binomial();
        var e = Assert.Throws<GlmmInputException>(() => b.ValidateResponse([0, 1, 1.5], [1, 1, 1]));
        Assert.Contains("row 3", e.Message);
        e = Assert.Throws<GlmmInputException>(() => b.ValidateResponse([0, 1], [1, -2]));
        Assert.Contains("row 2", e.Message);
        e = Assert.Throws<GlmmInputException>(() => b.ValidateResponse([double.NaN, 1], [1, 1]));
        Assert.Contains("row 1", e.Message);
        b.ValidateResponse([0, 0.5, 1], [1, 2, 3]);
        b.ValidateResponse([0, 1.5], [1, 0]); // a zero-weight row is not checked, as R zeroes its y
        Assert.Equal(0.0, b.DevianceResidual(1.5, 0.3, 0));
        Assert.Equal(0.0, b.LogLikelihood(1.5, 0.3, 0));
        Assert.Single(b.ResponseWarnings([0.5, 0.5], [2, 3]));
        Assert.Empty(b.ResponseWarnings([0.5, 1], [2, 3]));

        var p = new Poisson();
        e = Assert.Throws<GlmmInputException>(() => p.ValidateResponse([0, 2, -1], [1, 1, 1]));
        Assert.Contains("row 3", e.Message);
        p.ValidateResponse([0, 2.5], [1, 1]);
        Assert.Contains("row 2", Assert.Single(p.ResponseWarnings([0, 2.5], [1, 1])));
    }

    [Fact]
    public void WorkingWeightsAndUpdateMu()
    {
        var f = Family.Create("binomial", "probit");
        double[] eta = [-1, 0, 2];
        var mu = new double[3];
        var muEta = new double[3];
        f.UpdateMu(eta, mu, muEta);
        var w = new double[3];
        f.WorkingWeights(mu, muEta, [2, 0, 5], w);
        // R: binomial("probit")$linkinv and $mu.eta at η, and glm.fit's weights wt·mu.eta²/variance(μ).
        double[] rMu = [0.15865525393145705, 0.5, 0.97724986805182079];
        double[] rMuEta = [0.24197072451914337, 0.3989422804014327, 0.053990966513188063];
        double[] rW = [0.87725772220442799, 0, 0.65557542932521173];
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(f.Link.Inverse(eta[i]), mu[i]);
            Close.Relative(rMu[i], mu[i], 1e-15, $"mu at {eta[i]}");
            Close.Relative(rMuEta[i], muEta[i], 1e-15, $"mu.eta at {eta[i]}");
            Close.Relative(rW[i], w[i], 1e-14, $"working weight at {eta[i]}");
        }
        Assert.Equal(0.5, mu[1]);
        Assert.Equal(1 / Math.Sqrt(2 * Math.PI), muEta[1], 15);
    }
}
