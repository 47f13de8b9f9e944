using System.Globalization;
using System.Text;
using Glmm.Formulas;
using Parquet;
using Parquet.Schema;

namespace Glmm.Data;

/// <summary>Which rows of a table go to which part, and the grouping factor the parts split on.</summary>
/// <param name="TopFactor">The column whose levels are the top-level clusters (each wholly in one part).</param>
/// <param name="PartOfRow">The part of each table row.</param>
/// <param name="Clusters">Top-level clusters per part.</param>
/// <param name="Rows">Rows per part.</param>
public sealed record Partitioning(string TopFactor, int[] PartOfRow, int[] Clusters, int[] Rows);

/// <summary>
/// Splits a table into parts that each hold whole top-level clusters — the clusters of the grouping factor every
/// random-effect term shares (<c>g</c> in <c>(1 + x | g)</c>, <c>a</c> in <c>(1 | a/b)</c>) — so that the Laplace and
/// quadrature criteria are sums over the parts. Deterministic: the clusters in the factor's level order, cut into
/// contiguous runs of about equal numbers of rows. Rows whose cluster is missing go to the first part (the fit drops them).
/// </summary>
public static class DataPartitioner
{
    /// <summary>The partitioning of <paramref name="table"/> for <paramref name="formula"/> into <paramref name="parts"/> parts.</summary>
    public static Partitioning Assign(string formula, DataTable table, int parts)
    {
        if (parts < 1) throw new GlmmInputException($"--parts must be 1 or more, not {parts.ToString(CultureInfo.InvariantCulture)}");
        var top = TopFactor(formula);
        var column = table.Find(top) ?? throw new GlmmInputException($"the data have no column '{top}', the grouping factor of the formula");
        int n = table.RowCount;
        // Cluster key per row, in level order: categorical codes (levels sorted), logical 0/1, numbers by value.
        var key = new int[n];
        int clusters;
        switch (column)
        {
            case CategoricalColumn c:
                for (int i = 0; i < n; i++) key[i] = c.Codes[i];
                clusters = c.Levels.Length;
                break;
            case LogicalColumn l:
                for (int i = 0; i < n; i++) key[i] = l.IsMissing(i) ? -1 : l.Values[i] ? 1 : 0;
                clusters = 2;
                break;
            case NumericColumn num:
            {
                var distinct = new SortedSet<double>();
                for (int i = 0; i < n; i++) if (!num.IsMissing(i) && !double.IsNaN(num.Values[i])) distinct.Add(num.Values[i]);
                var index = new Dictionary<double, int>();
                foreach (var v in distinct) index[v] = index.Count;
                for (int i = 0; i < n; i++) key[i] = num.IsMissing(i) || double.IsNaN(num.Values[i]) ? -1 : index[num.Values[i]];
                clusters = distinct.Count;
                break;
            }
            default: throw new InvalidOperationException("unknown column type");
        }
        var rowsOf = new long[clusters];
        for (int i = 0; i < n; i++) if (key[i] >= 0) rowsOf[key[i]]++;
        var used = Enumerable.Range(0, clusters).Where(k => rowsOf[k] > 0).ToArray();
        if (used.Length < 2 * parts)
            throw new GlmmInputException($"--parts {parts.ToString(CultureInfo.InvariantCulture)} is too many for {used.Length.ToString(CultureInfo.InvariantCulture)} clusters of '{top}': each part needs at least two whole clusters");
        long total = used.Sum(k => rowsOf[k]);
        var partOf = new int[clusters];
        long before = 0;
        int clustersLeft = used.Length;
        int current = 0;
        var clusterCount = new int[parts];
        foreach (int k in used)
        {
            // The run of part p ends where the rows before reach p+1 parts' share, keeping two clusters for each later part.
            int wanted = (int)Math.Min(parts - 1, before * parts / total);
            if (wanted > current && clusterCount[current] >= 2) current++;
            while (parts - 1 - current > 0 && clustersLeft <= 2 * (parts - 1 - current) && clusterCount[current] >= 2) current++;
            partOf[k] = current;
            clusterCount[current]++;
            before += rowsOf[k];
            clustersLeft--;
        }
        var partOfRow = new int[n];
        var rowCount = new int[parts];
        for (int i = 0; i < n; i++)
        {
            partOfRow[i] = key[i] >= 0 ? partOf[key[i]] : 0;
            rowCount[partOfRow[i]]++;
        }
        return new Partitioning(top, partOfRow, clusterCount, rowCount);
    }

