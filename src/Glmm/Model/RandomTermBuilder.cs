using Glmm.Formulas;

namespace Glmm.Model;

/// <summary>
/// Builds a <see cref="RandomEffectsTerm"/> from a formula term as lme4's <c>mkReTrms</c> does: the
/// grouping factor (an interaction <c>b:a</c> has the observed combinations as levels, the first
/// component varying slowest, named <c>b1:a1</c>; numeric grouping variables become factors with
/// levels in numeric order; unused levels are dropped) and the term's model matrix, stored row-major.
/// </summary>
internal static class RandomTermBuilder
{
    public static RandomEffectsTerm Build(RandomTerm term, ModelFrame frame, int[] rows)
    {
        var (codes, levels) = GroupingFactor(term, frame, rows);
        if (levels.Length < 2)
            throw new GlmmInputException(
                $"grouping factor '{term.GroupName}' has only one level ({(levels.Length == 1 ? levels[0] : "none")}) in the rows used; a random effect needs at least two");
        var vars = term.Lhs.Variables.Select(frame.Variable).ToArray();
        var (names, cols) = ModelMatrix.Build(term.Lhs, vars, rows);
        int n = rows.Length, q = names.Length;
        var z = new double[n * q];
        for (int j = 0; j < q; j++)
        {
            var c = cols[j];
            for (int i = 0; i < n; i++) z[i * q + j] = c[i];
        }
        return new RandomEffectsTerm(term.GroupName, codes, levels, names, z);
    }

    private static (int[] Codes, string[] Levels) GroupingFactor(RandomTerm term, ModelFrame frame, int[] rows)
    {
        int n = rows.Length;
        var parts = new List<(int[] Codes, string[] Levels)>();
        foreach (var g in term.GroupFactors)
        {
            var v = frame.Variable(g);
            parts.Add(v switch
            {
                FactorVariable { IsLogical: true } f => Compact(rows.Select(r => f.Codes[r]).ToArray(), k => f.Levels[k], 2),
                FactorVariable f => ModelMatrix.UsedLevels(f, rows),
                NumericVariable num => NumericFactor(num, rows),
                _ => throw new InvalidOperationException(),
            });
        }
        if (parts.Count == 1) return parts[0];
        // Interaction: combined key with the first component varying slowest.
        var key = new long[n];
        long size = 1;
        for (int q = parts.Count - 1; q >= 0; q--)
        {
            for (int i = 0; i < n; i++) key[i] += parts[q].Codes[i] * size;
            size *= parts[q].Levels.Length;
        }
        var distinct = key.Distinct().OrderBy(k => k).ToArray();
        var index = new Dictionary<long, int>(distinct.Length);
        for (int k = 0; k < distinct.Length; k++) index[distinct[k]] = k;
        var codes = new int[n];
        for (int i = 0; i < n; i++) codes[i] = index[key[i]];
        var levels = new string[distinct.Length];
        for (int k = 0; k < distinct.Length; k++)
        {
            long rem = distinct[k];
            var names = new string[parts.Count];
            for (int q = parts.Count - 1; q >= 0; q--)
            {
                int L = parts[q].Levels.Length;
                names[q] = parts[q].Levels[(int)(rem % L)];
                rem /= L;
            }
            levels[k] = string.Join(":", names);
        }
        return (codes, levels);
    }

    private static (int[] Codes, string[] Levels) Compact(int[] codes, Func<int, string> name, int count)
    {
        var used = new bool[count];
        foreach (var c in codes) used[c] = true;
        var map = new int[count];
        var levels = new List<string>();
        for (int k = 0; k < count; k++) { map[k] = used[k] ? levels.Count : -1; if (used[k]) levels.Add(name(k)); }
        return (codes.Select(c => map[c]).ToArray(), levels.ToArray());
    }

    private static (int[] Codes, string[] Levels) NumericFactor(NumericVariable v, int[] rows)
    {
        var values = rows.Select(r => v.Values[r]).ToArray();
        var distinct = values.Distinct().OrderBy(x => x).ToArray();
        var index = new Dictionary<double, int>(distinct.Length);
        for (int k = 0; k < distinct.Length; k++) index[distinct[k]] = k;
        return (values.Select(x => index[x]).ToArray(), distinct.Select(RNumber.Format).ToArray());
    }
}
