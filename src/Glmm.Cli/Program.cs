namespace Glmm.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        if (ClusterHooks.NeedsForwarding(args)) return ClusterHooks.Forward(args, Console.Error);
        Interruption.Install();
        return CommandLine.Run(args, Console.Out, Console.Error);
    }
}
