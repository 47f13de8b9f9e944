using System.Globalization;
using Glmm.Formulas;

namespace Glmm.Model;

/// <summary>Turns an lme4 formula and a table into the <see cref="ModelStructure"/> the fitting engine needs.</summary>
public static class ModelBuilder
{
    /// <summary>
    /// Parses <paramref name="formula"/>, evaluates its variables on <paramref name="data"/>, drops rows
    /// with missing values in any of them (reported in <see cref="ModelStructure.DroppedRows"/> and
    /// <see cref="ModelStructure.DroppedReason"/>), and builds the response, weights, offset, X (R's
    /// column names and order; linearly dependent columns dropped) and the random-effects terms.
    /// Any problem with the input is a <see cref="GlmmInputException"/> with a one-line message.
    /// </summary>
    public static ModelStructure Build(string formula, DataTable data, ModelBuildOptions? options = null)
    {
        options ??= new ModelBuildOptions();
        var f = Formula.Parse(formula);
        if (f.RandomTerms.Count == 0)
            throw new GlmmInputException(
                $"formula '{formula.Trim()}' has no random-effects term such as (1 | group); a GLM (no random effects) is the right tool for it");
        if (data.RowCount == 0) throw new GlmmInputException("the data have no rows");

        var frame = new ModelFrame(data);
        // Response first, as R's model frame.
        double[]? successes = null, failures = null;
        EvaluatedVariable? response = null;
        if (f.Response is CallExpr { Function: "cbind" } cb)
        {
            successes = frame.Numeric(cb.Args[0], "the first column of cbind()");
            failures = frame.Numeric(cb.Args[1], "the second column of cbind()");
        }
        else response = frame.Variable(f.Response);
        var fixedVars = f.Fixed.Variables.Select(frame.Variable).ToArray();
        var offsets = f.OffsetExprs.Select(o => frame.Numeric(o, "the offset")).ToArray();
        foreach (var rt in f.RandomTerms)
        {
            foreach (var v in rt.Lhs.Variables) frame.Variable(v);
            foreach (var g in rt.GroupFactors) frame.Variable(g);
        }
        double[]? userWeights = options.WeightsColumn is { } wc ? frame.WeightsColumn(wc) : null;

        var (rows, dropped, reason) = frame.KeptRows();
        if (rows.Length == 0)
            throw new GlmmInputException($"every row was dropped ({reason})");
        int n = rows.Length;

        // Response.
        var y = new double[n];
        var weights = new double[n];
        ResponseKind kind;
        if (successes is not null && failures is not null)
        {
            kind = ResponseKind.SuccessFailure;
            for (int i = 0; i < n; i++)
            {
                double s = successes[rows[i]], fl = failures[rows[i]];
                if (s < 0 || fl < 0)
                    throw new GlmmInputException(
                        $"response {f.ResponseLabel} has a negative count in data row {(rows[i] + 1).ToString(CultureInfo.InvariantCulture)}");
                double t = s + fl;
                y[i] = t == 0 ? 0 : s / t;
                weights[i] = t;
            }
        }
        else
        {
            Array.Fill(weights, 1.0);
            switch (response)
            {
                case NumericVariable num:
                    kind = ResponseKind.Numeric;
                    for (int i = 0; i < n; i++) y[i] = num.Values[rows[i]];
                    break;
                case FactorVariable { IsLogical: true } lg:
                    kind = ResponseKind.Binary;
                    for (int i = 0; i < n; i++) y[i] = lg.Codes[rows[i]];
                    break;
                case FactorVariable fac:
                {
                    var (codes, levels) = ModelMatrix.UsedLevels(fac, rows);
                    if (levels.Length > 2)
                        throw new GlmmInputException(
                            $"response '{f.ResponseLabel}' is categorical with {levels.Length.ToString(CultureInfo.InvariantCulture)} levels ({string.Join(", ", levels.Take(5))}{(levels.Length > 5 ? ", ..." : "")}); it must be numeric, logical or have two levels");
                    kind = ResponseKind.Binary;
                    for (int i = 0; i < n; i++) y[i] = codes[i] == 1 ? 1 : 0;
                    break;
                }
                default:
                    throw new InvalidOperationException("unexpected response variable");
            }
        }
        RequireFinite(y, rows, $"the response '{f.ResponseLabel}'");
        bool constant = true;
        for (int i = 1; i < n && constant; i++) constant = y[i] == y[0];
        if (constant && !options.PartOfLargerData)
            throw new GlmmInputException(
                $"response '{f.ResponseLabel}' is constant ({RNumber.Format(y[0])} in all {n.ToString(CultureInfo.InvariantCulture)} rows used); there is nothing to model");
        if (userWeights is not null)
            for (int i = 0; i < n; i++) weights[i] *= userWeights[rows[i]];

        var offset = new double[n];
        foreach (var o in offsets)
            for (int i = 0; i < n; i++) offset[i] += o[rows[i]];

        RequireFinite(offset, rows, "the offset");

        // Fixed effects.
        var (names, cols) = ModelMatrix.Build(f.Fixed, fixedVars, rows);
        for (int j = 0; j < names.Length; j++) RequireFinite(cols[j], rows, $"the fixed-effects column '{names[j]}'");
        var dependent = LinearDependence.DependentColumns(cols, options.RankTolerance);
        var keep = Enumerable.Range(0, names.Length).Where(j => Array.IndexOf(dependent, j) < 0).ToArray();
        var xValues = new double[n * keep.Length];
        for (int k = 0; k < keep.Length; k++) cols[keep[k]].CopyTo(xValues, k * n);
        var x = new FixedEffects(n, keep.Select(j => names[j]).ToArray(), xValues, dependent.Select(j => names[j]).ToArray());

        // Random effects.
        var terms = f.RandomTerms.Select(rt => RandomTermBuilder.Build(rt, frame, rows)).ToArray();
        foreach (var t in terms)
        {
            for (int i = 0; i < t.Covariates.Length; i++)
                if (!double.IsFinite(t.Covariates[i]))
                    throw new GlmmInputException(
                        $"the random-effects column '{t.TermNames[i % t.Q]}' of ({string.Join(" + ", t.TermNames)} | {t.GroupName}) is {RNumber.Format(t.Covariates[i])} in data row {(rows[i / t.Q] + 1).ToString(CultureInfo.InvariantCulture)}; values must be finite");
            // lme4's check.nobs.vs.nRE for glmer (allow.n = TRUE).
            long effects = (long)t.Q * t.LevelCount;
            if (effects > n)
                throw new GlmmInputException(
                    $"the term ({string.Join(" + ", t.TermNames)} | {t.GroupName}) has {effects.ToString(CultureInfo.InvariantCulture)} random effects but there are only {n.ToString(CultureInfo.InvariantCulture)} observations; its variance parameters cannot be identified");
        }

        return new ModelStructure
        {
            Formula = formula,
            ResponseName = f.ResponseLabel,
            ResponseKind = kind,
            Y = y,
            Weights = weights,
            Offset = offset,
            HasOffset = offsets.Length > 0,
            X = x,
            Random = new RandomEffectsStructure(terms),
            RowIndex = rows,
            DroppedRows = dropped,
            DroppedReason = reason,
            Encoding = Encode(f, frame, rows),
        };
    }

