using System.Globalization;
using Glmm.Formulas;

namespace Glmm.Model;

/// <summary>One random-effects term of a fitted model as new data must match it.</summary>
/// <param name="Group">Grouping factor name (<c>herd</c>, <c>a:b</c>).</param>
/// <param name="Terms">Column names of the term.</param>
/// <param name="Levels">Levels of the grouping factor in the fitted data.</param>
internal sealed record FittedTerm(string Group, IReadOnlyList<string> Terms, IReadOnlyList<string> Levels);

/// <summary>The model matrices of new data, encoded as the fitted data were.</summary>
internal sealed class NewData
{
    /// <summary>Rows of the new data.</summary>
    public required int Rows { get; init; }

    /// <summary>X in the fitted model's columns, column-major (entry (i, j) at j·Rows + i).</summary>
    public required double[] X { get; init; }

    /// <summary>Offset per row (zeros without one).</summary>
    public required double[] Offset { get; init; }

    /// <summary>Per fitted term (same order): level code per row, −1 for a level not in the fitted data (or a missing row).</summary>
    public required int[][] Codes { get; init; }

    /// <summary>Per fitted term: row-major n×q covariates.</summary>
    public required double[][] Covariates { get; init; }

    /// <summary>Per row: the first variable with a missing value, or null when the row is complete.</summary>
    public required string?[] MissingIn { get; init; }

    /// <summary>Rows whose level of some grouping factor was not in the fitted data (with <c>allowNewLevels</c>).</summary>
    public required int NewLevelRows { get; init; }
}

/// <summary>
/// Builds X, Z and the offset for new data from a fitted model's formula and encoding, as lme4's
/// <c>predict(newdata = ...)</c> does: factors take the fitted data's levels (a level the fit did not see
/// is an error), <c>scale()</c> uses the fitted centre and scale, the response and weights are not needed,
/// and rows with missing values are kept and reported (their predictions are NaN, R's <c>na.pass</c>).
/// </summary>
internal static class NewDataBuilder
{
    public static NewData Build(string formula, ModelEncoding encoding, IReadOnlyList<string> fixedNames, IReadOnlyList<FittedTerm> terms,
        DataTable data, bool includeRandom, bool allowNewLevels)
    {
        var f = Formula.Parse(formula);
        int n = data.RowCount;
        var allRows = Enumerable.Range(0, n).ToArray();

        // Every column the prediction needs must be present: one line naming the first that is not.
        var needed = new List<Expr>(f.Fixed.Variables);
        needed.AddRange(f.OffsetExprs);
        if (includeRandom)
            foreach (var rt in f.RandomTerms)
            {
                needed.AddRange(rt.Lhs.Variables);
                needed.AddRange(rt.GroupFactors);
            }
        var columnNames = data.Columns.Select(c => c.Name).ToArray();
        foreach (var e in needed)
            foreach (var name in ColumnNames(e))
                if (data.Find(name) is null)
                    throw new GlmmInputException($"the new data have no column '{name}', which the model uses ({e.Deparse()}){ClosestNames.Hint(name, columnNames)}");

        var scales = encoding.Scales.ToDictionary(kv => kv.Key, kv => (kv.Value.Center, kv.Value.Scale), StringComparer.Ordinal);
        var eval = new ExprEvaluator(data, scales);
        var missingIn = new string?[n];
        var cache = new Dictionary<string, EvaluatedVariable>(StringComparer.Ordinal);

        EvaluatedVariable Variable(Expr e)
        {
            string label = e.Deparse();
            if (cache.TryGetValue(label, out var v)) return v;
            v = Encode(eval.Evaluate(e), encoding);
            for (int i = 0; i < n; i++) if (missingIn[i] is null && v.IsMissing(i)) missingIn[i] = label;
            cache[label] = v;
            return v;
        }

        // Fixed effects in the fitted model's columns.
        var fixedVars = f.Fixed.Variables.Select(Variable).ToArray();
        var (names, cols) = ModelMatrix.Build(f.Fixed, fixedVars, allRows, keepLevels: true);
        int p = fixedNames.Count;
        var x = new double[n * p];
        for (int j = 0; j < p; j++)
        {
            int k = Array.IndexOf(names, fixedNames[j]);
            if (k < 0) throw new GlmmInputException($"the new data do not give the fixed-effects column '{fixedNames[j]}' of the fitted model");
            cols[k].CopyTo(x, j * n);
        }

        var offset = new double[n];
        foreach (var o in f.OffsetExprs)
        {
            var v = eval.EvaluateNumeric(o, "the offset");
            string label = o.Deparse();
            for (int i = 0; i < n; i++)
            {
                offset[i] += v[i];
                if (missingIn[i] is null && !double.IsFinite(v[i])) missingIn[i] = label;
            }
        }

        var codes = new int[terms.Count][];
        var covariates = new double[terms.Count][];
        int newLevelRows = 0;
        if (includeRandom)
        {
            var newLevel = new bool[n];
            var used = new bool[terms.Count];
            foreach (var rt in f.RandomTerms)
            {
                var lhsVars = rt.Lhs.Variables.Select(Variable).ToArray();
                var (zNames, zCols) = ModelMatrix.Build(rt.Lhs, lhsVars, allRows, keepLevels: true);
                int s = -1;
                for (int k = 0; k < terms.Count && s < 0; k++)
                    if (!used[k] && terms[k].Group == rt.GroupName && terms[k].Terms.SequenceEqual(zNames)) s = k;
                if (s < 0) throw new GlmmInputException($"the random-effects term {rt} does not match the fitted model");
                used[s] = true;
                int q = zNames.Length;
                var z = new double[n * q];
                for (int j = 0; j < q; j++)
                    for (int i = 0; i < n; i++) z[i * q + j] = zCols[j][i];
                covariates[s] = z;

                var labels = GroupLabels(rt, Variable, n);
                var index = new Dictionary<string, int>(StringComparer.Ordinal);
                for (int l = 0; l < terms[s].Levels.Count; l++) index[terms[s].Levels[l]] = l;
                var c = new int[n];
                for (int i = 0; i < n; i++)
                {
                    if (labels[i] is null || missingIn[i] is not null) { c[i] = -1; continue; }
                    if (index.TryGetValue(labels[i]!, out int code)) { c[i] = code; continue; }
                    if (!allowNewLevels)
                        throw new GlmmInputException(
                            $"level '{labels[i]}' of grouping factor '{rt.GroupName}' (row {(i + 1).ToString(CultureInfo.InvariantCulture)} of the new data) is not in the fitted data; use --allow-new-levels to predict it with a random effect of 0");
                    c[i] = -1;
                    newLevel[i] = true;
                }
                codes[s] = c;
            }
            for (int i = 0; i < n; i++) if (newLevel[i] && missingIn[i] is null) newLevelRows++;
        }

        return new NewData
        {
            Rows = n,
            X = x,
            Offset = offset,
            Codes = codes,
            Covariates = covariates,
            MissingIn = missingIn,
            NewLevelRows = newLevelRows,
        };
    }

