using System.Globalization;

namespace Glmm.Formulas;

/// <summary>
/// A recursive-descent parser for lme4 formulas with R's operator precedence (lowest first):
/// <c>~</c>; <c>| ||</c>; <c>&amp;</c>; <c>!</c>; comparisons; <c>+ -</c>; <c>* /</c>; <c>%in%</c>; <c>:</c>;
/// unary <c>- +</c>; <c>^</c>.
/// </summary>
internal sealed class Parser
{
    /// <summary>The functions a formula may call.</summary>
    public static readonly string[] KnownFunctions =
        { "I", "log", "log2", "log10", "exp", "sqrt", "abs", "factor", "scale", "offset", "cbind" };

    private readonly List<Token> _tokens;
    private int _pos;

    private Parser(List<Token> tokens) => _tokens = tokens;

    /// <summary>Parses <c>response ~ rhs</c>; returns the response (null when absent) and the right-hand side.</summary>
    public static (Expr? Response, Expr Rhs, int TildeColumn) ParseFormula(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new GlmmInputException("formula is empty");
        var p = new Parser(Lexer.Tokenize(text));
        Expr? lhs = null;
        if (!p.IsOp("~")) lhs = p.ParseOr();
        if (!p.IsOp("~"))
        {
            var t = p.Peek;
            if (t.Kind == TokenKind.End) throw Lexer.Error(t.Column, "expected '~' between the response and the model terms");
            throw Lexer.Error(t.Column, $"expected '~' or an operator but found {t}");
        }
        int tilde = p.Peek.Column;
        p._pos++;
        if (p.Peek.Kind == TokenKind.End) throw Lexer.Error(p.Peek.Column, "expected model terms after '~'");
        var rhs = p.ParseOr();
        var end = p.Peek;
        if (end.Kind != TokenKind.End)
        {
            if (end.Kind == TokenKind.RightParen) throw Lexer.Error(end.Column, "unmatched ')'");
            if (end.Kind == TokenKind.Operator && end.Text == "~") throw Lexer.Error(end.Column, "a formula has only one '~'");
            throw Lexer.Error(end.Column, $"expected an operator or end of formula but found {end}");
        }
        return (lhs, rhs, tilde);
    }

    /// <summary>Parses a stand-alone expression (no '~').</summary>
    public static Expr ParseExpression(string text)
    {
        var p = new Parser(Lexer.Tokenize(text));
        var e = p.ParseOr();
        if (p.Peek.Kind != TokenKind.End) throw Lexer.Error(p.Peek.Column, $"expected end of expression but found {p.Peek}");
        return e;
    }

    private Token Peek => _tokens[_pos];

    private bool IsOp(string op) => Peek.Kind == TokenKind.Operator && Peek.Text == op;

    private Expr ParseOr()
    {
        var left = ParseAnd();
        while (IsOp("|") || IsOp("||"))
        {
            var op = Peek; _pos++;
            var right = ParseAnd();
            left = new BinaryExpr(op.Text, left, right, left.Column, op.Column);
        }
        return left;
    }

    private Expr ParseAnd()
    {
        var left = ParseNot();
        while (IsOp("&"))
        {
            var op = Peek; _pos++;
            var right = ParseNot();
            left = new BinaryExpr(op.Text, left, right, left.Column, op.Column);
        }
        return left;
    }

    private Expr ParseNot()
    {
        if (IsOp("!"))
        {
            var op = Peek; _pos++;
            return new UnaryExpr("!", ParseNot(), op.Column);
        }
        return ParseComparison();
    }

    private static bool IsComparison(string s) => s is "<" or ">" or "<=" or ">=" or "==" or "!=";

    private Expr ParseComparison()
    {
        var left = ParseAdd();
        if (Peek.Kind == TokenKind.Operator && IsComparison(Peek.Text))
        {
            var op = Peek; _pos++;
            var right = ParseAdd();
            left = new BinaryExpr(op.Text, left, right, left.Column, op.Column);
            if (Peek.Kind == TokenKind.Operator && IsComparison(Peek.Text))
                throw Lexer.Error(Peek.Column, $"unexpected '{Peek.Text}': comparisons cannot be chained (use parentheses)");
        }
        return left;
    }

    private Expr ParseAdd()
    {
        var left = ParseMul();
        while (IsOp("+") || IsOp("-"))
        {
            var op = Peek; _pos++;
            var right = ParseMul();
            left = new BinaryExpr(op.Text, left, right, left.Column, op.Column);
        }
        return left;
    }

