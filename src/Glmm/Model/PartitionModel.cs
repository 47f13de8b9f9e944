using System.Globalization;
using Glmm.Formulas;

namespace Glmm.Model;

/// <summary>
/// One part of a partitioned data set (whole top-level clusters) built as a part of the whole: the response, weights,
/// offset and random-effect terms are the part's own (its clusters are its own), but the fixed-effects columns follow
/// the coordinator's encoding — the factor levels of the whole data set and its column list — so that every part has
/// the same columns in the same order, whatever levels happen to occur in it.
/// </summary>
internal static class PartitionModel
{
    /// <summary>
    /// The part's model: <paramref name="fixedNames"/> (the whole data set's columns, after the coordinator's dependence
    /// check; null: every column the encoding gives) built with <paramref name="encoding"/>'s levels.
    /// </summary>
    public static ModelStructure Build(string formula, DataTable part, ModelEncoding encoding, IReadOnlyList<string>? fixedNames, string? weightsColumn)
    {
        var local = ModelBuilder.Build(formula, part, new ModelBuildOptions { WeightsColumn = weightsColumn, PartOfLargerData = true });
        var (names, cols) = GlobalColumns(formula, part, encoding, local.RowIndex);
        fixedNames ??= names;
        int n = local.N, p = fixedNames.Count;
        var values = new double[n * p];
        for (int j = 0; j < p; j++)
        {
            int k = Array.IndexOf(names, fixedNames[j]);
            if (k < 0) throw new GlmmInputException($"the partition does not give the fixed-effects column '{fixedNames[j]}' of the coordinator's encoding");
            cols[k].CopyTo(values, j * n);
        }
        return local.WithFixedEffects(new FixedEffects(n, fixedNames.ToArray(), values));
    }

    private static (string[] Names, double[][] Columns) GlobalColumns(string formula, DataTable part, ModelEncoding encoding, int[] rows)
    {
        var f = Formula.Parse(formula);
        var eval = new ExprEvaluator(part);
        var vars = f.Fixed.Variables.Select(e => NewDataBuilder.Encode(eval.Evaluate(e), encoding)).ToArray();
        return ModelMatrix.Build(f.Fixed, vars, rows, keepLevels: true);
    }

    /// <summary>
    /// The encoding of the whole data set from its parts' own: each factor's levels are the union of the parts' levels,
    /// in the order a single table would give them (numeric order when every level is a number, else ordinal string
    /// order, as the readers sort categorical columns). A variable numeric in one part and categorical in another is refused.
    /// </summary>
    public static ModelEncoding Merge(IReadOnlyList<ModelEncoding> parts)
    {
        var levels = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        var order = new List<string>();
        var numeric = new List<string>();
        foreach (var e in parts)
        {
            foreach (var (name, ls) in e.FactorLevels)
            {
                if (!levels.TryGetValue(name, out var set)) { levels[name] = set = new HashSet<string>(StringComparer.Ordinal); order.Add(name); }
                set.UnionWith(ls);
            }
            foreach (var v in e.NumericVariables) if (!numeric.Contains(v)) numeric.Add(v);
        }
        foreach (var v in numeric)
            if (levels.ContainsKey(v))
                throw new GlmmInputException($"'{v}' is numeric in some partitions and categorical in others; give it one type in every file");
        var merged = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var name in order) merged[name] = SortLevels(levels[name]);
        return new ModelEncoding(merged, numeric, new Dictionary<string, ScaleParameters>());
    }

    private static string[] SortLevels(IEnumerable<string> levels)
    {
        var all = levels.ToArray();
        bool allNumbers = all.All(l => double.TryParse(l, NumberStyles.Float, CultureInfo.InvariantCulture, out _));
        if (allNumbers)
            return all.OrderBy(l => double.Parse(l, NumberStyles.Float, CultureInfo.InvariantCulture)).ThenBy(l => l, StringComparer.Ordinal).ToArray();
        Array.Sort(all, StringComparer.Ordinal);
        return all;
    }
}