    /// <summary>The grouping factor's level name per row (components joined by ':'), null where missing.</summary>
    private static string?[] GroupLabels(RandomTerm rt, Func<Expr, EvaluatedVariable> variable, int n)
    {
        var parts = rt.GroupFactors.Select(g => RowLabels(variable(g), n)).ToArray();
        var result = new string?[n];
        var buffer = new string[parts.Length];
        for (int i = 0; i < n; i++)
        {
            bool missing = false;
            for (int k = 0; k < parts.Length; k++)
            {
                if (parts[k][i] is null) { missing = true; break; }
                buffer[k] = parts[k][i]!;
            }
            result[i] = missing ? null : string.Join(":", buffer);
        }
        return result;
    }

    private static string?[] RowLabels(EvaluatedVariable v, int n)
    {
        var labels = new string?[n];
        for (int i = 0; i < n; i++)
        {
            if (v.IsMissing(i)) continue;
            labels[i] = v switch
            {
                FactorVariable f => f.Levels[f.Codes[i]],
                NumericVariable num => RNumber.Format(num.Values[i]),
                _ => throw new InvalidOperationException(),
            };
        }
        return labels;
    }

    /// <summary>
    /// A new-data variable recoded as the fitted one: a factor gets the fitted levels (a new level is an
    /// error naming it), a numeric variable must be numeric again.
    /// </summary>
    internal static EvaluatedVariable Encode(EvaluatedVariable v, ModelEncoding encoding)
    {
        if (encoding.FactorLevels.TryGetValue(v.Label, out var levels))
        {
            var index = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int k = 0; k < levels.Count; k++) index[levels[k]] = k;
            int n = v.Length;
            var labels = RowLabels(v, n);
            var codes = new int[n];
            for (int i = 0; i < n; i++)
            {
                if (labels[i] is null) { codes[i] = -1; continue; }
                if (!index.TryGetValue(labels[i]!, out codes[i]))
                    throw new GlmmInputException(
                        $"'{v.Label}' has the level '{labels[i]}' in row {(i + 1).ToString(CultureInfo.InvariantCulture)} of the new data, which is not among the fitted data's levels ({string.Join(", ", levels.Take(10))}{(levels.Count > 10 ? ", ..." : "")})");
            }
            return new FactorVariable(v.Label, codes, levels.ToArray(), levels.Count == 2 && levels[0] == "FALSE" && levels[1] == "TRUE");
        }
        if (v is FactorVariable && encoding.NumericVariables.Contains(v.Label))
            throw new GlmmInputException($"'{v.Label}' is categorical in the new data but was numeric in the fitted data");
        return v;
    }

    /// <summary>Data column names an expression refers to.</summary>
    private static IEnumerable<string> ColumnNames(Expr e)
    {
        StackGuard.Check(e);
        switch (e)
        {
            case NameExpr name: yield return name.Name; break;
            case ParenExpr p: foreach (var c in ColumnNames(p.Inner)) yield return c; break;
            case UnaryExpr u: foreach (var c in ColumnNames(u.Operand)) yield return c; break;
            case BinaryExpr b:
                foreach (var c in ColumnNames(b.Left)) yield return c;
                foreach (var c in ColumnNames(b.Right)) yield return c;
                break;
            case CallExpr call:
                foreach (var a in call.Args)
                    foreach (var c in ColumnNames(a)) yield return c;
                break;
        }
    }
}
