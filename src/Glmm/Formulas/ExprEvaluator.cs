using Glmm.Data;

namespace Glmm.Formulas;

/// <summary>
/// Evaluates formula expressions on a table, row by row, as R would inside <c>model.frame</c>:
/// arithmetic (<c>+ - * / ^</c>, unary minus), comparisons (giving logicals), <c>&amp;</c>, <c>!</c>,
/// <c>I()</c>, <c>log</c>, <c>log2</c>, <c>log10</c>, <c>exp</c>, <c>sqrt</c>, <c>abs</c>, <c>factor()</c>,
/// <c>scale()</c>, <c>offset()</c>. Missing values propagate as NaN.
/// </summary>
internal sealed class ExprEvaluator
{
    private readonly DataTable _data;
    private readonly int _n;

    /// <summary>Names of the data columns referenced so far, in order of first use.</summary>
    public List<string> ReferencedColumns { get; } = new();

    public ExprEvaluator(DataTable data)
    {
        _data = data;
        _n = data.RowCount;
    }

    /// <summary>
    /// An evaluator for new data: <c>scale()</c> uses the centre and scale of the fitted data
    /// (keyed by the deparsed call), as R's <c>makepredictcall</c> arranges, instead of the new data's.
    /// </summary>
    public ExprEvaluator(DataTable data, IReadOnlyDictionary<string, (double Center, double Scale)> fixedScales) : this(data)
    {
        _fixedScales = fixedScales;
    }

    private readonly IReadOnlyDictionary<string, (double Center, double Scale)>? _fixedScales;

    /// <summary>Centre and scale of every <c>scale()</c> call evaluated so far, keyed by the deparsed call.</summary>
    public Dictionary<string, (double Center, double Scale)> Scales { get; } = new(StringComparer.Ordinal);

    private enum Kind { Numeric, Logical, Factor, Text }

    private sealed class Val
    {
        public Kind Kind;
        public double[] Num = Array.Empty<double>(); // numeric and logical (0/1, NaN missing)
        public int[] Codes = Array.Empty<int>();
        public string[] Levels = Array.Empty<string>();
        public string Text = "";
    }

    /// <summary>Columns referenced by the latest call of <see cref="Evaluate"/> or <see cref="EvaluateNumeric"/>.</summary>
    public List<string> LastColumns { get; } = new();

    /// <summary>Evaluates <paramref name="e"/> to a model variable named after its deparsed form.</summary>
    public EvaluatedVariable Evaluate(Expr e)
    {
        LastColumns.Clear();
        return ToVariable(e.Deparse(), Eval(e), e);
    }

    /// <summary>Evaluates <paramref name="e"/> and requires a numeric (or logical) result.</summary>
    public double[] EvaluateNumeric(Expr e, string role)
    {
        LastColumns.Clear();
        var v = Eval(e);
        return v.Kind switch
        {
            Kind.Numeric or Kind.Logical => v.Num,
            _ => throw Lexer.Error(e.Column, $"{role} '{e.Deparse()}' must be numeric but is categorical"),
        };
    }

    private static EvaluatedVariable ToVariable(string label, Val v, Expr e) => v.Kind switch
    {
        Kind.Numeric => new NumericVariable(label, v.Num),
        Kind.Logical => new FactorVariable(label, v.Num.Select(x => double.IsNaN(x) ? -1 : (int)x).ToArray(), new[] { "FALSE", "TRUE" }, true),
        Kind.Factor => new FactorVariable(label, v.Codes, v.Levels, false),
        _ => throw Lexer.Error(e.Column, $"a string cannot be a model variable ('{e.Deparse()}')"),
    };

    private Val Eval(Expr e)
    {
        StackGuard.Check(e);
        switch (e)
        {
            case NameExpr name: return Column(name);
            case NumberExpr num:
            {
                var a = new double[_n];
                Array.Fill(a, num.Value);
                return new Val { Kind = Kind.Numeric, Num = a };
            }
            case StringExpr s: return new Val { Kind = Kind.Text, Text = s.Value };
            case ParenExpr p: return Eval(p.Inner);
            case UnaryExpr u:
            {
                var v = Eval(u.Operand);
                if (u.Op == "!")
                {
                    var x = AsLogical(v, u.Operand);
                    return new Val { Kind = Kind.Logical, Num = Map(x, a => double.IsNaN(a) ? a : 1 - a) };
                }
                var num = AsNumeric(v, u.Operand, u.Op);
                return new Val { Kind = Kind.Numeric, Num = u.Op == "-" ? Map(num, a => -a) : (double[])num.Clone() };
            }
            case BinaryExpr b: return Binary(b);
            case CallExpr c: return Call(c);
            default: throw Lexer.Error(e.Column, $"cannot evaluate '{e.Deparse()}'");
        }
    }

