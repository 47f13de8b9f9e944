using System.IO.Compression;
using System.Text;
using Glmm.Data;

namespace Glmm.Tests.Data;

/// <summary>
/// The formats <see cref="TableReader"/> reads give the same table (and so the same fit) as the CSV they were converted
/// from (tests/Glmm.Tests/fixtures/data/formats, written by tools/convert_formats.sh with the Parquet.Net and Apache.Arrow
/// writers).
/// </summary>
public class TableFormatTests
{
    private static string DataFile(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "data", name);
    private static string FormatFile(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "data", "formats", name);

    public static TheoryData<string, string> Files() => new()
    {
        { "cbpp", "tsv" }, { "cbpp", "csv.gz" }, { "cbpp", "parquet" }, { "cbpp", "arrow" },
        { "Contraception", "tsv" }, { "Contraception", "csv.gz" }, { "Contraception", "parquet" }, { "Contraception", "arrow" },
    };

    private static void AssertSameTable(DataTable expected, DataTable actual)
    {
        Assert.Equal(expected.RowCount, actual.RowCount);
        Assert.Equal(expected.Columns.Select(c => c.Name), actual.Columns.Select(c => c.Name));
        foreach (var e in expected.Columns)
        {
            var a = actual[e.Name];
            Assert.Equal(e.TypeName, a.TypeName);
            for (int i = 0; i < e.Length; i++) Assert.Equal(e.IsMissing(i), a.IsMissing(i));
            switch (e)
            {
                case NumericColumn n:
                    for (int i = 0; i < n.Length; i++) if (!n.IsMissing(i)) Assert.Equal(n.Values[i], ((NumericColumn)a).Values[i]);
                    break;
                case LogicalColumn l:
                    Assert.Equal(l.Values, ((LogicalColumn)a).Values);
                    break;
                case CategoricalColumn k:
                    Assert.Equal(k.Levels, ((CategoricalColumn)a).Levels);
                    Assert.Equal(k.Codes, ((CategoricalColumn)a).Codes);
                    break;
            }
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void EveryFormatGivesTheCsvTable(string data, string extension)
    {
        var csv = CsvTableReader.Read(DataFile(data + ".csv"));
        AssertSameTable(csv, TableReader.Read(FormatFile(data + "." + extension)));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void TheFormatIsFoundFromTheContentOfAStreamThatCannotSeek(string data, string extension)
    {
        // As standard input: no name to go by, and no seeking.
        var csv = CsvTableReader.Read(DataFile(data + ".csv"));
        using var stream = new ForwardOnlyStream(File.ReadAllBytes(FormatFile(data + "." + extension)));
        AssertSameTable(csv, TableReader.Read(stream, "standard input"));
    }

    [Fact]
    public void TheSameFitFromEveryFormat()
    {
        const string formula = "use ~ age + I(age^2) + urban + livch + (1 + urban | district)";
        var reference = GlmmModel.Fit(formula, CsvTableReader.Read(DataFile("Contraception.csv")));
        foreach (var ext in new[] { "tsv", "csv.gz", "parquet", "arrow" })
        {
            var fit = GlmmModel.Fit(formula, TableReader.Read(FormatFile("Contraception." + ext)));
            Assert.Equal(reference.LogLik, fit.LogLik);
            Assert.Equal(reference.FixedEffects.Select(f => f.Estimate), fit.FixedEffects.Select(f => f.Estimate));
            Assert.Equal(reference.FixedEffects.Select(f => f.StdError), fit.FixedEffects.Select(f => f.StdError));
            Assert.Equal(reference.Theta, fit.Theta);
        }
    }

    [Fact]
    public void ColumnarFormatsReadOnlyTheWantedColumns()
    {
        var wanted = new[] { "use", "district", "nonexistent" };
        foreach (var ext in new[] { "parquet", "arrow" })
        {
            var t = TableReader.Read(FormatFile("Contraception." + ext), new TableReadOptions { Columns = wanted });
            Assert.Equal(new[] { "district", "use" }, t.Columns.Select(c => c.Name).Order(StringComparer.Ordinal));
        }
    }

    [Theory]
    [InlineData("a;b;c\n1;2;x\n3;4;y\n", ';')]
    [InlineData("a\tb\tc\n1\t2\tx\n3\t4\ty\n", '\t')]
    [InlineData("a,b,c\n1,2,x\n3,4,y\n", ',')]
    [InlineData("\"a;x\",b,c\n1,2,x\n3,4,y\n", ',')] // a separator inside quotes does not count
    public void TheSeparatorIsDetectedFromTheHeaderLine(string text, char separator)
    {
        var t = TableReader.Read(new MemoryStream(Encoding.UTF8.GetBytes(text)), "data.txt");
        Assert.Equal(3, t.Columns.Count);
        Assert.Equal(2, t.RowCount);
        var explicitly = TableReader.Read(new MemoryStream(Encoding.UTF8.GetBytes(text)), "data.txt", new TableReadOptions { Separator = separator });
        AssertSameTable(t, explicitly);
    }

    [Fact]
    public void AGivenSeparatorOverridesTheDetection()
    {
        // Semicolons would win the detection; with the comma given, the semicolons are part of the values.
        var t = TableReader.Read(new MemoryStream(Encoding.UTF8.GetBytes("a;b,c\n1;2,x\n")), "d.csv", new TableReadOptions { Separator = ',' });
        Assert.Equal(new[] { "a;b", "c" }, t.Columns.Select(c => c.Name));
    }

    [Fact]
    public void ATsvExtensionMeansTabs()
    {
        // A comma inside a tab-separated field is data.
        var t = TableReader.Read(new MemoryStream(Encoding.UTF8.GetBytes("a\tb\n1,5\t2\n")), "d.tsv");
        Assert.Equal(new[] { "a", "b" }, t.Columns.Select(c => c.Name));
        Assert.Equal("categorical", t["a"].TypeName);
    }

    [Fact]
    public void BadInputIsOneLineNamingTheFile()
    {
        var csvBytes = File.ReadAllBytes(DataFile("cbpp.csv"));
        var e1 = Assert.Throws<GlmmInputException>(() => TableReader.Read(new MemoryStream(csvBytes), "x.parquet"));
        Assert.Contains("x.parquet", e1.Message);
        Assert.DoesNotContain('\n', e1.Message);
        var e2 = Assert.Throws<GlmmInputException>(() => TableReader.Read(new MemoryStream(csvBytes), "x.arrow"));
        Assert.Contains("x.arrow", e2.Message);
        Assert.DoesNotContain('\n', e2.Message);
        var broken = new byte[] { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3 };
        var e3 = Assert.Throws<GlmmInputException>(() => TableReader.Read(new MemoryStream(broken), "x.csv.gz"));
        Assert.Contains("x.csv.gz", e3.Message);
        Assert.DoesNotContain('\n', e3.Message);
        var e4 = Assert.Throws<GlmmInputException>(() => TableReader.Read(FormatFile("missing.parquet")));
        Assert.Contains("file not found", e4.Message);
        var e5 = Assert.Throws<GlmmInputException>(() => TableReader.Read(new MemoryStream(csvBytes), "x.csv", new TableReadOptions { Separator = '"' }));
        Assert.Contains("separator", e5.Message);
    }

    [Fact]
    public void GzipIsRecognisedWhateverTheName()
    {
        var bytes = File.ReadAllBytes(DataFile("cbpp.csv"));
        var gz = new MemoryStream();
        using (var z = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true)) z.Write(bytes);
        gz.Position = 0;
        AssertSameTable(CsvTableReader.Read(DataFile("cbpp.csv")), TableReader.Read(gz, "cbpp.csv"));
    }

    /// <summary>A read-only stream that cannot seek, as standard input.</summary>
    private sealed class ForwardOnlyStream(byte[] bytes) : Stream
    {
        private readonly MemoryStream _inner = new(bytes);
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 7)); // short reads too
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
