using System.Globalization;
using System.Text.Json;
using Glmm.Cli;
using Glmm.Tests.Reference;

namespace Glmm.Tests.Snapshot;

/// <summary>
/// The engine's outputs frozen before the reshaping of issue 11: the JSON of `glmm fit` (and `compare`) for every
/// reference fixture under every option the tests use, minus timing. A refactor must reproduce them within 1e-10
/// relative (counts such as evaluations and sweeps exactly). Regenerate (only for an intended change of results) with
/// GLMM_WRITE_SNAPSHOT=DIR dotnet test --filter EngineSnapshot, which writes the files into DIR.
/// </summary>
public class EngineSnapshotTests
{
    private static readonly string[] Fixtures =
        ["cbpp", "contraception", "verbagg", "grouseticks", "contraception_probit", "cbpp_cloglog", "poisson_offset",
            "nested2", "nested3_slope", "hospital_doctor", "crossed_slopes"];

    /// <summary>Case name → command-line arguments (data paths relative to the fixture data directory).</summary>
    public static IReadOnlyDictionary<string, string[]> Cases()
    {
        var cases = new SortedDictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var name in Fixtures)
        {
            var f = ReferenceFixture.Load(name);
            string[] Fit(params string[] extra)
            {
                var a = new List<string> { "fit", "--data", f.DataPath, "--formula", f.Formula, "--family", f.Family, "--link", f.Link };
                if (f.Weights is not null) a.AddRange(["--weights", f.Weights]);
                a.AddRange(extra);
                a.AddRange(["--format", "json"]);
                return a.ToArray();
            }
            cases[name + "_laplace"] = Fit("--ranef");
            cases[name + "_nagq0"] = Fit("--ranef", "--nagq", "0");
            cases[name + "_wald"] = Fit("--confint", "wald");
            if (f.Link is not ("logit" or "log")) cases[name + "_expected"] = Fit("--ranef", "--information", "expected");
            if (name is "cbpp" or "contraception" or "cbpp_cloglog")
            {
                cases[name + "_agq5"] = Fit("--ranef", "--nagq", "5");
                cases[name + "_agq5_sparse"] = Fit("--nagq", "5", "--grid", "sparse");
                cases[name + "_reml_laplace"] = Fit("--ranef", "--reml", "laplace");
                cases[name + "_reml_profile"] = Fit("--reml", "profile");
                cases[name + "_reml_pql"] = Fit("--reml", "pql");
                cases[name + "_reml_profile_agq5"] = Fit("--reml", "profile", "--nagq", "5");
            }
            if (name is "cbpp") cases[name + "_agq25"] = Fit("--nagq", "25");
            if (name is "cbpp" or "grouseticks") cases[name + "_profile"] = Fit("--confint", "profile", "--threads", "1");
            if (name is "cbpp") cases[name + "_boot"] = Fit("--confint", "boot", "--nsim", "20", "--seed", "7", "--threads", "2");
        }
        var c = ReferenceFixture.Load("contraception");
        cases["contraception_compare"] =
        [
            "compare", "--data", c.DataPath, "--formula", "use ~ age + I(age^2) + urban + livch + (1 | district)",
            "--formula", c.Formula, "--format", "json",
        ];
        var data = Path.Combine(ReferenceFixture.DataDirectory, "Contraception.csv");
        cases["contraception_uncorrelated"] = ["fit", "--data", data, "--formula", "use ~ age + urban + (1 + age || district)", "--format", "json", "--ranef"];
        cases["contraception_nested"] = ["fit", "--data", data, "--formula", "use ~ age + urban + (1 | district) + (1 | district:urban)", "--format", "json", "--ranef"];
        cases["contraception_crossed_slope"] = ["fit", "--data", data, "--formula", "use ~ age + urban + (1 + age | district) + (1 | livch)", "--format", "json", "--ranef"];
        return cases;
    }

    public static TheoryData<string> Names()
    {
        var d = new TheoryData<string>();
        foreach (var k in Cases().Keys) d.Add(k);
        return d;
    }

    private static string SnapshotDirectory => Path.Combine(AppContext.BaseDirectory, "fixtures", "snapshot");

    [Theory]
    [MemberData(nameof(Names))]
    public void OutputMatchesTheSnapshot(string name)
    {
        var args = Cases()[name];
        var o = new StringWriter(CultureInfo.InvariantCulture);
        var e = new StringWriter(CultureInfo.InvariantCulture);
        int code = CommandLine.Run(args, o, e);
        Assert.True(code == 0, e.ToString());
        string json = o.ToString();
        string? write = Environment.GetEnvironmentVariable("GLMM_WRITE_SNAPSHOT");
        if (!string.IsNullOrEmpty(write))
        {
            Directory.CreateDirectory(write);
            File.WriteAllText(Path.Combine(write, name + ".json"), json);
            return;
        }
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(SnapshotDirectory, name + ".json")));
        using var actual = JsonDocument.Parse(json);
        var diffs = new List<string>();
        Compare(expected.RootElement, actual.RootElement, "$", diffs);
        Assert.True(diffs.Count == 0, string.Join("\n", diffs.Take(20)));
    }

    /// <summary>Every value of the snapshot must be in the output (new keys are allowed); numbers within 1e-10 relative.</summary>
    private static void Compare(JsonElement want, JsonElement got, string path, List<string> diffs)
    {
        if (want.ValueKind == JsonValueKind.Number && got.ValueKind == JsonValueKind.Number)
        {
            double a = want.GetDouble(), b = got.GetDouble();
            if (!(Math.Abs(a - b) <= 1e-10 * Math.Max(Math.Abs(a), Math.Abs(b)) || Math.Abs(a - b) <= 1e-300))
                diffs.Add($"{path}: {a:R} -> {b:R}");
            return;
        }
        if (want.ValueKind != got.ValueKind) { diffs.Add($"{path}: {want.ValueKind} -> {got.ValueKind}"); return; }
        switch (want.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in want.EnumerateObject())
                {
                    if (p.Name == "seconds") continue;
                    if (!got.TryGetProperty(p.Name, out var g)) { diffs.Add($"{path}.{p.Name}: missing"); continue; }
                    Compare(p.Value, g, path + "." + p.Name, diffs);
                }
                break;
            case JsonValueKind.Array:
                if (want.GetArrayLength() != got.GetArrayLength()) { diffs.Add($"{path}: length {want.GetArrayLength()} -> {got.GetArrayLength()}"); return; }
                for (int i = 0; i < want.GetArrayLength(); i++) Compare(want[i], got[i], $"{path}[{i}]", diffs);
                break;
            case JsonValueKind.String:
                if (want.GetString() != got.GetString()) diffs.Add($"{path}: '{want.GetString()}' -> '{got.GetString()}'");
                break;
        }
    }
}
