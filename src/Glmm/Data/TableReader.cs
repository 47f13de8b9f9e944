using System.IO.Compression;
using Glmm.Data;

namespace Glmm;

/// <summary>
/// Reads a data table from a file or stream in any of the supported formats — delimited text (comma, tab or semicolon
/// separated, as <see cref="CsvTableReader"/>), Apache Parquet, Apache Arrow IPC (file/Feather v2 or stream) — each
/// optionally gzip-compressed. The format follows <see cref="TableReadOptions.Format"/>, else the file name's extension
/// (<c>.csv</c>, <c>.txt</c>, <c>.tsv</c>, <c>.parquet</c>, <c>.arrow</c>, <c>.feather</c>, each with <c>.gz</c> or not),
/// else the content's signature.
/// </summary>
/// <remarks>
/// Column types of the columnar formats are used as they are: integer and floating-point columns are numeric, boolean
/// columns logical, string columns categorical with their distinct values as levels in ordinal order (as the CSV reader),
/// and dictionary-encoded (Arrow) columns categorical with the dictionary's order as the levels' order (as R's arrow package
/// makes factors of them). Nulls are missing values. A wanted column of another type (dates, times, nested) is refused
/// with one line naming it.
/// </remarks>
public static class TableReader
{
    /// <summary>Reads the table in the file at <paramref name="path"/>.</summary>
    /// <param name="path">The file.</param>
    /// <param name="options">Format, separator, wanted columns (null: defaults).</param>
    /// <param name="warnings">Receives a line per renamed header name of delimited text (null: not reported).</param>
    /// <exception cref="GlmmInputException">The file cannot be opened or read, or is not a valid table in its format.</exception>
    public static DataTable Read(string path, TableReadOptions? options = null, ICollection<string>? warnings = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= new TableReadOptions();
        var stream = OpenFile(path);
        using (stream) return Read(stream, path, options, warnings);
    }

    /// <summary>Opens the data file at <paramref name="path"/> for reading, or says in one line why it cannot.</summary>
    internal static FileStream OpenFile(string path)
    {
        if (Directory.Exists(path))
            throw new GlmmInputException($"cannot open data file '{path}': it is a directory");
        if (!File.Exists(path))
            throw new GlmmInputException($"cannot open data file '{path}': file not found");
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.SecurityException)
        {
            string reason = e is UnauthorizedAccessException or System.Security.SecurityException ? "permission denied" : e.Message.ReplaceLineEndings(" ").Trim();
            throw new GlmmInputException($"cannot open data file '{path}': {reason}", e);
        }
    }

    /// <summary>
    /// Reads a table from <paramref name="stream"/> (not closed; it need not be seekable, e.g. standard input).
    /// <paramref name="sourceName"/> names the input in messages, and its extension chooses the format when
    /// <see cref="TableReadOptions.Format"/> is <see cref="DataFormat.Auto"/>.
    /// </summary>
    /// <exception cref="GlmmInputException">The input cannot be read or is not a valid table in its format.</exception>
    public static DataTable Read(Stream stream, string sourceName, TableReadOptions? options = null, ICollection<string>? warnings = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);
        options ??= new TableReadOptions();
        try
        {
            var (content, nameWithoutGz) = Decompressed(stream, sourceName);
            var format = options.Format != DataFormat.Auto ? options.Format : FromExtension(nameWithoutGz) ?? FromSignature(content);
            switch (format)
            {
                case DataFormat.Parquet:
                    return ParquetTableReader.Read(Seekable(content), sourceName, options.Columns);
                case DataFormat.Arrow:
                    return ArrowTableReader.Read(Seekable(content), sourceName, options.Columns);
                default:
                {
                    char? separator = options.Separator ?? (format == DataFormat.Tsv ? '\t' : null);
                    using var reader = new StreamReader(content, new System.Text.UTF8Encoding(false), detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16, leaveOpen: true);
                    return CsvTableReader.Read(reader, sourceName, separator, warnings);
                }
            }
        }
        catch (InvalidDataException e)
        {
            throw new GlmmInputException($"cannot read data file '{sourceName}': not valid gzip data ({e.Message.ReplaceLineEndings(" ").Trim()})", e);
        }
        catch (IOException e)
        {
            throw new GlmmInputException($"cannot read data file '{sourceName}': {e.Message.ReplaceLineEndings(" ").Trim()}", e);
        }
    }

    /// <summary>The format a file name's extension names (a trailing <c>.gz</c> already removed), or null.</summary>
    public static DataFormat? FromExtension(string name)
    {
        string ext = Path.GetExtension(name).ToLowerInvariant();
        return ext switch
        {
            ".csv" or ".txt" => DataFormat.Csv,
            ".tsv" or ".tab" => DataFormat.Tsv,
            ".parquet" or ".pq" => DataFormat.Parquet,
            ".arrow" or ".feather" or ".ipc" or ".arrows" => DataFormat.Arrow,
            _ => null,
        };
    }

    /// <summary>The input without its gzip compression (when its first bytes are gzip's signature), and the name without <c>.gz</c>.</summary>
    private static (Stream Content, string Name) Decompressed(Stream stream, string name)
    {
        string bare = name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? name[..^3] : name;
        var head = new byte[2];
        var input = Peekable(stream, head, out int got);
        if (got == 2 && head[0] == 0x1f && head[1] == 0x8b)
        {
            var inflated = new MemoryStream();
            using (var gz = new GZipStream(input, CompressionMode.Decompress, leaveOpen: true)) gz.CopyTo(inflated);
            inflated.Position = 0;
            return (inflated, bare);
        }
        return (input, bare);
    }

    /// <summary>The format a signature at the start of the content names: Parquet's PAR1, Arrow's ARROW1 or stream continuation; text otherwise.</summary>
    private static DataFormat FromSignature(Stream content)
    {
        var head = new byte[6];
        var s = Peekable(content, head, out int got);
        if (!ReferenceEquals(s, content)) throw new InvalidOperationException("the content stream must be seekable here");
        if (got >= 4 && head[0] == (byte)'P' && head[1] == (byte)'A' && head[2] == (byte)'R' && head[3] == (byte)'1') return DataFormat.Parquet;
        if (got >= 6 && System.Text.Encoding.ASCII.GetString(head, 0, 6) == "ARROW1") return DataFormat.Arrow;
        if (got >= 4 && head[0] == 0xff && head[1] == 0xff && head[2] == 0xff && head[3] == 0xff) return DataFormat.Arrow;
        return DataFormat.Csv;
    }

    /// <summary>
    /// Reads the first bytes of <paramref name="stream"/> into <paramref name="head"/> and returns a stream that still starts at
    /// the beginning: the same stream rewound when it is seekable, else its whole content copied into memory.
    /// </summary>
    private static Stream Peekable(Stream stream, byte[] head, out int got)
    {
        var s = Seekable(stream);
        long start = s.Position;
        got = 0;
        while (got < head.Length)
        {
            int n = s.Read(head, got, head.Length - got);
            if (n == 0) break;
            got += n;
        }
        s.Position = start;
        return s;
    }

    private static Stream Seekable(Stream stream)
    {
        if (stream.CanSeek) return stream;
        var copy = new MemoryStream();
        stream.CopyTo(copy);
        copy.Position = 0;
        return copy;
    }
}
