using System.Text.Json;
using Glmm.Cli;

namespace Glmm.Tests.Cli;

public class DescribeCommandTests : IDisposable
{
    private static readonly string DataDir = Path.Combine(AppContext.BaseDirectory, "fixtures", "data");
    private readonly string _tmp = Path.Combine(Path.GetTempPath(), "glmm-cli-" + Guid.NewGuid().ToString("N"));

    public DescribeCommandTests() => Directory.CreateDirectory(_tmp);

    public void Dispose() => Directory.Delete(_tmp, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = CommandLine.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    private string Csv(string name, string text)
    {
        var path = Path.Combine(_tmp, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void TextOutputForContraception()
    {
        var (code, output, err) = Run("describe", "--data", Path.Combine(DataDir, "Contraception.csv"),
            "--formula", "use ~ age + I(age^2) + urban + livch + (1 + urban | district)");
        Assert.Equal("", err);
        Assert.Equal(0, code);
        var lines = output.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        Assert.Contains("Observations:  1934 (no rows dropped)", lines);
        Assert.Contains("Response:      use: binary (0/1), 759 ones and 1175 zeros", lines);
        Assert.Contains("Fixed effects: 7 columns", lines);
        Assert.Contains("  livch3+", lines);
        Assert.Contains("  district  (Intercept), urbanY  60", lines);
        Assert.Contains("  district.urbanY.(Intercept)  -Inf", lines);
        Assert.Contains("Theta: 3 parameters (lower triangles of the relative covariance factors, column by column)", lines);
    }

    [Fact]
    public void JsonOutputForVerbAgg()
    {
        var (code, output, err) = Run("describe", "--data", Path.Combine(DataDir, "VerbAgg.csv"),
            "--formula", "r2 ~ Anger + Gender + btype + situ + (1 | id) + (1 | item)", "--format", "json");
        Assert.Equal(0, code);
        Assert.Equal("", err);
        using var doc = JsonDocument.Parse(output);
        var r = doc.RootElement;
        Assert.Equal(7584, r.GetProperty("nobs").GetInt32());
        Assert.Equal(0, r.GetProperty("droppedRows").GetInt32());
        Assert.Equal(new[] { "(Intercept)", "Anger", "GenderM", "btypescold", "btypeshout", "situself" },
            r.GetProperty("fixedEffectNames").EnumerateArray().Select(e => e.GetString()).ToArray());
        var re = r.GetProperty("randomEffects").EnumerateArray().ToArray();
        Assert.Equal(2, re.Length);
        Assert.Equal("id", re[0].GetProperty("group").GetString());
        Assert.Equal(316, re[0].GetProperty("levels").GetInt32());
        Assert.Equal("item", re[1].GetProperty("group").GetString());
        Assert.Equal(24, re[1].GetProperty("levels").GetInt32());
        Assert.Equal("(Intercept)", re[1].GetProperty("terms")[0].GetString());
        Assert.Equal(2, r.GetProperty("thetaLength").GetInt32());
        Assert.Equal("binary", r.GetProperty("response").GetProperty("kind").GetString());
    }

    [Fact]
    public void DroppedRowsAreReportedWithWeights()
    {
        var path = Csv("m.csv", "y,x,g,w\n1,1.5,a,2\n0,NA,a,1\n1,2.5,b,\n0,3,b,1\n1,4,a,1\n0,1,b,3\n");
        var (code, output, _) = Run("describe", "--data", path, "--formula", "y ~ x + (1 | g)", "--weights", "w", "--format", "json");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal(4, doc.RootElement.GetProperty("nobs").GetInt32());
        Assert.Equal(2, doc.RootElement.GetProperty("droppedRows").GetInt32());
        Assert.Equal("missing values in x (1), w (1)", doc.RootElement.GetProperty("droppedReason").GetString());
        var (code2, text, _) = Run("describe", "--data", path, "--formula", "y ~ x + (1 | g)", "--weights", "w");
        Assert.Equal(0, code2);
        Assert.Contains("Observations:  4 (2 rows dropped: missing values in x (1), w (1))", text);
    }

    public static IEnumerable<object[]> BadInputs()
    {
        string c = Path.Combine(DataDir, "Contraception.csv");
        yield return new object[] { new[] { "describe", "--data", "/no/such/file.csv", "--formula", "y ~ (1|g)" }, "glmm: error: cannot open data file '/no/such/file.csv': file not found" };
        yield return new object[] { new[] { "describe", "--data", c, "--formula", "use ~ agee + (1 | district)" }, "glmm: error: formula, column 7: unknown column 'agee'; did you mean 'age'?" };
        yield return new object[] { new[] { "describe", "--data", c, "--formula", "use ~ age + (1 | district" }, "glmm: error: formula, column 26: expected ')' to close '(' at column 13 but the formula ended" };
        yield return new object[] { new[] { "describe", "--data", c, "--formula", "use ~ poly(age) + (1 | district)" }, "glmm: error: formula, column 7: unknown function 'poly' (known functions: I, log, log2, log10, exp, sqrt, abs, factor, scale, offset, cbind)" };
        yield return new object[] { new[] { "describe", "--data", c, "--formula", "use ~ age + urban" }, "glmm: error: formula 'use ~ age + urban' has no random-effects term such as (1 | group); a GLM (no random effects) is the right tool for it" };
        yield return new object[] { new[] { "describe", "--data", c, "--formula", "livch ~ age + (1 | district)" }, "glmm: error: response 'livch' is categorical with 4 levels (0, 1, 2, 3+); it must be numeric, logical or have two levels" };
        yield return new object[] { new[] { "describe", "--data", c, "--formula", "use ~ age + (1 | district)", "--format", "xml" }, "glmm: error: option --format must be one of text, json, not 'xml'" };
        yield return new object[] { new[] { "describe", "--data", c }, "glmm: error: 'describe' needs --formula FORMULA; see 'glmm describe --help'" };
        yield return new object[] { new[] { "describ" }, "glmm: error: unknown command 'describ' (commands: fit, describe, predict, compare, coef, simulate, check, plot, partition, serve); see 'glmm --help'" };
    }

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void BadInputGivesOneLineAndExitCode2(string[] args, string message)
    {
        var (code, output, err) = Run(args);
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Equal(message, err.TrimEnd('\r', '\n'));
        Assert.DoesNotContain("\n", err.TrimEnd('\r', '\n'));
    }

    [Fact]
    public void FileBasedBadInputs()
    {
        var oneLevel = Csv("one.csv", "y,x,g\n1,1,a\n0,2,a\n1,3,a\n");
        var (code, output, err) = Run("describe", "--data", oneLevel, "--formula", "y ~ x + (1 | g)");
        Assert.Equal((2, ""), (code, output));
        Assert.Equal("glmm: error: grouping factor 'g' has only one level (a) in the rows used; a random effect needs at least two", err.Trim());

        var allMissing = Csv("na.csv", "y,x,g\n1,NA,a\nNA,2,b\n");
        (code, output, err) = Run("describe", "--data", allMissing, "--formula", "y ~ x + (1 | g)");
        Assert.Equal((2, ""), (code, output));
        Assert.Equal("glmm: error: every row was dropped (missing values in y (1), x (1))", err.Trim());

        var ragged = Csv("ragged.csv", "y,x,g\n1,2,a\n1,2\n");
        (code, output, err) = Run("describe", "--data", ragged, "--formula", "y ~ x + (1 | g)");
        Assert.Equal((2, ""), (code, output));
        Assert.StartsWith("glmm: error: ", err);
        Assert.Contains("line 3", err);
    }

    [Fact]
    public void HelpListsTheOptions()
    {
        var (code, output, err) = Run("describe", "--help");
        Assert.Equal(0, code);
        Assert.Equal("", err);
        Assert.StartsWith("Usage: glmm describe --data FILE --formula FORMULA [--weights COLUMN] [--format-in FORMAT] [--sep CHAR] [--format FORMAT]", output);
        Assert.Matches(@"--format FORMAT +output format: text or json \(default: text\)", output);
        Assert.Matches(@"--format-in FORMAT +format of the data file", output);
        (code, output, _) = Run("--help");
        Assert.Equal(0, code);
        Assert.Matches(@"\n  describe +show the model structure", output);
    }
}
