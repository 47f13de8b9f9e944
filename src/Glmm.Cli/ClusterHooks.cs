using System.Diagnostics;
using System.Runtime.InteropServices;
using Glmm.Cli.Commands;

namespace Glmm.Cli;

/// <summary>
/// Where <c>glmm serve</c> and <c>glmm fit --cluster</c> reach the distributed runtime. The native (ahead-of-time
/// compiled) glmm has no Orleans in it: it forwards those two to the <c>glmm-cluster</c> executable installed beside it
/// (src/Glmm.Cluster, JIT-compiled), which is the same command line with the hooks below set.
/// </summary>
internal static class ClusterHooks
{
    /// <summary>Runs a fit on a cluster (every evaluation reported to the progress): the fit, and the JSON properties it adds ("workers", "partitions").</summary>
    public static Func<ParsedOptions, GlmmOptions, TextWriter, IProgress<FitEvaluation>, (GlmmFit Fit, Action<System.Text.Json.Utf8JsonWriter> Json, string Text)>? Fit { get; set; }

    /// <summary>Runs a worker until it is stopped; returns the exit code.</summary>
    public static Func<ParsedOptions, TextWriter, int>? Serve { get; set; }

    /// <summary>The name of the executable that carries the hooks.</summary>
    public const string Executable = "glmm-cluster";

    /// <summary>True when <paramref name="args"/> need the distributed runtime and this process does not have it.</summary>
    public static bool NeedsForwarding(string[] args) =>
        Serve is null && args.Length > 0 && (args[0] == "serve" || (args[0] == "fit" && args.Any(a => a == "--cluster" || a.StartsWith("--cluster=", StringComparison.Ordinal))))
        && !args.Any(a => a is "-h" or "--help");

    /// <summary>Runs glmm-cluster beside this executable with the same arguments; SIGTERM and SIGINT are passed on.</summary>
    public static int Forward(string[] args, TextWriter stderr)
    {
        var dir = AppContext.BaseDirectory;
        var native = Path.Combine(dir, Executable);
        var managed = Path.Combine(dir, Executable + ".dll");
        var start = new ProcessStartInfo { UseShellExecute = false };
        if (File.Exists(native)) start.FileName = native;
        else if (File.Exists(managed))
        {
            start.FileName = "dotnet";
            start.ArgumentList.Add(managed);
        }
        else
        {
            stderr.WriteLine($"glmm: error: '{args[0]}{(args[0] == "fit" ? " --cluster" : "")}' needs the {Executable} executable beside glmm ({dir}); install it with: dotnet publish src/Glmm.Cluster -c Release -o {dir}");
            return 2;
        }
        foreach (var a in args) start.ArgumentList.Add(a);
        using var child = Process.Start(start)!;
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; Signal(child, 15); });
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => { ctx.Cancel = true; Signal(child, 2); });
        child.WaitForExit();
        return child.ExitCode;
    }

    private static void Signal(Process child, int signal)
    {
        try
        {
            if (!child.HasExited) _ = Kill(child.Id, signal);
        }
        catch (InvalidOperationException)
        {
            // exited meanwhile
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
