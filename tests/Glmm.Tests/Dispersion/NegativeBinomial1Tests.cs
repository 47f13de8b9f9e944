using System.Text.Json;
using Glmm.Families;
using Glmm.Tests.Hostile;

namespace Glmm.Tests.Dispersion;

/// <summary>
/// The nbinom1 family (glmmTMB's: size = μ/φ, Var y = μ(1 + φ)): per-row log-likelihood against dnbinom and its
/// polygamma functions against R (fixtures/reference/dispersion/dispersion_nbinom1_values.json, tools/dispersion_fixtures.R);
/// its score and observed weight against differences of the log-likelihood; bad input refused in one line.
/// </summary>
public class NegativeBinomial1Tests
{
    private static readonly JsonElement Values = JsonDocument.Parse(File.ReadAllText(Path.Combine(
        AppContext.BaseDirectory, "fixtures", "reference", "dispersion", "dispersion_nbinom1_values.json"))).RootElement;

    private static double[] Array(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    [Fact]
    public void LogLikelihoodEqualsDnbinomWithSizeMuOverPhi()
    {
        var g = Values.GetProperty("nbinom1");
        double mu = g.GetProperty("mu").GetDouble(), phi = g.GetProperty("phi").GetDouble();
        var y = Array(g.GetProperty("y"));
        var ll = Array(g.GetProperty("logLik"));
        var f = new NegativeBinomial1 { Dispersion = phi };
        for (int i = 0; i < y.Length; i++)
            Assert.Equal(ll[i], f.LogLikelihood(y[i], mu, 1.0), Math.Abs(ll[i]) * 1e-12);
        Assert.Equal(phi, f.SigmaOf(phi));
        Assert.Equal(mu * (1 + phi), f.Variance(mu), 1e-14);
        Assert.Equal("Dispersion parameter for nbinom1 family ()", f.DispersionLabel);
    }

    [Fact]
    public void PolygammaFunctionsMatchR()
    {
        foreach (var (name, fn) in new (string, Func<double, double>)[] { ("trigamma", NegativeBinomial1.Trigamma), ("tetragamma", NegativeBinomial1.Tetragamma) })
        {
            var x = Array(Values.GetProperty(name).GetProperty("x"));
            var v = Array(Values.GetProperty(name).GetProperty("value"));
            for (int i = 0; i < x.Length; i++) Assert.Equal(v[i], fn(x[i]), Math.Abs(v[i]) * 1e-13);
        }
    }

    /// <summary>The deviance is −2ℓ up to terms free of μ; score, observed weight and their derivatives against differences.</summary>
    [Theory]
    [InlineData("log", 0.0, 1.3, 0.7)]
    [InlineData("log", 5.0, 0.4, 2.5)]
    [InlineData("log", 90.0, 3.9, 0.05)]
    [InlineData("sqrt", 7.0, 2.1, 1.1)]
    [InlineData("identity", 12.0, 6.5, 3.0)]
    public void RowDerivativesAgreeWithDifferences(string link, double y, double eta, double phi)
    {
        var f = new NegativeBinomial1(Link.FromName(link)) { Dispersion = phi };
        const double wt = 1.5;
        double L(double e, double p)
        {
            f.Dispersion = p;
            return f.LogLikelihood(y, f.Link.Inverse(e), wt);
        }
        double S(double e, double p)
        {
            f.Dispersion = p;
            f.IrlsRow(y, wt, e, out _, out _, out double s, out _);
            return s;
        }
        double W(double e, double p)
        {
            f.Dispersion = p;
            return f.ObservedWeight(y, wt, e);
        }
        const double h = 1e-5;
        double lp = Math.Log(phi);
        double D(Func<double, double, double> g, bool inEta) => inEta
            ? (g(eta + h, phi) - g(eta - h, phi)) / (2 * h)
            : (g(eta, Math.Exp(lp + h)) - g(eta, Math.Exp(lp - h))) / (2 * h);
        void Near(double expected, double actual, string what) =>
            Assert.True(Math.Abs(expected - actual) <= 1e-6 * (1 + Math.Abs(expected)), $"{what}: {actual:R} vs {expected:R}");
        Near(D(L, true), S(eta, phi), "score");
        Near(-D(S, true), W(eta, phi), "observed weight");
        f.Dispersion = phi;
        f.ObservedRowDerivatives(y, wt, eta, out double weightEta, out double dl, out double ds, out double dw);
        Near(D(W, true), weightEta, "dw/deta");
        Near(D(L, false), dl, "dl/dlogphi");
        Near(D(S, false), ds, "ds/dlogphi");
        Near(D(W, false), dw, "dw/dlogphi");
        // The deviance differs from −2ℓ by a term free of μ.
        f.Dispersion = phi;
        double mu1 = f.Link.Inverse(eta), mu2 = f.Link.Inverse(eta + 0.3);
        Near(-2 * (f.LogLikelihood(y, mu1, wt) - f.LogLikelihood(y, mu2, wt)), f.DevianceResidual(y, mu1, wt) - f.DevianceResidual(y, mu2, wt), "deviance");
    }

    [Fact]
    public void BadCountsAreRefusedInOneLine()
    {
        using var cli = new CliRunner();
        string Rows(Func<int, string> y) => "y,x,g\n" + string.Join("\n", Enumerable.Range(0, 30).Select(i => $"{y(i)},{i % 5},g{i % 3}")) + "\n";
        cli.File("neg.csv", Rows(i => i == 4 ? "-2" : (i % 6).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        cli.File("frac.csv", Rows(i => i == 7 ? "1.5" : (i % 6).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        string m = CliRunner.Refused("fit", "-d", cli.PathOf("neg.csv"), "-f", "y ~ x + (1 | g)", "--family", "nbinom1");
        Assert.Contains("row 5", m);
        Assert.Contains("negative count", m);
        m = CliRunner.Refused("fit", "-d", cli.PathOf("frac.csv"), "-f", "y ~ x + (1 | g)", "--family", "nbinom1");
        Assert.Contains("row 8", m);
        Assert.Contains("non-integer count", m);
        m = CliRunner.Refused("fit", "-d", cli.PathOf("frac.csv"), "-f", "y ~ x + (1 | g)", "--family", "nbinom1", "--link", "logit");
        Assert.Contains("logit", m);
        cli.File("ok.csv", Rows(i => (i % 6).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        m = CliRunner.Refused("fit", "-d", cli.PathOf("ok.csv"), "-f", "y ~ x + (1 | g)", "--family", "nbinom1", "--information", "expected");
        Assert.Contains("expected", m);
    }
}
