using Glmm.Formulas;

namespace Glmm.Tests.Formulas;

public class FormulaExpansionTests
{
    // Expected term labels and intercepts from R's terms() (R 4.2).
    [Theory]
    [InlineData("y ~ a*b", "a|b|a:b", true)]
    [InlineData("y ~ a:b", "a:b", true)]
    [InlineData("y ~ (a+b+c)^2", "a|b|c|a:b|a:c|b:c", true)]
    [InlineData("y ~ a*b*c - a:b:c", "a|b|c|a:b|a:c|b:c", true)]
    [InlineData("y ~ a + b - a", "b", true)]
    [InlineData("y ~ 1", "", true)]
    [InlineData("y ~ 0 + a", "a", false)]
    [InlineData("y ~ -1 + a", "a", false)]
    [InlineData("y ~ a + 0", "a", false)]
    [InlineData("y ~ a - 1", "a", false)]
    [InlineData("y ~ a/b", "a|a:b", true)]
    [InlineData("y ~ (a+b)/c", "a|b|a:b:c", true)]
    [InlineData("y ~ a/(b+c)", "a|a:b|a:c", true)]
    [InlineData("y ~ b:a + a", "a|b:a", true)]
    [InlineData("y ~ a %in% b", "a:b", true)]
    [InlineData("y ~ I(x^2) + log(x + 1)", "I(x^2)|log(x + 1)", true)]
    [InlineData("y ~ factor(p) + scale(x)", "factor(p)|scale(x)", true)]
    [InlineData("y ~ a*b - 1", "a|b|a:b", false)]
    [InlineData("y ~ (a + b)^3", "a|b|a:b", true)]
    [InlineData("y ~ a:b + a*b", "a|b|a:b", true)]
    [InlineData("y ~ I(w > 2)", "I(w > 2)", true)]
    [InlineData("y ~ `my var` + a", "`my var`|a", true)]
    [InlineData("y ~ a + offset(log(n))", "a", true)]
    [InlineData("y ~ a*(b + c)", "a|b|c|a:b|a:c", true)]
    [InlineData("y ~ (a*b)^2", "a|b|a:b", true)]
    [InlineData("y ~ x:a + a:x", "x:a", true)]
    [InlineData("y ~ +a", "a", true)]
    [InlineData("y ~ I(-x)", "I(-x)", true)]
    [InlineData("y~I((x+1)*2)+I(x/2)+I(x-  -1)", "I((x + 1) * 2)|I(x/2)|I(x - -1)", true)]
    [InlineData("y ~ exp(-x/10) + I(x>=1e5) + I(x != 0.50)", "exp(-x/10)|I(x >= 1e+05)|I(x != 0.5)", true)]
    [InlineData("y ~ I(u == \"Y\") + I(!(x > 1) & z < 2)", "I(u == \"Y\")|I(!(x > 1) & z < 2)", true)]
    [InlineData("y ~ a + (1 | g) + b", "a|b", true)]
    public void FixedTermsMatchR(string formula, string labels, bool intercept)
    {
        var f = Formula.Parse(formula);
        Assert.Equal(labels, string.Join("|", f.FixedTermLabels));
        Assert.Equal(intercept, f.HasIntercept);
    }

    // Expected random terms from lme4's findbars(expandDoubleVerts(f)) (lme4 1.1-31).
    [Theory]
    [InlineData("y ~ x + (1 | g)", "(1 | g)")]
    [InlineData("y ~ x + (x | g)", "(1 + x | g)")]
    [InlineData("y ~ (0 + x | g)", "(0 + x | g)")]
    [InlineData("y ~ (-1 + x | g)", "(0 + x | g)")]
    [InlineData("y ~ (1 + x || g)", "(1 | g)&(0 + x | g)")]
    [InlineData("y ~ (x + z || g)", "(1 | g)&(0 + x | g)&(0 + z | g)")]
    [InlineData("y ~ (1 + f || g)", "(1 | g)&(0 + f | g)")]
    [InlineData("y ~ (0 + x:z || g)", "(0 + x:z | g)")]
    [InlineData("y ~ (1 | a/b)", "(1 | b:a)&(1 | a)")]
    [InlineData("y ~ (1 | a/b/c)", "(1 | c:b:a)&(1 | b:a)&(1 | a)")]
    [InlineData("y ~ (1 | a:b)", "(1 | a:b)")]
    [InlineData("y ~ (1 | a) + (1 | b)", "(1 | a)&(1 | b)")]
    [InlineData("y ~ (x*z | g)", "(1 + x + z + x:z | g)")]
    [InlineData("y ~ (1 + x || a/b)", "(1 | b:a)&(1 | a)&(0 + x | b:a)&(0 + x | a)")]
    [InlineData("y ~ (1 | `my group`)", "(1 | `my group`)")]
    public void RandomTermsMatchLme4(string formula, string terms)
    {
        var f = Formula.Parse(formula);
        Assert.Equal(terms, string.Join("&", f.RandomTerms.Select(t => t.ToString())));
    }

    [Fact]
    public void ResponseAndOffsets()
    {
        var f = Formula.Parse("cbind(incidence, size-incidence) ~ period + offset(log(size)) + (1|herd)");
        Assert.Equal("cbind(incidence, size - incidence)", f.ResponseLabel);
        Assert.True(f.IsSuccessFailure);
        Assert.Equal(new[] { "offset(log(size))" }, f.OffsetLabels);
        Assert.Equal(new[] { "period" }, f.FixedTermLabels);
    }
}
