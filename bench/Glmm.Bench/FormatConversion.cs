using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Types;
using Glmm.Data;
using Parquet;
using Parquet.Schema;
using Field = Apache.Arrow.Field;
using Schema = Apache.Arrow.Schema;

namespace Glmm.Bench;

/// <summary>
/// <c>convert IN.csv OUT</c>: writes the CSV's table in the format OUT's extension names (.tsv, .csv.gz, .parquet, .arrow/.feather)
/// with the format libraries' own writers — integral numeric columns as 32-bit integers, other numbers as doubles, logical
/// columns as booleans, categorical ones as strings (Parquet) or dictionary arrays in level order (Arrow), missing values as
/// nulls. <c>read-time FILE...</c>: the median time to read each file (5 reads).
/// </summary>
internal static class FormatConversion
{
    public static void Convert(string input, string output)
    {
        string lower = output.ToLowerInvariant();
        if (lower.EndsWith(".gz", StringComparison.Ordinal))
        {
            using var src = File.OpenRead(input);
            using var dst = File.Create(output);
            using var gz = new GZipStream(dst, CompressionLevel.SmallestSize);
            src.CopyTo(gz);
            return;
        }
        var table = CsvTableReader.Read(input);
        if (lower.EndsWith(".tsv", StringComparison.Ordinal)) WriteTsv(table, output);
        else if (lower.EndsWith(".parquet", StringComparison.Ordinal)) WriteParquet(table, output).GetAwaiter().GetResult();
        else if (lower.EndsWith(".arrow", StringComparison.Ordinal) || lower.EndsWith(".feather", StringComparison.Ordinal)) WriteArrow(table, output);
        else throw new ArgumentException($"unknown output format: {output}");
    }

    public static void ReadTimes(IEnumerable<string> files)
    {
        foreach (var f in files)
        {
            var times = new List<double>();
            int rows = 0;
            for (int r = 0; r < 5; r++)
            {
                var sw = Stopwatch.StartNew();
                rows = TableReader.Read(f).RowCount;
                times.Add(sw.Elapsed.TotalSeconds);
            }
            times.Sort();
            Console.WriteLine(FormattableString.Invariant($"{Path.GetFileName(f)}\t{rows}\t{new FileInfo(f).Length / 1e6:F1} MB\t{times[2]:F3} s"));
        }
    }

    private static bool Integral(NumericColumn c)
    {
        for (int i = 0; i < c.Length; i++)
        {
            if (c.IsMissing(i)) continue;
            double v = c.Values[i];
            if (v != Math.Floor(v) || Math.Abs(v) > int.MaxValue) return false;
        }
        return true;
    }

    private static void WriteTsv(DataTable table, string output)
    {
        var sb = new StringBuilder();
        sb.AppendJoin('\t', table.Columns.Select(c => c.Name)).Append('\n');
        for (int i = 0; i < table.RowCount; i++)
        {
            for (int j = 0; j < table.Columns.Count; j++)
            {
                if (j > 0) sb.Append('\t');
                var c = table.Columns[j];
                if (c.IsMissing(i)) { sb.Append("NA"); continue; }
                sb.Append(c switch
                {
                    NumericColumn n => n.Values[i].ToString("R", CultureInfo.InvariantCulture),
                    LogicalColumn l => l.Values[i] ? "TRUE" : "FALSE",
                    CategoricalColumn k => k.Levels[k.Codes[i]],
                    _ => throw new InvalidOperationException(),
                });
            }
            sb.Append('\n');
        }
        File.WriteAllText(output, sb.ToString());
    }

