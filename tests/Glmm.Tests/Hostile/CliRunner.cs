using Glmm.Cli;

namespace Glmm.Tests.Hostile;

/// <summary>Runs the tool in-process on files in a temporary directory (removed on dispose).</summary>
public sealed class CliRunner : IDisposable
{
    public static readonly string FixtureDir = Path.Combine(AppContext.BaseDirectory, "fixtures", "hostile");
    public static readonly string DataDir = Path.Combine(AppContext.BaseDirectory, "fixtures", "data");

    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "glmm-hostile-" + Guid.NewGuid().ToString("N"));

    public CliRunner() => Directory.CreateDirectory(Dir);

    public void Dispose() => Directory.Delete(Dir, recursive: true);

    /// <summary>Writes <paramref name="text"/> to a file in the temporary directory and returns its path.</summary>
    public string File(string name, string text)
    {
        var path = Path.Combine(Dir, name);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    public string PathOf(string name) => Path.Combine(Dir, name);

    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = CommandLine.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    /// <summary>Asserts exit code 2 with exactly one line on stderr, nothing on stdout, and returns the message after "glmm: error: ".</summary>
    public static string Refused(params string[] args)
    {
        var (code, output, err) = Run(args);
        Assert.Equal("", output);
        Assert.Equal(2, code);
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("glmm: error: ", lines[0]);
        return lines[0]["glmm: error: ".Length..];
    }
}