    /// <summary>The levels of each factor model variable among the kept rows, the numeric variables and scale() parameters.</summary>
    private static ModelEncoding Encode(Formula f, ModelFrame frame, int[] rows)
    {
        var levels = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        var numeric = new List<string>();
        var exprs = f.Fixed.Variables.Concat(f.RandomTerms.SelectMany(rt => rt.Lhs.Variables));
        foreach (var e in exprs)
        {
            var v = frame.Variable(e);
            if (levels.ContainsKey(v.Label) || numeric.Contains(v.Label)) continue;
            if (v is FactorVariable fv) levels[v.Label] = ModelMatrix.UsedLevels(fv, rows).Levels;
            else numeric.Add(v.Label);
        }
        var scales = frame.Scales.ToDictionary(kv => kv.Key, kv => new ScaleParameters(kv.Value.Center, kv.Value.Scale), StringComparer.Ordinal);
        return new ModelEncoding(levels, numeric, scales);
    }

    private static void RequireFinite(double[] values, int[] rows, string what)
    {
        for (int i = 0; i < values.Length; i++)
            if (!double.IsFinite(values[i]))
                throw new GlmmInputException(
                    $"{what} is {RNumber.Format(values[i])} in data row {(rows[i] + 1).ToString(CultureInfo.InvariantCulture)}; values must be finite");
    }
}
