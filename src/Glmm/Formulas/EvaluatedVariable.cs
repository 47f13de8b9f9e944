namespace Glmm.Formulas;

/// <summary>A model variable (a column or expression of the formula) evaluated on every row of the data.</summary>
internal abstract class EvaluatedVariable
{
    protected EvaluatedVariable(string label) => Label = label;

    /// <summary>The variable as R deparses it (the prefix of its model-matrix column names).</summary>
    public string Label { get; }

    public abstract int Length { get; }

    public abstract bool IsMissing(int row);
}

/// <summary>A numeric variable; NaN marks a missing value (as R's NA and NaN both are dropped).</summary>
internal sealed class NumericVariable : EvaluatedVariable
{
    public NumericVariable(string label, double[] values) : base(label) => Values = values;

    public double[] Values { get; }

    public override int Length => Values.Length;

    public override bool IsMissing(int row) => double.IsNaN(Values[row]);
}

/// <summary>A factor (categorical or logical) variable: codes into levels, −1 missing.</summary>
internal sealed class FactorVariable : EvaluatedVariable
{
    public FactorVariable(string label, int[] codes, string[] levels, bool isLogical) : base(label)
    {
        Codes = codes;
        Levels = levels;
        IsLogical = isLogical;
    }

    public int[] Codes { get; }

    public string[] Levels { get; }

    /// <summary>A logical variable: levels FALSE, TRUE, both always kept in a model matrix (as R does).</summary>
    public bool IsLogical { get; }

    public override int Length => Codes.Length;

    public override bool IsMissing(int row) => Codes[row] < 0;
}
