using System.Runtime.CompilerServices;

namespace Glmm.Formulas;

/// <summary>
/// The backstop of the parser's depth limits (<see cref="Parser.MaxNesting"/>, <see cref="Parser.MaxDepth"/>): every
/// recursive walk over a formula's tree calls <see cref="Check"/>, which refuses with one line, instead of letting the
/// process die of a stack overflow, when the thread's stack is nearly used up (a caller's small thread).
/// </summary>
internal static class StackGuard
{
    /// <summary>Throws a one-line input error at <paramref name="e"/>'s column when the stack is nearly exhausted.</summary>
    public static void Check(Expr e)
    {
        if (!RuntimeHelpers.TryEnsureSufficientExecutionStack())
            throw Lexer.Error(e.Column, "the formula is nested too deeply to be processed on this thread's stack");
    }
}
