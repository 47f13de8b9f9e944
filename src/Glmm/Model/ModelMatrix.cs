using Glmm.Formulas;

namespace Glmm.Model;

/// <summary>
/// Builds the columns of a model matrix from expanded terms as R's <c>model.matrix</c> does: an
/// intercept, numeric variables as they are, factors with treatment contrasts or full indicator coding
/// (R's rule for each variable of each term), interactions as products with the first variable varying
/// fastest, and R's column names (<c>urbanY</c>, <c>livch1:urbanY</c>, <c>I(week &gt; 2)TRUE</c>).
/// </summary>
internal static class ModelMatrix
{
    /// <remarks>
    /// With <paramref name="keepLevels"/> the factors' levels are used as given (prediction on new data:
    /// the variables already carry the fitted data's levels) instead of the levels used in <paramref name="rows"/>.
    /// </remarks>
    public static (string[] Names, double[][] Columns) Build(TermSet terms, IReadOnlyList<EvaluatedVariable> variables, int[] rows, bool keepLevels = false)
    {
        int n = rows.Length;
        var factorLevels = new Dictionary<int, (int[] Codes, string[] Levels)>();
        for (int v = 0; v < variables.Count; v++)
            if (variables[v] is FactorVariable f)
                factorLevels[v] = keepLevels ? (rows.Select(r => f.Codes[r]).ToArray(), f.Levels) : UsedLevels(f, rows);
        bool IsFactor(int v) => variables[v] is FactorVariable;

        var names = new List<string>();
        var cols = new List<double[]>();
        if (terms.Intercept)
        {
            var one = new double[n];
            Array.Fill(one, 1.0);
            names.Add("(Intercept)");
            cols.Add(one);
        }
        for (int t = 0; t < terms.Terms.Count; t++)
        {
            // Columns of each variable in the term, in variable order.
            var partNames = new List<string[]>();
            var partCols = new List<double[][]>();
            foreach (int v in terms.Terms[t])
            {
                var variable = variables[v];
                if (variable is NumericVariable num)
                {
                    var c = new double[n];
                    for (int i = 0; i < n; i++) c[i] = num.Values[rows[i]];
                    partNames.Add(new[] { variable.Label });
                    partCols.Add(new[] { c });
                    continue;
                }
                var (codes, levels) = factorLevels[v];
                bool contrasts = terms.UsesContrasts(t, v, IsFactor);
                if (contrasts && levels.Length < 2)
                    throw new GlmmInputException(
                        $"factor '{variable.Label}' has only one level ({(levels.Length == 1 ? levels[0] : "none")}) in the rows used, so it cannot be a predictor");
                int first = contrasts ? 1 : 0;
                var pn = new string[levels.Length - first];
                var pc = new double[levels.Length - first][];
                for (int k = first; k < levels.Length; k++)
                {
                    pn[k - first] = variable.Label + levels[k];
                    var c = new double[n];
                    for (int i = 0; i < n; i++) c[i] = codes[i] == k ? 1.0 : 0.0;
                    pc[k - first] = c;
                }
                partNames.Add(pn);
                partCols.Add(pc);
            }
            // Cartesian product, first variable fastest.
            int total = partNames.Aggregate(1, (acc, p) => acc * p.Length);
            var idx = new int[partNames.Count];
            for (int m = 0; m < total; m++)
            {
                int rem = m;
                for (int q = 0; q < idx.Length; q++) { idx[q] = rem % partNames[q].Length; rem /= partNames[q].Length; }
                var c = new double[n];
                Array.Fill(c, 1.0);
                var nm = new string[idx.Length];
                for (int q = 0; q < idx.Length; q++)
                {
                    nm[q] = partNames[q][idx[q]];
                    var src = partCols[q][idx[q]];
                    for (int i = 0; i < n; i++) c[i] *= src[i];
                }
                names.Add(string.Join(":", nm));
                cols.Add(c);
            }
        }
        return (names.ToArray(), cols.ToArray());
    }

    /// <summary>
    /// The factor's codes on the kept rows, renumbered to the levels that occur there (lme4 drops unused
    /// levels); a logical variable keeps both FALSE and TRUE as R's model.matrix does.
    /// </summary>
    public static (int[] Codes, string[] Levels) UsedLevels(FactorVariable f, int[] rows)
    {
        var codes = new int[rows.Length];
        if (f.IsLogical)
        {
            for (int i = 0; i < rows.Length; i++) codes[i] = f.Codes[rows[i]];
            return (codes, f.Levels);
        }
        var used = new bool[f.Levels.Length];
        foreach (int r in rows) used[f.Codes[r]] = true;
        var map = new int[used.Length];
        var levels = new List<string>();
        for (int k = 0; k < used.Length; k++)
        {
            map[k] = used[k] ? levels.Count : -1;
            if (used[k]) levels.Add(f.Levels[k]);
        }
        for (int i = 0; i < rows.Length; i++) codes[i] = map[f.Codes[rows[i]]];
        return (codes, levels.ToArray());
    }
}
