namespace Glmm.Data;

/// <summary>A named column of a <see cref="DataTable"/>: numeric, logical or categorical, with missing values.</summary>
public abstract class Column
{
    /// <summary>Creates a column with the given name.</summary>
    protected Column(string name) => Name = name;

    /// <summary>The column's name as in the header of the data.</summary>
    public string Name { get; }

    /// <summary>The number of rows.</summary>
    public abstract int Length { get; }

    /// <summary>True when the value in <paramref name="row"/> is missing (an empty field or NA).</summary>
    public abstract bool IsMissing(int row);

    /// <summary>A short word for the column's type: "numeric", "logical" or "categorical".</summary>
    public abstract string TypeName { get; }
}

/// <summary>A column of real numbers; missing entries are flagged in <see cref="Missing"/> (their value is NaN).</summary>
public sealed class NumericColumn : Column
{
    /// <summary>Creates a numeric column. <paramref name="missing"/> may be null when nothing is missing.</summary>
    public NumericColumn(string name, double[] values, bool[]? missing = null) : base(name)
    {
        if (missing is not null && missing.Length != values.Length)
            throw new ArgumentException("missing mask length differs from values length", nameof(missing));
        Values = values;
        Missing = missing;
    }

    /// <summary>The values (NaN where missing).</summary>
    public double[] Values { get; }

    /// <summary>The missing mask, or null when no value is missing.</summary>
    public bool[]? Missing { get; }

    /// <inheritdoc />
    public override int Length => Values.Length;

    /// <inheritdoc />
    public override bool IsMissing(int row) => Missing is not null && Missing[row];

    /// <inheritdoc />
    public override string TypeName => "numeric";
}

/// <summary>A column of TRUE/FALSE values.</summary>
public sealed class LogicalColumn : Column
{
    /// <summary>Creates a logical column. <paramref name="missing"/> may be null when nothing is missing.</summary>
    public LogicalColumn(string name, bool[] values, bool[]? missing = null) : base(name)
    {
        if (missing is not null && missing.Length != values.Length)
            throw new ArgumentException("missing mask length differs from values length", nameof(missing));
        Values = values;
        Missing = missing;
    }

    /// <summary>The values (false where missing).</summary>
    public bool[] Values { get; }

    /// <summary>The missing mask, or null when no value is missing.</summary>
    public bool[]? Missing { get; }

    /// <inheritdoc />
    public override int Length => Values.Length;

    /// <inheritdoc />
    public override bool IsMissing(int row) => Missing is not null && Missing[row];

    /// <inheritdoc />
    public override string TypeName => "logical";
}

/// <summary>A categorical column (R's factor): integer codes into a list of levels; code −1 is missing.</summary>
public sealed class CategoricalColumn : Column
{
    /// <summary>Creates a categorical column from codes (−1 = missing) and level names.</summary>
    public CategoricalColumn(string name, int[] codes, string[] levels) : base(name)
    {
        Codes = codes;
        Levels = levels;
    }

    /// <summary>Code of each row: an index into <see cref="Levels"/>, or −1 when missing.</summary>
    public int[] Codes { get; }

    /// <summary>The level names, in order (the first is the reference level of treatment contrasts).</summary>
    public string[] Levels { get; }

    /// <inheritdoc />
    public override int Length => Codes.Length;

    /// <inheritdoc />
    public override bool IsMissing(int row) => Codes[row] < 0;

    /// <inheritdoc />
    public override string TypeName => "categorical";

    /// <summary>
    /// Builds a categorical column from strings (null = missing), with levels sorted in ordinal string order.
    /// </summary>
    public static CategoricalColumn FromStrings(string name, IReadOnlyList<string?> values)
    {
        // Codes by first appearance (one hash lookup per value), then the distinct values sorted and the codes renumbered.
        var first = new Dictionary<string, int>(StringComparer.Ordinal);
        var codes = new int[values.Count];
        for (int i = 0; i < codes.Length; i++)
        {
            if (values[i] is not { } v) { codes[i] = -1; continue; }
            if (!first.TryGetValue(v, out int c)) first[v] = c = first.Count;
            codes[i] = c;
        }
        var levels = new string[first.Count];
        foreach (var (v, c) in first) levels[c] = v;
        var order = new int[levels.Length];
        for (int k = 0; k < order.Length; k++) order[k] = k;
        Array.Sort((string[])levels.Clone(), order, StringComparer.Ordinal);
        var rank = new int[levels.Length];
        for (int k = 0; k < order.Length; k++) rank[order[k]] = k;
        var sorted = new string[levels.Length];
        for (int k = 0; k < order.Length; k++) sorted[k] = levels[order[k]];
        for (int i = 0; i < codes.Length; i++) if (codes[i] >= 0) codes[i] = rank[codes[i]];
        return new CategoricalColumn(name, codes, sorted);
    }
}