    private Val Column(NameExpr name)
    {
        var col = _data.Find(name.Name);
        if (col is null)
        {
            var names = _data.Columns.Select(c => c.Name).ToArray();
            throw Lexer.Error(name.Column, $"unknown column '{name.Name}'{ClosestNames.Hint(name.Name, names)}");
        }
        if (!ReferencedColumns.Contains(col.Name)) ReferencedColumns.Add(col.Name);
        if (!LastColumns.Contains(col.Name)) LastColumns.Add(col.Name);
        switch (col)
        {
            case NumericColumn nc:
            {
                var a = new double[_n];
                for (int i = 0; i < _n; i++) a[i] = nc.IsMissing(i) ? double.NaN : nc.Values[i];
                return new Val { Kind = Kind.Numeric, Num = a };
            }
            case LogicalColumn lc:
            {
                var a = new double[_n];
                for (int i = 0; i < _n; i++) a[i] = lc.IsMissing(i) ? double.NaN : lc.Values[i] ? 1 : 0;
                return new Val { Kind = Kind.Logical, Num = a };
            }
            case CategoricalColumn cc:
                return new Val { Kind = Kind.Factor, Codes = cc.Codes, Levels = cc.Levels };
            default:
                throw new InvalidOperationException($"unsupported column type {col.GetType().Name}");
        }
    }

    private static double[] Map(double[] x, Func<double, double> f)
    {
        var r = new double[x.Length];
        for (int i = 0; i < r.Length; i++) r[i] = f(x[i]);
        return r;
    }

    private static double[] AsNumeric(Val v, Expr e, string op) => v.Kind switch
    {
        Kind.Numeric or Kind.Logical => v.Num,
        Kind.Factor => throw Lexer.Error(e.Column, $"'{op}' needs numbers but '{e.Deparse()}' is categorical"),
        _ => throw Lexer.Error(e.Column, $"'{op}' needs numbers but \"{v.Text}\" is a string"),
    };

    private static double[] AsLogical(Val v, Expr e) => v.Kind switch
    {
        Kind.Logical or Kind.Numeric => v.Kind == Kind.Logical ? v.Num : Map(v.Num, a => double.IsNaN(a) ? a : a != 0 ? 1 : 0),
        _ => throw Lexer.Error(e.Column, $"'{e.Deparse()}' is not logical"),
    };

    private Val Binary(BinaryExpr b)
    {
        if (b.Op is "|" or "||")
            throw Lexer.Error(b.OperatorColumn, $"'{b.Op}' may only separate a random-effects term from its grouping factor, inside parentheses");
        if (b.Op is ":" or "%in%")
            throw Lexer.Error(b.OperatorColumn, $"'{b.Op}' cannot be used inside an expression");
        // A left-deep chain such as x1 + x2 - x3 + … is evaluated along its left spine without recursion (a formula
        // may hold thousands of terms inside I()), in the same order as the recursion would.
        var spine = new List<BinaryExpr>();
        Expr e = b;
        while (e is BinaryExpr { Op: "+" or "-" or "*" or "/" } s)
        {
            spine.Add(s);
            e = s.Left;
        }
        if (spine.Count == 0) return Apply(b, Eval(b.Left), Eval(b.Right));
        var acc = Eval(e);
        for (int k = spine.Count - 1; k >= 0; k--) acc = Apply(spine[k], acc, Eval(spine[k].Right));
        return acc;
    }

    private Val Apply(BinaryExpr b, Val l, Val r)
    {
        if (b.Op is "==" or "!=" && (l.Kind is Kind.Factor or Kind.Text || r.Kind is Kind.Factor or Kind.Text))
            return CompareText(b, l, r);
        if (b.Op == "&")
        {
            var x = AsLogical(l, b.Left);
            var y = AsLogical(r, b.Right);
            var res = new double[_n];
            for (int i = 0; i < _n; i++)
                res[i] = x[i] == 0 || y[i] == 0 ? 0 : double.IsNaN(x[i]) || double.IsNaN(y[i]) ? double.NaN : 1;
            return new Val { Kind = Kind.Logical, Num = res };
        }
        var a = AsNumeric(l, b.Left, b.Op);
        var c = AsNumeric(r, b.Right, b.Op);
        var o = new double[_n];
        bool logical = false;
        switch (b.Op)
        {
            case "+": for (int i = 0; i < _n; i++) o[i] = a[i] + c[i]; break;
            case "-": for (int i = 0; i < _n; i++) o[i] = a[i] - c[i]; break;
            case "*": for (int i = 0; i < _n; i++) o[i] = a[i] * c[i]; break;
            case "/": for (int i = 0; i < _n; i++) o[i] = a[i] / c[i]; break;
            case "^": for (int i = 0; i < _n; i++) o[i] = RPow(a[i], c[i]); break;
            default:
                logical = true;
                for (int i = 0; i < _n; i++)
                {
                    double x = a[i], y = c[i];
                    if (double.IsNaN(x) || double.IsNaN(y)) { o[i] = double.NaN; continue; }
                    bool t = b.Op switch
                    {
                        ">" => x > y,
                        "<" => x < y,
                        ">=" => x >= y,
                        "<=" => x <= y,
                        "==" => x == y,
                        "!=" => x != y,
                        _ => throw Lexer.Error(b.OperatorColumn, $"unsupported operator '{b.Op}'"),
                    };
                    o[i] = t ? 1 : 0;
                }
                break;
        }
        return new Val { Kind = logical ? Kind.Logical : Kind.Numeric, Num = o };
    }

