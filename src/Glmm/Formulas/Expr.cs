using System.Globalization;
using System.Text;

namespace Glmm.Formulas;

/// <summary>A node of a parsed formula expression; <see cref="Column"/> is the 1-based position of its first character.</summary>
internal abstract record Expr(int Column)
{
    /// <summary>The expression as R's <c>deparse</c> prints it (used for term labels and column names).</summary>
    public string Deparse()
    {
        var sb = new StringBuilder();
        Write(sb);
        return sb.ToString();
    }

    public override string ToString() => Deparse();

    internal abstract void Write(StringBuilder sb);
}

/// <summary>A variable name, possibly backquoted in the source.</summary>
internal sealed record NameExpr(string Name, int Column) : Expr(Column)
{
    internal override void Write(StringBuilder sb)
    {
        if (IsSyntactic(Name)) sb.Append(Name);
        else sb.Append('`').Append(Name).Append('`');
    }

    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal)
    {
        "if", "else", "repeat", "while", "function", "for", "next", "break", "TRUE", "FALSE", "NULL",
        "Inf", "NaN", "NA", "in",
    };

    /// <summary>True when R prints the name without backquotes.</summary>
    public static bool IsSyntactic(string name)
    {
        if (name.Length == 0 || Reserved.Contains(name)) return false;
        char c = name[0];
        if (!(char.IsLetter(c) || c == '.')) return false;
        if (c == '.' && name.Length > 1 && char.IsDigit(name[1])) return false;
        foreach (char ch in name)
            if (!(char.IsLetterOrDigit(ch) || ch == '.' || ch == '_')) return false;
        return true;
    }
}

/// <summary>A numeric literal.</summary>
internal sealed record NumberExpr(double Value, int Column) : Expr(Column)
{
    internal override void Write(StringBuilder sb) => sb.Append(RNumber.Format(Value));
}

/// <summary>A string literal (for comparisons with categorical columns).</summary>
internal sealed record StringExpr(string Value, int Column) : Expr(Column)
{
    internal override void Write(StringBuilder sb) => sb.Append('"').Append(Value).Append('"');
}

/// <summary>A function call such as <c>log(x)</c> or <c>I(age^2)</c>.</summary>
internal sealed record CallExpr(string Function, IReadOnlyList<Expr> Args, int Column) : Expr(Column)
{
    internal override void Write(StringBuilder sb)
    {
        sb.Append(Function).Append('(');
        for (int i = 0; i < Args.Count; i++)
        {
            if (i > 0) sb.Append(", ");
            Args[i].Write(sb);
        }
        sb.Append(')');
    }
}

/// <summary>A binary operation; <see cref="OperatorColumn"/> is where the operator is.</summary>
internal sealed record BinaryExpr(string Op, Expr Left, Expr Right, int Column, int OperatorColumn) : Expr(Column)
{
    internal override void Write(StringBuilder sb)
    {
        StackGuard.Check(this);
        Left.Write(sb);
        if (Op is "^" or ":" or "/") sb.Append(Op);
        else sb.Append(' ').Append(Op).Append(' ');
        Right.Write(sb);
    }
}

/// <summary>A unary minus, plus or not.</summary>
internal sealed record UnaryExpr(string Op, Expr Operand, int Column) : Expr(Column)
{
    internal override void Write(StringBuilder sb)
    {
        sb.Append(Op);
        Operand.Write(sb);
    }
}

/// <summary>A parenthesised expression (kept, as R keeps it, so that deparsing round-trips).</summary>
internal sealed record ParenExpr(Expr Inner, int Column) : Expr(Column)
{
    internal override void Write(StringBuilder sb)
    {
        sb.Append('(');
        Inner.Write(sb);
        sb.Append(')');
    }
}

/// <summary>Formats numbers as R's <c>deparse</c> and <c>as.character</c> do (15 significant digits).</summary>
internal static class RNumber
{
    public static string Format(double v)
    {
        if (double.IsNaN(v)) return "NaN";
        if (double.IsPositiveInfinity(v)) return "Inf";
        if (double.IsNegativeInfinity(v)) return "-Inf";
        if (v == 0) return "0";
        // R chooses fixed notation unless scientific is shorter (scipen = 0).
        string sig = v.ToString("G15", CultureInfo.InvariantCulture);
        double back = double.Parse(sig, CultureInfo.InvariantCulture);
        // Number of significant digits needed.
        string e = back.ToString("E14", CultureInfo.InvariantCulture); // d.ddddddddddddddE+xxx
        int ePos = e.IndexOf('E');
        string mant = e[..ePos].Replace(".", "").TrimStart('-').TrimEnd('0');
        if (mant.Length == 0) mant = "0";
        int exp = int.Parse(e[(ePos + 1)..], CultureInfo.InvariantCulture);
        int digits = mant.Length;
        bool neg = v < 0;
        // Fixed representation
        string fixedRep;
        if (exp >= 0)
        {
            fixedRep = digits <= exp + 1 ? mant + new string('0', exp + 1 - digits) : mant[..(exp + 1)] + "." + mant[(exp + 1)..];
        }
        else
        {
            fixedRep = "0." + new string('0', -exp - 1) + mant;
        }
        string sciMant = digits == 1 ? mant : mant[..1] + "." + mant[1..];
        string expText = Math.Abs(exp).ToString("00", CultureInfo.InvariantCulture);
        string sciRep = sciMant + "e" + (exp < 0 ? "-" : "+") + expText;
        string rep = fixedRep.Length <= sciRep.Length ? fixedRep : sciRep;
        return neg ? "-" + rep : rep;
    }
}
