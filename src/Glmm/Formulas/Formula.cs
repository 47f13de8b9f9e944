namespace Glmm.Formulas;

/// <summary>
/// A parsed lme4 formula: the response, the fixed-effects terms (expanded as R's <c>terms()</c>),
/// the offsets and the random-effects terms (expanded as lme4 expands <c>||</c> and <c>/</c>).
/// </summary>
public sealed class Formula
{
    private Formula(string text, Expr response, TermSet fixedTerms, IReadOnlyList<Expr> offsets, IReadOnlyList<RandomTerm> random)
    {
        Text = text;
        Response = response;
        Fixed = fixedTerms;
        OffsetExprs = offsets;
        RandomTerms = random;
    }

    internal Expr Response { get; }
    internal TermSet Fixed { get; }
    internal IReadOnlyList<Expr> OffsetExprs { get; }

    /// <summary>The formula as written.</summary>
    public string Text { get; }

    /// <summary>The response as R deparses it, e.g. <c>cbind(incidence, size - incidence)</c>.</summary>
    public string ResponseLabel => Response.Deparse();

    /// <summary>True when the response is <c>cbind(successes, failures)</c>.</summary>
    public bool IsSuccessFailure => Response is CallExpr { Function: "cbind" };

    /// <summary>True when the fixed part has an intercept.</summary>
    public bool HasIntercept => Fixed.Intercept;

    /// <summary>The fixed-effects term labels in R's order, e.g. <c>age</c>, <c>urban</c>, <c>age:urban</c>.</summary>
    public IReadOnlyList<string> FixedTermLabels => Fixed.TermLabels;

    /// <summary>The offset terms, e.g. <c>offset(log(exposure))</c>.</summary>
    public IReadOnlyList<string> OffsetLabels => OffsetExprs.Select(o => o.Deparse()).ToArray();

    /// <summary>The random-effects terms in lme4's order of appearance (after expansion).</summary>
    public IReadOnlyList<RandomTerm> RandomTerms { get; }

    /// <summary>
    /// Every name the formula refers to as a variable (response, fixed and random terms, grouping factors, offsets), in order
    /// of first appearance: the columns a fit needs (names that are not columns are reported when the model is built).
    /// </summary>
    public IReadOnlyList<string> VariableNames { get; private init; } = [];

    /// <summary>Parses and expands a formula; throws <see cref="GlmmInputException"/> with the column of any error.</summary>
    public static Formula Parse(string text)
    {
        var parsed = ParseCore(text);
        var (lhs, rhs, _) = Parser.ParseFormula(text);
        return new Formula(parsed.Text, parsed.Response, parsed.Fixed, parsed.OffsetExprs, parsed.RandomTerms) { VariableNames = Names(lhs, rhs) };
    }

