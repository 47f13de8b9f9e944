using System.Diagnostics;
using System.Globalization;

namespace Glmm.Tests.Hostile;

/// <summary>The hostile files of <see cref="HostileInputSuiteTests"/>, written once.</summary>
public sealed class HostileFiles : IDisposable
{
    public CliRunner Cli { get; } = new();

    public HostileFiles()
    {
        var inv = CultureInfo.InvariantCulture;
        string Rows(int n, Func<int, string> row) => string.Join("\n", Enumerable.Range(0, n).Select(row)) + "\n";
        Cli.File("ok.csv", "y,x,g,f,w\n" + Rows(60, i => $"{(i * 7 % 5 < 2 ? 1 : 0)},{(i / 10.0).ToString(inv)},g{i % 6},{(i % 3 == 0 ? "a" : "b")},{1 + i % 3}"));
        Cli.File("counts.csv", "y,x,g\n" + Rows(60, i => $"{i % 7},{(i / 10.0).ToString(inv)},g{i % 6}"));
        Cli.File("ragged.csv", "y,x,g\n1,2,a\n0,3\n");
        Cli.File("empty.csv", "");
        Cli.File("header_only.csv", "y,x,g\n");
        Cli.File("bom.csv", "\uFEFFy,x,g\n" + Rows(30, i => $"{i % 2},{i},g{i % 3}"));
        Cli.File("unclosed.csv", "y,x,g\n1,\"2,a\n0,3,b\n");
        Cli.File("dup.csv", "y,x,x,g\n" + Rows(30, i => $"{i % 2},{i},{-i},g{i % 3}"));
        Cli.File("all_na.csv", "y,x,g\n" + Rows(20, i => $"NA,{i},g{i % 3}"));
        Cli.File("inf.csv", "y,x,g\n" + Rows(20, i => $"{i % 2},{(i == 3 ? "Inf" : i.ToString(inv))},g{i % 3}"));
        Cli.File("big.csv", "y,x,g\n" + Rows(20, i => $"{i % 2},{(i == 3 ? "1e308" : i.ToString(inv))},g{i % 3}"));
        Cli.File("tiny.csv", "y,x,g\n" + Rows(20, i => $"{i % 2},{(i * 1e-300).ToString("R", inv)},g{i % 3}"));
        Cli.File("constant.csv", "y,x,g\n" + Rows(20, i => $"1,{i},g{i % 3}"));
        Cli.File("y2.csv", "y,x,g\n" + Rows(20, i => $"{i % 3},{i},g{i % 3}"));
        Cli.File("negative.csv", "y,x,g\n" + Rows(20, i => $"{(i == 2 ? -1 : i % 4)},{i},g{i % 3}"));
        Cli.File("one_group.csv", "y,x,g\n" + Rows(20, i => $"{i % 2},{i},a"));
        Cli.File("weird_names.csv", "\"y y\",\"x\nz\",g\n" + Rows(20, i => $"{i % 2},{i},g{i % 3}"));
        Cli.File("binary.csv", "y,x,g\n\u0000\u0001\u0002,\u00ff,\n");
        Cli.File("text_y.csv", "y,x,g\n" + Rows(20, i => $"{(i % 3 == 0 ? "yes" : i % 3 == 1 ? "no" : "maybe")},{i},g{i % 3}"));
        Cli.File("nd.csv", "x,g,f\n1,g1,a\nInf,g2,b\nNA,g3,a\n");
        foreach (var name in new[] { "separated.csv", "six_effects.csv" })
            File.Copy(Path.Combine(CliRunner.FixtureDir, name), Cli.PathOf(name));
        Cli.File("not_json.json", "this is not json");
        Cli.File("other_json.json", "{\"format\": \"something-else\"}");
        Cli.File("truncated.json", "{\"format\": \"glmm-model\", \"formatVersion\": 1, \"beta\": [1");
        Cli.File("damaged.json", "{\"format\": \"glmm-model\", \"formatVersion\": 1}");
        Cli.File("version.json", "{\"format\": \"glmm-model\", \"formatVersion\": 99}");
        var (code, _, err) = CliRunner.Run("fit", "-d", Cli.PathOf("ok.csv"), "-f", "y ~ x + f + (1 | g)", "--save", Cli.PathOf("model.json"));
        if (code != 0) throw new InvalidOperationException(err);
    }

    public void Dispose() => Cli.Dispose();
}