    private static double RPow(double x, double y)
    {
        if (x == 1 || y == 0) return 1; // as R: 1^NaN = 1, NaN^0 = 1
        return Math.Pow(x, y);
    }

    private Val CompareText(BinaryExpr b, Val l, Val r)
    {
        // factor == "level" (either side), or factor == factor by level name.
        string[] Labels(Val v, Expr e) => v.Kind switch
        {
            Kind.Factor => v.Codes.Select(c => c < 0 ? null! : v.Levels[c]).ToArray(),
            Kind.Text => Enumerable.Repeat(v.Text, _n).ToArray(),
            _ => v.Num.Select(x => double.IsNaN(x) ? null! : RNumber.Format(x)).ToArray(),
        };
        var x = Labels(l, b.Left);
        var y = Labels(r, b.Right);
        var o = new double[_n];
        for (int i = 0; i < _n; i++)
        {
            if (x[i] is null || y[i] is null) { o[i] = double.NaN; continue; }
            bool eq = string.Equals(x[i], y[i], StringComparison.Ordinal);
            o[i] = (b.Op == "==") == eq ? 1 : 0;
        }
        return new Val { Kind = Kind.Logical, Num = o };
    }

    private Val Call(CallExpr c)
    {
        var arg = c.Args[0];
        switch (c.Function)
        {
            case "I":
            case "offset":
                return Eval(arg);
            case "cbind":
                throw Lexer.Error(c.Column, "cbind() may only be used as the response (left of '~')");
            case "factor":
                return Factor(Eval(arg), arg);
            case "scale":
            {
                var x = AsNumeric(Eval(arg), arg, "scale");
                string key = c.Deparse();
                if (_fixedScales is not null)
                {
                    if (!_fixedScales.TryGetValue(key, out var fixedScale))
                        throw Lexer.Error(c.Column, $"no centre and scale were saved for '{key}'");
                    Scales[key] = fixedScale;
                    return new Val { Kind = Kind.Numeric, Num = Map(x, v => (v - fixedScale.Center) / fixedScale.Scale) };
                }
                double sum = 0; int m = 0;
                foreach (var v in x) if (!double.IsNaN(v)) { sum += v; m++; }
                double mean = m > 0 ? sum / m : double.NaN;
                double ss = 0;
                foreach (var v in x) if (!double.IsNaN(v)) ss += (v - mean) * (v - mean);
                double sd = Math.Sqrt(ss / (m - 1));
                Scales[key] = (mean, sd);
                return new Val { Kind = Kind.Numeric, Num = Map(x, v => (v - mean) / sd) };
            }
            default:
            {
                var x = AsNumeric(Eval(arg), arg, c.Function + "()");
                Func<double, double> f = c.Function switch
                {
                    "log" => Math.Log,
                    "log2" => Math.Log2,
                    "log10" => Math.Log10,
                    "exp" => Math.Exp,
                    "sqrt" => Math.Sqrt,
                    "abs" => Math.Abs,
                    _ => throw Lexer.Error(c.Column, $"unknown function '{c.Function}'"),
                };
                return new Val { Kind = Kind.Numeric, Num = Map(x, f) };
            }
        }
    }

    private Val Factor(Val v, Expr arg)
    {
        switch (v.Kind)
        {
            case Kind.Factor:
            {
                var used = new bool[v.Levels.Length];
                foreach (var c in v.Codes) if (c >= 0) used[c] = true;
                var map = new int[v.Levels.Length];
                var levels = new List<string>();
                for (int k = 0; k < used.Length; k++) { map[k] = used[k] ? levels.Count : -1; if (used[k]) levels.Add(v.Levels[k]); }
                return new Val { Kind = Kind.Factor, Codes = v.Codes.Select(c => c < 0 ? -1 : map[c]).ToArray(), Levels = levels.ToArray() };
            }
            case Kind.Numeric:
            case Kind.Logical:
            {
                var distinct = v.Num.Where(x => !double.IsNaN(x)).Distinct().OrderBy(x => x).ToArray();
                var levels = distinct.Select(x => v.Kind == Kind.Logical ? (x == 1 ? "TRUE" : "FALSE") : RNumber.Format(x)).ToArray();
                var index = new Dictionary<double, int>();
                for (int k = 0; k < distinct.Length; k++) index[distinct[k]] = k;
                var codes = new int[_n];
                for (int i = 0; i < _n; i++) codes[i] = double.IsNaN(v.Num[i]) ? -1 : index[v.Num[i]];
                return new Val { Kind = Kind.Factor, Codes = codes, Levels = levels };
            }
            default:
                throw Lexer.Error(arg.Column, "factor() of a string is not supported");
        }
    }
}
