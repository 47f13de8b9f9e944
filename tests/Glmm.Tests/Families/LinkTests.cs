using Glmm.Families;

namespace Glmm.Tests.Families;

public class LinkTests
{
    [Fact]
    public void InverseAndMuEtaMatchR()
    {
        var csv = FixtureCsv.Read("glm", "link_inverse.csv");
        Assert.True(csv.Rows.Count > 7 * 300);
        foreach (var row in csv.Rows)
        {
            var link = Link.FromName(csv.Text(row, "link"));
            double eta = csv.Number(row, "eta");
            string what = $"{link.Name} at eta={eta:R}";
            Close.Relative(csv.Number(row, "linkinv"), link.Inverse(eta), 1e-12, what + " linkinv");
            Close.Relative(csv.Number(row, "mu_eta"), link.MuEta(eta), 1e-12, what + " mu.eta");
        }
    }

    [Fact]
    public void BulkInverseEqualsPerRow()
    {
        var csv = FixtureCsv.Read("glm", "link_inverse.csv");
        foreach (string name in Link.Names)
        {
            var link = Link.FromName(name);
            double[] eta = csv.Rows.Where(r => csv.Text(r, "link") == name).Select(r => csv.Number(r, "eta")).ToArray();
            var mu = new double[eta.Length];
            var muEta = new double[eta.Length];
            link.InverseAndMuEta(eta, mu, muEta);
            for (int i = 0; i < eta.Length; i++)
            {
                Assert.Equal(link.Inverse(eta[i]), mu[i]);
                Assert.Equal(link.MuEta(eta[i]), muEta[i]);
            }
        }
    }

    [Fact]
    public void ApplyMatchesR()
    {
        var csv = FixtureCsv.Read("glm", "link_apply.csv");
        foreach (var row in csv.Rows)
        {
            var link = Link.FromName(csv.Text(row, "link"));
            double mu = csv.Number(row, "mu");
            Close.Relative(csv.Number(row, "linkfun"), link.Apply(mu), 1e-12, $"{link.Name} linkfun at mu={mu:R}");
        }
    }

    [Theory]
    [InlineData("logit", 0.3)]
    [InlineData("probit", 0.3)]
    [InlineData("cauchit", 0.3)]
    [InlineData("cloglog", 0.3)]
    [InlineData("log", 2.5)]
    [InlineData("sqrt", 2.5)]
    [InlineData("identity", 2.5)]
    public void InverseUndoesApplyAndMuEtaIsTheDerivative(string name, double mu)
    {
        var link = Link.FromName(name);
        double eta = link.Apply(mu);
        Assert.Equal(mu, link.Inverse(eta), 14);
        double h = 1e-6;
        double numeric = (link.Inverse(eta + h) - link.Inverse(eta - h)) / (2 * h);
        Assert.Equal(numeric, link.MuEta(eta), 8);
    }

    [Fact]
    public void LogitClampsBeyondThirty()
    {
        var logit = Link.FromName("logit");
        Assert.Equal(Link.DoubleEpsilon / (1 + Link.DoubleEpsilon), logit.Inverse(-31));
        Assert.True(logit.Inverse(31) < 1.0);
        Assert.Equal(Link.DoubleEpsilon, logit.MuEta(30.5));
    }

    [Fact]
    public void FromNameRejectsUnknownLinkListingValidOnes()
    {
        var ex = Assert.Throws<GlmmInputException>(() => Link.FromName("logitt"));
        Assert.Contains("'logitt'", ex.Message);
        Assert.Contains("probit", ex.Message);
        Assert.Contains("cloglog", ex.Message);
        Assert.Same(Link.FromName("logit"), Link.FromName("Logit"));
    }

    [Fact]
    public void SqrtLinkRejectsNonPositiveEta()
    {
        var sqrt = Link.FromName("sqrt");
        Assert.False(sqrt.IsValidEta(0));
        Assert.False(sqrt.IsValidEta(-1));
        Assert.True(sqrt.IsValidEta(0.1));
        Assert.True(Link.FromName("log").IsValidEta(-1));
    }
}
