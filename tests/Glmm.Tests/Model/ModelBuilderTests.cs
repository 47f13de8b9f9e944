using Glmm.Data;
using Glmm.Model;

namespace Glmm.Tests.Model;

public class ModelBuilderTests
{
    private static DataTable Table(int n = 8, bool withMissing = false)
    {
        var age = new double[] { 20, 25, 30, 35, 40, 45, 50, 55 }[..n];
        var ageMissing = withMissing ? new[] { false, true, false, true, false, false, true, false }[..n] : null;
        var urban = new string?[] { "N", "Y", "Y", "N", withMissing ? null : "Y", "N", "Y", "N" }[..n];
        return new DataTable(new Column[]
        {
            new NumericColumn("age", age, ageMissing),
            CategoricalColumn.FromStrings("urban", urban),
            new LogicalColumn("use", new[] { true, false, true, true, false, false, true, false }[..n]),
            CategoricalColumn.FromStrings("resp", new[] { "no", "yes", "no", "yes", "yes", "no", "yes", "no" }[..n]),
            CategoricalColumn.FromStrings("three", new[] { "a", "b", "c", "a", "b", "c", "a", "b" }[..n]),
            new NumericColumn("district", new double[] { 10, 2, 10, 2, 3, 3, 10, 2 }[..n]),
            CategoricalColumn.FromStrings("one", Enumerable.Repeat("x", n).ToArray()),
            new NumericColumn("w", new double[] { 1, 2, 1, 2, 1, 2, 1, 2 }[..n]),
            new NumericColumn("s", new double[] { 1, 2, 0, 3, 1, 2, 4, 0 }[..n]),
            new NumericColumn("t", new double[] { 4, 4, 4, 4, 2, 2, 4, 4 }[..n]),
        });
    }

    [Fact]
    public void DropsRowsWithMissingValuesAndSaysWhy()
    {
        var m = ModelBuilder.Build("use ~ age + urban + (1 | district)", Table(withMissing: true));
        Assert.Equal(4, m.DroppedRows);
        Assert.Equal("missing values in age (3), urban (1)", m.DroppedReason);
        Assert.Equal(new[] { 0, 2, 5, 7 }, m.RowIndex);
        Assert.Equal(new[] { 1.0, 1, 0, 0 }, m.Y);
        Assert.Equal(new[] { 20.0, 30, 45, 55 }, m.X.Column(1).ToArray());
    }

    [Fact]
    public void ExpressionsThatAreUndefinedDropRowsToo()
    {
        var t = Table();
        var m = ModelBuilder.Build("use ~ log(age - 32) + (1 | district)", t);
        Assert.Equal(3, m.DroppedRows); // log of a negative number is NaN, which R's na.omit drops
        Assert.Equal("missing values in log(age - 32) (3 undefined)", m.DroppedReason);
        Assert.Equal(Math.Log(3), m.X[0, 1], 14);
    }

    [Fact]
    public void EveryRowDropped()
    {
        var t = new DataTable(new Column[]
        {
            new NumericColumn("y", new[] { 1.0, 2 }, new[] { true, false }),
            new NumericColumn("x", new[] { 1.0, 2 }, new[] { false, true }),
            new NumericColumn("g", new[] { 1.0, 2 }),
        });
        var ex = Assert.Throws<GlmmInputException>(() => ModelBuilder.Build("y ~ x + (1 | g)", t));
        Assert.Equal("every row was dropped (missing values in y (1), x (1))", ex.Message);
    }

    [Fact]
    public void ResponseCodings()
    {
        var t = Table();
        var logical = ModelBuilder.Build("use ~ age + (1 | district)", t);
        Assert.Equal(ResponseKind.Binary, logical.ResponseKind);
        Assert.Equal(new[] { 1.0, 0, 1, 1, 0, 0, 1, 0 }, logical.Y);
        var twoLevel = ModelBuilder.Build("resp ~ age + (1 | district)", t);
        Assert.Equal(new[] { 0.0, 1, 0, 1, 1, 0, 1, 0 }, twoLevel.Y);
        var sf = ModelBuilder.Build("cbind(s, t - s) ~ age + (1 | district)", t, new ModelBuildOptions { WeightsColumn = "w" });
        Assert.Equal(ResponseKind.SuccessFailure, sf.ResponseKind);
        Assert.Equal(0.25, sf.Y[0]);
        Assert.Equal(0.5, sf.Y[4]);
        Assert.Equal(new[] { 4.0, 8, 4, 8, 2, 4, 4, 8 }, sf.Weights);
        var num = ModelBuilder.Build("log(age) ~ urban + (1 | district)", t);
        Assert.Equal(ResponseKind.Numeric, num.ResponseKind);
        Assert.Equal(Math.Log(20), num.Y[0], 14);
    }

    [Fact]
    public void NumericGroupingFactorHasNumericallySortedLevels()
    {
        var m = ModelBuilder.Build("use ~ age + (1 | district)", Table());
        var term = m.Random.Terms[0];
        Assert.Equal(new[] { "2", "3", "10" }, term.Levels);
        Assert.Equal(new[] { 2, 0, 2, 0, 1, 1, 2, 0 }, term.Codes);
    }

    [Fact]
    public void InteractionGroupingFactorUsesObservedCombinations()
    {
        var m = ModelBuilder.Build("use ~ age + (1 | district:urban)", Table());
        var term = m.Random.Terms[0];
        Assert.Equal("district:urban", term.GroupName);
        Assert.Equal(new[] { "2:N", "2:Y", "3:N", "3:Y", "10:N", "10:Y" }, term.Levels);
        Assert.Equal("10:N", term.Levels[term.Codes[0]]);
    }

