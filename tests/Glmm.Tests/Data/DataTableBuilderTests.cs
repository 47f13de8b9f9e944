using Glmm.Data;

namespace Glmm.Tests.Data;

public sealed class DataTableBuilderTests
{
    private static bool[] Mask(bool[]? missing)
    {
        Assert.NotNull(missing);
        return missing;
    }

    [Fact]
    public void FromColumnsInfersTypeFromArrayType()
    {
        var t = DataTable.FromColumns(
            ("d", new[] { 1.5, double.NaN, 3.0 }),
            ("dn", new double?[] { null, 2.0, 3.0 }),
            ("i", new[] { 1, 2, 3 }),
            ("in", new int?[] { 1, null, 3 }),
            ("b", new[] { true, false, true }),
            ("bn", new bool?[] { true, null, false }),
            ("s", new[] { "b", null, "B" }));
        Assert.Equal(3, t.RowCount);
        Assert.Equal(["numeric", "numeric", "numeric", "numeric", "logical", "logical", "categorical"],
            t.Columns.Select(c => c.TypeName));

        var d = (NumericColumn)t["d"];
        Assert.Equal([false, true, false], Mask(d.Missing));
        Assert.Equal(3.0, d.Values[2]);
        var dn = (NumericColumn)t["dn"];
        Assert.Equal([true, false, false], Mask(dn.Missing));
        Assert.True(double.IsNaN(dn.Values[0]));
        var i = (NumericColumn)t["i"];
        Assert.Equal([1.0, 2, 3], i.Values);
        Assert.Null(i.Missing);
        Assert.Equal([false, true, false], Mask(((NumericColumn)t["in"]).Missing));
        Assert.Equal([true, false, true], ((LogicalColumn)t["b"]).Values);
        var bn = (LogicalColumn)t["bn"];
        Assert.Equal([true, false, false], bn.Values);
        Assert.Equal([false, true, false], Mask(bn.Missing));
        var s = (CategoricalColumn)t["s"];
        Assert.Equal(["B", "b"], s.Levels);
        Assert.Equal([1, -1, 0], s.Codes);
    }

    [Fact]
    public void FromColumnsCopiesTheArrays()
    {
        var x = new[] { 1.0, 2.0 };
        var t = DataTable.FromColumns(("x", x));
        x[0] = 99;
        Assert.Equal(1.0, ((NumericColumn)t["x"]).Values[0]);
    }

    [Fact]
    public void FromColumnsRejectsUnsupportedArrays()
    {
        var e = Assert.Throws<ArgumentException>(() => DataTable.FromColumns(("x", new[] { 1L, 2L })));
        Assert.Contains("column 'x'", e.Message);
    }

    [Fact]
    public void LengthMismatchAndDuplicateNamesAreInputErrors()
    {
        var e = Assert.Throws<GlmmInputException>(() => DataTable.FromColumns(("a", new[] { 1.0, 2.0 }), ("b", new[] { 1.0 })));
        Assert.Equal("column 'b' has 1 rows but column 'a' has 2", e.Message);
        var f = Assert.Throws<GlmmInputException>(() => DataTable.FromColumns(("a", new[] { 1.0 }), ("a", new[] { true })));
        Assert.Equal("column name 'a' appears more than once", f.Message);
    }

    [Fact]
    public void FluentBuilderWithExplicitLevels()
    {
        var t = new DataTableBuilder()
            .AddNumeric("y", new[] { 0.0, 1.0, 1.0, 0.0 })
            .AddCategorical("dose", new[] { "low", "high", null, "mid" }, new[] { "low", "mid", "high", "none" })
            .AddCategorical("g", new[] { "b", "a", "b", "c" })
            .Build();
        var dose = (CategoricalColumn)t["dose"];
        Assert.Equal(["low", "mid", "high", "none"], dose.Levels);
        Assert.Equal([0, 2, -1, 1], dose.Codes);
        var g = (CategoricalColumn)t["g"];
        Assert.Equal(["a", "b", "c"], g.Levels);
        Assert.Equal([1, 0, 1, 2], g.Codes);
        Assert.Equal(4, t.RowCount);
    }

    [Fact]
    public void ExplicitLevelsMustCoverTheValues()
    {
        var e = Assert.Throws<GlmmInputException>(() =>
            new DataTableBuilder().AddCategorical("dose", new[] { "low", "huge" }, new[] { "low", "high" }));
        Assert.Equal("column 'dose', row 2: value 'huge' is not one of the given levels", e.Message);
        var f = Assert.Throws<GlmmInputException>(() =>
            new DataTableBuilder().AddCategorical("dose", new[] { "low" }, new[] { "low", "low" }));
        Assert.Equal("column 'dose': level 'low' is given more than once", f.Message);
    }

    [Fact]
    public void EmptyBuilderGivesEmptyTable()
    {
        var t = new DataTableBuilder().Build();
        Assert.Equal(0, t.RowCount);
        Assert.Empty(t.Columns);
    }
}
