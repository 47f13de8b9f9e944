using Glmm.Data;

namespace Glmm.Tests.Data;

/// <summary>Reads the R-exported fixture data sets; expected values are from R 4.2's read.csv (LC_COLLATE=C).</summary>
public sealed class FixtureDataTests
{
    private static DataTable Load(string name) =>
        CsvTableReader.Read(Path.Combine(AppContext.BaseDirectory, "fixtures", "data", name + ".csv"));

    private static void AssertTypes(DataTable t, params (string Name, string Type)[] expected)
    {
        Assert.Equal(expected.Select(e => e.Name), t.Columns.Select(c => c.Name));
        Assert.Equal(expected.Select(e => e.Type), t.Columns.Select(c => c.TypeName));
        Assert.All(t.Columns, c => Assert.DoesNotContain(Enumerable.Range(0, c.Length), c.IsMissing));
    }

    private static int[] Counts(CategoricalColumn c)
    {
        var counts = new int[c.Levels.Length];
        foreach (int k in c.Codes) counts[k]++;
        return counts;
    }

    [Fact]
    public void Cbpp()
    {
        var t = Load("cbpp");
        Assert.Equal(56, t.RowCount);
        AssertTypes(t, ("herd", "numeric"), ("incidence", "numeric"), ("size", "numeric"), ("period", "numeric"));
        Assert.Equal(454.0, ((NumericColumn)t["herd"]).Values.Sum());
        Assert.Equal(99.0, ((NumericColumn)t["incidence"]).Values.Sum());
        Assert.Equal(842.0, ((NumericColumn)t["size"]).Values.Sum());
        Assert.Equal(137.0, ((NumericColumn)t["period"]).Values.Sum());
        Assert.Equal([1.0, 2, 3, 4, 1], ((NumericColumn)t["period"]).Values.Take(5));
    }

    [Fact]
    public void Contraception()
    {
        var t = Load("Contraception");
        Assert.Equal(1934, t.RowCount);
        AssertTypes(t, ("woman", "numeric"), ("district", "numeric"), ("use", "categorical"),
            ("livch", "categorical"), ("age", "numeric"), ("urban", "categorical"));
        var livch = (CategoricalColumn)t["livch"];
        Assert.Equal(["0", "1", "2", "3+"], livch.Levels);
        Assert.Equal([530, 356, 305, 743], Counts(livch));
        Assert.Equal([3, 0, 2, 3, 0], livch.Codes.Take(5));
        var use = (CategoricalColumn)t["use"];
        Assert.Equal(["N", "Y"], use.Levels);
        Assert.Equal([1175, 759], Counts(use));
        Assert.Equal(["N", "Y"], ((CategoricalColumn)t["urban"]).Levels);
        var age = ((NumericColumn)t["age"]).Values;
        Assert.Equal(18.44, age[0]);
        Assert.Equal(-5.5599, age[1]);
        Assert.Equal(4.2507, age.Sum(), 1e-9);
        Assert.Equal(1871145.0, ((NumericColumn)t["woman"]).Values.Sum());
        Assert.Equal(56770.0, ((NumericColumn)t["district"]).Values.Sum());
    }

    [Fact]
    public void VerbAgg()
    {
        var t = Load("VerbAgg");
        Assert.Equal(7584, t.RowCount);
        AssertTypes(t, ("Anger", "numeric"), ("Gender", "categorical"), ("item", "categorical"), ("resp", "categorical"),
            ("id", "numeric"), ("btype", "categorical"), ("situ", "categorical"), ("mode", "categorical"), ("r2", "categorical"));
        var item = (CategoricalColumn)t["item"];
        Assert.Equal(24, item.Levels.Length);
        Assert.Equal("S1DoCurse", item.Levels[0]);
        Assert.Equal("S4WantShout", item.Levels[22]);
        Assert.Equal("S4wantCurse", item.Levels[23]); // lower-case 'w' sorts after upper case in ordinal order
        var resp = (CategoricalColumn)t["resp"];
        Assert.Equal(["no", "perhaps", "yes"], resp.Levels);
        Assert.Equal([3973, 2081, 1530], Counts(resp));
        Assert.Equal(["F", "M"], ((CategoricalColumn)t["Gender"]).Levels);
        Assert.Equal(["curse", "scold", "shout"], ((CategoricalColumn)t["btype"]).Levels);
        Assert.Equal(151704.0, ((NumericColumn)t["Anger"]).Values.Sum());
        Assert.Equal(1202064.0, ((NumericColumn)t["id"]).Values.Sum());
    }

    [Fact]
    public void Grouseticks()
    {
        var t = Load("grouseticks");
        Assert.Equal(403, t.RowCount);
        AssertTypes(t, ("INDEX", "numeric"), ("TICKS", "numeric"), ("BROOD", "numeric"), ("HEIGHT", "numeric"),
            ("YEAR", "numeric"), ("LOCATION", "numeric"), ("cHEIGHT", "numeric"));
        Assert.Equal(2567.0, ((NumericColumn)t["TICKS"]).Values.Sum());
        Assert.Equal(251962.0, ((NumericColumn)t["BROOD"]).Values.Sum());
        Assert.Equal(38702.0, ((NumericColumn)t["YEAR"]).Values.Sum());
        var c = ((NumericColumn)t["cHEIGHT"]).Values;
        Assert.Equal(2.75930521091811, c[0]);
        Assert.Equal(9.7593052109181109, c[2]);
        Assert.Equal(0.0, c.Sum(), 1e-9);
    }
}
