using System.Globalization;
using System.Text;
using Glmm.Results;

namespace Glmm.Inference;

/// <summary>lme4's <c>coef()</c> for one grouping factor: per level, the fixed effects plus that level's random effects.</summary>
/// <param name="Group">Grouping factor.</param>
/// <param name="Columns">Column names: random-only terms first (as lme4 puts them), then the fixed effects.</param>
/// <param name="Levels">Levels of the grouping factor.</param>
/// <param name="Values">levels × columns.</param>
public sealed record CoefficientTable(string Group, IReadOnlyList<string> Columns, IReadOnlyList<string> Levels, double[,] Values);

/// <summary>The random effects as tables: <c>coef()</c> per grouping factor, and the conditional modes as CSV.</summary>
public static class RandomEffectTable
{
    /// <summary>lme4's <c>coef(fit)</c>: one table per grouping factor.</summary>
    public static IReadOnlyList<CoefficientTable> Coefficients(GlmmFit fit) => Coefficients(SavedModel.FromFit(fit));

    /// <summary>lme4's <c>coef()</c> from a saved model: terms with the same grouping factor share one table.</summary>
    public static IReadOnlyList<CoefficientTable> Coefficients(SavedModel model)
    {
        var fixedNames = model.FixedEffectNames;
        var result = new List<CoefficientTable>();
        foreach (var group in model.RandomTerms.Select(t => t.Group).Distinct())
        {
            var terms = model.RandomTerms.Where(t => t.Group == group).ToArray();
            var levels = terms[0].Levels;
            var missing = terms.SelectMany(t => t.Terms).Where(n => !fixedNames.Contains(n)).Distinct().ToArray();
            var columns = missing.Concat(fixedNames).ToArray();
            var values = new double[levels.Count, columns.Length];
            for (int l = 0; l < levels.Count; l++)
                for (int j = 0; j < fixedNames.Count; j++) values[l, missing.Length + j] = model.Beta[j];
            foreach (var t in terms)
            {
                if (!t.Levels.SequenceEqual(levels))
                    throw new InvalidOperationException($"terms of grouping factor '{group}' have different levels");
                int q = t.Terms.Count;
                for (int a = 0; a < q; a++)
                {
                    int col = Array.IndexOf(columns, t.Terms[a]);
                    for (int l = 0; l < levels.Count; l++) values[l, col] += t.Modes[l * q + a];
                }
            }
            result.Add(new CoefficientTable(group, columns, levels, values));
        }
        return result;
    }

    /// <summary>The conditional modes as CSV: header <c>group,level,term,mode,condSD</c>, invariant numbers (round-trip precision).</summary>
    public static string ToCsv(IEnumerable<RandomEffectPrediction> modes)
    {
        var sb = new StringBuilder();
        sb.Append("group,level,term,mode,condSD\n");
        foreach (var m in modes)
        {
            sb.Append(Field(m.Group)).Append(',').Append(Field(m.Level)).Append(',').Append(Field(m.Term)).Append(',')
              .Append(Number(m.Mode)).Append(',').Append(Number(m.ConditionalSD)).Append('\n');
        }
        return sb.ToString();
    }

    private static string Number(double v) => double.IsFinite(v) ? v.ToString("R", CultureInfo.InvariantCulture) : "NA";

    /// <summary>An RFC 4180 field: quoted when it holds a comma, quote or line break.</summary>
    private static string Field(string s) =>
        s.IndexOfAny(new[] { ',', '"', '\n', '\r' }) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
}