/// <summary>
/// The hostile-input suite (issue 13): 78 cases of formulas, CSV files, options and model files chosen to break the tool. For every
/// case the invariants hold: exit 0 with finite output (no "Infinity" or "NaN"; only warnings on stderr), or exit 2 with
/// one line on stderr and nothing on stdout; never an internal error or a stack trace; done within seconds (a fit
/// too large to finish is refused with its cost).
/// </summary>
public class HostileInputSuiteTests(HostileFiles files) : IClassFixture<HostileFiles>
{
    private static readonly string Deep = "y ~ " + new string('(', 5100) + "x" + new string(')', 5100);
    private static readonly string LongSum = "y ~ " + string.Join(" + ", Enumerable.Repeat("x", 6700)) + " + (1 | g)";
    private static readonly string DeepI = "y ~ " + string.Concat(Enumerable.Repeat("I(", 5000)) + "x" + new string(')', 5000) + " + (1 | g)";
    private static readonly string Minus = "y ~ " + new string('-', 20000) + "x + (1 | g)";
    private static readonly string Interactions = "y ~ " + string.Join("*", Enumerable.Range(1, 30).Select(i => "x")) + " + " +
        string.Join("*", "abcdefghijklmnop".Select(c => $"I(x + {c - 'a' + 1})")) + " + (1 | g)";

