namespace Glmm.Formulas;

/// <summary>
/// One random-effects term of a formula after lme4's expansion of <c>||</c> and <c>/</c>:
/// <c>(terms | group)</c>.
/// </summary>
public sealed class RandomTerm
{
    internal RandomTerm(TermSet lhs, Expr group, IReadOnlyList<Expr> groupFactors)
    {
        Lhs = lhs;
        Group = group;
        GroupFactors = groupFactors;
        GroupName = group.Deparse();
    }

    internal TermSet Lhs { get; }
    internal Expr Group { get; }

    /// <summary>The grouping factor's components (one, or several for an interaction such as <c>b:a</c>).</summary>
    internal IReadOnlyList<Expr> GroupFactors { get; }

    /// <summary>The grouping factor as lme4 names it, e.g. <c>herd</c> or <c>BROOD:LOCATION</c>.</summary>
    public string GroupName { get; }

    /// <summary>True when the term has a random intercept.</summary>
    public bool HasIntercept => Lhs.Intercept;

    /// <summary>Term labels of the left-hand side (without the intercept), e.g. <c>urban</c>.</summary>
    public IReadOnlyList<string> TermLabels => Lhs.TermLabels;

    /// <summary>The term in lme4's notation, e.g. <c>(1 + urban | district)</c> or <c>(0 + x | g)</c>.</summary>
    public override string ToString()
    {
        var parts = new List<string> { HasIntercept ? "1" : "0" };
        parts.AddRange(TermLabels);
        return $"({string.Join(" + ", parts)} | {GroupName})";
    }
}
