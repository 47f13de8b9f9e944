using System.Globalization;

namespace Glmm.Cli;

/// <summary>The verbs of the glmm tool; a thin shell over the library.</summary>
internal static class CommandLine
{
    /// <summary>Runs the tool; returns the exit code (0 ok, 2 bad input, 1 internal error).</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        stdout.WriteLine("glmm: not yet implemented");
        return 0;
    }
}
