namespace Glmm;

/// <summary>
/// An error in what the user supplied (a data file, a formula, an option), as opposed to a bug.
/// The message is one line that names the problem (column, position in the formula, row); the
/// command-line tool prints it on stderr and exits with code 2.
/// </summary>
public sealed class GlmmInputException : Exception
{
    /// <summary>Creates the error with a one-line message.</summary>
    public GlmmInputException(string message) : base(message) { }

    /// <summary>Creates the error with a one-line message and the exception that caused it.</summary>
    public GlmmInputException(string message, Exception inner) : base(message, inner) { }
}
