namespace Glmm.Model;

/// <summary>The fixed-effects model matrix X: dense n×p, column-major, with R's column names.</summary>
public sealed class FixedEffects
{
    /// <summary>Creates X from column-major values.</summary>
    public FixedEffects(int rows, string[] names, double[] values, IReadOnlyList<string>? droppedColumns = null)
    {
        if (values.Length != rows * names.Length)
            throw new ArgumentException("values length must be rows × columns", nameof(values));
        Rows = rows;
        Names = names;
        Values = values;
        DroppedColumns = droppedColumns ?? Array.Empty<string>();
    }

    /// <summary>n, the number of rows.</summary>
    public int Rows { get; }

    /// <summary>p, the number of columns.</summary>
    public int Columns => Names.Length;

    /// <summary>Column names as R's <c>colnames(model.matrix(...))</c>.</summary>
    public string[] Names { get; }

    /// <summary>Column-major values: entry (i, j) at <c>j * Rows + i</c>.</summary>
    public double[] Values { get; }

    /// <summary>Columns removed because they were linearly dependent on earlier ones (as lme4 drops them).</summary>
    public IReadOnlyList<string> DroppedColumns { get; }

    /// <summary>Entry (row, column).</summary>
    public double this[int row, int column] => Values[column * Rows + row];

    /// <summary>Column <paramref name="column"/> as a span.</summary>
    public ReadOnlySpan<double> Column(int column) => Values.AsSpan(column * Rows, Rows);
}
