namespace Glmm.Fitting;

/// <summary>
/// A criterion in (θ, β) plus the normal prior's penalty Σ λⱼβⱼ² (λⱼ = 1/σⱼ² on the engine's internal scale of β):
/// −2 × the penalized log-likelihood, up to a constant, with its exact gradient when the inner criterion has one.
/// </summary>
internal sealed class PenalizedCriterion(ICriterion inner, double[] precision) : ICriterion
{
    private readonly int _nth = inner.Dimension - precision.Length;

    /// <summary>The penalty Σ λⱼβⱼ² at β (internal scale).</summary>
    public double Penalty(ReadOnlySpan<double> beta)
    {
        double s = 0;
        for (int j = 0; j < precision.Length; j++) s += precision[j] * beta[j] * beta[j];
        return s;
    }

    public int Dimension => inner.Dimension;

    public bool IncludesBeta => true;

    public ReadOnlySpan<double> LowerBounds => inner.LowerBounds;

    public double Evaluate(ReadOnlySpan<double> x)
    {
        double f;
        using (FitMonitor.Nested()) f = inner.Evaluate(x) + Penalty(x[_nth..]);
        FitMonitor.Observe("penalized Laplace", _nth, includesBeta: true, withDispersion: false, x, default, f);
        return f;
    }

    public bool HasGradient => inner.HasGradient;

    public double Evaluate(ReadOnlySpan<double> x, Span<double> gradient)
    {
        double f;
        using (FitMonitor.Nested()) f = inner.Evaluate(x, gradient);
        for (int j = 0; j < precision.Length; j++) gradient[_nth + j] += 2.0 * precision[j] * x[_nth + j];
        f += Penalty(x[_nth..]);
        FitMonitor.Observe("penalized Laplace", _nth, includesBeta: true, withDispersion: false, x, default, f);
        return f;
    }

    public double[] SaveModes() => inner.SaveModes();

    public void RestoreModes(ReadOnlySpan<double> u) => inner.RestoreModes(u);

    public PenalizedSystem System => inner.System;

    public int Sweeps => inner.Sweeps;

    public int Evaluations => inner.Evaluations;
}
