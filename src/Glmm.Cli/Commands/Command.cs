namespace Glmm.Cli.Commands;

/// <summary>
/// A verb of the tool (<c>describe</c>, <c>fit</c>, …). To add one: derive from this class in its own
/// file under Commands/, list its options (reuse <see cref="CommonOptions"/>), and register an instance
/// in <see cref="CommandLine.Commands"/>.
/// </summary>
internal abstract class Command
{
    /// <summary>The verb as typed on the command line.</summary>
    public abstract string Name { get; }

    /// <summary>One line for the list of commands.</summary>
    public abstract string Summary { get; }

    /// <summary>A longer description for <c>glmm VERB --help</c> (may be empty).</summary>
    public virtual string Description => "";

    /// <summary>The options the verb accepts.</summary>
    public abstract IReadOnlyList<OptionSpec> Options { get; }

    /// <summary>
    /// Runs the verb. Output goes to <paramref name="stdout"/> (buffered by the caller and discarded when
    /// the verb throws); bad input is reported by throwing <see cref="GlmmInputException"/>. Returns the exit code.
    /// </summary>
    public abstract int Execute(ParsedOptions options, TextWriter stdout, TextWriter stderr);
}
