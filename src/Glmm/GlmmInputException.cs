using System.Globalization;
using System.Text;

namespace Glmm;

/// <summary>
/// An error in what the user supplied (a data file, a formula, an option), as opposed to a bug.
/// The message is one line that names the problem (column, position in the formula, row); the
/// command-line tool prints it on stderr and exits with code 2. Control characters quoted from the input (a line
/// break inside a formula or a column name) are written as <c>\n</c>, <c>\t</c> or <c>\uXXXX</c>, so the message
/// is one line whatever the input.
/// </summary>
public sealed class GlmmInputException : Exception
{
    /// <summary>Creates the error with a one-line message.</summary>
    public GlmmInputException(string message) : base(Printable(message)) { }

    /// <summary>Creates the error with a one-line message and the exception that caused it.</summary>
    public GlmmInputException(string message, Exception inner) : base(Printable(message), inner) { }

    /// <summary>The text with its control characters escaped.</summary>
    internal static string Printable(string message)
    {
        bool any = false;
        foreach (char c in message) if (char.IsControl(c)) { any = true; break; }
        if (!any) return message;
        var sb = new StringBuilder(message.Length + 8);
        foreach (char c in message)
            sb.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when char.IsControl(c) => "\\u" + ((int)c).ToString("X4", CultureInfo.InvariantCulture),
                _ => c.ToString(),
            });
        return sb.ToString();
    }
}
