namespace Glmm.Optimization;

/// <summary>
/// Checks the arguments of a bounded minimisation, projects the start onto the box, drops fixed coordinates
/// (<c>lower == upper</c>) and counts evaluations. The reduced objective maps every non-finite value to +∞.
/// </summary>
internal sealed class BoundedProblem
{
    private readonly Func<double[], double> _f;
    private readonly int[] _free;
    private readonly double[] _full;

    private BoundedProblem(Func<double[], double> f, double[] full, int[] free, double[] lower, double[] upper)
    {
        _f = f;
        _full = full;
        _free = free;
        Dimension = free.Length;
        X0 = new double[Dimension];
        Lower = new double[Dimension];
        Upper = new double[Dimension];
        for (int j = 0; j < Dimension; j++)
        {
            X0[j] = full[free[j]];
            Lower[j] = lower[free[j]];
            Upper[j] = upper[free[j]];
        }
    }

    /// <summary>Number of free coordinates.</summary>
    public int Dimension { get; }

    /// <summary>The projected start, free coordinates only.</summary>
    public double[] X0 { get; }

    /// <summary>Lower bounds of the free coordinates.</summary>
    public double[] Lower { get; }

    /// <summary>Upper bounds of the free coordinates.</summary>
    public double[] Upper { get; }

    /// <summary>Evaluations made so far.</summary>
    public int Evaluations { get; private set; }

    public static BoundedProblem Create(Func<double[], double> f, double[] x0, double[] lower, double[] upper, OptimizerOptions options)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(x0);
        ArgumentNullException.ThrowIfNull(lower);
        ArgumentNullException.ThrowIfNull(upper);
        ArgumentNullException.ThrowIfNull(options);
        int n = x0.Length;
        if (lower.Length != n || upper.Length != n)
            throw new ArgumentException("x0, lower and upper must have the same length.");
        if (!(options.InitialTrustRadius > 0) || double.IsInfinity(options.InitialTrustRadius))
            throw new ArgumentException("InitialTrustRadius must be positive and finite.", nameof(options));
        if (!(options.FinalTrustRadius > 0) || options.FinalTrustRadius > options.InitialTrustRadius)
            throw new ArgumentException("FinalTrustRadius must be positive and not above InitialTrustRadius.", nameof(options));
        if (options.MaxEvaluations < 1)
            throw new ArgumentException("MaxEvaluations must be at least 1.", nameof(options));
        var full = new double[n];
        var free = new List<int>(n);
        for (int i = 0; i < n; i++)
        {
            if (double.IsNaN(x0[i]) || double.IsNaN(lower[i]) || double.IsNaN(upper[i]))
                throw new ArgumentException($"NaN in x0 or bounds at index {i}.");
            if (lower[i] > upper[i])
                throw new ArgumentException($"lower[{i}] > upper[{i}].");
            if (double.IsInfinity(x0[i]))
                throw new ArgumentException($"x0[{i}] is infinite.");
            full[i] = Math.Min(Math.Max(x0[i], lower[i]), upper[i]);
            if (lower[i] < upper[i]) free.Add(i);
        }
        return new BoundedProblem(f, full, free.ToArray(), lower, upper);
    }

    /// <summary>Evaluates the objective at the free coordinates <paramref name="z"/> (fixed ones at their bound).</summary>
    public double Evaluate(double[] z)
    {
        for (int j = 0; j < _free.Length; j++) _full[_free[j]] = z[j];
        Evaluations++;
        double v = _f(_full);
        return double.IsFinite(v) ? v : double.PositiveInfinity;
    }

    /// <summary>A new full-length point from free coordinates.</summary>
    public double[] Expand(double[] z)
    {
        var x = (double[])_full.Clone();
        for (int j = 0; j < _free.Length; j++) x[_free[j]] = z[j];
        return x;
    }

    /// <summary>Result for a problem without free coordinates: one evaluation at the projected start.</summary>
    public OptimizationResult SolveTrivial()
    {
        var z = Array.Empty<double>();
        double v = Evaluate(z);
        return new OptimizationResult(Expand(z), v, Evaluations, double.IsFinite(v),
            double.IsFinite(v) ? "all parameters fixed by their bounds" : "objective not finite at the only feasible point");
    }
}
