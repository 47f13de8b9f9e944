using System.Text.Json;
using Glmm.Model;

namespace Glmm.Tests.Model;

/// <summary>
/// Model structures compared with R: colnames(model.matrix), values of selected rows, response, weights,
/// offset and lme4's lFormula() random-effects structure (tools/model_matrix_fixtures.R).
/// </summary>
public class ModelMatrixFixtureTests
{
    private static readonly string Dir = Path.Combine(AppContext.BaseDirectory, "fixtures", "model_matrix");
    private static readonly Dictionary<string, DataTable> Cache = new();

    public static IEnumerable<object[]> Cases() =>
        Directory.GetFiles(Dir, "*.json").Select(f => new object[] { Path.GetFileNameWithoutExtension(f) }).OrderBy(o => (string)o[0]);

    private static DataTable Load(string file)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(file, out var t))
                Cache[file] = t = CsvTableReader.Read(Path.Combine(AppContext.BaseDirectory, "fixtures", "data", file));
            return t;
        }
    }

    private static double Num(JsonElement e) => e.ValueKind == JsonValueKind.String
        ? e.GetString() switch { "-Inf" => double.NegativeInfinity, "Inf" => double.PositiveInfinity, _ => double.NaN }
        : e.GetDouble();

    private static string[] Strings(JsonElement e) => e.EnumerateArray().Select(x => x.GetString()!).ToArray();

    [Fact]
    public void AllCasesArePresent() => Assert.True(Cases().Count() >= 20);

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesR(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, name + ".json")));
        var r = doc.RootElement;
        var m = ModelBuilder.Build(r.GetProperty("formula").GetString()!, Load(r.GetProperty("data").GetString()!));

        Assert.Equal(r.GetProperty("nobs").GetInt32(), m.N);
        Assert.Equal(Strings(r.GetProperty("colnames")), m.X.Names);
        Assert.Equal(Strings(r.GetProperty("droppedColumns")), m.X.DroppedColumns);
        var rows = r.GetProperty("rows").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var x = r.GetProperty("x").EnumerateArray().ToArray();
        var y = r.GetProperty("y").EnumerateArray().Select(Num).ToArray();
        var w = r.GetProperty("weights").EnumerateArray().Select(Num).ToArray();
        var off = r.GetProperty("offset").EnumerateArray().Select(Num).ToArray();
        for (int k = 0; k < rows.Length; k++)
        {
            int i = rows[k];
            var xr = x[k].EnumerateArray().Select(Num).ToArray();
            for (int j = 0; j < xr.Length; j++)
                Assert.True(Math.Abs(xr[j] - m.X[i, j]) <= 1e-10 * Math.Max(1, Math.Abs(xr[j])),
                    $"X[{i},{m.X.Names[j]}] = {m.X[i, j]} but R has {xr[j]}");
            Assert.Equal(y[k], m.Y[i], 10);
            Assert.Equal(w[k], m.Weights[i], 10);
            Assert.Equal(off[k], m.Offset[i], 10);
        }

        var re = r.GetProperty("randomEffects").EnumerateArray().ToArray();
        Assert.Equal(re.Length, m.Random.Terms.Count);
        for (int t = 0; t < re.Length; t++)
        {
            var term = m.Random.Terms[t];
            Assert.Equal(re[t].GetProperty("group").GetString(), term.GroupName);
            Assert.Equal(Strings(re[t].GetProperty("terms")), term.TermNames);
            Assert.Equal(re[t].GetProperty("levels").GetInt32(), term.LevelCount);
            Assert.Equal(Strings(re[t].GetProperty("firstLevels")), term.Levels.Take(5).ToArray());
            var rowLevels = Strings(re[t].GetProperty("rowLevels"));
            var z = re[t].GetProperty("z").EnumerateArray().ToArray();
            for (int k = 0; k < rows.Length; k++)
            {
                int i = rows[k];
                Assert.Equal(rowLevels[k], term.Levels[term.Codes[i]]);
                var zr = z[k].EnumerateArray().Select(Num).ToArray();
                for (int j = 0; j < term.Q; j++)
                    Assert.True(Math.Abs(zr[j] - term.Covariates[i * term.Q + j]) <= 1e-10 * Math.Max(1, Math.Abs(zr[j])),
                        $"Z[{i},{term.TermNames[j]}|{term.GroupName}] = {term.Covariates[i * term.Q + j]} but R has {zr[j]}");
            }
        }
        Assert.Equal(r.GetProperty("thetaLength").GetInt32(), m.Random.ThetaLength);
        Assert.Equal(r.GetProperty("lower").EnumerateArray().Select(Num).ToArray(), m.Random.LowerBounds);
    }
}
