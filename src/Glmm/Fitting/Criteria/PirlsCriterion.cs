namespace Glmm.Fitting;

/// <summary>
/// What every criterion built on one PIRLS shares: the parameter layout and bounds, the mode state, the counts.
/// Subclasses implement <see cref="Evaluate(ReadOnlySpan{double})"/> — their formula — and, if they have one, the gradient.
/// </summary>
internal abstract class PirlsCriterion : ICriterion
{
    private readonly double[] _lower;

    protected PirlsCriterion(Pirls pirls, bool includesBeta)
    {
        Pirls = pirls;
        IncludesBeta = includesBeta;
        var layout = pirls.System.Layout;
        ThetaLength = layout.Random.ThetaLength;
        Dimension = ThetaLength + (includesBeta ? layout.P : 0);
        _lower = new double[Dimension];
        for (int j = 0; j < Dimension; j++) _lower[j] = j < ThetaLength ? layout.Random.LowerBounds[j] : double.NegativeInfinity;
    }

    /// <summary>The PIRLS whose modes the criterion is evaluated at.</summary>
    public Pirls Pirls { get; }

    /// <summary>Length of θ.</summary>
    protected int ThetaLength { get; }

    public int Dimension { get; }

    public bool IncludesBeta { get; }

    public ReadOnlySpan<double> LowerBounds => _lower;

    public PenalizedSystem System => Pirls.System;

    public int Sweeps => Pirls.Sweeps;

    public int Evaluations { get; protected set; }

    public abstract double Evaluate(ReadOnlySpan<double> x);

    public virtual bool HasGradient => false;

    public virtual double Evaluate(ReadOnlySpan<double> x, Span<double> gradient) =>
        throw new NotSupportedException($"{GetType().Name} has no analytic gradient");

    public double[] SaveModes() => (double[])Pirls.U.Clone();

    public void RestoreModes(ReadOnlySpan<double> u) => Pirls.SetModes(u);

    /// <summary>PIRLS at x = θ (β inside) or x = (θ, β); the Laplace deviance, +∞ on failure.</summary>
    protected double SolvePirls(ReadOnlySpan<double> x)
    {
        double value = IncludesBeta ? Pirls.Solve(x[..ThetaLength], x[ThetaLength..]) : Pirls.Solve(x);
        return double.IsNaN(value) ? double.PositiveInfinity : value;
    }
}
