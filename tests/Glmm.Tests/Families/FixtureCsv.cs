using System.Globalization;

namespace Glmm.Tests.Families;

/// <summary>A tiny reader for the fixture CSVs written by R (header row; fields optionally in double quotes).</summary>
internal sealed class FixtureCsv
{
    private readonly Dictionary<string, int> _index;

    private FixtureCsv(string[] header, List<string[]> rows)
    {
        Header = header;
        Rows = rows;
        _index = header.Select((h, i) => (h, i)).ToDictionary(t => t.h, t => t.i);
    }

    public string[] Header { get; }

    public List<string[]> Rows { get; }

    public static string PathOf(params string[] parts) =>
        Path.Combine([AppContext.BaseDirectory, "fixtures", .. parts]);

    public static FixtureCsv Read(params string[] parts)
    {
        var lines = File.ReadAllLines(PathOf(parts)).Where(l => l.Length > 0).ToArray();
        var header = SplitLine(lines[0]);
        var rows = lines.Skip(1).Select(SplitLine).ToList();
        foreach (var r in rows)
            Assert.Equal(header.Length, r.Length);
        return new FixtureCsv(header, rows);
    }

    public string Text(string[] row, string column) => row[_index[column]];

    public double Number(string[] row, string column) => ParseNumber(Text(row, column));

    public double[] Numbers(string column) => Rows.Select(r => Number(r, column)).ToArray();

    public string[] Texts(string column) => Rows.Select(r => Text(r, column)).ToArray();

    public static double ParseNumber(string s) => s switch
    {
        "Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NA" or "NaN" => double.NaN,
        _ => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    private static string[] SplitLine(string line)
    {
        var fields = new List<string>();
        var sb = new System.Text.StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { sb.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else sb.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { fields.Add(sb.ToString()); sb.Clear(); }
            else sb.Append(c);
        }
        fields.Add(sb.ToString());
        return fields.ToArray();
    }
}
