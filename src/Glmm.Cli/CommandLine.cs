using System.Globalization;
using System.Reflection;
using Glmm.Cli.Commands;

namespace Glmm.Cli;

/// <summary>The verbs of the glmm tool; a thin shell over the library.</summary>
internal static class CommandLine
{
    /// <summary>The verbs, in the order the help lists them. Add new verbs here.</summary>
    public static readonly IReadOnlyList<Command> Commands = new Command[]
    {
        new FitCommand(),
        new DescribeCommand(),
        new PredictCommand(),
        new CompareCommand(),
        new CoefCommand(),
        new SimulateCommand(),
        new CheckCommand(),
        new PlotCommand(),
        new PartitionCommand(),
        new ServeCommand(),
    };

    /// <summary>Runs the tool; returns the exit code (0 ok, 2 bad input, 1 internal error).</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        try
        {
            if (args.Length == 0)
                throw new GlmmInputException("no command given; see 'glmm --help'");
            string verb = args[0];
            if (verb is "-h" or "--help" or "help" or "-?")
            {
                if (verb == "help" && args.Length > 1) return Run(new[] { args[1], "--help" }, stdout, stderr);
                HelpText.WriteTool(stdout, Commands);
                return 0;
            }
            if (verb == "--synopsis")
            {
                HelpText.WriteSynopsis(stdout, Commands);
                return 0;
            }
            if (verb == "--version")
            {
                var v = typeof(CommandLine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0";
                stdout.WriteLine($"glmm {v.Split('+')[0]}");
                return 0;
            }
            var command = Commands.FirstOrDefault(c => c.Name == verb)
                ?? throw new GlmmInputException(verb.StartsWith('-')
                    ? $"expected a command before '{verb}'; see 'glmm --help'"
                    : $"unknown command '{verb}' (commands: {string.Join(", ", Commands.Select(c => c.Name))}); see 'glmm --help'");
            var rest = args.Skip(1).ToArray();
            if (command is PlotCommand) rest = PlotCommand.Rewrite(rest);
            if (rest.Any(a => a is "-h" or "--help"))
            {
                HelpText.WriteCommand(stdout, command);
                return 0;
            }
            var options = ArgumentParser.Parse(command, rest);
            // Buffer the output so that a failure leaves nothing on stdout.
            var buffer = new StringWriter(CultureInfo.InvariantCulture);
            int code = command.Execute(options, buffer, stderr);
            try
            {
                stdout.Write(buffer.ToString());
                stdout.Flush();
            }
            catch (IOException e)
            {
                // A full disk or a closed pipe behind a redirected stdout: one line, exit 2, as for any other bad output target.
                throw new GlmmInputException($"cannot write the output: {OneLine(e.Message).Trim()}");
            }
            return code;
        }
        catch (GlmmInputException e)
        {
            stderr.WriteLine("glmm: error: " + OneLine(e.Message));
            return 2;
        }
        catch (Exception e)
        {
            if (Environment.GetEnvironmentVariable("GLMM_DEBUG") == "1")
                stderr.WriteLine("glmm: internal error: " + e);
            else
                stderr.WriteLine($"glmm: internal error: {e.GetType().Name}: {OneLine(e.Message)}");
            return 1;
        }
    }

    private static string OneLine(string s) => s.ReplaceLineEndings(" ");
}
