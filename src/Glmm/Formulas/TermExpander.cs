namespace Glmm.Formulas;

/// <summary>
/// Expands the formula operators of a right-hand side into terms as R's <c>terms()</c> does:
/// <c>+</c>, <c>-</c>, <c>:</c>, <c>*</c>, <c>/</c>, <c>%in%</c>, <c>^</c>, <c>0</c>, <c>1</c>; random-effects
/// bars and offsets are collected separately (when allowed).
/// </summary>
internal sealed class TermExpander
{
    private readonly List<Expr> _variables = new();
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private readonly bool _allowBars;
    private int _interactionDepth;

    public List<BinaryExpr> Bars { get; } = new();
    public List<Expr> Offsets { get; } = new();

    private TermExpander(bool allowBars) => _allowBars = allowBars;

    private sealed class Enc
    {
        public List<int[]> Terms = new();
        public bool? Intercept;
        public List<int[]> Removed = new();
    }

    /// <summary>Expands a fixed-effects right-hand side; bars and offsets are collected.</summary>
    public static (TermSet Terms, List<BinaryExpr> Bars, List<Expr> Offsets) ExpandFixed(Expr rhs)
    {
        var ex = new TermExpander(allowBars: true);
        var enc = ex.Encode(rhs);
        return (ex.Finish(enc), ex.Bars, ex.Offsets);
    }

    /// <summary>Expands the left side of a random-effects term (<c>1 + x</c>).</summary>
    public static TermSet ExpandRandomLhs(Expr lhs)
    {
        var ex = new TermExpander(allowBars: false);
        return ex.Finish(ex.Encode(lhs));
    }

    private TermSet Finish(Enc enc)
    {
        var terms = Remove(enc.Terms, enc.Removed);
        bool intercept = enc.Intercept ?? true;
        // Sort by degree, stable.
        var ordered = terms.Select((t, i) => (t, i)).OrderBy(x => x.t.Length).ThenBy(x => x.i).Select(x => x.t).ToList();
        return new TermSet(_variables.ToArray(), ordered, intercept);
    }

    private static List<int[]> Remove(List<int[]> terms, List<int[]> removed) =>
        terms.Where(t => !removed.Any(r => r.SequenceEqual(t))).ToList();

    /// <summary>Most terms a formula may expand to (a*b*c*… of n variables gives 2ⁿ − 1): beyond it, one line instead of a hang.</summary>
    public const int MaxTerms = 4096;

    private static void AddUnique(List<int[]> list, int[] term)
    {
        foreach (var t in list) if (t.SequenceEqual(term)) return;
        if (list.Count >= MaxTerms)
            throw new GlmmInputException($"formula: the model terms expand to more than {MaxTerms.ToString(System.Globalization.CultureInfo.InvariantCulture)} terms (interactions such as a*b*c*... of many variables); write the terms wanted explicitly");
        list.Add(term);
    }

    private static int[] Union(int[] a, int[] b) => a.Union(b).OrderBy(v => v).ToArray();

    private static bool IsBar(Expr e) => e is BinaryExpr { Op: "|" or "||" };

    private Enc Inner(Expr e)
    {
        _interactionDepth++;
        try { return Encode(e); }
        finally { _interactionDepth--; }
    }

    /// <summary>
    /// A chain a + b - c + …, left-deep in the tree, encoded along its left spine without recursion (a formula may
    /// sum thousands of terms) and folded from the left, exactly as the recursion would.
    /// </summary>
    private Enc EncodeSum(BinaryExpr top)
    {
        var spine = new List<BinaryExpr>();
        Expr e = top;
        while (e is BinaryExpr { Op: "+" or "-" } b)
        {
            spine.Add(b);
            e = b.Left;
        }
        var acc = Encode(e);
        for (int k = spine.Count - 1; k >= 0; k--)
        {
            var b = spine[k];
            var r = Encode(b.Right);
            acc = Plus(acc, b.Op == "+" ? r : Negate(r, b.OperatorColumn));
        }
        return acc;
    }

