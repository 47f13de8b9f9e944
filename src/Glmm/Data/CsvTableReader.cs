using System.Runtime.CompilerServices;
using System.Text;
using Glmm.Data;
using Sylvan.Data.Csv;

namespace Glmm;

/// <summary>
/// Reads a comma-separated file (RFC 4180) with a header row into a <see cref="DataTable"/>, inferring
/// each column's type as R's <c>read.csv(..., stringsAsFactors = TRUE)</c> does.
/// </summary>
/// <remarks>
/// <para>Format: fields separated by commas; a field may be quoted with <c>"</c>, and a quoted field may
/// contain commas, line breaks and doubled quotes (<c>""</c>). Lines end with LF, CRLF or CR. Files are
/// UTF-8 with or without a byte order mark. Blank lines are skipped (R's <c>blank.lines.skip</c>).</para>
/// <para>Missing values: <c>NA</c> (quoted or not) is missing in any column; an empty field or a field of white
/// space only is missing in numeric and logical columns and a level (<c>""</c>, or the spaces) in categorical
/// ones, as R 4.2's read.csv. A numeric value of <c>NaN</c> (any case: <c>nan</c>, <c>NAN</c>) is also flagged
/// missing (R's <c>is.na(NaN)</c> is TRUE).</para>
/// <para>Types: a column is numeric when every non-missing field is a number (quoted or not; invariant
/// culture; surrounding white space allowed; <c>1e5</c>, <c>0x1A</c>, <c>Inf</c>, <c>-Inf</c>,
/// <c>infinity</c>, <c>NaN</c> in any case accepted); logical when every non-missing field is one of
/// <c>TRUE FALSE T F</c> (R 4.2 reads <c>true</c>, <c>false</c>, <c>True</c>, <c>False</c> as text), or when
/// every field is missing; otherwise categorical,
/// with the distinct field texts as levels in ordinal (<see cref="StringComparer.Ordinal"/>) order.</para>
/// <para>Names: an empty header name becomes <c>X</c> and duplicates get <c>.1</c>, <c>.2</c>, … suffixes
/// (R's <c>make.names(unique = TRUE)</c> restricted to those two cases), each renaming reported in the
/// <c>warnings</c> list when one is given; other names are kept as written.</para>
/// <para>Errors in the input throw <see cref="GlmmInputException"/> with a one-line message naming the
/// file and, for malformed records, the physical line (the header is line 1) where the record starts.</para>
/// </remarks>
public static class CsvTableReader
{
    private const int MaxRecordChars = 1 << 26;

    /// <summary>Reads the CSV file at <paramref name="path"/>.</summary>
    /// <exception cref="GlmmInputException">The file cannot be opened or read, or is not valid CSV with a header row.</exception>
    public static DataTable Read(string path) => Read(path, warnings: null);

    /// <summary>Reads the CSV file at <paramref name="path"/>, adding a line to <paramref name="warnings"/> for each
    /// duplicate or empty header name renamed as R does (<c>x1</c>, <c>x1.1</c>).</summary>
    /// <exception cref="GlmmInputException">The file cannot be opened or read, or is not valid CSV with a header row.</exception>
    public static DataTable Read(string path, ICollection<string>? warnings) => Read(path, separator: null, warnings);

    /// <summary>Reads the delimited text file at <paramref name="path"/> with fields separated by <paramref name="separator"/>
    /// (null: detected from the header line among comma, tab and semicolon).</summary>
    /// <exception cref="GlmmInputException">The file cannot be opened or read, or is not valid delimited text with a header row.</exception>
    public static DataTable Read(string path, char? separator, ICollection<string>? warnings)
    {
        ArgumentNullException.ThrowIfNull(path);
        var stream = TableReader.OpenFile(path);
        using (stream)
        using (var reader = new StreamReader(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16))
        {
            return Read(reader, path, separator, warnings);
        }
    }

    /// <summary>
    /// Reads CSV text from <paramref name="reader"/> (which is not closed). <paramref name="sourceName"/>
    /// names the input in error messages (usually the file name).
    /// </summary>
    /// <exception cref="GlmmInputException">The input cannot be read or is not valid CSV with a header row.</exception>
    public static DataTable Read(TextReader reader, string sourceName) => Read(reader, sourceName, warnings: null);