    /// <summary>
    /// The grouping variable every random-effect term shares (the top of a nesting); a model whose terms share none
    /// (crossed factors) is refused with the reason.
    /// </summary>
    public static string TopFactor(string formula)
    {
        var f = Formula.Parse(formula);
        if (f.RandomTerms.Count == 0) throw new GlmmInputException($"formula '{formula.Trim()}' has no random-effects term such as (1 | group)");
        List<string>? common = null;
        foreach (var rt in f.RandomTerms)
        {
            var names = rt.GroupFactors.Select(g => g.Deparse()).ToList();
            common = common is null ? names : common.Where(names.Contains).ToList();
        }
        if (common is null || common.Count == 0)
            throw new GlmmInputException($"the random-effect terms of '{formula.Trim()}' share no grouping factor (crossed factors: {string.Join(", ", f.RandomTerms.Select(t => t.GroupName).Distinct())}); a distributed fit needs the criterion to be a sum over independent top-level clusters, and crossed factors couple the partitions");
        var top = common[0];
        if (!IsPlainName(top))
            throw new GlmmInputException($"the grouping factor '{top}' must be a column of the data to partition on");
        return top;
    }

    private static bool IsPlainName(string s) => s.Length > 0 && s.All(ch => char.IsLetterOrDigit(ch) || ch is '_' or '.');

    /// <summary>Writes the rows of <paramref name="table"/> in part <paramref name="part"/> to <paramref name="path"/> (.parquet or .csv).</summary>
    public static void WritePart(DataTable table, Partitioning p, int part, string path)
    {
        var rows = new List<int>(p.Rows[part]);
        for (int i = 0; i < p.PartOfRow.Length; i++) if (p.PartOfRow[i] == part) rows.Add(i);
        var tmp = path + ".tmp";
        if (path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)) WriteCsv(table, rows, tmp);
        else WriteParquet(table, rows, tmp).GetAwaiter().GetResult();
        File.Move(tmp, path, overwrite: true);
    }

    private static void WriteCsv(DataTable table, List<int> rows, string path)
    {
        using var w = new StreamWriter(path, false, new UTF8Encoding(false));
        w.WriteLine(string.Join(",", table.Columns.Select(c => Quote(c.Name))));
        var sb = new StringBuilder();
        foreach (int i in rows)
        {
            sb.Clear();
            for (int j = 0; j < table.Columns.Count; j++)
            {
                if (j > 0) sb.Append(',');
                var c = table.Columns[j];
                if (c.IsMissing(i)) { sb.Append("NA"); continue; }
                sb.Append(c switch
                {
                    NumericColumn num => num.Values[i].ToString("R", CultureInfo.InvariantCulture),
                    LogicalColumn l => l.Values[i] ? "TRUE" : "FALSE",
                    CategoricalColumn k => Quote(k.Levels[k.Codes[i]]),
                    _ => throw new InvalidOperationException("unknown column type"),
                });
            }
            w.WriteLine(sb.ToString());
        }
    }

    private static string Quote(string s) =>
        s.IndexOfAny(new[] { ',', '"', '\n', '\r' }) >= 0 || s.Length == 0 || s != s.Trim() ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;

    private static async Task WriteParquet(DataTable table, List<int> rows, string path)
    {
        var fields = table.Columns.Select(c => (DataField)(c switch
        {
            NumericColumn => new DataField<double?>(c.Name),
            LogicalColumn => new DataField<bool?>(c.Name),
            _ => new DataField<string>(c.Name),
        })).ToArray();
        var schema = new ParquetSchema(fields);
        using var fs = File.Create(path);
        await using var writer = await ParquetWriter.CreateAsync(schema, fs).ConfigureAwait(false);
        using var rg = writer.CreateRowGroup();
        int m = rows.Count;
        for (int j = 0; j < fields.Length; j++)
        {
            var c = table.Columns[j];
            var f = fields[j];
            switch (c)
            {
                case NumericColumn num:
                {
                    var v = new double?[m];
                    for (int r = 0; r < m; r++) v[r] = num.IsMissing(rows[r]) ? null : num.Values[rows[r]];
                    await rg.WriteAsync<double>(f, v).ConfigureAwait(false);
                    break;
                }
                case LogicalColumn l:
                {
                    var v = new bool?[m];
                    for (int r = 0; r < m; r++) v[r] = l.IsMissing(rows[r]) ? null : l.Values[rows[r]];
                    await rg.WriteAsync<bool>(f, v).ConfigureAwait(false);
                    break;
                }
                case CategoricalColumn k:
                {
                    var v = new string[m];
                    for (int r = 0; r < m; r++) v[r] = k.Codes[rows[r]] < 0 ? null! : k.Levels[k.Codes[rows[r]]];
                    await rg.WriteAsync(f, v).ConfigureAwait(false);
                    break;
                }
            }
        }
        rg.CompleteValidate();
    }
}
