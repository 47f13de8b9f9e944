using Glmm.Data;
using Glmm.Formulas;
using Glmm.Model;

namespace Glmm.Tests.Formulas;

public class FormulaRobustnessTests
{
    private static readonly string[] Pieces =
    {
        "y", "x", "g", "f", " ", "~", "+", "-", "*", "/", ":", "^", "|", "||", "(", ")", "0", "1", "2", ",",
        "I(", "log(", "factor(", "scale(", "offset(", "cbind(", ">", "==", "`x`", "%in%", "\"a\"", "!", "&", ".5", "1e",
    };

    [Fact]
    public void RandomTokenSequencesEitherParseOrGiveAnInputError()
    {
        var data = new DataTable(new Column[]
        {
            new NumericColumn("y", new[] { 0.0, 1, 0, 1, 1, 0 }),
            new NumericColumn("x", new[] { 1.0, 2, 3, 4, 5, 6 }),
            CategoricalColumn.FromStrings("g", new[] { "a", "b", "c", "a", "b", "c" }),
            CategoricalColumn.FromStrings("f", new[] { "u", "v", "u", "v", "u", "v" }),
        });
        var rng = new Random(12345);
        int parsed = 0, built = 0;
        for (int k = 0; k < 5000; k++)
        {
            int len = rng.Next(1, 14);
            var text = "y ~ " + string.Concat(Enumerable.Range(0, len).Select(_ => Pieces[rng.Next(Pieces.Length)])) + (k % 2 == 0 ? " + (1 | g)" : "");
            try
            {
                Formula.Parse(text);
                parsed++;
                ModelBuilder.Build(text, data);
                built++;
            }
            catch (GlmmInputException e)
            {
                Assert.DoesNotContain('\n', e.Message);
            }
        }
        // The generator is deterministic, so these counts are too; they show both paths are exercised.
        Assert.True(parsed > 100, $"parsed {parsed}");
        Assert.True(built > 10, $"built {built}");
    }
}
