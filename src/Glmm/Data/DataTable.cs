using Glmm.Data;

namespace Glmm;

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

    /// <summary>
    /// Builds a table in memory from (name, array) pairs. The element type of each array sets the column type:
    /// <c>double[]</c> (NaN = missing), <c>double?[]</c>, <c>int[]</c>, <c>int?[]</c> → numeric;
    /// <c>bool[]</c>, <c>bool?[]</c> → logical; <c>string?[]</c> (null = missing) → categorical with levels
    /// in ordinal order. Arrays are copied. See <see cref="DataTableBuilder"/> for more control (e.g. level order).
    /// </summary>
    /// <example><code>
    /// var table = DataTable.FromColumns(
    ///     ("y", new[] { 0.0, 1.0, 1.0 }),
    ///     ("group", new[] { "a", "b", "a" }));
    /// </code></example>
    /// <exception cref="ArgumentException">An array has an unsupported element type.</exception>
    /// <exception cref="GlmmInputException">The arrays differ in length or two names are equal.</exception>
    public static DataTable FromColumns(params (string Name, Array Values)[] columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        var builder = new DataTableBuilder();
        foreach (var (name, values) in columns) builder.Add(name, values);
        return builder.Build();
    }
}
