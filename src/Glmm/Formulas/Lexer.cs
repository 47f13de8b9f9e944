using System.Globalization;

namespace Glmm.Formulas;

/// <summary>Splits a formula into tokens: names (plain or backquoted), numbers, strings, operators.</summary>
internal static class Lexer
{
    private static readonly string[] Operators =
    {
        "%in%", "||", "<=", ">=", "==", "!=", "**",
        "~", "+", "-", "*", "/", "^", ":", "|", "<", ">", "!", "&",
    };

    public static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            int col = i + 1;
            if (c == '(') { tokens.Add(new Token(TokenKind.LeftParen, "(", col)); i++; continue; }
            if (c == ')') { tokens.Add(new Token(TokenKind.RightParen, ")", col)); i++; continue; }
            if (c == ',') { tokens.Add(new Token(TokenKind.Comma, ",", col)); i++; continue; }
            if (c == '`')
            {
                int end = text.IndexOf('`', i + 1);
                if (end < 0) throw Error(col, "unterminated backquoted name (expected a closing '`')");
                if (end == i + 1) throw Error(col, "empty backquoted name");
                tokens.Add(new Token(TokenKind.Name, text.Substring(i + 1, end - i - 1), col, Backquoted: true));
                i = end + 1;
                continue;
            }
            if (c == '"' || c == '\'')
            {
                int end = text.IndexOf(c, i + 1);
                if (end < 0) throw Error(col, $"unterminated string (expected a closing {c})");
                tokens.Add(new Token(TokenKind.String, text.Substring(i + 1, end - i - 1), col));
                i = end + 1;
                continue;
            }
            if (char.IsDigit(c) || (c == '.' && i + 1 < text.Length && char.IsDigit(text[i + 1])))
            {
                int start = i;
                while (i < text.Length && (char.IsDigit(text[i]) || text[i] == '.')) i++;
                if (i < text.Length && (text[i] == 'e' || text[i] == 'E'))
                {
                    int save = i;
                    i++;
                    if (i < text.Length && (text[i] == '+' || text[i] == '-')) i++;
                    if (i < text.Length && char.IsDigit(text[i]))
                        while (i < text.Length && char.IsDigit(text[i])) i++;
                    else i = save;
                }
                if (i < text.Length && text[i] == 'L') i++; // R integer suffix
                string num = text[start..i].TrimEnd('L');
                if (!double.TryParse(num, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                    throw Error(col, $"malformed number '{text[start..i]}'");
                tokens.Add(new Token(TokenKind.Number, num, col));
                continue;
            }
            if (char.IsLetter(c) || c == '.' || c == '_')
            {
                if (c == '_') throw Error(col, "a name cannot start with '_' (use backquotes: `_name`)");
                int start = i;
                while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '.' || text[i] == '_')) i++;
                tokens.Add(new Token(TokenKind.Name, text[start..i], col));
                continue;
            }
            string? op = null;
            foreach (var o in Operators)
                if (string.CompareOrdinal(text, i, o, 0, o.Length) == 0) { op = o; break; }
            if (op is null)
            {
                if (c == '%')
                {
                    int end = text.IndexOf('%', i + 1);
                    string what = end < 0 ? "%" : text[i..(end + 1)];
                    throw Error(col, $"unsupported operator '{what}' (only %in% is allowed)");
                }
                throw Error(col, $"unexpected character '{c}'");
            }
            if (op == "**") op = "^";
            tokens.Add(new Token(TokenKind.Operator, op, col));
            i += op == "^" && text[i] == '*' ? 2 : op.Length;
        }
        tokens.Add(new Token(TokenKind.End, "", text.Length + 1));
        return tokens;
    }

    internal static GlmmInputException Error(int column, string message) =>
        new($"formula, column {column.ToString(CultureInfo.InvariantCulture)}: {message}");
}