    private Expr ParseMul()
    {
        var left = ParseSpecial();
        while (IsOp("*") || IsOp("/"))
        {
            var op = Peek; _pos++;
            var right = ParseSpecial();
            left = new BinaryExpr(op.Text, left, right, left.Column, op.Column);
        }
        return left;
    }

    private Expr ParseSpecial()
    {
        var left = ParseColon();
        while (IsOp("%in%"))
        {
            var op = Peek; _pos++;
            var right = ParseColon();
            left = new BinaryExpr(op.Text, left, right, left.Column, op.Column);
        }
        return left;
    }

    private Expr ParseColon()
    {
        var left = ParseUnary();
        while (IsOp(":"))
        {
            var op = Peek; _pos++;
            var right = ParseUnary();
            left = new BinaryExpr(op.Text, left, right, left.Column, op.Column);
        }
        return left;
    }

    private Expr ParseUnary()
    {
        if (IsOp("-") || IsOp("+"))
        {
            var op = Peek; _pos++;
            return new UnaryExpr(op.Text, ParseUnary(), op.Column);
        }
        return ParsePower();
    }

    private Expr ParsePower()
    {
        var b = ParsePrimary();
        if (IsOp("^"))
        {
            var op = Peek; _pos++;
            var e = ParseUnary(); // right associative; R allows a^-1
            return new BinaryExpr("^", b, e, b.Column, op.Column);
        }
        return b;
    }

    private Expr ParsePrimary()
    {
        var t = Peek;
        switch (t.Kind)
        {
            case TokenKind.Number:
                _pos++;
                return new NumberExpr(double.Parse(t.Text, NumberStyles.Float, CultureInfo.InvariantCulture), t.Column);
            case TokenKind.String:
                _pos++;
                return new StringExpr(t.Text, t.Column);
            case TokenKind.Name:
                _pos++;
                if (Peek.Kind == TokenKind.LeftParen && !t.Backquoted) return ParseCall(t);
                if (!t.Backquoted && t.Text == "TRUE") return new NumberExpr(1, t.Column);
                if (!t.Backquoted && t.Text == "FALSE") return new NumberExpr(0, t.Column);
                if (!t.Backquoted && t.Text == ".")
                    throw Lexer.Error(t.Column, "'.' (all other columns) is not supported; name the variables");
                return new NameExpr(t.Text, t.Column);
            case TokenKind.LeftParen:
            {
                _pos++;
                if (Peek.Kind == TokenKind.RightParen) throw Lexer.Error(Peek.Column, "expected an expression inside '()'");
                var inner = ParseOr();
                Expect(TokenKind.RightParen, t.Column);
                return new ParenExpr(inner, t.Column);
            }
            case TokenKind.End:
                throw Lexer.Error(t.Column, "expected a variable, number or '(' but the formula ended");
            default:
                throw Lexer.Error(t.Column, $"expected a variable, number or '(' but found {t}");
        }
    }

    private void Expect(TokenKind kind, int openColumn)
    {
        if (Peek.Kind == kind) { _pos++; return; }
        string found = Peek.Kind == TokenKind.End ? "the formula ended" : $"found {Peek}";
        throw Lexer.Error(Peek.Column,
            $"expected ')' to close '(' at column {openColumn.ToString(CultureInfo.InvariantCulture)} but {found}");
    }

    private Expr ParseCall(Token name)
    {
        if (Array.IndexOf(KnownFunctions, name.Text) < 0)
            throw Lexer.Error(name.Column,
                $"unknown function '{name.Text}' (known functions: {string.Join(", ", KnownFunctions)})");
        int open = Peek.Column;
        _pos++; // (
        var args = new List<Expr>();
        if (Peek.Kind != TokenKind.RightParen)
        {
            while (true)
            {
                if (Peek.Kind == TokenKind.Comma) throw Lexer.Error(Peek.Column, $"expected an argument of {name.Text}() but found ','");
                args.Add(ParseOr());
                if (Peek.Kind == TokenKind.Comma) { _pos++; continue; }
                break;
            }
        }
        Expect(TokenKind.RightParen, open);
        int expected = name.Text == "cbind" ? 2 : 1;
        if (args.Count != expected)
            throw Lexer.Error(name.Column,
                $"{name.Text}() takes {expected} argument{(expected == 1 ? "" : "s")} but was given {args.Count}");
        return new CallExpr(name.Text, args, name.Column);
    }
}