    private static async Task WriteParquet(DataTable table, string output)
    {
        var fields = table.Columns.Select(c => (DataField)(c switch
        {
            NumericColumn n when Integral(n) => n.Missing is null ? new DataField<int>(c.Name) : new DataField<int?>(c.Name),
            NumericColumn n => n.Missing is null ? new DataField<double>(c.Name) : new DataField<double?>(c.Name),
            LogicalColumn l => l.Missing is null ? new DataField<bool>(c.Name) : new DataField<bool?>(c.Name),
            _ => new DataField<string>(c.Name),
        })).ToArray();
        var schema = new ParquetSchema(fields);
        using var fs = File.Create(output);
        await using var writer = await ParquetWriter.CreateAsync(schema, fs);
        // Two row groups (when there are rows enough), so that readers are tested on more than one.
        int n = table.RowCount, half = n >= 2 ? n / 2 : n;
        foreach (var (from, to) in new[] { (0, half), (half, n) })
        {
            if (to <= from) continue;
            using var rg = writer.CreateRowGroup();
            for (int j = 0; j < fields.Length; j++)
            {
                var c = table.Columns[j];
                var f = fields[j];
                int m = to - from;
                switch (c)
                {
                    case NumericColumn num when f.ClrType == typeof(int):
                        if (f.IsNullable) await rg.WriteAsync<int>(f, Enumerable.Range(from, m).Select(i => num.IsMissing(i) ? (int?)null : (int)num.Values[i]).ToArray());
                        else await rg.WriteAsync<int>(f, Enumerable.Range(from, m).Select(i => (int)num.Values[i]).ToArray());
                        break;
                    case NumericColumn num:
                        if (f.IsNullable) await rg.WriteAsync<double>(f, Enumerable.Range(from, m).Select(i => num.IsMissing(i) ? (double?)null : num.Values[i]).ToArray());
                        else await rg.WriteAsync<double>(f, num.Values.AsMemory(from, m));
                        break;
                    case LogicalColumn l:
                        if (f.IsNullable) await rg.WriteAsync<bool>(f, Enumerable.Range(from, m).Select(i => l.IsMissing(i) ? (bool?)null : l.Values[i]).ToArray());
                        else await rg.WriteAsync<bool>(f, l.Values.AsMemory(from, m));
                        break;
                    case CategoricalColumn k:
                        await rg.WriteAsync(f, Enumerable.Range(from, m).Select(i => k.Codes[i] < 0 ? null! : k.Levels[k.Codes[i]]).ToArray());
                        break;
                }
            }
            rg.CompleteValidate();
        }
    }

    private static void WriteArrow(DataTable table, string output)
    {
        var fields = new List<Field>();
        var arrays = new List<IArrowArray>();
        foreach (var c in table.Columns)
        {
            switch (c)
            {
                case NumericColumn n when Integral(n):
                {
                    var b = new Int32Array.Builder();
                    for (int i = 0; i < n.Length; i++) { if (n.IsMissing(i)) b.AppendNull(); else b.Append((int)n.Values[i]); }
                    arrays.Add(b.Build());
                    fields.Add(new Field(c.Name, Int32Type.Default, n.Missing is not null));
                    break;
                }
                case NumericColumn n:
                {
                    var b = new DoubleArray.Builder();
                    for (int i = 0; i < n.Length; i++) { if (n.IsMissing(i)) b.AppendNull(); else b.Append(n.Values[i]); }
                    arrays.Add(b.Build());
                    fields.Add(new Field(c.Name, DoubleType.Default, n.Missing is not null));
                    break;
                }
                case LogicalColumn l:
                {
                    var b = new BooleanArray.Builder();
                    for (int i = 0; i < l.Length; i++) { if (l.IsMissing(i)) b.AppendNull(); else b.Append(l.Values[i]); }
                    arrays.Add(b.Build());
                    fields.Add(new Field(c.Name, BooleanType.Default, l.Missing is not null));
                    break;
                }
                case CategoricalColumn k:
                {
                    var idx = new Int32Array.Builder();
                    for (int i = 0; i < k.Length; i++) { if (k.Codes[i] < 0) idx.AppendNull(); else idx.Append(k.Codes[i]); }
                    var dict = new StringArray.Builder().AppendRange(k.Levels).Build();
                    var type = new DictionaryType(Int32Type.Default, StringType.Default, false);
                    arrays.Add(new DictionaryArray(type, idx.Build(), dict));
                    fields.Add(new Field(c.Name, type, k.Codes.Any(x => x < 0)));
                    break;
                }
            }
        }
        var schema = new Schema(fields, null);
        var batch = new RecordBatch(schema, arrays, table.RowCount);
        using var fs = File.Create(output);
        using var writer = new ArrowFileWriter(fs, schema);
        writer.WriteRecordBatch(batch);
        writer.WriteEnd();
    }
}
