using Apache.Arrow;
using Apache.Arrow.Ipc;

namespace Glmm.Data;

/// <summary>
/// Reads an Apache Arrow IPC file (Feather version 2) or stream into a <see cref="DataTable"/>: only the wanted columns,
/// every record batch in order; integer and floating-point arrays numeric, booleans logical, strings categorical (levels in
/// ordinal order, as the CSV reader), dictionary arrays categorical with the dictionary's order as the levels' (as R's arrow
/// package makes factors), nulls missing.
/// </summary>
internal static class ArrowTableReader
{
    public static DataTable Read(Stream stream, string sourceName, IReadOnlyCollection<string>? wanted)
    {
        try
        {
            return ReadCore(stream, sourceName, wanted);
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException or InvalidOperationException or IOException or ArgumentException or OverflowException)
        {
            throw new GlmmInputException($"cannot read Arrow file '{sourceName}': {e.Message.ReplaceLineEndings(" ").Trim()}", e);
        }
    }

    private static DataTable ReadCore(Stream stream, string sourceName, IReadOnlyCollection<string>? wanted)
    {
        var head = new byte[6];
        long start = stream.Position;
        int got = stream.Read(head, 0, 6);
        stream.Position = start;
        bool file = got == 6 && System.Text.Encoding.ASCII.GetString(head) == "ARROW1";
        if (file)
        {
            using var reader = new ArrowFileReader(stream, leaveOpen: true);
            return FromBatches(reader, sourceName, wanted);
        }
        using (var reader = new ArrowStreamReader(stream, leaveOpen: true))
            return FromBatches(reader, sourceName, wanted);
    }

    /// <summary>The table from every record batch of <paramref name="reader"/>, read while the reader (which may own their memory) is open.</summary>
    private static DataTable FromBatches(ArrowStreamReader reader, string sourceName, IReadOnlyCollection<string>? wanted)
    {
        var batches = new List<RecordBatch>();
        try
        {
            while (reader.ReadNextRecordBatch() is { } b) batches.Add(b);
            var schema = reader.Schema;
            long total = batches.Sum(b => (long)b.Length);
            if (total > int.MaxValue) throw new GlmmInputException($"Arrow file '{sourceName}' has {total} rows; at most {int.MaxValue} can be read");
            int n = (int)total;
            var set = wanted is null ? null : new HashSet<string>(wanted, StringComparer.Ordinal);
            var columns = new List<Column>();
            for (int j = 0; j < schema.FieldsList.Count; j++)
            {
                var field = schema.FieldsList[j];
                if (set is not null && !set.Contains(field.Name)) continue;
                columns.Add(ReadColumn(batches, j, field, n, sourceName));
            }
            return new DataTable(columns);
        }
        finally
        {
            foreach (var b in batches) b.Dispose();
        }
    }

    private static Column ReadColumn(List<RecordBatch> batches, int j, Field field, int n, string sourceName)
    {
        var type = field.DataType;
        switch (type)
        {
            case Apache.Arrow.Types.BooleanType:
            {
                var values = new bool[n];
                bool[]? missing = null;
                int at = 0;
                foreach (var b in batches)
                {
                    var a = (BooleanArray)b.Column(j);
                    for (int i = 0; i < a.Length; i++)
                    {
                        if (a.GetValue(i) is { } v) values[at + i] = v;
                        else (missing ??= new bool[n])[at + i] = true;
                    }
                    at += a.Length;
                }
                return new LogicalColumn(field.Name, values, missing);
            }
            case Apache.Arrow.Types.StringType or Apache.Arrow.Types.LargeStringType:
            {
                var values = new string?[n];
                int at = 0;
                foreach (var b in batches)
                {
                    var a = b.Column(j);
                    for (int i = 0; i < a.Length; i++) values[at + i] = Text(a, i);
                    at += a.Length;
                }
                return CategoricalColumn.FromStrings(field.Name, values);
            }
            case Apache.Arrow.Types.DictionaryType:
                return ReadDictionary(batches, j, field, n, sourceName);
            case Apache.Arrow.Types.NumberType:
            {
                var values = new double[n];
                bool[]? missing = null;
                int at = 0;
                foreach (var b in batches)
                {
                    var a = b.Column(j);
                    for (int i = 0; i < a.Length; i++)
                    {
                        double v = a.IsNull(i) ? double.NaN : Number(a, i);
                        values[at + i] = v;
                        if (double.IsNaN(v)) (missing ??= new bool[n])[at + i] = true;
                    }
                    at += a.Length;
                }
                return new NumericColumn(field.Name, values, missing);
            }
            default:
                throw new GlmmInputException($"Arrow file '{sourceName}': column '{field.Name}' has type {type.Name}, which Glmm cannot use; store it as a number, a boolean, a string or a dictionary of strings");
        }
    }

    private static Column ReadDictionary(List<RecordBatch> batches, int j, Field field, int n, string sourceName)
    {
        // Levels in the order of the first dictionary, then any new values of later batches' dictionaries.
        var levels = new List<string>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var codes = new int[n];
        int at = 0;
        foreach (var b in batches)
        {
            var a = (DictionaryArray)b.Column(j);
            var dict = a.Dictionary;
            if (dict.Data.DataType is not (Apache.Arrow.Types.StringType or Apache.Arrow.Types.LargeStringType))
                throw new GlmmInputException($"Arrow file '{sourceName}': column '{field.Name}' is a dictionary of {dict.Data.DataType.Name}; Glmm reads dictionaries of strings");
            var map = new int[dict.Length];
            for (int k = 0; k < dict.Length; k++)
            {
                string s = Text(dict, k) ?? "NA";
                if (!index.TryGetValue(s, out int code))
                {
                    code = levels.Count;
                    levels.Add(s);
                    index[s] = code;
                }
                map[k] = code;
            }
            var indices = a.Indices;
            for (int i = 0; i < a.Length; i++)
                codes[at + i] = a.IsNull(i) ? -1 : map[checked((int)Number(indices, i))];
            at += a.Length;
        }
        return new CategoricalColumn(field.Name, codes, levels.ToArray());
    }

    private static string? Text(IArrowArray a, int i) => a switch
    {
        StringArray s => s.IsNull(i) ? null : s.GetString(i),
        LargeStringArray s => s.IsNull(i) ? null : s.GetString(i),
        _ => throw new NotSupportedException($"unexpected array {a.GetType().Name}"),
    };

    private static double Number(IArrowArray a, int i) => a switch
    {
        DoubleArray x => x.GetValue(i)!.Value,
        FloatArray x => x.GetValue(i)!.Value,
        Int8Array x => x.GetValue(i)!.Value,
        Int16Array x => x.GetValue(i)!.Value,
        Int32Array x => x.GetValue(i)!.Value,
        Int64Array x => x.GetValue(i)!.Value,
        UInt8Array x => x.GetValue(i)!.Value,
        UInt16Array x => x.GetValue(i)!.Value,
        UInt32Array x => x.GetValue(i)!.Value,
        UInt64Array x => x.GetValue(i)!.Value,
        HalfFloatArray x => (double)x.GetValue(i)!.Value,
        _ => throw new NotSupportedException($"numbers of type {a.Data.DataType.Name} are not supported"),
    };
}
