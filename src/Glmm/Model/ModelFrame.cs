using System.Globalization;
using Glmm.Data;
using Glmm.Formulas;

namespace Glmm.Model;

/// <summary>
/// R's model frame: every variable the model uses (response, fixed, offsets, random terms, weights)
/// evaluated on the whole table, and the rows kept after dropping those with a missing value in any of them.
/// </summary>
internal sealed class ModelFrame
{
    private readonly Dictionary<string, EvaluatedVariable> _variables = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _columnsOf = new(StringComparer.Ordinal);
    private readonly List<(string Label, bool[] Missing, List<string> Columns)> _numeric = new();
    private readonly ExprEvaluator _eval;
    private readonly DataTable _data;

    public ModelFrame(DataTable data)
    {
        _data = data;
        _eval = new ExprEvaluator(data);
    }

    /// <summary>Centre and scale of each <c>scale()</c> call evaluated so far (for prediction on new data).</summary>
    public IReadOnlyDictionary<string, (double Center, double Scale)> Scales => _eval.Scales;

    /// <summary>The variable for <paramref name="e"/>, evaluated once.</summary>
    public EvaluatedVariable Variable(Expr e)
    {
        string label = e.Deparse();
        if (_variables.TryGetValue(label, out var v)) return v;
        v = _eval.Evaluate(e);
        _variables[label] = v;
        _columnsOf[label] = new List<string>(_eval.LastColumns);
        return v;
    }

    /// <summary>A numeric vector (response part, offset) that also takes part in dropping rows.</summary>
    public double[] Numeric(Expr e, string role)
    {
        var x = _eval.EvaluateNumeric(e, role);
        var missing = new bool[x.Length];
        for (int i = 0; i < x.Length; i++) missing[i] = double.IsNaN(x[i]);
        _numeric.Add((e.Deparse(), missing, new List<string>(_eval.LastColumns)));
        return x;
    }

    /// <summary>A data column used as it is (weights).</summary>
    public double[] WeightsColumn(string name)
    {
        var col = _data.Find(name);
        if (col is null)
            throw new GlmmInputException($"unknown weights column '{name}'{ClosestNames.Hint(name, _data.Columns.Select(c => c.Name).ToArray())}");
        if (col is not NumericColumn nc)
            throw new GlmmInputException($"weights column '{name}' must be numeric but is {col.TypeName}");
        var w = new double[nc.Length];
        var missing = new bool[nc.Length];
        for (int i = 0; i < w.Length; i++)
        {
            w[i] = nc.IsMissing(i) ? double.NaN : nc.Values[i];
            missing[i] = double.IsNaN(w[i]);
            if (!missing[i] && (w[i] < 0 || double.IsInfinity(w[i])))
                throw new GlmmInputException(
                    $"weights column '{name}' has the value {RNumber.Format(w[i])} in data row {(i + 1).ToString(CultureInfo.InvariantCulture)}; weights must be finite and non-negative");
        }
        _numeric.Add((name, missing, new List<string> { name }));
        return w;
    }

    /// <summary>
    /// The rows with no missing value in any variable requested so far, the number dropped and why
    /// (<c>missing values in age (3), urban (1)</c>: counts per data column, or per expression when the
    /// expression itself is undefined, e.g. <c>log(x)</c> of a negative x).
    /// </summary>
    public (int[] Rows, int Dropped, string Reason) KeptRows()
    {
        int n = _data.RowCount;
        var drop = new bool[n];
        var exprCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        var usedColumns = new List<string>();
        void Account(string label, Func<int, bool> missing, List<string> cols)
        {
            foreach (var c in cols) if (!usedColumns.Contains(c)) usedColumns.Add(c);
            for (int i = 0; i < n; i++)
            {
                if (!missing(i)) continue;
                drop[i] = true;
                bool explained = false;
                foreach (var c in cols) if (_data.Find(c)!.IsMissing(i)) { explained = true; break; }
                if (!explained) exprCounts[label] = exprCounts.GetValueOrDefault(label) + 1;
            }
        }
        foreach (var (label, v) in _variables) Account(label, v.IsMissing, _columnsOf[label]);
        foreach (var (label, missing, cols) in _numeric) Account(label, i => missing[i], cols);

        var parts = new List<string>();
        foreach (var c in usedColumns)
        {
            var col = _data.Find(c)!;
            int count = 0;
            for (int i = 0; i < n; i++) if (col.IsMissing(i)) count++;
            if (count > 0) parts.Add($"{c} ({count.ToString(CultureInfo.InvariantCulture)})");
        }
        foreach (var (label, count) in exprCounts)
            parts.Add($"{label} ({count.ToString(CultureInfo.InvariantCulture)} undefined)");
        var rows = new List<int>(n);
        for (int i = 0; i < n; i++) if (!drop[i]) rows.Add(i);
        int dropped = n - rows.Count;
        return (rows.ToArray(), dropped, dropped == 0 ? "" : "missing values in " + string.Join(", ", parts));
    }
}
