using System.Text;
using Glmm.Data;

namespace Glmm.Tests.Data;

public sealed class CsvTableReaderTests
{
    private static DataTable ReadText(string text) => CsvTableReader.Read(new StringReader(text), "test.csv");

    private static string ErrorOf(string text) =>
        Assert.Throws<GlmmInputException>(() => ReadText(text)).Message;

    private static NumericColumn Num(DataTable t, string name) => Assert.IsType<NumericColumn>(t[name]);
    private static LogicalColumn Lgl(DataTable t, string name) => Assert.IsType<LogicalColumn>(t[name]);
    private static CategoricalColumn Cat(DataTable t, string name) => Assert.IsType<CategoricalColumn>(t[name]);

    /// <summary>The level of each row, "&lt;missing&gt;" for a missing one.</summary>
    private static string[] Labels(CategoricalColumn c) =>
        c.Codes.Select(k => k < 0 ? "<missing>" : c.Levels[k]).ToArray();

    private static bool[] Mask(bool[]? missing)
    {
        Assert.NotNull(missing);
        return missing;
    }

    [Fact]
    public void ReadsNumericLogicalAndCategoricalColumns()
    {
        var t = ReadText("x,flag,g\n1.5,TRUE,b\n-2,F,a\n3e2,T,b\n");
        Assert.Equal(3, t.RowCount);
        Assert.Equal(["x", "flag", "g"], t.Columns.Select(c => c.Name));
        Assert.Equal([1.5, -2.0, 300.0], Num(t, "x").Values);
        Assert.Null(Num(t, "x").Missing);
        Assert.Equal([true, false, true], Lgl(t, "flag").Values);
        var g = Cat(t, "g");
        Assert.Equal(["a", "b"], g.Levels);
        Assert.Equal([1, 0, 1], g.Codes);
    }

    [Fact]
    public void QuotedFieldsWithCommasQuotesAndNewlines()
    {
        var t = ReadText("id,text\n1,\"a,b\"\n2,\"say \"\"hi\"\"\"\n3,\"two\nlines\"\n4,plain\n");
        Assert.Equal(4, t.RowCount);
        Assert.Equal(["a,b", "say \"hi\"", "two\nlines", "plain"], Labels(Cat(t, "text")));
        Assert.Equal([1.0, 2, 3, 4], Num(t, "id").Values);
    }

    [Fact]
    public void FieldLongerThanTheReadBuffer()
    {
        string longText = string.Concat(Enumerable.Repeat("abc,\"def\"\nghi ", 20000)); // 240,000 chars, 20,000 newlines
        string quoted = "\"" + longText.Replace("\"", "\"\"") + "\"";
        var t = ReadText($"a,b\n1,{quoted}\n2,x\n");
        Assert.Equal([longText, "x"], Labels(Cat(t, "b")));
        // The long record spans lines 2..20002, so the next record starts on line 20003.
        Assert.Equal("data file 'test.csv', line 20003: expected 2 fields but found 1", ErrorOf($"a,b\n1,{quoted}\n3\n"));
    }

    [Fact]
    public void CrLfLineEndingsAndNoFinalNewline()
    {
        var t = ReadText("a,b\r\n1,x\r\n2,\"y\r\nz\"\r\n3,w");
        Assert.Equal([1.0, 2, 3], Num(t, "a").Values);
        Assert.Equal(["x", "y\r\nz", "w"], Labels(Cat(t, "b")));
    }

