namespace Glmm.Cli;

/// <summary>
/// Ctrl-C (SIGINT) for the tool: while work that can stop gracefully runs (a bootstrap after a finished fit), the first one
/// cancels it — the command then prints what it has, marked partial, and exits 130 — and the second ends the process at
/// once; at any other time the first one ends the process (exit 130).
/// </summary>
internal static class Interruption
{
    private static readonly CancellationTokenSource Source = new();
    private static int _count;
    private static volatile bool _graceful;

    /// <summary>The exit code after an interruption (128 + SIGINT).</summary>
    public const int ExitCode = 130;

    /// <summary>Cancelled by the first Ctrl-C during graceful work.</summary>
    public static CancellationToken Token => Source.Token;

    /// <summary>True after a Ctrl-C cancelled graceful work.</summary>
    public static bool Interrupted => Source.IsCancellationRequested;

    /// <summary>Hooks Ctrl-C (once per process, from <see cref="Program"/>).</summary>
    public static void Install() => Console.CancelKeyPress += (_, e) =>
    {
        if (Interlocked.Increment(ref _count) == 1 && _graceful)
        {
            e.Cancel = true;
            Console.Error.WriteLine();
            Console.Error.WriteLine("glmm: interrupted; finishing the work under way (Ctrl-C again to stop at once)");
            Source.Cancel();
        }
        else
        {
            e.Cancel = false;
            Environment.Exit(ExitCode);
        }
    };

    /// <summary>Marks the span of work that stops gracefully on Ctrl-C: <c>using (Interruption.Graceful()) { … }</c>.</summary>
    public static IDisposable Graceful()
    {
        _graceful = true;
        return new End();
    }

    private sealed class End : IDisposable
    {
        public void Dispose() => _graceful = false;
    }
}
