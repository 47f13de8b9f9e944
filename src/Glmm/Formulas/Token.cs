namespace Glmm.Formulas;

internal enum TokenKind
{
    Name,
    Number,
    String,
    Operator,
    LeftParen,
    RightParen,
    Comma,
    End,
}

/// <summary>A lexical token of a formula; <see cref="Column"/> is 1-based.</summary>
internal readonly record struct Token(TokenKind Kind, string Text, int Column, bool Backquoted = false)
{
    public override string ToString() => Kind switch
    {
        TokenKind.End => "end of formula",
        TokenKind.Number => $"number {Text}",
        TokenKind.String => $"string \"{Text}\"",
        TokenKind.Name => $"'{Text}'",
        _ => $"'{Text}'",
    };
}