    /// <summary>Each case: a name and the arguments, with {NAME} standing for a file of <see cref="HostileFiles"/>.</summary>
    public static readonly TheoryData<string, string[]> Cases = new()
    {
        // Formulas
        { "deep parentheses", ["fit", "-d", "{ok.csv}", "-f", Deep] },
        { "6,700 summed terms", ["fit", "-d", "{ok.csv}", "-f", LongSum] },
        { "5,000 nested I(", ["fit", "-d", "{ok.csv}", "-f", DeepI] },
        { "20,000 unary minus", ["fit", "-d", "{ok.csv}", "-f", Minus] },
        { "2^30 interactions", ["fit", "-d", "{ok.csv}", "-f", Interactions] },
        { "empty formula", ["fit", "-d", "{ok.csv}", "-f", ""] },
        { "no tilde", ["fit", "-d", "{ok.csv}", "-f", "y x"] },
        { "unknown column", ["fit", "-d", "{ok.csv}", "-f", "y ~ xx + (1 | g)"] },
        { "unknown function", ["fit", "-d", "{ok.csv}", "-f", "y ~ foo(x) + (1 | g)"] },
        { "no random term", ["fit", "-d", "{ok.csv}", "-f", "y ~ x"] },
        { "bar outside parentheses", ["fit", "-d", "{ok.csv}", "-f", "y ~ x + 1 | g"] },
        { "control characters", ["fit", "-d", "{ok.csv}", "-f", "y ~ x\n+ (1 | g)\u0000"] },
        { "huge power", ["fit", "-d", "{ok.csv}", "-f", "y ~ I(x^1e6) + (1 | g)"] },
        { "log of zero", ["fit", "-d", "{ok.csv}", "-f", "y ~ log(x) + (1 | g)"] },
        { "grouping by a covariate", ["fit", "-d", "{ok.csv}", "-f", "y ~ 1 + (1 | x)"] },
        { "offset of infinity", ["fit", "-d", "{ok.csv}", "-f", "y ~ x + offset(log(x)) + (1 | g)"] },
        { "1e308 literal", ["fit", "-d", "{ok.csv}", "-f", "y ~ I(x * 1e308) + (1 | g)"] },
        { "describe deep", ["describe", "-d", "{ok.csv}", "-f", Deep] },
        // CSV files
        { "ragged row", ["fit", "-d", "{ragged.csv}", "-f", "y ~ x + (1 | g)"] },
        { "empty file", ["fit", "-d", "{empty.csv}", "-f", "y ~ x + (1 | g)"] },
        { "header only", ["fit", "-d", "{header_only.csv}", "-f", "y ~ x + (1 | g)"] },
        { "byte order mark", ["fit", "-d", "{bom.csv}", "-f", "y ~ x + (1 | g)"] },
        { "unclosed quote", ["fit", "-d", "{unclosed.csv}", "-f", "y ~ x + (1 | g)"] },
        { "duplicate names", ["fit", "-d", "{dup.csv}", "-f", "y ~ x + x.1 + (1 | g)"] },
        { "all responses missing", ["fit", "-d", "{all_na.csv}", "-f", "y ~ x + (1 | g)"] },
        { "Inf covariate", ["fit", "-d", "{inf.csv}", "-f", "y ~ x + (1 | g)"] },
        { "1e308 covariate", ["fit", "-d", "{big.csv}", "-f", "y ~ x + (1 | g)"] },
        { "1e-300 covariate", ["fit", "-d", "{tiny.csv}", "-f", "y ~ x + (1 | g)"] },
        { "constant response", ["fit", "-d", "{constant.csv}", "-f", "y ~ x + (1 | g)"] },
        { "binomial y of 2", ["fit", "-d", "{y2.csv}", "-f", "y ~ x + (1 | g)"] },
        { "negative count", ["fit", "-d", "{negative.csv}", "-f", "y ~ x + (1 | g)", "--family", "poisson"] },
        { "one group", ["fit", "-d", "{one_group.csv}", "-f", "y ~ x + (1 | g)"] },
        { "names with spaces and breaks", ["fit", "-d", "{weird_names.csv}", "-f", "`y y` ~ g + (1 | g)"] },
        { "binary garbage", ["fit", "-d", "{binary.csv}", "-f", "y ~ x + (1 | g)"] },
        { "three-level text response", ["fit", "-d", "{text_y.csv}", "-f", "y ~ x + (1 | g)"] },
        { "missing data file", ["fit", "-d", "{nonexistent.csv}", "-f", "y ~ x + (1 | g)"] },
        { "data file is a directory", ["fit", "-d", "{.}", "-f", "y ~ x + (1 | g)"] },
        { "zero weights column", ["fit", "-d", "{ok.csv}", "-f", "y ~ x + (1 | g)", "--weights", "x"] },
        { "text weights", ["fit", "-d", "{ok.csv}", "-f", "y ~ x + (1 | g)", "--weights", "f"] },
        // Options
        { "unknown option", ["fit", "-d", "{ok.csv}", "-f", "y ~ x + (1 | g)", "--bogus"] },
        { "nagq negative", ["fit", "-d", "{ok.csv}", "-f", "y ~ x + (1 | g)", "--nagq", "-1"] },
        { "nagq huge", ["fit", "-d", "{ok.csv}", "-f", "y ~ x + (1 | g)", "--nagq", "100000"] },
        { "nagq not a number", ["fit", "-d", "{ok.csv}", "-f", "y ~ x + (1 | g)", "--nagq", "seven"] },
        { "nagq 100 with a slope", ["fit", "-d", "{ok.csv}", "-f", "y ~ x + (1 + x + I(x^2) | g)", "--nagq", "100"] },
        { "nagq 25 crossed", ["fit", "-d", "{ok.csv}", "-f", "y ~ x + (1 | g) + (1 | f)", "--nagq", "25"] },
        { "grid without nagq", ["fit", "-d", "{ok.csv}", "-f", "y ~ x + (1 | g)", "--grid", "sparse"] },
        { "unknown grid", ["fit", "-d", "{ok.csv}", "-f", "y ~ x + (1 | g)", "--grid", "hexagonal"] },
        { "unknown family", ["fit", "-d", "{ok.csv}", "-f", "y ~ x + (1 | g)", "--family", "gamma"] },
        { "link not allowed", ["fit", "-d", "{ok.csv}", "-f", "y ~ x + (1 | g)", "--link", "sqrt"] },
        { "negative threads", ["fit", "-d", "{ok.csv}", "-f", "y ~ x + (1 | g)", "--threads", "-3"] },
        { "many threads", ["fit", "-d", "{ok.csv}", "-f", "y ~ x + (1 | g)", "--threads", "64"] },
        { "level 1", ["fit", "-d", "{ok.csv}", "-f", "y ~ x + (1 | g)", "--confint", "wald", "--level", "1"] },
        { "level NaN", ["fit", "-d", "{ok.csv}", "-f", "y ~ x + (1 | g)", "--confint", "wald", "--level", "NaN"] },
        { "nsim without boot", ["fit", "-d", "{ok.csv}", "-f", "y ~ x + (1 | g)", "--nsim", "10"] },
        { "budget NaN", ["fit", "-d", "{ok.csv}", "-f", "y ~ x + (1 | g)", "--nagq", "3", "--max-quadrature-work", "NaN"] },
        { "REML with nagq 0", ["fit", "-d", "{ok.csv}", "-f", "y ~ x + (1 | g)", "--reml", "laplace", "--nagq", "0"] },
        { "save into a missing directory", ["fit", "-d", "{ok.csv}", "-f", "y ~ x + (1 | g)", "--save", "{no/such/dir/m.json}"] },
        { "ranef-out onto a directory", ["fit", "-d", "{ok.csv}", "-f", "y ~ x + (1 | g)", "--ranef-out", "{.}"] },
        { "predict Inf", ["fit", "-d", "{ok.csv}", "-f", "y ~ x + f + (1 | g)", "--predict", "{nd.csv}"] },
        { "poisson fit", ["fit", "-d", "{counts.csv}", "-f", "y ~ x + (1 | g)", "--family", "poisson", "--format", "json"] },
        { "wald intervals", ["fit", "-d", "{ok.csv}", "-f", "y ~ x + (1 | g)", "--confint", "wald"] },
        { "weighted fit", ["fit", "-d", "{ok.csv}", "-f", "cbind(y, w - y) ~ x + (1 | g)", "--nagq", "5"] },
        { "separated data", ["fit", "-d", "{separated.csv}", "-f", "y ~ f + x1 + (1 | g)", "--nagq", "0", "--confint", "wald"] },
        { "separated data with the prior", ["fit", "-d", "{separated.csv}", "-f", "y ~ f + x1 + (1 | g)", "--fixef-prior", "normal", "--format", "json"] },
        { "compare separated", ["compare", "-d", "{separated.csv}", "-f", "y ~ x1 + (1 | g)", "-f", "y ~ f + x1 + (1 | g)"] },
        { "describe duplicates", ["describe", "-d", "{dup.csv}", "-f", "y ~ x + x.1 + (1 | g)"] },
        { "six effects, nagq 7", ["fit", "-d", "{six_effects.csv}", "-f", "y ~ x1 + x2 + x3 + x4 + x5 + (1 + x1 + x2 + x3 + x4 + x5 | g)", "--nagq", "7"] },
        { "no command", [] },
        { "unknown command", ["frobnicate"] },
        // Model files
        { "model not json", ["predict", "-m", "{not_json.json}", "-d", "{nd.csv}"] },
        { "model of another format", ["predict", "-m", "{other_json.json}", "-d", "{nd.csv}"] },
        { "model truncated", ["predict", "-m", "{truncated.json}", "-d", "{nd.csv}"] },
        { "model damaged", ["predict", "-m", "{damaged.json}", "-d", "{nd.csv}"] },
        { "model of another version", ["predict", "-m", "{version.json}", "-d", "{nd.csv}"] },
        { "model missing", ["predict", "-m", "{none.json}", "-d", "{nd.csv}"] },
        { "model is the data", ["predict", "-m", "{ok.csv}", "-d", "{nd.csv}"] },
        { "predict Inf from a model", ["predict", "-m", "{model.json}", "-d", "{nd.csv}"] },
        { "predict without the columns", ["predict", "-m", "{model.json}", "-d", "{counts.csv}"] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void InvariantsHold(string name, string[] template)
    {
        var args = template.Select(a => a.StartsWith('{') && a.EndsWith('}') ? files.Cli.PathOf(a[1..^1]) : a).ToArray();
        var clock = Stopwatch.StartNew();
        var (code, output, err) = CliRunner.Run(args);
        double seconds = clock.Elapsed.TotalSeconds;
        Assert.True(seconds < 20, $"{name}: {seconds:F1} s");
        Assert.True(code is 0 or 2, $"{name}: exit {code}: {err}");
        foreach (var text in new[] { output, err })
        {
            // (An error may quote what the user typed, e.g. "--level must lie strictly between 0 and 1, not NaN".)
            if (!template.Any(a => a.Contains("Infinity"))) Assert.DoesNotContain("Infinity", text);
            if (!template.Any(a => a.Contains("NaN"))) Assert.DoesNotContain("NaN", text);
            Assert.DoesNotContain("   at ", text);
            Assert.DoesNotContain("Exception", text);
            Assert.DoesNotContain("internal error", text);
        }
        var errLines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (code == 2)
        {
            Assert.Equal("", output);
            Assert.Single(errLines);
            Assert.StartsWith("glmm: error: ", errLines[0]);
        }
        else
        {
            Assert.All(errLines, l => Assert.StartsWith("glmm: warning: ", l));
            Assert.NotEqual("", output);
            if (output.Contains("Converged in")) Assert.Contains("logLik", output);
        }
    }
}
