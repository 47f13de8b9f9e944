using Parquet;
using Parquet.Schema;

namespace Glmm.Data;

/// <summary>
/// Reads an Apache Parquet file into a <see cref="DataTable"/> (Parquet.Net, fully managed): only the wanted top-level
/// columns, every row group in order; integer and floating-point columns numeric, booleans logical, strings categorical
/// (levels in ordinal order, as the CSV reader), nulls missing.
/// </summary>
internal static class ParquetTableReader
{
    public static DataTable Read(Stream stream, string sourceName, IReadOnlyCollection<string>? wanted)
    {
        try
        {
            return ReadAsync(stream, sourceName, wanted).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is ParquetException or NotSupportedException or InvalidDataException or InvalidOperationException or IOException or ArgumentException)
        {
            throw new GlmmInputException($"cannot read Parquet file '{sourceName}': {e.Message.ReplaceLineEndings(" ").Trim()}", e);
        }
    }

    private static async Task<DataTable> ReadAsync(Stream stream, string sourceName, IReadOnlyCollection<string>? wanted)
    {
        await using var reader = await ParquetReader.CreateAsync(stream, leaveStreamOpen: true).ConfigureAwait(false);
        var set = wanted is null ? null : new HashSet<string>(wanted, StringComparer.Ordinal);
        var fields = new List<DataField>();
        foreach (var f in reader.Schema.Fields)
        {
            if (set is not null && !set.Contains(f.Name)) continue;
            if (f is not DataField df || df.IsArray)
                throw new GlmmInputException($"Parquet file '{sourceName}': column '{f.Name}' is nested ({f.SchemaType}); Glmm reads columns of numbers, booleans and strings");
            fields.Add(df);
        }
        long total = 0;
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            using var rg = reader.OpenRowGroupReader(g);
            total += rg.RowCount;
        }
        if (total > int.MaxValue) throw new GlmmInputException($"Parquet file '{sourceName}' has {total} rows; at most {int.MaxValue} can be read");
        int n = (int)total;
        var columns = new List<Column>(fields.Count);
        foreach (var field in fields)
            columns.Add(await ReadColumnAsync(reader, field, n, sourceName).ConfigureAwait(false));
        return new DataTable(columns);
    }

    private static async Task<Column> ReadColumnAsync(ParquetReader reader, DataField field, int n, string sourceName)
    {
        var t = field.ClrType;
        if (t == typeof(bool))
        {
            var values = new bool[n];
            bool[]? missing = null;
            int at = 0;
            for (int g = 0; g < reader.RowGroupCount; g++)
            {
                using var rg = reader.OpenRowGroupReader(g);
                int m = (int)rg.RowCount;
                if (field.IsNullable)
                {
                    var buffer = new bool?[m];
                    await rg.ReadAsync<bool>(field, buffer).ConfigureAwait(false);
                    for (int i = 0; i < m; i++)
                    {
                        if (buffer[i] is { } b) values[at + i] = b;
                        else (missing ??= new bool[n])[at + i] = true;
                    }
                }
                else await rg.ReadAsync<bool>(field, values.AsMemory(at, m)).ConfigureAwait(false);
                at += m;
            }
            return new LogicalColumn(field.Name, values, missing);
        }
        if (t == typeof(string) || t == typeof(ReadOnlyMemory<char>))
        {
            var values = new string?[n];
            int at = 0;
            for (int g = 0; g < reader.RowGroupCount; g++)
            {
                using var rg = reader.OpenRowGroupReader(g);
                int m = (int)rg.RowCount;
                await rg.ReadAsync(field, values.AsMemory(at, m)!).ConfigureAwait(false);
                at += m;
            }
            return CategoricalColumn.FromStrings(field.Name, values);
        }
        if (t == typeof(double)) return await ReadNumericAsync<double>(reader, field, n).ConfigureAwait(false);
        if (t == typeof(float)) return await ReadNumericAsync<float>(reader, field, n).ConfigureAwait(false);
        if (t == typeof(int)) return await ReadNumericAsync<int>(reader, field, n).ConfigureAwait(false);
        if (t == typeof(long)) return await ReadNumericAsync<long>(reader, field, n).ConfigureAwait(false);
        if (t == typeof(short)) return await ReadNumericAsync<short>(reader, field, n).ConfigureAwait(false);
        if (t == typeof(sbyte)) return await ReadNumericAsync<sbyte>(reader, field, n).ConfigureAwait(false);
        if (t == typeof(byte)) return await ReadNumericAsync<byte>(reader, field, n).ConfigureAwait(false);
        if (t == typeof(ushort)) return await ReadNumericAsync<ushort>(reader, field, n).ConfigureAwait(false);
        if (t == typeof(uint)) return await ReadNumericAsync<uint>(reader, field, n).ConfigureAwait(false);
        if (t == typeof(ulong)) return await ReadNumericAsync<ulong>(reader, field, n).ConfigureAwait(false);
        if (t == typeof(decimal)) return await ReadNumericAsync<decimal>(reader, field, n).ConfigureAwait(false);
        throw new GlmmInputException($"Parquet file '{sourceName}': column '{field.Name}' has type {t.Name}, which Glmm cannot use; store it as a number, a boolean or a string");
    }

    private static async Task<Column> ReadNumericAsync<T>(ParquetReader reader, DataField field, int n)
        where T : struct, System.Numerics.INumberBase<T>
    {
        var values = new double[n];
        bool[]? missing = null;
        int at = 0;
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            using var rg = reader.OpenRowGroupReader(g);
            int m = (int)rg.RowCount;
            if (field.IsNullable)
            {
                var buffer = new T?[m];
                await rg.ReadAsync<T>(field, buffer).ConfigureAwait(false);
                for (int i = 0; i < m; i++)
                {
                    if (buffer[i] is { } v) values[at + i] = double.CreateChecked(v);
                    else (missing ??= new bool[n])[at + i] = true;
                }
            }
            else
            {
                var buffer = new T[m];
                await rg.ReadAsync<T>(field, buffer).ConfigureAwait(false);
                for (int i = 0; i < m; i++) values[at + i] = double.CreateChecked(buffer[i]);
            }
            at += m;
        }
        for (int i = 0; i < n; i++)
            if (double.IsNaN(values[i])) (missing ??= new bool[n])[i] = true;
        return new NumericColumn(field.Name, values, missing);
    }
}
