using Glmm.Cli.Commands;

namespace Glmm.Cli;

/// <summary>
/// Parses <c>--name value</c>, <c>--name=value</c>, <c>-x value</c> and flags against a command's options;
/// unknown, repeated or missing options are user errors (<see cref="GlmmInputException"/>).
/// </summary>
internal static class ArgumentParser
{
    public static ParsedOptions Parse(Command command, IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            string? inline = null;
            OptionSpec? spec;
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                string name = arg[2..];
                int eq = name.IndexOf('=');
                if (eq >= 0) { inline = name[(eq + 1)..]; name = name[..eq]; }
                spec = command.Options.FirstOrDefault(o => o.Name == name);
                if (spec is null)
                    throw new GlmmInputException($"unknown option '--{name}' for '{command.Name}'{Suggest(name, command)}; see 'glmm {command.Name} --help'");
            }
            else if (arg.StartsWith('-') && arg.Length == 2)
            {
                spec = command.Options.FirstOrDefault(o => o.Alias == arg[1..]);
                if (spec is null)
                    throw new GlmmInputException($"unknown option '{arg}' for '{command.Name}'; see 'glmm {command.Name} --help'");
            }
            else
            {
                throw new GlmmInputException($"unexpected argument '{arg}' for '{command.Name}' (options start with --); see 'glmm {command.Name} --help'");
            }
            if (values.ContainsKey(spec.Name) && !spec.Repeatable)
                throw new GlmmInputException($"option --{spec.Name} is given more than once");
            string value;
            if (spec.IsFlag)
            {
                if (inline is not null) throw new GlmmInputException($"option --{spec.Name} takes no value");
                value = "true";
            }
            else if (inline is not null) value = inline;
            else
            {
                if (i + 1 >= args.Count)
                    throw new GlmmInputException($"option --{spec.Name} needs a value ({spec.ValueName})");
                value = args[++i];
            }
            if (spec.Allowed is { } allowed && !allowed.Contains(value, StringComparer.Ordinal))
                throw new GlmmInputException($"option --{spec.Name} must be one of {string.Join(", ", allowed)}, not '{value}'");
            values[spec.Name] = spec.Repeatable && values.TryGetValue(spec.Name, out var earlier) ? earlier + "\n" + value : value;
        }
        foreach (var o in command.Options)
            if (o.Required && !values.ContainsKey(o.Name))
                throw new GlmmInputException($"'{command.Name}' needs --{o.Name} {o.ValueName}; see 'glmm {command.Name} --help'");
        return new ParsedOptions(command.Name, values);
    }

    private static string Suggest(string name, Command command)
    {
        var best = command.Options.Select(o => (o.Name, d: Distance(name, o.Name)))
            .OrderBy(x => x.d).FirstOrDefault();
        return best.Name is not null && best.d <= 2 ? $" (did you mean --{best.Name}?)" : "";
    }

    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
        return d[a.Length, b.Length];
    }
}
