using System.Globalization;
using System.Text.Json;
using Glmm.Cli;
using Orleans.TestingHost;

namespace Glmm.Cluster.Tests;

/// <summary>
/// <c>glmm fit --cluster</c> prints what a local <c>glmm fit</c> of the same data prints: the same text lines and the
/// same JSON properties (plus "workers" and "partitions"), the numbers equal to the optimiser's tolerance — with the
/// conditional modes (--ranef), the residual quantiles, Wald intervals and the fit log (--verbose).
/// </summary>
[Collection("Orleans test cluster")]
public class OutputEqualityTests
{
    /// <summary>Properties that differ by nature: the data's name (a file against a directory), timings and counts of work.</summary>
    private static readonly HashSet<string> Unequal = new(StringComparer.Ordinal) { "data", "seconds", "evaluations", "sweeps", "fitLog" };

    private static string Run(string[] args)
    {
        var stdout = new StringWriter(CultureInfo.InvariantCulture);
        var stderr = new StringWriter(CultureInfo.InvariantCulture);
        int code = CommandLine.Run(args, stdout, stderr);
        Assert.True(code == 0, $"glmm {string.Join(' ', args)} exited {code}: {stderr}");
        return stdout.ToString();
    }

    private static bool Close(double a, double b) => Math.Abs(a - b) <= 1e-5 * Math.Max(Math.Abs(a), Math.Abs(b)) + 1e-6;

