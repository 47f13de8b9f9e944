using Glmm.Formulas;

namespace Glmm.Tests.Formulas;

public class FormulaErrorTests
{
    [Theory]
    [InlineData("y ~ x + (1 | g", "formula, column 15: expected ')' to close '(' at column 9 but the formula ended")]
    [InlineData("y ~ log(x + (1 | g)", "formula, column 20: expected ')' to close '(' at column 8 but the formula ended")]
    [InlineData("y ~ x +", "formula, column 8: expected a variable, number or '(' but the formula ended")]
    [InlineData("y ~ x + * z", "formula, column 9: expected a variable, number or '(' but found '*'")]
    [InlineData("y ~ foo(x) + (1|g)", "formula, column 5: unknown function 'foo' (known functions: I, log, log2, log10, exp, sqrt, abs, factor, scale, offset, cbind)")]
    [InlineData("y x + (1|g)", "formula, column 3: expected '~' or an operator but found 'x'")]
    [InlineData("y + x", "formula, column 6: expected '~' between the response and the model terms")]
    [InlineData("~ x + (1|g)", "formula, column 1: expected a response before '~'")]
    [InlineData("y ~ x ~ z", "formula, column 7: a formula has only one '~'")]
    [InlineData("y ~ x + (1|g))", "formula, column 14: unmatched ')'")]
    [InlineData("y ~ log(x, 2) + (1|g)", "formula, column 5: log() takes 1 argument but was given 2")]
    [InlineData("y ~ x + 2 + (1|g)", "formula, column 9: unexpected number 2 among the model terms (only 0 or 1 may stand alone)")]
    [InlineData("y ~ (a+b)^x + (1|g)", "formula, column 11: expected a positive whole number after '^'")]
    [InlineData("y ~ `my var + (1|g)", "formula, column 5: unterminated backquoted name (expected a closing '`')")]
    [InlineData("y ~ x # z", "formula, column 7: unexpected character '#'")]
    [InlineData("y ~ x + (1 | 2)", "formula, column 14: expected a grouping variable after '|' but found '2'")]
    [InlineData("y ~ x %o% z", "formula, column 7: unsupported operator '%o%' (only %in% is allowed)")]
    [InlineData("y ~ x + (0 | g)", "formula, column 10: the random-effects term ending at '|' has no columns (add 1 or a variable)")]
    [InlineData("cbind(s) ~ x + (1|g)", "formula, column 1: cbind() takes 2 arguments but was given 1")]
    [InlineData("y ~ x + .", "formula, column 9: '.' (all other columns) is not supported; name the variables")]
    [InlineData("y ~ x + cbind(a, b)", "formula, column 9: cbind() may only be used as the response (left of '~')")]
    [InlineData("y ~ x > 1 > 2", "formula, column 11: unexpected '>': comparisons cannot be chained (use parentheses)")]
    [InlineData("y ~ (1 | (g | h))", "formula, column 13: expected a grouping variable after '|' but found 'g | h'")]
    [InlineData("y ~ x + ()", "formula, column 10: expected an expression inside '()'")]
    [InlineData("   ", "formula is empty")]
    [InlineData("y ~ ", "formula, column 5: expected model terms after '~'")]
    [InlineData("y ~ a:(1|g)", "formula, column 9: a random-effects term cannot be part of an interaction; add it with '+'")]
    public void MalformedFormulasGiveThePositionAndWhatWasExpected(string formula, string message)
    {
        var ex = Assert.Throws<GlmmInputException>(() => Formula.Parse(formula));
        Assert.Equal(message, ex.Message);
    }
}
