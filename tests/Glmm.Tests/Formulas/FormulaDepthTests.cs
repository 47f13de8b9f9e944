using Glmm.Data;
using Glmm.Model;

namespace Glmm.Tests.Formulas;

/// <summary>Deep and long formulas (issue 13): one clean line at the parser's limits, never a stack overflow.</summary>
public class FormulaDepthTests
{
    private static readonly DataTable Data = new(new Column[]
    {
        new NumericColumn("y", new[] { 0.0, 1, 0, 1, 1, 0 }),
        new NumericColumn("x", new[] { 1.0, 2, 3, 4, 5, 6 }),
        CategoricalColumn.FromStrings("g", new[] { "a", "b", "c", "a", "b", "c" }),
    });

    private static string Repeat(string s, int n) => string.Concat(Enumerable.Repeat(s, n));

    /// <summary>Runs on a thread with a 1 MB stack (smaller than the main thread's), so the limits are checked where they bind.</summary>
    private static Exception? OnSmallStack(Action action)
    {
        Exception? caught = null;
        var t = new Thread(() =>
        {
            try { action(); }
            catch (Exception e) { caught = e; }
        }, maxStackSize: 1 << 20);
        t.Start();
        t.Join();
        return caught;
    }

    [Theory]
    [InlineData(5100, "(", ")", 205, "formula, column 205: the formula nests more than 200 levels of parentheses, function calls or unary operators")]
    [InlineData(5000, "I(", ")", 405, "formula, column 405: the formula nests more than 200 levels of parentheses, function calls or unary operators")]
    [InlineData(20000, "-", "", 205, "formula, column 205: the formula nests more than 200 levels of parentheses, function calls or unary operators")]
    public void DeepNestingGivesOneLine(int depth, string open, string close, int column, string message)
    {
        Assert.Contains($"column {column}:", message);
        string formula = "y ~ " + Repeat(open, depth) + "x" + Repeat(close, depth) + " + (1 | g)";
        var e = OnSmallStack(() => ModelBuilder.Build(formula, Data));
        var input = Assert.IsType<GlmmInputException>(e);
        Assert.Equal(message, input.Message);
    }

    [Fact]
    public void NestingUpToTheLimitParsesAndFits()
    {
        string formula = "y ~ " + Repeat("(", 199) + "x" + Repeat(")", 199) + " + (1 | g)";
        Assert.Null(OnSmallStack(() => ModelBuilder.Build(formula, Data)));
        string calls = "y ~ " + Repeat("I(", 199) + "x" + Repeat(")", 199) + " + (1 | g)";
        Assert.Null(OnSmallStack(() => ModelBuilder.Build(calls, Data)));
    }

    [Fact]
    public void SumsOfUpToTwoThousandTermsAreExpandedAndEvaluated()
    {
        // 1,999 summed terms, the same term repeated (R keeps one), and a 1,999-term sum inside I(): every walk over
        // the tree (expansion, evaluation, deparsing) stays within a 1 MB stack.
        string terms = "y ~ " + string.Join(" + ", Enumerable.Repeat("x", 1999)) + " + (1 | g)";
        Assert.Null(OnSmallStack(() => ModelBuilder.Build(terms, Data)));
        string inside = "y ~ I(" + string.Join(" + ", Enumerable.Repeat("x", 1999)) + ") + (1 | g)";
        Assert.Null(OnSmallStack(() =>
        {
            var m = ModelBuilder.Build(inside, Data);
            Assert.Equal(1999.0 * 6, m.X[5, 1]);
        }));
    }

    [Fact]
    public void SixThousandSevenHundredSummedTermsGiveOneLine()
    {
        string formula = "y ~ " + string.Join(" + ", Enumerable.Range(1, 6700).Select(i => "x")) + " + (1 | g)";
        var e = OnSmallStack(() => ModelBuilder.Build(formula, Data));
        var input = Assert.IsType<GlmmInputException>(e);
        Assert.Equal("formula, column 8007: the formula is more than 2000 operators deep (a sum of more than 2000 terms?); split it or use fewer terms", input.Message);
    }
}