    private static void AssertTextEqual(string local, string cluster)
    {
        var a = local.Split('\n');
        var b = cluster.Split('\n');
        Assert.Equal(a.Length, b.Length);
        for (int i = 0; i < a.Length; i++)
        {
            // The data's name (a file against a directory) and the count of evaluations and seconds differ by nature.
            if (a[i].TrimStart().StartsWith("Data:", StringComparison.Ordinal) || a[i].StartsWith("Converged in", StringComparison.Ordinal))
            {
                Assert.Equal(a[i].TrimStart()[..5], b[i].TrimStart()[..5]);
                continue;
            }
            var ta = a[i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var tb = b[i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(ta.Length == tb.Length, $"line {i}: '{a[i]}' against '{b[i]}'");
            for (int k = 0; k < ta.Length; k++)
            {
                bool na = double.TryParse(ta[k], NumberStyles.Float, CultureInfo.InvariantCulture, out double x);
                bool nb = double.TryParse(tb[k], NumberStyles.Float, CultureInfo.InvariantCulture, out double y);
                if (na && nb) Assert.True(Close(x, y), $"line {i}: {ta[k]} against {tb[k]} in '{a[i]}' / '{b[i]}'");
                else Assert.True(ta[k] == tb[k], $"line {i}: '{a[i]}' against '{b[i]}'");
            }
        }
    }

    private static void AssertJsonEqual(JsonElement a, JsonElement b, string path)
    {
        Assert.True(a.ValueKind == b.ValueKind, $"{path}: {a.ValueKind} against {b.ValueKind}");
        switch (a.ValueKind)
        {
            case JsonValueKind.Object:
                var ka = a.EnumerateObject().Select(p => p.Name).ToList();
                var kb = b.EnumerateObject().Select(p => p.Name).Where(n => path.Length > 0 || n is not ("workers" or "partitions")).ToList();
                Assert.Equal(ka, kb);
                foreach (var p in a.EnumerateObject())
                    if (!Unequal.Contains(p.Name)) AssertJsonEqual(p.Value, b.GetProperty(p.Name), path + "/" + p.Name);
                break;
            case JsonValueKind.Array:
                Assert.True(a.GetArrayLength() == b.GetArrayLength(), $"{path}: {a.GetArrayLength()} against {b.GetArrayLength()} items");
                for (int i = 0; i < a.GetArrayLength(); i++) AssertJsonEqual(a[i], b[i], path + "/" + i.ToString(CultureInfo.InvariantCulture));
                break;
            case JsonValueKind.Number:
                Assert.True(Close(a.GetDouble(), b.GetDouble()), $"{path}: {a.GetDouble():R} against {b.GetDouble():R}");
                break;
            default:
                Assert.True(a.ToString() == b.ToString(), $"{path}: '{a}' against '{b}'");
                break;
        }
    }

    [Fact]
    public async Task ClusterFit_PrintsWhatALocalFitPrints()
    {
        var table = ClusterData.Table(120, 10, seed: 5);
        var whole = ClusterData.WriteParts(table, 1);
        var parts = ClusterData.WriteParts(table, 5);
        var cluster = new TestClusterBuilder(2).Build();
        await cluster.DeployAsync();
        var (serve, fit) = (ClusterHooks.Serve, ClusterHooks.Fit);
        ClusterHooks.Serve = (_, _) => 0;
        ClusterHooks.Fit = (o, f, e, p) => Program.FitWith(cluster.Client, o, f, TimeSpan.FromSeconds(60), e, p);
        try
        {
            string file = Path.Combine(whole, "part-00000.parquet");
            string[] common = ["--formula", ClusterData.Formula, "--ranef", "--confint", "wald", "--threads", "1"];
            AssertTextEqual(Run(["fit", "--data", file, .. common]), Run(["fit", "--cluster", "localhost", "--data", parts, .. common]));

            string[] json = [.. common, "--format", "json", "--verbose"];
            using var local = JsonDocument.Parse(Run(["fit", "--data", file, .. json]));
            using var onCluster = JsonDocument.Parse(Run(["fit", "--cluster", "localhost", "--data", parts, .. json]));
            AssertJsonEqual(local.RootElement, onCluster.RootElement, "");
            Assert.Equal(2, onCluster.RootElement.GetProperty("workers").GetInt32());
            Assert.Equal(5, onCluster.RootElement.GetProperty("partitions").GetInt32());
            // The fit log: every evaluation, the last ones (stage 2 on all parts) at the local fit's optimum.
            var log = onCluster.RootElement.GetProperty("fitLog");
            Assert.True(log.GetArrayLength() >= onCluster.RootElement.GetProperty("evaluations").GetInt32());
            Assert.Equal(local.RootElement.GetProperty("fitLog")[0].EnumerateObject().Select(p => p.Name), log[0].EnumerateObject().Select(p => p.Name));
            double best = log.EnumerateArray().Where(e => e.GetProperty("stage").GetString() == "Laplace").Min(e => e.GetProperty("objective").GetDouble());
            double deviance = onCluster.RootElement.GetProperty("deviance").GetDouble();
            Assert.True(best <= deviance + 1e-9 && best > deviance - 1e-3, $"best logged {best:R}, deviance {deviance:R}");

            // What needs the rows in one process is refused with one line.
            var stderr = new StringWriter(CultureInfo.InvariantCulture);
            Assert.Equal(2, CommandLine.Run(["fit", "--cluster", "localhost", "--data", parts, "--formula", ClusterData.Formula, "--confint", "profile"], new StringWriter(), stderr));
            Assert.Contains("--confint profile is not available with --cluster", stderr.ToString(), StringComparison.Ordinal);
            Assert.Single(stderr.ToString().TrimEnd().Split('\n'));
            foreach (var option in new[] { "--save", "--residuals", "--predict" })
            {
                stderr = new StringWriter(CultureInfo.InvariantCulture);
                Assert.Equal(2, CommandLine.Run(["fit", "--cluster", "localhost", "--data", parts, "--formula", ClusterData.Formula, option, option == "--residuals" ? "pearson" : file], new StringWriter(), stderr));
                Assert.StartsWith($"glmm: error: {option} is not available with --cluster", stderr.ToString(), StringComparison.Ordinal);
            }

            // --ranef-out: the same file as a local fit's.
            string ranefLocal = Path.Combine(whole, "ranef-local.csv"), ranefCluster = Path.Combine(parts, "ranef-cluster.csv");
            Run(["fit", "--data", file, "--formula", ClusterData.Formula, "--threads", "1", "--ranef-out", ranefLocal]);
            Run(["fit", "--cluster", "localhost", "--data", parts, "--formula", ClusterData.Formula, "--threads", "1", "--ranef-out", ranefCluster]);
            AssertTextEqual(File.ReadAllText(ranefLocal).Replace(',', ' '), File.ReadAllText(ranefCluster).Replace(',', ' '));
        }
        finally
        {
            (ClusterHooks.Serve, ClusterHooks.Fit) = (serve, fit);
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
            Directory.Delete(whole, true);
            Directory.Delete(parts, true);
        }
    }
}
