using Glmm.Cli;
using Glmm.Results;

namespace Glmm.Tests.Hostile;

/// <summary>Output faults (issue 13): atomic file writes, one line and exit 2 when a write fails.</summary>
public class OutputFailureTests : IDisposable
{
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    private static readonly string Cbpp = Path.Combine(CliRunner.DataDir, "cbpp.csv");
    private const string Formula = "cbind(incidence, size - incidence) ~ factor(period) + (1 | herd)";

    private sealed class FullDiskWriter : StringWriter
    {
        public override void Write(string? value) => throw new IOException("No space left on device");
        public override void Write(char value) => throw new IOException("No space left on device");
    }

    [Fact]
    public void AFailingStdoutIsOneLineAndExitTwo()
    {
        var err = new StringWriter();
        int code = CommandLine.Run(["fit", "-d", Cbpp, "-f", Formula], new FullDiskWriter(), err);
        Assert.Equal(2, code);
        Assert.Equal("glmm: error: cannot write the output: No space left on device\n", err.ToString());
    }

    [Fact]
    public void AFailedWriteLeavesTheOldFileAndNoTemporaryFile()
    {
        var path = _cli.File("model.json", "the old content");
        var e = Assert.Throws<GlmmInputException>(() => AtomicFile.Write(path, s =>
        {
            s.Write(new byte[100]);
            throw new IOException("No space left on device");
        }));
        Assert.Equal($"cannot write '{path}': No space left on device (any existing file is unchanged)", e.Message);
        Assert.Equal("the old content", File.ReadAllText(path));
        Assert.Equal(["model.json"], Directory.GetFiles(_cli.Dir).Select(Path.GetFileName));
    }

    [Fact]
    public void ASuccessfulWriteReplacesTheFileWholeAndFollowsLinks()
    {
        var target = _cli.File("real.csv", "old");
        var link = _cli.PathOf("link.csv");
        File.CreateSymbolicLink(link, target);
        AtomicFile.WriteAllText(link, "new content\n");
        Assert.Equal("new content\n", File.ReadAllText(target));
        Assert.NotNull(new FileInfo(link).LinkTarget);
        Assert.Equal(["link.csv", "real.csv"], Directory.GetFileSystemEntries(_cli.Dir).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void SaveAndRanefOutToMissingDirectoriesAreOneLine()
    {
        var missing = Path.Combine(_cli.Dir, "no", "model.json");
        Assert.Equal($"cannot write '{missing}': the directory '{Path.GetDirectoryName(missing)}' does not exist",
            CliRunner.Refused("fit", "-d", Cbpp, "-f", Formula, "--save", missing));
        Assert.Equal($"cannot write '{_cli.Dir}': it is a directory", CliRunner.Refused("fit", "-d", Cbpp, "-f", Formula, "--ranef-out", _cli.Dir));
    }

    [Fact]
    public void SaveOverAnExistingModelReplacesItWhole()
    {
        var path = _cli.File("m.json", "{\"old\": true}");
        var (code, _, err) = CliRunner.Run("fit", "-d", Cbpp, "-f", Formula, "--save", path);
        Assert.Equal(0, code);
        Assert.Equal("", err);
        Assert.Equal(-1.39853, SavedModel.Load(path).Beta[0], 4);
        Assert.Single(Directory.GetFiles(_cli.Dir));
    }
}