    [Fact]
    public void LogicalComparisonColumnIsNamedAsR()
    {
        var m = ModelBuilder.Build("use ~ I(age > 30) + factor(district) + (1 | urban)", Table());
        Assert.Equal(new[] { "(Intercept)", "I(age > 30)TRUE", "factor(district)3", "factor(district)10" }, m.X.Names);
        Assert.Equal(new[] { 0.0, 0, 0, 1, 1, 1, 1, 1 }, m.X.Column(1).ToArray());
    }

    [Fact]
    public void ScaleCentresAndDividesBySd()
    {
        var m = ModelBuilder.Build("use ~ scale(age) + (1 | urban)", Table());
        var col = m.X.Column(1).ToArray();
        double sd = Math.Sqrt(Enumerable.Range(0, 8).Sum(i => Math.Pow(20 + 5 * i - 37.5, 2)) / 7);
        Assert.Equal((20 - 37.5) / sd, col[0], 14);
        Assert.Equal(0.0, col.Sum(), 12);
    }

    [Fact]
    public void LinearlyDependentColumnsAreDroppedByName()
    {
        var m = ModelBuilder.Build("use ~ age + I(2 * age + 1) + urban + (1 | district)", Table());
        Assert.Equal(new[] { "(Intercept)", "age", "urbanY" }, m.X.Names);
        Assert.Equal(new[] { "I(2 * age + 1)" }, m.X.DroppedColumns);
        Assert.Equal(3, m.X.Columns);
    }

    [Fact]
    public void OffsetsAreSummed()
    {
        var m = ModelBuilder.Build("s ~ urban + offset(log(t)) + offset(age/10) + (1 | district)", Table());
        Assert.True(m.HasOffset);
        Assert.Equal(Math.Log(4) + 2, m.Offset[0], 14);
    }

    [Fact]
    public void BackquotedNames()
    {
        var t = new DataTable(new Column[]
        {
            new NumericColumn("my y", new[] { 1.0, 0, 1, 0 }),
            new NumericColumn("my x", new[] { 1.0, 2, 3, 5 }),
            CategoricalColumn.FromStrings("my g", new[] { "a", "b", "a", "b" }),
        });
        var m = ModelBuilder.Build("`my y` ~ `my x` + I(`my x`^2) + (1 | `my g`)", t);
        Assert.Equal(new[] { "(Intercept)", "`my x`", "I(`my x`^2)" }, m.X.Names);
        Assert.Equal("`my g`", m.Random.Terms[0].GroupName);
        Assert.Equal(25.0, m.X[3, 2]);
    }

    [Theory]
    [InlineData("use ~ agee + (1 | district)", "formula, column 7: unknown column 'agee'; did you mean 'age'?")]
    [InlineData("use ~ age + (1 | distric)", "formula, column 18: unknown column 'distric'; did you mean 'district'?")]
    [InlineData("use ~ zzzzzz + (1 | district)", "formula, column 7: unknown column 'zzzzzz'; the columns are age, urban, use, resp, three, district, one, w, s, t")]
    [InlineData("three ~ age + (1 | district)", "response 'three' is categorical with 3 levels (a, b, c); it must be numeric, logical or have two levels")]
    [InlineData("use ~ age + (1 | one)", "grouping factor 'one' has only one level (x) in the rows used; a random effect needs at least two")]
    [InlineData("use ~ age + urban", "formula 'use ~ age + urban' has no random-effects term such as (1 | group); a GLM (no random effects) is the right tool for it")]
    [InlineData("use ~ I(urban + 1) + (1 | district)", "formula, column 9: '+' needs numbers but 'urban' is categorical")]
    [InlineData("use ~ one + (1 | district)", "factor 'one' has only one level (x) in the rows used, so it cannot be a predictor")]
    [InlineData("use ~ age + offset(urban) + (1 | district)", "formula, column 13: the offset 'offset(urban)' must be numeric but is categorical")]
    [InlineData("one ~ age + (1 | district)", "response 'one' is constant (0 in all 8 rows used); there is nothing to model")]
    [InlineData("use ~ 1 + (age + I(age^2) | district)", "the term ((Intercept) + age + I(age^2) | district) has 9 random effects but there are only 8 observations; its variance parameters cannot be identified")]
    [InlineData("use ~ log(age - 20) + (1 | district)", "the fixed-effects column 'log(age - 20)' is -Inf in data row 1; values must be finite")]
    [InlineData("I(1/(age - 25)) ~ urban + (1 | district)", "the response 'I(1/(age - 25))' is Inf in data row 2; values must be finite")]
    [InlineData("use ~ urban + offset(log(age - 20)) + (1 | district)", "the offset is -Inf in data row 1; values must be finite")]
    [InlineData("use ~ urban + (log(age - 20) | district)", "the random-effects column 'log(age - 20)' of ((Intercept) + log(age - 20) | district) is -Inf in data row 1; values must be finite")]
    public void BadInput(string formula, string message)
    {
        var ex = Assert.Throws<GlmmInputException>(() => ModelBuilder.Build(formula, Table()));
        Assert.Equal(message, ex.Message);
    }

    [Fact]
    public void BadWeightsColumn()
    {
        var ex = Assert.Throws<GlmmInputException>(() =>
            ModelBuilder.Build("use ~ age + (1 | district)", Table(), new ModelBuildOptions { WeightsColumn = "ww" }));
        Assert.Equal("unknown weights column 'ww'; did you mean 'w'?", ex.Message);
        ex = Assert.Throws<GlmmInputException>(() =>
            ModelBuilder.Build("use ~ age + (1 | district)", Table(), new ModelBuildOptions { WeightsColumn = "urban" }));
        Assert.Equal("weights column 'urban' must be numeric but is categorical", ex.Message);
    }
}
