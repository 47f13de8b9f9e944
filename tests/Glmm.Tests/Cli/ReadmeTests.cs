using System.Diagnostics;
using System.Text;

namespace Glmm.Tests.Cli;

/// <summary>
/// The README works word for word: its synopsis is the tool's own (<c>glmm --synopsis</c>), and every command in its
/// <c>```sh</c> blocks runs from the repository root as written (the glmm ones here, in order, in a scratch folder that
/// sees the repository's examples; the dotnet pack/tool/publish/test ones in .ci/run, which installs and runs them).
/// The C# blocks are compiled and run as one program against the package by tools/readme_snippets.sh in .ci/run.
/// </summary>
public class ReadmeTests
{
    private static readonly string Root = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));

    private static string Readme => File.ReadAllText(Path.Combine(Root, "README.md"));

    /// <summary>Commands the README shows that CI runs elsewhere (.ci/run), or that only document the development loop.</summary>
    private static readonly string[] RunElsewhere =
        { "dotnet test", "dotnet pack", "dotnet tool install", "dotnet publish", "dotnet add package", "dotnet new", "bench/run", "tools/", "Rscript", "apt-get" };

    private static readonly string[] ToolPrefixes = { "dotnet run --project src/Glmm.Cli -c Release -- ", "~/.glmm-tool/glmm ", "glmm " };

    [Fact]
    public void TheSynopsisIsTheToolsOwn()
    {
        const string marker = "<!-- synopsis: generated from `glmm --synopsis` by tools/readme_synopsis.sh; do not edit by hand -->";
        string text = Readme.Replace("\r\n", "\n");
        int at = text.IndexOf(marker, StringComparison.Ordinal);
        Assert.True(at >= 0, "the README lost its synopsis marker");
        int open = text.IndexOf("```\n", at, StringComparison.Ordinal) + 4;
        int close = text.IndexOf("```\n", open, StringComparison.Ordinal);
        var expected = new StringWriter();
        Glmm.Cli.HelpText.WriteSynopsis(expected, Glmm.Cli.CommandLine.Commands);
        Assert.True(expected.ToString().Replace("\r\n", "\n") == text[open..close],
            "the README's synopsis differs from `glmm --synopsis`: run tools/readme_synopsis.sh");
    }

    /// <summary>The shell commands of the README's sh blocks, continuation lines joined, comments removed.</summary>
    internal static List<string> ShellCommands(string readme)
    {
        var commands = new List<string>();
        bool inSh = false;
        var pending = new StringBuilder();
        foreach (var raw in readme.Replace("\r\n", "\n").Split('\n'))
        {
            if (raw.StartsWith("```", StringComparison.Ordinal))
            {
                inSh = !inSh && raw.Trim() == "```sh";
                continue;
            }
            if (!inSh) continue;
            string line = StripComment(raw).TrimEnd();
            if (line.EndsWith('\\'))
            {
                pending.Append(line[..^1]).Append(' ');
                continue;
            }
            pending.Append(line);
            string command = pending.ToString().Trim();
            pending.Clear();
            if (command.Length > 0) commands.Add(command);
        }
        return commands;
    }

    private static string StripComment(string line)
    {
        bool inDouble = false, inSingle = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (c == '"' && !inSingle) inDouble = !inDouble;
            else if (c == '\'' && !inDouble) inSingle = !inSingle;
            else if (c == '#' && !inDouble && !inSingle && (i == 0 || char.IsWhiteSpace(line[i - 1]))) return line[..i];
        }
        return line;
    }

    /// <summary>Splits a command line into words as a POSIX shell would for the quoting the README uses.</summary>
    internal static List<string> Words(string command)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        bool inDouble = false, inSingle = false, any = false;
        for (int i = 0; i < command.Length; i++)
        {
            char c = command[i];
            if (inSingle)
            {
                if (c == '\'') inSingle = false;
                else word.Append(c);
            }
            else if (inDouble)
            {
                if (c == '"') inDouble = false;
                else if (c == '\\' && i + 1 < command.Length && command[i + 1] is '"' or '\\' or '$' or '`') word.Append(command[++i]);
                else word.Append(c);
            }
            else if (c == '"') { inDouble = true; any = true; }
            else if (c == '\'') { inSingle = true; any = true; }
            else if (char.IsWhiteSpace(c))
            {
                if (word.Length > 0 || any) words.Add(word.ToString());
                word.Clear();
                any = false;
            }
            else
            {
                Assert.False(c is '|' or '<' or '>' or ';' or '&' or '$' or '`', $"the README command uses shell syntax this test does not run: {command}");
                word.Append(c);
            }
        }
        Assert.False(inDouble || inSingle, $"unbalanced quotes in the README command: {command}");
        if (word.Length > 0 || any) words.Add(word.ToString());
        return words;
    }

    [Fact]
    public void TheShellSplitterQuotesAsAShellDoes()
    {
        Assert.Equal(new[] { "fit", "-f", "y ~ x + (1 | g)", "a b", "" }, Words("fit -f \"y ~ x + (1 | g)\" 'a b' \"\""));
        var commands = ShellCommands("x\n```sh\nglmm fit \\\n   -d a.csv   # comment\n# only a comment\n```\nglmm not code\n```\nglmm plain\n```\n");
        Assert.Equal(new[] { "glmm fit     -d a.csv" }, commands);
    }

    [Fact]
    public async Task EveryCommandRunsAsWritten()
    {
        var commands = ShellCommands(Readme);
        Assert.True(commands.Count >= 8, "the README lost its examples");
        string scratch = Path.Combine(Path.GetTempPath(), $"glmm-readme-{Guid.NewGuid():N}");
        Directory.CreateDirectory(scratch);
        try
        {
            // The commands run "from the repository root": the folders they read are there; what they write lands in scratch.
            foreach (var folder in new[] { "examples", "tests", "docs" })
                Directory.CreateSymbolicLink(Path.Combine(scratch, folder), Path.Combine(Root, folder));
            int ran = 0;
            foreach (var command in commands)
            {
                var prefix = ToolPrefixes.FirstOrDefault(p => command.StartsWith(p, StringComparison.Ordinal));
                if (prefix is null)
                {
                    Assert.True(RunElsewhere.Any(p => command.StartsWith(p, StringComparison.Ordinal)),
                        $"the README shows a command that no test runs: {command}");
                    continue;
                }
                var (code, stdout, stderr) = await RunTool(scratch, Words(command[prefix.Length..]));
                Assert.True(code == 0, $"exit {code} from the README command `{command}`: {stderr}");
                Assert.False(string.IsNullOrWhiteSpace(stdout), $"no output from the README command `{command}`");
                Assert.DoesNotContain("error", stderr, StringComparison.OrdinalIgnoreCase);
                ran++;
            }
            Assert.True(ran >= 6, $"only {ran} README commands ran");
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    private static async Task<(int Code, string Stdout, string Stderr)> RunTool(string workingDirectory, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "glmm.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5))) await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
