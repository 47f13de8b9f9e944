using Glmm.Formulas;

namespace Glmm.Tests.Formulas;

public class DeparseTests
{
    // Expected strings from R 4.2: deparse(quote(...)) and as.character(<double>).
    [Theory]
    [InlineData(2.0, "2")]
    [InlineData(0.5, "0.5")]
    [InlineData(100000.0, "1e+05")]
    [InlineData(123456.0, "123456")]
    [InlineData(0.0001, "1e-04")]
    [InlineData(0.001, "0.001")]
    [InlineData(-2.5, "-2.5")]
    [InlineData(1.0 / 3.0, "0.333333333333333")]
    [InlineData(123456789012.0, "123456789012")]
    [InlineData(1e15, "1e+15")]
    [InlineData(double.NegativeInfinity, "-Inf")]
    public void NumbersAsR(double value, string text) => Assert.Equal(text, RNumber.Format(value));

    [Theory]
    [InlineData("I(age^2)", "I(age^2)")]
    [InlineData("I( age ** 2 )", "I(age^2)")]
    [InlineData("log(x+1)", "log(x + 1)")]
    [InlineData("I(a/b*c-d)", "I(a/b * c - d)")]
    [InlineData("I(-x^2)", "I(-x^2)")]
    [InlineData("I(x^-1)", "I(x^-1)")]
    [InlineData("cbind(s,\n\tn-s)", "cbind(s, n - s)")]
    [InlineData("`a b`", "`a b`")]
    [InlineData("`ab`", "ab")]
    [InlineData("`2x`", "`2x`")]
    [InlineData("x.1_b", "x.1_b")]
    [InlineData("I(x>=2&!y)", "I(x >= 2 & !y)")]
    [InlineData("I(2L * x)", "I(2 * x)")]
    public void ExpressionsAsR(string source, string deparsed) =>
        Assert.Equal(deparsed, Parser.ParseExpression(source).Deparse());

    [Fact]
    public void ClosestNamesByEditDistance()
    {
        var cols = new[] { "district", "age", "urban", "livch", "use" };
        Assert.Equal(new[] { "district" }, ClosestNames.Find("distrcit", cols));
        Assert.Equal(new[] { "age" }, ClosestNames.Find("Age", cols));
        Assert.Equal(new[] { "age", "use" }, ClosestNames.Find("ase", cols));
        Assert.Empty(ClosestNames.Find("completely_different", cols));
    }
}
