namespace Glmm.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        Interruption.Install();
        return CommandLine.Run(args, Console.Out, Console.Error);
    }
}