    [Fact]
    public void ByteOrderMarkIsIgnoredFromFileAndFromReader()
    {
        var fromReader = ReadText("\uFEFFa,b\n1,2\n");
        Assert.Equal("a", fromReader.Columns[0].Name);
        var quoted = ReadText("\uFEFF\"a b\",c\n1,2\n");
        Assert.Equal(["a b", "c"], quoted.Columns.Select(c => c.Name));

        string path = Path.Combine(Path.GetTempPath(), $"glmm-bom-{Guid.NewGuid():N}.csv");
        try
        {
            File.WriteAllText(path, "a,b\n1,2\n", new UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
            Assert.Equal(0xEF, File.ReadAllBytes(path)[0]);
            var t = CsvTableReader.Read(path);
            Assert.Equal(["a", "b"], t.Columns.Select(c => c.Name));
            Assert.Equal([1.0], Num(t, "a").Values);

            File.WriteAllText(path, "é,b\nà,2\n", new UTF8Encoding(false));
            var u = CsvTableReader.Read(path);
            Assert.Equal("é", u.Columns[0].Name);
            Assert.Equal(["à"], Cat(u, "é").Levels);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void EmptyAndNaAreMissingQuotedOrNotButEmptyIsALevelOfACategoricalColumn()
    {
        // R 4.2: read.csv(text = "x,y,g\n1,TRUE,a\n,\"\",\"\"\nNA,NA,NA\n...") gives g = factor(c("a", "", NA, NA, "b")):
        // blank fields are missing only in logical and numeric columns.
        var t = ReadText("x,y,g\n1,TRUE,a\n,\"\",\"\"\nNA,NA,NA\n\"NA\",\"NA\",\"NA\"\n5,FALSE,b\n");
        var x = Num(t, "x");
        Assert.Equal([false, true, true, true, false], Mask(x.Missing));
        Assert.Equal(1.0, x.Values[0]);
        Assert.True(double.IsNaN(x.Values[1]));
        Assert.Equal(5.0, x.Values[4]);
        Assert.Equal([false, true, true, true, false], Mask(Lgl(t, "y").Missing));
        var g = Cat(t, "g");
        Assert.Equal(["", "a", "b"], g.Levels);
        Assert.Equal([1, 0, -1, -1, 2], g.Codes);
    }

    [Fact]
    public void WhiteSpaceOnlyIsMissingInNumericAndLogicalButALevelInCategorical()
    {
        var t = ReadText("x,y,g\n1,T, \n  ,  ,a\n");
        Assert.Equal([false, true], Mask(Num(t, "x").Missing));
        Assert.Equal([false, true], Mask(Lgl(t, "y").Missing));
        Assert.Equal([" ", "a"], Cat(t, "g").Levels);
        Assert.Equal([0, 1], Cat(t, "g").Codes);
    }

    [Fact]
    public void NaWithSpacesIsText()
    {
        // R: type.convert(" NA") is character.
        var t = ReadText("x\n1\n NA\n");
        Assert.Equal([" NA", "1"], Cat(t, "x").Levels);
    }

    [Fact]
    public void QuotedNumbersAndSurroundingSpacesAreNumeric()
    {
        var t = ReadText("x\n\"1\"\n\" 2 \"\n 3\n4 \n\"1e5\"\n+.5\n1.\n-0.25E-2\n0x1A\n007\n");
        Assert.Equal([1.0, 2, 3, 4, 1e5, 0.5, 1, -0.0025, 26, 7], Num(t, "x").Values);
    }

    [Fact]
    public void InfinitiesAndNaN()
    {
        var t = ReadText("x\nInf\n-Inf\ninf\n-INFINITY\n+Inf\nNaN\n1e400\n");
        var x = Num(t, "x");
        Assert.Equal(double.PositiveInfinity, x.Values[0]);
        Assert.Equal(double.NegativeInfinity, x.Values[1]);
        Assert.Equal(double.PositiveInfinity, x.Values[2]);
        Assert.Equal(double.NegativeInfinity, x.Values[3]);
        Assert.Equal(double.PositiveInfinity, x.Values[4]);
        Assert.True(double.IsNaN(x.Values[5]));
        Assert.Equal(double.PositiveInfinity, x.Values[6]);
        // NaN is flagged missing (R's is.na(NaN) is TRUE); infinities are not.
        Assert.Equal([false, false, false, false, false, true, false], Mask(x.Missing));
    }

    [Theory]
    [InlineData("1,5")]
    [InlineData("1d5")]
    [InlineData("e5")]
    [InlineData(".")]
    [InlineData("-")]
    [InlineData("0x")]
    [InlineData("1_0")]
    [InlineData("Infinit")]
    [InlineData("Infinityx")]
    [InlineData("١")]
    [InlineData("∞")]
    public void NonNumbersMakeTheColumnCategorical(string field)
    {
        var t = ReadText($"x\n1\n\"{field}\"\n");
        var x = Cat(t, "x");
        Assert.Equal(new[] { "1", field }.Order(StringComparer.Ordinal), x.Levels);
        Assert.Equal(["1", field], Labels(x));
    }

    [Fact]
    public void DanglingExponentIsAcceptedAsInR()
    {
        // R 4.2: type.convert(c("1e", "2e+")) gives 1, 2.
        Assert.Equal([1.0, 2.0], Num(ReadText("x\n1e\n2e+\n"), "x").Values);
    }

    [Fact]
    public void AllRLogicalSpellingsAreLogical()
    {
        // R 4.2: type.convert(c("TRUE", "FALSE", "T", "F", NA)) is logical.
        var t = ReadText("b\nTRUE\nFALSE\nT\nF\nNA\n");
        var b = Lgl(t, "b");
        Assert.Equal([true, false, true, false, false], b.Values);
        Assert.Equal([false, false, false, false, true], Mask(b.Missing));
    }

    [Theory]
    [InlineData("true\nfalse\nFalse")]
    [InlineData("true\nfalse")]
    [InlineData("True\nFalse")]
    [InlineData("TRUE\nfalse")]
    [InlineData("T\nfalse\nTrue")]
    public void LowerAndTitleCaseLogicalsAreTextAsInR42(string fields)
    {
        // R 4.2.2: type.convert(c("true", "false", "False"), as.is = TRUE) is character (so is every mix with them).
        var t = ReadText("b\n" + fields + "\n");
        Assert.Equal(fields.Split('\n').Distinct().Order(StringComparer.Ordinal), Cat(t, "b").Levels);
    }

    [Fact]
    public void NaNInAnyCaseIsANumberAndMissing()
    {
        // R 4.2: type.convert(c("NaN", "nan", "NAN", "Nan", "1")) is numeric, all but the last NaN (so NA).
        var x = Num(ReadText("x\nNaN\nnan\nNAN\nNan\n1\n"), "x");
        Assert.Equal([true, true, true, true, false], Mask(x.Missing));
        Assert.Equal(1.0, x.Values[4]);
    }

    [Fact]
    public void EmptyFieldsOfATextColumnAreTheLevelEmptyString()
    {
        // R 4.2: read.csv(text = "g,y\na,1\n,0\n\"\",1", stringsAsFactors = TRUE)$g is factor(c("a", "", "")), levels "" and "a".
        var g = Cat(ReadText("g,y\na,1\n,0\n\"\",1\n"), "g");
        Assert.Equal(["", "a"], g.Levels);
        Assert.Equal([1, 0, 0], g.Codes);
    }

    [Fact]
    public void AnAllEmptyColumnIsLogicalAndMissing()
    {
        // R 4.2: read.csv(text = "x,y\n,1\n,2")$x is logical c(NA, NA).
        var x = Lgl(ReadText("x,y\n,1\n,2\n"), "x");
        Assert.Equal([true, true], Mask(x.Missing));
    }

    [Fact]
    public void DuplicateAndEmptyHeaderNamesAreRenamedAsRWithAWarning()
    {
        // R 4.2: names(read.csv(text = "a,a,b,\n1,2,3,4")) is "a" "a.1" "b" "X".
        var warnings = new List<string>();
        var t = CsvTableReader.Read(new StringReader("a,a,b,\n1,2,3,4\n"), "d.csv", warnings);
        Assert.Equal(["a", "a.1", "b", "X"], t.Columns.Select(c => c.Name));
        Assert.Equal([
            "d.csv: duplicate column name 'a' (column 2) is read as 'a.1' (as R's read.csv); the formula's 'a' is the first such column",
            "d.csv: column 4 has no name and is read as 'X' (as R's read.csv)"], warnings);
    }

    [Theory]
    [InlineData("tRUE")]
    [InlineData(" TRUE")]
    [InlineData("yes")]
    [InlineData("t")]
    public void OtherSpellingsAreCategorical(string field)
    {
        var t = ReadText($"b\nTRUE\n{field}\n");
        Assert.Equal(new[] { "TRUE", field }.Order(StringComparer.Ordinal), Cat(t, "b").Levels);
    }

    [Fact]
    public void NumbersMixedWithLogicalsAreCategoricalWithOriginalText()
    {
        var t = ReadText("m\n1\nTRUE\n1.0\nT\n");
        var m = Cat(t, "m");
        Assert.Equal(["1", "1.0", "T", "TRUE"], m.Levels);
        Assert.Equal(["1", "TRUE", "1.0", "T"], Labels(m));
    }

    [Fact]
    public void LevelsAreOrdinalSortedAndKeepTheFileText()
    {
        var t = ReadText("g\nb\na\nB\n10\n9\n09\n 9\n1e1\n");
        var g = Cat(t, "g");
        Assert.Equal([" 9", "09", "10", "1e1", "9", "B", "a", "b"], g.Levels);
        Assert.Equal(["b", "a", "B", "10", "9", "09", " 9", "1e1"], Labels(g));
    }

    [Fact]
    public void ColumnThatTurnsCategoricalLateKeepsEveryEarlierNumberText()
    {
        var sb = new StringBuilder("v\n");
        for (int i = 0; i < 3000; i++) sb.Append(i % 3 == 0 ? $"{i}.50\n" : $"{i}\n");
        sb.Append("late\n");
        var v = Cat(ReadText(sb.ToString()), "v");
        var labels = Labels(v);
        Assert.Equal(3001, labels.Length);
        Assert.Equal("0.50", labels[0]);
        Assert.Equal("1", labels[1]);
        Assert.Equal("2999", labels[2999]);
        Assert.Equal("2997.50", labels[2997]);
        Assert.Equal("late", labels[3000]);
        Assert.Equal(3001, v.Levels.Length);
    }

    [Fact]
    public void AllMissingColumnIsLogicalAllMissing()
    {
        var t = ReadText("a,b\n,1\nNA,2\n\"\",3\n");
        var a = Lgl(t, "a");
        Assert.Equal([true, true, true], Mask(a.Missing));
        Assert.Equal([false, false, false], a.Values);
    }

    [Fact]
    public void HeaderOnlyGivesZeroRows()
    {
        var t = ReadText("a,b\n");
        Assert.Equal(0, t.RowCount);
        Assert.Equal(["a", "b"], t.Columns.Select(c => c.Name));
        Assert.All(t.Columns, c => Assert.IsType<LogicalColumn>(c));
    }

    [Fact]
    public void DuplicateAndEmptyNamesAreMadeUniqueAsR()
    {
        // R 4.2 read.csv on this header gives: a b c X X.1 x x.2 x.1 a.b (we keep "a b" as written).
        var t = ReadText("a,b,c,,,x,x,x.1,a b\n1,2,3,4,5,6,7,8,9\n");
        Assert.Equal(["a", "b", "c", "X", "X.1", "x", "x.2", "x.1", "a b"], t.Columns.Select(c => c.Name));
        Assert.Equal([8.0], Num(t, "x.1").Values);
        Assert.Equal([7.0], Num(t, "x.2").Values);

        // make.names(c("", "", "X"), unique = TRUE) is X.1 X.2 X: the name the user wrote wins.
        var u = ReadText(",,X\n1,2,3\n");
        Assert.Equal(["X.1", "X.2", "X"], u.Columns.Select(c => c.Name));
        Assert.Equal([3.0], Num(u, "X").Values);
    }

    [Fact]
    public void BlankLinesAreSkippedButCountedInLineNumbers()
    {
        var t = ReadText("\na,b\n1,2\n\n\r\n3,4\n\n");
        Assert.Equal([1.0, 3], Num(t, "a").Values);
        Assert.Equal("data file 'test.csv', line 6: expected 2 fields but found 1", ErrorOf("\na,b\n1,2\n\n\r\n3\n"));
    }

    [Fact]
    public void RaggedRowReportsThePhysicalLine()
    {
        Assert.Equal("data file 'test.csv', line 3: expected 3 fields but found 2", ErrorOf("a,b,c\n1,2,3\n4,5\n"));
        Assert.Equal("data file 'test.csv', line 2: expected 2 fields but found 3", ErrorOf("a,b\n1,2,3\n"));
        Assert.Equal("data file 'test.csv', line 2: expected 1 field but found 2", ErrorOf("a\n1,2\n"));
    }

    [Fact]
    public void RaggedRowLineCountsEmbeddedNewlinesOfEarlierRecords()
    {
        // Records start on lines 2, 3 (spans 3–5) and 6; the bad one is on line 6.
        string text = "a,b\n1,x\n2,\"multi\nline\r\nfield\"\n3\n";
        Assert.Equal("data file 'test.csv', line 6: expected 2 fields but found 1", ErrorOf(text));
        Assert.Equal("data file 'test.csv', line 6: expected 2 fields but found 1", ErrorOf("a,b\r\n1,x\r\n2,\"multi\r\nline\r\nfield\"\r\n3\r\n"));
        // Embedded newlines in the header count too; old Mac CR line ends are line breaks.
        Assert.Equal("data file 'test.csv', line 4: expected 2 fields but found 3", ErrorOf("\"a\nb\",c\n1,2\n1,2,3\n"));
        Assert.Equal("data file 'test.csv', line 3: expected 2 fields but found 1", ErrorOf("a,b\r1,2\r3\r"));
    }

    [Fact]
    public void RaggedRowOnLine17()
    {
        var sb = new StringBuilder("a,b,c,d\n");
        for (int i = 2; i < 17; i++) sb.Append($"{i},x,y,z\n");
        sb.Append("17,x,y\n18,x,y,z\n");
        Assert.Equal("data file 'test.csv', line 17: expected 4 fields but found 3", ErrorOf(sb.ToString()));
    }

    [Fact]
    public void UnterminatedQuoteReportsTheLineWhereTheRecordStarts()
    {
        Assert.Equal("data file 'test.csv', line 3: quoted field is not closed (missing closing quote)",
            ErrorOf("a,b\n1,2\n3,\"open\n4,5\n6,7\n"));
        Assert.Equal("data file 'test.csv', line 1: quoted field is not closed (missing closing quote)",
            ErrorOf("a,\"b\n1,2\n"));
    }

    [Fact]
    public void TextAfterAClosingQuoteIsAnError()
    {
        Assert.Equal("data file 'test.csv', line 3: a closing quote must be followed by a comma or the end of the line",
            ErrorOf("a,b\n1,2\n3,\"x\"y\n"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n")]
    [InlineData("\r\n\r\n\n")]
    public void EmptyInputIsAnError(string text)
    {
        Assert.Equal("data file 'test.csv' is empty: expected a header line with column names", ErrorOf(text));
    }

    [Fact]
    public void MissingFileIsAnError()
    {
        string path = Path.Combine(Path.GetTempPath(), $"glmm-no-such-{Guid.NewGuid():N}.csv");
        var e = Assert.Throws<GlmmInputException>(() => CsvTableReader.Read(path));
        Assert.Equal($"cannot open data file '{path}': file not found", e.Message);
    }

    [Fact]
    public void DirectoryIsAnError()
    {
        string path = Path.GetTempPath();
        var e = Assert.Throws<GlmmInputException>(() => CsvTableReader.Read(path));
        Assert.Equal($"cannot open data file '{path}': it is a directory", e.Message);
    }

    [Fact]
    public void UnreadableFileIsAnError()
    {
        if (OperatingSystem.IsWindows() || Environment.UserName == "root") return; // root can read anything
        string path = Path.Combine(Path.GetTempPath(), $"glmm-unreadable-{Guid.NewGuid():N}.csv");
        File.WriteAllText(path, "a\n1\n");
        try
        {
            File.SetUnixFileMode(path, UnixFileMode.None);
            var e = Assert.Throws<GlmmInputException>(() => CsvTableReader.Read(path));
            Assert.Equal($"cannot open data file '{path}': permission denied", e.Message);
        }
        finally
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.Delete(path);
        }
    }

    [Fact]
    public void ReaderFailureIsAnInputError()
    {
        var e = Assert.Throws<GlmmInputException>(() => CsvTableReader.Read(new FailingReader(), "broken.csv"));
        Assert.Equal("cannot read data file 'broken.csv': disk on fire", e.Message);
    }

    [Fact]
    public void ErrorMessagesAreOneLine()
    {
        foreach (var text in new[] { "a,b\n1\n", "a\n\"x\n", "", "a,b\n\"x\"y,1\n" })
            Assert.DoesNotContain('\n', ErrorOf(text));
    }

    [Fact]
    public void ReadsAGenerated200000RowFile()
    {
        const int n = 200_000;
        string path = Path.Combine(Path.GetTempPath(), $"glmm-big-{Guid.NewGuid():N}.csv");
        try
        {
            using (var w = new StreamWriter(path, false, new UTF8Encoding(false)))
            {
                w.Write("y,x,g,flag,id\r\n");
                for (int i = 0; i < n; i++)
                {
                    string xText = i % 1000 == 7 ? "NA" : (i * 0.001 - 50).ToString("R", System.Globalization.CultureInfo.InvariantCulture);
                    w.Write($"{i % 2},{xText},\"g{i % 37}\",{(i % 3 == 0 ? "TRUE" : "FALSE")},\"{i}\"\r\n");
                }
            }
            var t = CsvTableReader.Read(path);
            Assert.Equal(n, t.RowCount);
            var y = Num(t, "y");
            var x = Num(t, "x");
            var g = Cat(t, "g");
            var flag = Lgl(t, "flag");
            var id = Num(t, "id");
            Assert.Null(y.Missing);
            Assert.Equal(n / 1000, x.Missing!.Count(m => m));
            Assert.Equal(37, g.Levels.Length);
            Assert.Equal("g0", g.Levels[0]);
            Assert.Equal("g1", g.Levels[1]);
            Assert.Equal("g10", g.Levels[2]);
            for (int i = 0; i < n; i += 997)
            {
                Assert.Equal(i % 2, y.Values[i]);
                if (i % 1000 == 7) Assert.True(x.IsMissing(i));
                else Assert.Equal(i * 0.001 - 50, x.Values[i]);
                Assert.Equal($"g{i % 37}", g.Levels[g.Codes[i]]);
                Assert.Equal(i % 3 == 0, flag.Values[i]);
                Assert.Equal(i, id.Values[i]);
            }
            Assert.Equal(n * (n - 1.0) / 2.0, id.Values.Sum());
        }
        finally
        {
            File.Delete(path);
        }
    }

    private sealed class FailingReader : TextReader
    {
        public override int Read(char[] buffer, int index, int count) => throw new IOException("disk on fire");
        public override int Read(Span<char> buffer) => throw new IOException("disk on fire");
        public override int Peek() => throw new IOException("disk on fire");
        public override int Read() => throw new IOException("disk on fire");
    }
}
