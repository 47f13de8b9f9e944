using System.Globalization;

namespace Glmm.Formulas;

/// <summary>
/// A recursive-descent parser for lme4 formulas with R's operator precedence (lowest first):
/// <c>~</c>; <c>| ||</c>; <c>&amp;</c>; <c>!</c>; comparisons; <c>+ -</c>; <c>* /</c>; <c>%in%</c>; <c>:</c>;
/// unary <c>- +</c>; <c>^</c>.
/// Its recursion and that of every later walk over the tree (expansion, evaluation, deparsing) are bounded by two
/// limits checked as the tree is built, each refused with one line naming the column: at most
/// <see cref="MaxNesting"/> nested parentheses, calls and unary operators, and a tree at most <see cref="MaxDepth"/>
/// operators deep (a sum of that many terms). So no formula, however hostile, can overflow the stack.
/// </summary>
internal sealed class Parser
{
    /// <summary>Most levels of parentheses, function calls and unary operators inside one another.</summary>
    public const int MaxNesting = 200;

    /// <summary>Most operators on one path from the root of the tree to a leaf (e.g. terms in one sum).</summary>
    public const int MaxDepth = 2000;

    /// <summary>The functions a formula may call.</summary>
    public static readonly string[] KnownFunctions =
        { "I", "log", "log2", "log10", "exp", "sqrt", "abs", "factor", "scale", "offset", "cbind" };

    private readonly List<Token> _tokens;
    private int _pos;
    private int _nesting;
    private int _depth; // the depth of the tree the last Parse* call returned

    private void Nest(int column)
    {
        if (++_nesting > MaxNesting)
            throw Lexer.Error(column, $"the formula nests more than {MaxNesting.ToString(CultureInfo.InvariantCulture)} levels of parentheses, function calls or unary operators");
    }

    /// <summary>A binary node over trees of depths <paramref name="leftDepth"/> and <see cref="_depth"/> (the right one's).</summary>
    private BinaryExpr Join(Token op, Expr left, int leftDepth, Expr right)
    {
        int depth = Math.Max(leftDepth, _depth) + 1;
        if (depth > MaxDepth)
            throw Lexer.Error(op.Column, $"the formula is more than {MaxDepth.ToString(CultureInfo.InvariantCulture)} operators deep (a sum of more than {MaxDepth.ToString(CultureInfo.InvariantCulture)} terms?); split it or use fewer terms");
        _depth = depth;
        return new BinaryExpr(op.Text, left, right, left.Column, op.Column);
    }

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
        int leftDepth = _depth;
        while (IsOp("|") || IsOp("||"))
        {
            var op = Peek; _pos++;
            var right = ParseAnd();
            left = Join(op, left, leftDepth, right);
            leftDepth = _depth;
        }
        return left;
    }

    private Expr ParseAnd()
    {
        var left = ParseNot();
        int leftDepth = _depth;
        while (IsOp("&"))
        {
            var op = Peek; _pos++;
            var right = ParseNot();
            left = Join(op, left, leftDepth, right);
            leftDepth = _depth;
        }
        return left;
    }

    private Expr ParseNot()
    {
        if (IsOp("!"))
        {
            var op = Peek; _pos++;
            Nest(op.Column);
            var operand = ParseNot();
            _nesting--;
            _depth++;
            return new UnaryExpr("!", operand, op.Column);
        }
        return ParseComparison();
    }

    private static bool IsComparison(string s) => s is "<" or ">" or "<=" or ">=" or "==" or "!=";

    private Expr ParseComparison()
    {
        var left = ParseAdd();
        int leftDepth = _depth;
        if (Peek.Kind == TokenKind.Operator && IsComparison(Peek.Text))
        {
            var op = Peek; _pos++;
            var right = ParseAdd();
            left = Join(op, left, leftDepth, right);
            leftDepth = _depth;
            if (Peek.Kind == TokenKind.Operator && IsComparison(Peek.Text))
                throw Lexer.Error(Peek.Column, $"unexpected '{Peek.Text}': comparisons cannot be chained (use parentheses)");
        }
        return left;
    }

    private Expr ParseAdd()
    {
        var left = ParseMul();
        int leftDepth = _depth;
        while (IsOp("+") || IsOp("-"))
        {
            var op = Peek; _pos++;
            var right = ParseMul();
            left = Join(op, left, leftDepth, right);
            leftDepth = _depth;
        }
        return left;
    }

    private Expr ParseMul()
    {
        var left = ParseSpecial();
        int leftDepth = _depth;
        while (IsOp("*") || IsOp("/"))
        {
            var op = Peek; _pos++;
            var right = ParseSpecial();
            left = Join(op, left, leftDepth, right);
            leftDepth = _depth;
        }
        return left;
    }

    private Expr ParseSpecial()
    {
        var left = ParseColon();
        int leftDepth = _depth;
        while (IsOp("%in%"))
        {
            var op = Peek; _pos++;
            var right = ParseColon();
            left = Join(op, left, leftDepth, right);
            leftDepth = _depth;
        }
        return left;
    }

    private Expr ParseColon()
    {
        var left = ParseUnary();
        int leftDepth = _depth;
        while (IsOp(":"))
        {
            var op = Peek; _pos++;
            var right = ParseUnary();
            left = Join(op, left, leftDepth, right);
            leftDepth = _depth;
        }
        return left;
    }

    private Expr ParseUnary()
    {
        if (IsOp("-") || IsOp("+"))
        {
            var op = Peek; _pos++;
            Nest(op.Column);
            var operand = ParseUnary();
            _nesting--;
            _depth++;
            return new UnaryExpr(op.Text, operand, op.Column);
        }
        return ParsePower();
    }

    private Expr ParsePower()
    {
        var b = ParsePrimary();
        int baseDepth = _depth;
        if (IsOp("^"))
        {
            var op = Peek; _pos++;
            Nest(op.Column);
            var e = ParseUnary(); // right associative; R allows a^-1
            _nesting--;
            return Join(op, b, baseDepth, e);
        }
        return b;
    }

    private Expr ParsePrimary()
    {
        var t = Peek;
        _depth = 0;
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
                Nest(t.Column);
                var inner = ParseOr();
                _nesting--;
                Expect(TokenKind.RightParen, t.Column);
                _depth++;
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
        Nest(name.Column);
        var args = new List<Expr>();
        int depth = 0;
        if (Peek.Kind != TokenKind.RightParen)
        {
            while (true)
            {
                if (Peek.Kind == TokenKind.Comma) throw Lexer.Error(Peek.Column, $"expected an argument of {name.Text}() but found ','");
                args.Add(ParseOr());
                depth = Math.Max(depth, _depth);
                if (Peek.Kind == TokenKind.Comma) { _pos++; continue; }
                break;
            }
        }
        Expect(TokenKind.RightParen, open);
        _nesting--;
        _depth = depth + 1;
        int expected = name.Text == "cbind" ? 2 : 1;
        if (args.Count != expected)
            throw Lexer.Error(name.Column,
                $"{name.Text}() takes {expected} argument{(expected == 1 ? "" : "s")} but was given {args.Count}");
        return new CallExpr(name.Text, args, name.Column);
    }
}
