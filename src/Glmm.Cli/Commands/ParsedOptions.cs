using System.Globalization;

namespace Glmm.Cli.Commands;

/// <summary>The options given to a command, after checking them against its <see cref="OptionSpec"/>s.</summary>
internal sealed class ParsedOptions
{
    private readonly Dictionary<string, string> _values;

    public ParsedOptions(string command, Dictionary<string, string> values)
    {
        Command = command;
        _values = values;
    }

    public string Command { get; }

    /// <summary>The value of <c>--name</c>, its default, or null.</summary>
    public string? Get(OptionSpec option) => _values.TryGetValue(option.Name, out var v) ? v : option.Default;

    /// <summary>The value of a required option (the parser has checked that it is there).</summary>
    public string Require(OptionSpec option) => Get(option) ?? throw new GlmmInputException($"'{Command}' needs --{option.Name}");

    /// <summary>Every value of a repeatable option, in the order given (empty when absent).</summary>
    public IReadOnlyList<string> GetAll(OptionSpec option) =>
        _values.TryGetValue(option.Name, out var v) ? v.Split('\n') : Array.Empty<string>();

    /// <summary>True when the flag was given.</summary>
    public bool Has(OptionSpec option) => _values.ContainsKey(option.Name);

    /// <summary>The value as an integer, or <paramref name="fallback"/> when absent.</summary>
    public int GetInt(OptionSpec option, int fallback)
    {
        var s = Get(option);
        if (s is null) return fallback;
        if (!int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v))
            throw new GlmmInputException($"--{option.Name} needs a whole number, not '{s}'");
        return v;
    }

    /// <summary>The value as a number, or <paramref name="fallback"/> when absent.</summary>
    public double GetDouble(OptionSpec option, double fallback)
    {
        var s = Get(option);
        if (s is null) return fallback;
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
            throw new GlmmInputException($"--{option.Name} needs a number, not '{s}'");
        return v;
    }
}