    /// <summary>The NameExpr names under the given roots, in order of first appearance, without recursion.</summary>
    private static string[] Names(params Expr?[] roots)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var names = new List<string>();
        var stack = new Stack<Expr>();
        for (int r = roots.Length - 1; r >= 0; r--) if (roots[r] is { } e) stack.Push(e);
        while (stack.Count > 0)
        {
            switch (stack.Pop())
            {
                case NameExpr n:
                    if (seen.Add(n.Name)) names.Add(n.Name);
                    break;
                case CallExpr c:
                    for (int i = c.Args.Count - 1; i >= 0; i--) stack.Push(c.Args[i]);
                    break;
                case BinaryExpr b:
                    stack.Push(b.Right);
                    stack.Push(b.Left);
                    break;
                case UnaryExpr u:
                    stack.Push(u.Operand);
                    break;
                case ParenExpr p:
                    stack.Push(p.Inner);
                    break;
            }
        }
        return names.ToArray();
    }

    private static Formula ParseCore(string text)
    {
        var (lhs, rhs, tilde) = Parser.ParseFormula(text);
        if (lhs is null) throw Lexer.Error(tilde, "expected a response before '~'");
        CheckResponse(lhs, top: true);
        var (fixedTerms, bars, offsets) = TermExpander.ExpandFixed(rhs);
        var random = new List<RandomTerm>();
        foreach (var bar in bars)
        {
            var lhsTerms = TermExpander.ExpandRandomLhs(bar.Left);
            var sides = new List<TermSet>();
            if (bar.Op == "||")
            {
                if (lhsTerms.Intercept) sides.Add(new TermSet(Array.Empty<Expr>(), Array.Empty<int[]>(), true));
                foreach (var t in lhsTerms.Terms)
                {
                    var vars = t.Select(i => lhsTerms.Variables[i]).ToArray();
                    sides.Add(new TermSet(vars, new[] { Enumerable.Range(0, vars.Length).ToArray() }, false));
                }
            }
            else sides.Add(lhsTerms);
            foreach (var side in sides)
            {
                if (!side.Intercept && side.Terms.Count == 0)
                    throw Lexer.Error(bar.Left.Column, $"the random-effects term ending at '{bar.Op}' has no columns (add 1 or a variable)");
                foreach (var g in ExpandSlash(bar.Right))
                    random.Add(new RandomTerm(side, g, SplitColon(g)));
            }
        }
        return new Formula(text, lhs, fixedTerms, offsets, random);
    }

    private static void CheckResponse(Expr e, bool top)
    {
        StackGuard.Check(e);
        switch (e)
        {
            case BinaryExpr { Op: "|" or "||" } b:
                throw Lexer.Error(b.OperatorColumn, $"unexpected '{b.Op}' in the response");
            case CallExpr { Function: "cbind" } c when !top:
                throw Lexer.Error(c.Column, "cbind() must be the whole response");
            case CallExpr { Function: "offset" } c:
                throw Lexer.Error(c.Column, "offset() cannot be used in the response");
            case CallExpr c:
                foreach (var a in c.Args) CheckResponse(a, false);
                break;
            case BinaryExpr b:
                CheckResponse(b.Left, false);
                CheckResponse(b.Right, false);
                break;
            case UnaryExpr u: CheckResponse(u.Operand, false); break;
            case ParenExpr p: CheckResponse(p.Inner, top); break;
        }
    }

    /// <summary>lme4's expandSlash: <c>a/b/c</c> gives <c>c:b:a</c>, <c>b:a</c>, <c>a</c>.</summary>
    private static List<Expr> ExpandSlash(Expr g)
    {
        while (g is ParenExpr p) g = p.Inner;
        var parts = new List<Expr>();
        Collect(g, parts);
        var result = new List<Expr>();
        Expr acc = parts[0];
        result.Add(acc);
        for (int k = 1; k < parts.Count; k++)
        {
            acc = new BinaryExpr(":", parts[k], acc, parts[k].Column, parts[k].Column);
            result.Insert(0, acc);
        }
        return result;

        static void Collect(Expr e, List<Expr> parts)
        {
            while (e is ParenExpr p) e = p.Inner;
            if (e is BinaryExpr { Op: "/" } b)
            {
                Collect(b.Left, parts);
                Collect(b.Right, parts);
            }
            else parts.Add(e);
        }
    }

    private static List<Expr> SplitColon(Expr g)
    {
        var list = new List<Expr>();
        Walk(g);
        return list;

        void Walk(Expr e)
        {
            while (e is ParenExpr p) e = p.Inner;
            if (e is BinaryExpr { Op: ":" } b)
            {
                Walk(b.Left);
                Walk(b.Right);
                return;
            }
            if (e is NumberExpr or StringExpr || e is BinaryExpr { Op: "+" or "-" or "*" or "|" or "||" or "^" or "%in%" })
                throw Lexer.Error(e is BinaryExpr bb ? bb.OperatorColumn : e.Column,
                    $"expected a grouping variable after '|' but found '{e.Deparse()}'");
            list.Add(e);
        }
    }
}
