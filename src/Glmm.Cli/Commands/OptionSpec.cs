namespace Glmm.Cli.Commands;

/// <summary>
/// One command-line option: <c>--name VALUE</c> (or a flag when <see cref="ValueName"/> is null).
/// <see cref="Allowed"/> restricts the value to a list; <see cref="Default"/> is shown in the help.
/// </summary>
internal sealed record OptionSpec(string Name, string? ValueName, string Help)
{
    public bool Required { get; init; }
    public string? Default { get; init; }
    public IReadOnlyList<string>? Allowed { get; init; }
    public string? Alias { get; init; }

    /// <summary>May be given more than once; <see cref="ParsedOptions.GetAll"/> returns every value in order.</summary>
    public bool Repeatable { get; init; }

    public bool IsFlag => ValueName is null;
}
