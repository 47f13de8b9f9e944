using System.Collections;

namespace Glmm;

/// <summary>An immutable dense matrix of doubles (row-major copy of its source), as results expose them.</summary>
public sealed class ReadOnlyMatrix : IReadOnlyList<IReadOnlyList<double>>
{
    private readonly double[] _values;

    /// <summary>A copy of <paramref name="values"/>.</summary>
    public ReadOnlyMatrix(double[,] values)
    {
        Rows = values.GetLength(0);
        Columns = values.GetLength(1);
        _values = new double[Rows * Columns];
        for (int i = 0; i < Rows; i++)
            for (int j = 0; j < Columns; j++) _values[i * Columns + j] = values[i, j];
    }

    /// <summary>Number of rows.</summary>
    public int Rows { get; }

    /// <summary>Number of columns.</summary>
    public int Columns { get; }

    /// <summary>Entry (i, j).</summary>
    public double this[int i, int j] => (uint)i < (uint)Rows && (uint)j < (uint)Columns
        ? _values[i * Columns + j]
        : throw new ArgumentOutOfRangeException(nameof(i), "index outside the matrix");

    /// <summary>Row i.</summary>
    public IReadOnlyList<double> this[int i] => Array.AsReadOnly(_values.AsSpan(i * Columns, Columns).ToArray());

    /// <summary>Number of rows (as a list of rows).</summary>
    public int Count => Rows;

    /// <summary>A new mutable copy.</summary>
    public double[,] ToArray()
    {
        var a = new double[Rows, Columns];
        for (int i = 0; i < Rows; i++)
            for (int j = 0; j < Columns; j++) a[i, j] = _values[i * Columns + j];
        return a;
    }

    /// <summary>The rows in order.</summary>
    public IEnumerator<IReadOnlyList<double>> GetEnumerator()
    {
        for (int i = 0; i < Rows; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
