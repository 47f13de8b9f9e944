using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Glmm.Tests.Cli;

/// <summary>Ctrl-C (SIGINT) during a bootstrap: the tool still prints the fit and the finished replicates, marked partial, and exits 130.</summary>
public class InterruptTests
{
    /// <summary>Runs the tool, waits until stderr contains <paramref name="cue"/>, sends SIGINT; returns exit code, stdout, stderr.</summary>
    private static async Task<(int Code, string Stdout, string Stderr)> InterruptAfter(string cue, params string[] args)
    {
        string tool = Path.Combine(AppContext.BaseDirectory, "glmm.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(tool);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = new StringBuilder();
        var gate = new object();
        var reader = Task.Run(() =>
        {
            var buffer = new char[256];
            int n;
            while ((n = process.StandardError.Read(buffer, 0, buffer.Length)) > 0)
                lock (gate) stderr.Append(buffer, 0, n);
        });
        // Wait until the work is under way (its progress line), then interrupt.
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(120))
        {
            lock (gate) if (stderr.ToString().Contains(cue, StringComparison.Ordinal)) break;
            Assert.False(process.HasExited, $"the tool ended before '{cue}' appeared: " + stderr);
            await Task.Delay(50);
        }
        await Task.Delay(500);
        using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill.WaitForExit();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120))) await process.WaitForExitAsync(timeout.Token);
        await reader.WaitAsync(TimeSpan.FromSeconds(10));
        string err;
        lock (gate) err = stderr.ToString();
        return (process.ExitCode, await stdout, err);
    }

    [Fact]
    public async Task SigintDuringABootstrapPrintsAPartialJson()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return; // SIGINT is sent with kill(1)
        string data = Path.Combine(AppContext.BaseDirectory, "fixtures", "data", "cbpp.csv");
        var (code, stdout, stderr) = await InterruptAfter("bootstrap: ", "fit", "--data", data, "--formula", "cbind(incidence, size - incidence) ~ period + (1 | herd)",
            "--confint", "boot", "--nsim", "1000000", "--threads", "1", "--progress", "--format", "json");
        Assert.Equal(130, code);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.True(root.GetProperty("partial").GetBoolean());
        Assert.Equal(2, root.GetProperty("fixedEffects").GetArrayLength()); // (Intercept), period: the finished fit
        var boot = root.GetProperty("bootstrap");
        int completed = boot.GetProperty("completed").GetInt32();
        Assert.InRange(completed, 1, 999_999);
        Assert.Equal(1_000_000, boot.GetProperty("requested").GetInt32());
        Assert.Equal("boot", root.GetProperty("confintMethod").GetString());
        Assert.True(root.GetProperty("confint").GetArrayLength() > 0);
        Assert.Contains("interrupted", stderr);
    }

    [Fact]
    public async Task SigintDuringTheFitPrintsTheInterruptedDocument()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        // 25^3 quadrature nodes per district: each evaluation of the quadrature stage takes a good part of a second.
        string data = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "examples", "contraception.csv");
        var (code, stdout, stderr) = await InterruptAfter("quadrature", "fit", "--data", data, "--formula", "use ~ age + urban + (1 + urban + age | district)",
            "--nagq", "25", "--max-quadrature-work", "0", "--threads", "1", "--verbose", "--format", "json");
        Assert.Equal(130, code);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.True(root.GetProperty("partial").GetBoolean());
        Assert.Equal("fit", root.GetProperty("interrupted").GetString());
        Assert.Equal("quadrature", root.GetProperty("stage").GetString());
        Assert.True(root.GetProperty("evaluations").GetInt32() > 1);
        Assert.True(double.IsFinite(root.GetProperty("bestObjective").GetDouble()));
        Assert.Contains("interrupted during the fit", stderr);
        // --verbose printed the log up to the interruption.
        Assert.Contains("stage 1 (beta in PIRLS)", stderr);
    }
}