    /// <summary>Reads CSV text from <paramref name="reader"/>, adding a line to <paramref name="warnings"/> for each renamed header name.</summary>
    /// <exception cref="GlmmInputException">The input cannot be read or is not valid CSV with a header row.</exception>
    public static DataTable Read(TextReader reader, string sourceName, ICollection<string>? warnings) => Read(reader, sourceName, separator: null, warnings);

    /// <summary>
    /// Reads delimited text from <paramref name="reader"/> with fields separated by <paramref name="separator"/> (null: detected
    /// from the header line: the most frequent of comma, tab and semicolon outside quotes, comma on a tie or when there is none).
    /// </summary>
    /// <exception cref="GlmmInputException">The input cannot be read or is not valid delimited text with a header row.</exception>
    public static DataTable Read(TextReader reader, string sourceName, char? separator, ICollection<string>? warnings)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(sourceName);
        if (separator is '"' or '\r' or '\n')
            throw new GlmmInputException($"the field separator cannot be {(separator == '"' ? "a quote" : "a line break")}");
        try
        {
            if (separator is null)
            {
                var head = new PrefixedTextReader(reader);
                return ReadCore(head, sourceName, head.DetectSeparator(), warnings);
            }
            return ReadCore(reader, sourceName, separator.Value, warnings);
        }
        catch (IOException e)
        {
            throw new GlmmInputException($"cannot read data file '{sourceName}': {OneLine(e.Message)}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new GlmmInputException($"cannot read data file '{sourceName}': permission denied", e);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static DataTable ReadCore(TextReader reader, string sourceName, char separator, ICollection<string>? warnings)
    {
        var options = new CsvDataReaderOptions
        {
            HasHeaders = false,
            Delimiter = separator,
            Quote = '"',
            Escape = '"',
            CsvStyle = CsvStyle.Standard,
            ResultSetMode = ResultSetMode.SingleResult,
            BufferSize = 1 << 16,
            MaxBufferSize = MaxRecordChars,
            OwnsReader = false,
        };

        // A byte order mark that the reader did not remove itself (e.g. a StringReader).
        if (reader.Peek() == '\uFEFF') reader.Read();

        int line = 1; // physical line on which the next record starts
        CsvDataReader csv;
        try
        {
            csv = CsvDataReader.Create(reader, options);
        }
        catch (Exception e) when (e is CsvFormatException or CsvRecordTooLargeException)
        {
            throw Malformed(sourceName, line, e, separator);
        }

        using (csv)
        {
            string[]? header = null;
            InferringColumnBuilder[] builders = [];
            int fieldCount = 0;
            while (true)
            {
                bool more;
                try
                {
                    more = csv.Read();
                }
                catch (Exception e) when (e is CsvFormatException or CsvRecordTooLargeException)
                {
                    throw Malformed(sourceName, line, e, separator);
                }
                if (!more) break;

                var raw = csv.GetRawRecordSpan();
                int recordLine = line;
                line += CountLineBreaks(raw);
                if (IsBlankLine(raw)) continue;

                int found = csv.RowFieldCount;
                if (header is null)
                {
                    header = new string[found];
                    for (int j = 0; j < found; j++) header[j] = csv.GetFieldSpan(j).ToString();
                    var names = ColumnNames.MakeUnique(header);
                    if (warnings is not null)
                        for (int j = 0; j < found; j++)
                            if (names[j] != header[j])
                                warnings.Add(GlmmInputException.Printable(header[j].Length == 0
                                    ? $"{Path.GetFileName(sourceName)}: column {j + 1} has no name and is read as '{names[j]}' (as R's read.csv)"
                                    : $"{Path.GetFileName(sourceName)}: duplicate column name '{header[j]}' (column {j + 1}) is read as '{names[j]}' (as R's read.csv); the formula's '{header[j]}' is the first such column"));
                    fieldCount = found;
                    builders = new InferringColumnBuilder[found];
                    for (int j = 0; j < found; j++) builders[j] = new InferringColumnBuilder(names[j]);
                    continue;
                }

                if (found != fieldCount)
                    throw new GlmmInputException(
                        $"data file '{sourceName}', line {recordLine}: expected {fieldCount} field{(fieldCount == 1 ? "" : "s")} but found {found}");
                for (int j = 0; j < builders.Length; j++) builders[j].Add(csv.GetFieldSpan(j));
            }

            if (header is null)
                throw new GlmmInputException($"data file '{sourceName}' is empty: expected a header line with column names");

            var columns = new Column[builders.Length];
            for (int j = 0; j < columns.Length; j++) columns[j] = builders[j].Build();
            return new DataTable(columns);
        }
    }

    private static GlmmInputException Malformed(string sourceName, int line, Exception e, char separator)
    {
        string sep = separator switch { ',' => "a comma", '\t' => "a tab", ';' => "a semicolon", _ => $"the separator '{separator}'" };
        string what = e switch
        {
            CsvRecordTooLargeException => "record is too long (is a quote not closed?)",
            _ when e.Message.Contains("without a closing quote", StringComparison.Ordinal) => "quoted field is not closed (missing closing quote)",
            _ when e.Message.Contains("after a closing quote", StringComparison.Ordinal) => $"a closing quote must be followed by {sep} or the end of the line",
            _ => "malformed CSV record: " + OneLine(e.Message),
        };
        return new GlmmInputException($"data file '{sourceName}', line {line}: {what}", e);
    }

    /// <summary>Number of line breaks (LF, CRLF or a lone CR) in a raw record, including its terminator.</summary>
    private static int CountLineBreaks(ReadOnlySpan<char> raw)
    {
        int breaks = raw.Count('\n');
        if (raw.Contains('\r'))
            breaks += raw.Count('\r') - raw.Count("\r\n".AsSpan());
        return breaks;
    }

    /// <summary>True when the raw record is an empty line (only a line terminator).</summary>
    private static bool IsBlankLine(ReadOnlySpan<char> raw)
    {
        foreach (char c in raw) if (c != '\r' && c != '\n') return false;
        return true;
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();

    /// <summary>
    /// A reader that first reads the input's first line (up to 64 Ki characters) into a buffer, to detect the separator, and
    /// then replays it before the rest: the separator is found without reading the input twice.
    /// </summary>
    private sealed class PrefixedTextReader(TextReader inner) : TextReader
    {
        private const int MaxHead = 1 << 16;
        private char[] _head = [];
        private int _headLength, _position;
        private bool _loaded;

        /// <summary>The most frequent of ',', '\t', ';' outside quotes on the first line; ',' on a tie or when none occurs.</summary>
        public char DetectSeparator()
        {
            Load();
            int commas = 0, tabs = 0, semicolons = 0;
            bool quoted = false;
            int start = _headLength > 0 && _head[0] == '\uFEFF' ? 1 : 0;
            for (int i = start; i < _headLength; i++)
            {
                char c = _head[i];
                if (c == '"') quoted = !quoted;
                else if (quoted) continue;
                else if (c is '\n' or '\r') break;
                else if (c == ',') commas++;
                else if (c == '\t') tabs++;
                else if (c == ';') semicolons++;
            }
            if (tabs > commas && tabs >= semicolons) return '\t';
            if (semicolons > commas && semicolons > tabs) return ';';
            return ',';
        }

        private void Load()
        {
            if (_loaded) return;
            _loaded = true;
            var buffer = new char[4096];
            var head = new List<char>();
            bool quoted = false, done = false;
            while (!done && head.Count < MaxHead)
            {
                int n = inner.Read(buffer, 0, buffer.Length);
                if (n == 0) break;
                for (int i = 0; i < n; i++)
                {
                    char c = buffer[i];
                    if (c == '"') quoted = !quoted;
                    else if (!quoted && c is '\n' or '\r') done = true;
                }
                head.AddRange(buffer.AsSpan(0, n));
            }
            _head = head.ToArray();
            _headLength = _head.Length;
        }

        public override int Peek()
        {
            Load();
            return _position < _headLength ? _head[_position] : inner.Peek();
        }

        public override int Read()
        {
            Load();
            return _position < _headLength ? _head[_position++] : inner.Read();
        }

        public override int Read(char[] buffer, int index, int count) => Read(buffer.AsSpan(index, count));

        public override int Read(Span<char> buffer)
        {
            Load();
            if (_position < _headLength)
            {
                int n = Math.Min(buffer.Length, _headLength - _position);
                _head.AsSpan(_position, n).CopyTo(buffer);
                _position += n;
                return n;
            }
            return inner.Read(buffer);
        }
    }
}
