namespace Glmm;

/// <summary>The formats a data table is read from (<see cref="TableReader"/>).</summary>
public enum DataFormat
{
    /// <summary>Chosen from the file name's extension, else from the content (gzip, Parquet and Arrow signatures; text otherwise).</summary>
    Auto,
    /// <summary>Delimited text with a header row, the separator detected (comma, tab, semicolon) unless given.</summary>
    Csv,
    /// <summary>Tab-separated text with a header row.</summary>
    Tsv,
    /// <summary>Apache Parquet.</summary>
    Parquet,
    /// <summary>Apache Arrow IPC: the file format (Feather version 2) or the stream format.</summary>
    Arrow,
}

/// <summary>How <see cref="TableReader"/> reads a table.</summary>
public sealed record TableReadOptions
{
    /// <summary>The format (default: <see cref="DataFormat.Auto"/>). Gzip compression is always recognised by its signature.</summary>
    public DataFormat Format { get; init; } = DataFormat.Auto;

    /// <summary>The field separator of delimited text (null: detected from the header line).</summary>
    public char? Separator { get; init; }

    /// <summary>
    /// The columns wanted (null: all). Columnar formats (Parquet, Arrow) read only these; names not in the file are ignored here
    /// (the model reports them). Delimited text is read whole.
    /// </summary>
    public IReadOnlyCollection<string>? Columns { get; init; }
}
