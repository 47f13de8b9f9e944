namespace Glmm.Data;

/// <summary>
/// Builds a <see cref="DataTable"/> in memory, column by column, without a file.
/// Every <c>Add…</c> method copies its values and returns the builder, so calls can be chained.
/// </summary>
/// <example><code>
/// var table = new DataTableBuilder()
///     .AddNumeric("y", new[] { 1.0, 0.0, double.NaN })        // NaN = missing
///     .AddCategorical("herd", new[] { "2", "1", null })      // null = missing; levels "1", "2"
///     .AddLogical("treated", new bool?[] { true, null, false })
///     .Build();
/// </code></example>
public sealed class DataTableBuilder
{
    private readonly List<Column> _columns = [];

    /// <summary>The number of columns added so far.</summary>
    public int ColumnCount => _columns.Count;

    /// <summary>Adds a numeric column; NaN values are missing.</summary>
    public DataTableBuilder AddNumeric(string name, IEnumerable<double> values)
    {
        CheckName(name);
        var v = values.ToArray();
        bool[]? missing = null;
        for (int i = 0; i < v.Length; i++)
            if (double.IsNaN(v[i])) (missing ??= new bool[v.Length])[i] = true;
        return AddColumn(new NumericColumn(name, v, missing));
    }

    /// <summary>Adds a numeric column; null (and NaN) values are missing.</summary>
    public DataTableBuilder AddNumeric(string name, IEnumerable<double?> values)
    {
        CheckName(name);
        return AddNumeric(name, values.Select(x => x ?? double.NaN));
    }

    /// <summary>Adds a numeric column from integers (none missing).</summary>
    public DataTableBuilder AddNumeric(string name, IEnumerable<int> values)
    {
        CheckName(name);
        return AddNumeric(name, values.Select(x => (double)x));
    }

    /// <summary>Adds a numeric column from integers; null values are missing.</summary>
    public DataTableBuilder AddNumeric(string name, IEnumerable<int?> values)
    {
        CheckName(name);
        return AddNumeric(name, values.Select(x => x.HasValue ? x.Value : double.NaN));
    }

    /// <summary>Adds a logical column (none missing).</summary>
    public DataTableBuilder AddLogical(string name, IEnumerable<bool> values)
    {
        CheckName(name);
        return AddColumn(new LogicalColumn(name, values.ToArray()));
    }

    /// <summary>Adds a logical column; null values are missing.</summary>
    public DataTableBuilder AddLogical(string name, IEnumerable<bool?> values)
    {
        CheckName(name);
        var source = values.ToArray();
        var v = new bool[source.Length];
        bool[]? missing = null;
        for (int i = 0; i < source.Length; i++)
        {
            if (source[i] is bool b) v[i] = b;
            else (missing ??= new bool[source.Length])[i] = true;
        }
        return AddColumn(new LogicalColumn(name, v, missing));
    }

    /// <summary>
    /// Adds a categorical column; null values are missing. The levels are the distinct values in ordinal
    /// (<see cref="StringComparer.Ordinal"/>) order, as <see cref="CsvTableReader"/> makes them.
    /// </summary>
    public DataTableBuilder AddCategorical(string name, IEnumerable<string?> values)
    {
        CheckName(name);
        return AddColumn(CategoricalColumn.FromStrings(name, values.ToArray()));
    }

    /// <summary>
    /// Adds a categorical column with the levels in the given order (the first is the reference level);
    /// null values are missing. Levels that no value uses are kept, as in R's <c>factor(x, levels = …)</c>.
    /// </summary>
    /// <exception cref="GlmmInputException">A value is not among <paramref name="levels"/>, or a level is repeated.</exception>
    public DataTableBuilder AddCategorical(string name, IEnumerable<string?> values, IEnumerable<string> levels)
    {
        CheckName(name);
        var levelArray = levels.ToArray();
        var index = new Dictionary<string, int>(levelArray.Length, StringComparer.Ordinal);
        for (int k = 0; k < levelArray.Length; k++)
        {
            ArgumentNullException.ThrowIfNull(levelArray[k], nameof(levels));
            if (!index.TryAdd(levelArray[k], k))
                throw new GlmmInputException($"column '{name}': level '{levelArray[k]}' is given more than once");
        }
        var source = values.ToArray();
        var codes = new int[source.Length];
        for (int i = 0; i < source.Length; i++)
        {
            if (source[i] is not { } s) { codes[i] = -1; continue; }
            if (!index.TryGetValue(s, out codes[i]))
                throw new GlmmInputException($"column '{name}', row {i + 1}: value '{s}' is not one of the given levels");
        }
        return AddColumn(new CategoricalColumn(name, codes, levelArray));
    }

    /// <summary>
    /// Adds a column whose type follows the array's element type: <c>double[]</c> (NaN = missing),
    /// <c>double?[]</c>, <c>int[]</c>, <c>int?[]</c> → numeric; <c>bool[]</c>, <c>bool?[]</c> → logical;
    /// <c>string?[]</c> (null = missing) → categorical with levels in ordinal order.
    /// </summary>
    /// <exception cref="ArgumentException">The array's element type is none of these.</exception>
    public DataTableBuilder Add(string name, Array values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return values switch
        {
            double[] d => AddNumeric(name, d),
            double?[] d => AddNumeric(name, d),
            int[] d => AddNumeric(name, d),
            int?[] d => AddNumeric(name, d),
            bool[] b => AddLogical(name, b),
            bool?[] b => AddLogical(name, b),
            string?[] s => AddCategorical(name, s),
            _ => throw new ArgumentException(
                $"column '{name}': unsupported array type {values.GetType().Name} (use double[], double?[], int[], int?[], bool[], bool?[] or string[])",
                nameof(values)),
        };
    }

    /// <summary>Adds an already built column.</summary>
    public DataTableBuilder AddColumn(Column column)
    {
        ArgumentNullException.ThrowIfNull(column);
        _columns.Add(column);
        return this;
    }

    /// <summary>Creates the table.</summary>
    /// <exception cref="GlmmInputException">The columns differ in length or two have the same name.</exception>
    public DataTable Build() => new(_columns);

    private static void CheckName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
    }
}