    private Enc Encode(Expr e)
    {
        StackGuard.Check(e);
        if (e is BinaryExpr { Op: "+" or "-" }) return EncodeSum((BinaryExpr)e);
        switch (e)
        {
            case ParenExpr p when IsBar(p.Inner):
                return Bar((BinaryExpr)p.Inner);
            case BinaryExpr b when b.Op is "|" or "||":
                return Bar(b);
            case ParenExpr p:
                return Encode(p.Inner);
            case NumberExpr n:
                if (n.Value == 1) return new Enc { Intercept = true };
                if (n.Value == 0) return new Enc { Intercept = false };
                throw Lexer.Error(n.Column, $"unexpected number {RNumber.Format(n.Value)} among the model terms (only 0 or 1 may stand alone)");
            case UnaryExpr { Op: "+" } u:
                return Encode(u.Operand);
            case UnaryExpr { Op: "-" } u:
            {
                var inner = Encode(u.Operand);
                return Negate(inner, u.Column);
            }
            case BinaryExpr { Op: ":" or "%in%" } b:
            {
                var l = NoIntercept(Inner(b.Left), b.Left);
                var r = NoIntercept(Inner(b.Right), b.Right);
                if (b.Op == "%in%")
                {
                    var all = r.Terms.Aggregate(Array.Empty<int>(), Union);
                    var res = new Enc();
                    foreach (var t in l.Terms) AddUnique(res.Terms, Union(t, all));
                    return res;
                }
                return Interact(l, r);
            }
            case BinaryExpr { Op: "*" } b:
            {
                var l = NoIntercept(Inner(b.Left), b.Left);
                var r = NoIntercept(Inner(b.Right), b.Right);
                var res = new Enc();
                foreach (var t in l.Terms) AddUnique(res.Terms, t);
                foreach (var t in r.Terms) AddUnique(res.Terms, t);
                foreach (var t in Interact(l, r).Terms) AddUnique(res.Terms, t);
                return res;
            }
            case BinaryExpr { Op: "/" } b:
            {
                var l = NoIntercept(Inner(b.Left), b.Left);
                var r = NoIntercept(Inner(b.Right), b.Right);
                var res = new Enc();
                foreach (var t in l.Terms) AddUnique(res.Terms, t);
                var all = l.Terms.Aggregate(Array.Empty<int>(), Union);
                foreach (var t in r.Terms) AddUnique(res.Terms, Union(all, t));
                return res;
            }
            case BinaryExpr { Op: "^" } b:
            {
                var l = NoIntercept(Inner(b.Left), b.Left);
                var power = b.Right is ParenExpr pp ? pp.Inner : b.Right;
                if (power is not NumberExpr { Value: >= 1 } num || num.Value != Math.Floor(num.Value))
                    throw Lexer.Error(b.Right.Column, "expected a positive whole number after '^'");
                var res = new Enc { Terms = new List<int[]>(l.Terms) };
                for (int k = 1; k < (int)Math.Min(num.Value, 64); k++)
                {
                    var next = new Enc();
                    foreach (var t in res.Terms) AddUnique(next.Terms, t);
                    foreach (var t in Interact(res, l).Terms) AddUnique(next.Terms, t);
                    res = next;
                }
                return res;
            }
            case CallExpr { Function: "offset" } c:
                if (!_allowBars) throw Lexer.Error(c.Column, "offset() is not allowed inside a random-effects term");
                Offsets.Add(c);
                return new Enc();
            case CallExpr { Function: "cbind" } c:
                throw Lexer.Error(c.Column, "cbind() may only be used as the response (left of '~')");
            case StringExpr s:
                throw Lexer.Error(s.Column, "unexpected string among the model terms");
            default:
                return new Enc { Terms = { new[] { Variable(e) } } };
        }
    }

    private Enc Bar(BinaryExpr b)
    {
        if (!_allowBars)
            throw Lexer.Error(b.OperatorColumn, $"unexpected '{b.Op}' inside a random-effects term");
        if (_interactionDepth > 0)
            throw Lexer.Error(b.OperatorColumn, "a random-effects term cannot be part of an interaction; add it with '+'");
        Bars.Add(b);
        return new Enc();
    }

    private static Enc NoIntercept(Enc e, Expr where)
    {
        if (e.Intercept is not null || e.Removed.Count > 0)
            throw Lexer.Error(where.Column, "0, 1 and '-' cannot be used inside an interaction");
        return e;
    }

    private static Enc Negate(Enc inner, int column)
    {
        if (inner.Removed.Count > 0) throw Lexer.Error(column, "double negation of terms is not supported");
        var res = new Enc { Removed = inner.Terms };
        if (inner.Intercept == true) res.Intercept = false;
        else if (inner.Intercept == false) res.Intercept = true;
        return res;
    }

    private static Enc Plus(Enc l, Enc r)
    {
        var res = new Enc();
        foreach (var t in Remove(l.Terms, r.Removed)) AddUnique(res.Terms, t);
        foreach (var t in r.Terms) AddUnique(res.Terms, t);
        res.Removed.AddRange(l.Removed);
        res.Removed.AddRange(r.Removed);
        res.Intercept = r.Intercept ?? l.Intercept;
        return res;
    }

    private static Enc Interact(Enc l, Enc r)
    {
        var res = new Enc();
        foreach (var a in l.Terms)
            foreach (var b in r.Terms)
                AddUnique(res.Terms, Union(a, b));
        return res;
    }

    private int Variable(Expr e)
    {
        string label = e.Deparse();
        if (_index.TryGetValue(label, out int i)) return i;
        _variables.Add(e);
        _index[label] = _variables.Count - 1;
        return _variables.Count - 1;
    }
}
