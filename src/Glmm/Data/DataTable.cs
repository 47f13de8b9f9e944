namespace Glmm.Data;

/// <summary>A table of named, typed columns of equal length: what a model is fitted to.</summary>
public sealed class DataTable
{
    private readonly Dictionary<string, Column> _byName;

    /// <summary>Creates a table from columns of equal length with distinct names.</summary>
    public DataTable(IEnumerable<Column> columns)
    {
        Columns = columns.ToArray();
        _byName = new Dictionary<string, Column>(StringComparer.Ordinal);
        RowCount = Columns.Count == 0 ? 0 : Columns[0].Length;
        foreach (var c in Columns)
        {
            if (c.Length != RowCount)
                throw new GlmmInputException($"column '{c.Name}' has {c.Length} rows but column '{Columns[0].Name}' has {RowCount}");
            if (!_byName.TryAdd(c.Name, c))
                throw new GlmmInputException($"column name '{c.Name}' appears more than once");
        }
    }

    /// <summary>The columns in their original order.</summary>
    public IReadOnlyList<Column> Columns { get; }

    /// <summary>The number of rows.</summary>
    public int RowCount { get; }

    /// <summary>The column called <paramref name="name"/>, or null.</summary>
    public Column? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>The column called <paramref name="name"/>; throws <see cref="GlmmInputException"/> when there is none.</summary>
    public Column this[string name] => Find(name) ?? throw new GlmmInputException($"unknown column '{name}'");
}
