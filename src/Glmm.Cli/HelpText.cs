using Glmm.Cli.Commands;

namespace Glmm.Cli;

/// <summary>Writes the tool's help and each verb's help.</summary>
internal static class HelpText
{
    public static void WriteTool(TextWriter w, IReadOnlyList<Command> commands)
    {
        w.WriteLine("glmm - generalized linear mixed models by maximum likelihood (lme4-compatible formulas)");
        w.WriteLine();
        w.WriteLine("Usage: glmm COMMAND [options]");
        w.WriteLine();
        w.WriteLine("Commands:");
        int width = commands.Max(c => c.Name.Length) + 2;
        foreach (var c in commands) w.WriteLine($"  {c.Name.PadRight(width)}{c.Summary}");
        w.WriteLine();
        w.WriteLine("Options:");
        w.WriteLine("  -h, --help     show this help (or 'glmm COMMAND --help' for a command)");
        w.WriteLine("  --version      show the version");
        w.WriteLine("  --synopsis     every command with all its options, one usage each (the README's synopsis)");
        w.WriteLine();
        w.WriteLine("Exit codes: 0 success, 2 bad input (message on stderr), 1 internal error.");
    }

    public static void WriteCommand(TextWriter w, Command c)
    {
        var usage = string.Join(" ", c.Options.Select(o =>
        {
            string s = o.IsFlag ? $"--{o.Name}" : $"--{o.Name} {o.ValueName}";
            return o.Required ? s : $"[{s}]";
        }));
        w.WriteLine($"Usage: glmm {c.Name} {usage}");
        w.WriteLine();
        w.WriteLine(c.Summary);
        if (c.Description.Length > 0)
        {
            w.WriteLine();
            w.WriteLine(c.Description);
        }
        w.WriteLine();
        w.WriteLine("Options:");
        var left = c.Options.Select(o =>
            (o.Alias is null ? "    " : $"-{o.Alias}, ") + (o.IsFlag ? $"--{o.Name}" : $"--{o.Name} {o.ValueName}")).ToList();
        left.Add("-h, --help");
        int width = left.Max(s => s.Length) + 2;
        for (int i = 0; i < c.Options.Count; i++)
        {
            var o = c.Options[i];
            string help = o.Help;
            if (o.Allowed is not null) help += $": {string.Join(" or ", o.Allowed)}";
            if (o.Default is not null) help += $" (default: {o.Default})";
            if (o.Required) help += " (required)";
            WriteWrapped(w, $"  {left[i].PadRight(width)}", help);
        }
        w.WriteLine($"  {left[^1].PadRight(width)}show this help");
    }

    /// <summary>The width of the synopsis' lines (the README shows them in a code block).</summary>
    public const int SynopsisWidth = 118;

    /// <summary>
    /// Every command with all its options, as <c>glmm VERB --required V [--option V] [--flag]</c> wrapped under the
    /// verb; an option's value shows its allowed values when it has a short list. The README's synopsis is this text.
    /// </summary>
    public static void WriteSynopsis(TextWriter w, IReadOnlyList<Command> commands)
    {
        int verbWidth = commands.Max(c => c.Name.Length);
        foreach (var c in commands)
        {
            string prefix = $"glmm {c.Name.PadRight(verbWidth)} ";
            var indent = new string(' ', prefix.Length);
            var line = new System.Text.StringBuilder(prefix);
            bool first = true;
            foreach (var o in c.Options)
            {
                string value = o.IsFlag ? "" : " " + (o.Allowed is { Count: <= 6 } a && string.Join("|", a).Length <= 40 ? string.Join("|", a) : o.ValueName);
                string item = $"--{o.Name}{value}";
                if (o.Repeatable) item += $" [--{o.Name}{value} ...]";
                if (!o.Required) item = $"[{item}]";
                if (!first && line.Length + 1 + item.Length > SynopsisWidth)
                {
                    w.WriteLine(line.ToString().TrimEnd());
                    line.Clear().Append(indent);
                    first = true;
                }
                if (!first) line.Append(' ');
                line.Append(item);
                first = false;
            }
            w.WriteLine(line.ToString().TrimEnd());
        }
        w.WriteLine("glmm --help | glmm COMMAND --help | glmm --version | glmm --synopsis");
    }

    private const int LineWidth = 100;

    /// <summary>Writes <paramref name="text"/> after <paramref name="prefix"/>, wrapping at word boundaries under the prefix.</summary>
    private static void WriteWrapped(TextWriter w, string prefix, string text)
    {
        var indent = new string(' ', prefix.Length);
        var line = new System.Text.StringBuilder(prefix);
        int start = line.Length;
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Length > start && line.Length + 1 + word.Length > LineWidth)
            {
                w.WriteLine(line.ToString());
                line.Clear().Append(indent);
            }
            if (line.Length > start && line.Length > indent.Length) line.Append(' ');
            line.Append(word);
        }
        w.WriteLine(line.ToString());
    }
}
