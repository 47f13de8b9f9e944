namespace Glmm.Formulas;

/// <summary>
/// The expanded terms of one model-matrix formula (the fixed part, or the left side of a random term):
/// variables in order of first appearance, terms as sorted sets of variable indices, ordered as R's
/// <c>terms()</c> orders them (by degree, then by appearance), and the intercept flag.
/// </summary>
internal sealed class TermSet
{
    public TermSet(IReadOnlyList<Expr> variables, IReadOnlyList<int[]> terms, bool intercept)
    {
        Variables = variables;
        Terms = terms;
        Intercept = intercept;
        VariableLabels = variables.Select(v => v.Deparse()).ToArray();
        TermLabels = terms.Select(t => string.Join(":", t.Select(i => VariableLabels[i]))).ToArray();
    }

    public IReadOnlyList<Expr> Variables { get; }
    public string[] VariableLabels { get; }
    public IReadOnlyList<int[]> Terms { get; }
    public string[] TermLabels { get; }
    public bool Intercept { get; }

    /// <summary>
    /// R's coding of variable <paramref name="variable"/> in term <paramref name="term"/> (stats:::TermCode):
    /// true = contrasts (drop the reference level), false = full indicator coding. The variable gets
    /// contrasts when the term without it is empty or contained in an earlier term. Without an
    /// intercept, the first factor of the first term that has one is coded fully
    /// (<paramref name="isFactor"/> tells which variables are factors).
    /// </summary>
    public bool UsesContrasts(int term, int variable, Func<int, bool> isFactor)
    {
        if (!Intercept)
        {
            for (int j = 0; j < Terms.Count; j++)
            {
                int f = Array.FindIndex(Terms[j], v => isFactor(v));
                if (f < 0) continue;
                if (j == term && Terms[j][f] == variable) return false;
                break;
            }
        }
        var rest = Terms[term].Where(v => v != variable).ToArray();
        if (rest.Length == 0) return true;
        for (int k = 0; k < term; k++)
            if (rest.All(v => Array.IndexOf(Terms[k], v) >= 0)) return true;
        return false;
    }
}
