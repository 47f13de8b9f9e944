using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Glmm.Tests.Cli;

/// <summary>Ctrl-C (SIGINT) during a bootstrap: the tool still prints the fit and the finished replicates, marked partial, and exits 130.</summary>
public class InterruptTests
{
    [Fact]
    public async Task SigintDuringABootstrapPrintsAPartialJson()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return; // SIGINT is sent with kill(1)
        string tool = Path.Combine(AppContext.BaseDirectory, "glmm.dll");
        string data = Path.Combine(AppContext.BaseDirectory, "fixtures", "data", "cbpp.csv");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { tool, "fit", "--data", data, "--formula", "cbind(incidence, size - incidence) ~ period + (1 | herd)",
                     "--confint", "boot", "--nsim", "1000000", "--threads", "1", "--progress", "--format", "json" })
            start.ArgumentList.Add(a);
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
        // Wait until the bootstrap is under way (its progress line), then interrupt.
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(120))
        {
            lock (gate) if (stderr.ToString().Contains("bootstrap: ", StringComparison.Ordinal)) break;
            Assert.False(process.HasExited, "the tool ended before the bootstrap started: " + stderr);
            await Task.Delay(50);
        }
        await Task.Delay(500);
        using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill.WaitForExit();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120))) await process.WaitForExitAsync(timeout.Token);
        await reader.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(130, process.ExitCode);
        using var doc = JsonDocument.Parse(await stdout);
        var root = doc.RootElement;
        Assert.True(root.GetProperty("partial").GetBoolean());
        Assert.Equal(2, root.GetProperty("fixedEffects").GetArrayLength()); // (Intercept), period: the finished fit
        var boot = root.GetProperty("bootstrap");
        int completed = boot.GetProperty("completed").GetInt32();
        Assert.InRange(completed, 1, 999_999);
        Assert.Equal(1_000_000, boot.GetProperty("requested").GetInt32());
        Assert.Equal("boot", root.GetProperty("confintMethod").GetString());
        Assert.True(root.GetProperty("confint").GetArrayLength() > 0);
        lock (gate) Assert.Contains("interrupted", stderr.ToString());
    }
}
