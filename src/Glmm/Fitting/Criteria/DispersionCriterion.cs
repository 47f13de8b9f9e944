using Glmm.Families;

namespace Glmm.Fitting;

/// <summary>
/// A criterion of a family with a dispersion parameter (Gamma, nbinom2): the inner criterion's deviance with the log of
/// the dispersion appended to its parameters, x = (θ, β, log φ). Each evaluation sets the family's working dispersion
/// and the system's saturated log-likelihood (the family's constants depend on it) before the inner one runs PIRLS —
/// the conditional modes depend on φ through the weights. With a Laplace criterion that has its gradient (the observed
/// information) the gradient in log φ comes from the same pass (<see cref="LaplaceGradient.DispersionDerivative"/>), so
/// the stages run L-BFGS-B; otherwise they search derivative-free.
/// </summary>
internal sealed class DispersionCriterion : ICriterion
{
    private readonly ICriterion _inner;
    private readonly Family _family;
    private readonly double[] _lower;
    private double _logDispersion = double.NaN;

    public DispersionCriterion(ICriterion inner)
    {
        _inner = inner;
        _family = inner.System.Layout.Family;
        if (!_family.HasDispersion) throw new ArgumentException("the family has no dispersion parameter", nameof(inner));
        Dimension = inner.Dimension + 1;
        _lower = new double[Dimension];
        inner.LowerBounds.CopyTo(_lower);
        _lower[^1] = double.NegativeInfinity;
    }

    /// <summary>Bounds on log φ that keep the arithmetic finite.</summary>
    public const double MaxAbsLogDispersion = 30.0;

    public int Dimension { get; }

    public bool IncludesBeta => _inner.IncludesBeta;

    public ReadOnlySpan<double> LowerBounds => _lower;

    public bool HasGradient => _inner is LaplaceCriterion { HasGradient: true };

    public PenalizedSystem System => _inner.System;

    public int Sweeps => _inner.Sweeps;

    public int Evaluations => _inner.Evaluations;

    /// <summary>Sets the family's working dispersion to e^<paramref name="logDispersion"/> (and the constants with it).</summary>
    public void SetLogDispersion(double logDispersion)
    {
        if (logDispersion == _logDispersion && _family.Dispersion == Math.Exp(logDispersion)) return;
        _logDispersion = logDispersion;
        _family.Dispersion = Math.Exp(logDispersion);
        _inner.System.RefreshSaturated();
    }

    public double Evaluate(ReadOnlySpan<double> x)
    {
        double ld = x[^1];
        if (!(Math.Abs(ld) <= MaxAbsLogDispersion)) return double.PositiveInfinity;
        SetLogDispersion(ld);
        double f;
        using (FitMonitor.Nested()) f = _inner.Evaluate(x[..^1]);
        Observe(x, f);
        return f;
    }

    public double Evaluate(ReadOnlySpan<double> x, Span<double> gradient)
    {
        if (_inner is not LaplaceCriterion { HasGradient: true } laplace)
            throw new NotSupportedException("the dispersion criterion has no analytic gradient here");
        double ld = x[^1];
        if (!(Math.Abs(ld) <= MaxAbsLogDispersion)) return double.PositiveInfinity;
        SetLogDispersion(ld);
        double f;
        using (FitMonitor.Nested()) f = laplace.Evaluate(x[..^1], gradient[..(Dimension - 1)]);
        gradient[Dimension - 1] = double.IsFinite(f) ? laplace.DispersionDerivative : double.NaN;
        Observe(x, f);
        return f;
    }

    private void Observe(ReadOnlySpan<double> x, double f)
    {
        int thetaLength = _inner.System.Layout.Random.ThetaLength;
        FitMonitor.Observe(_inner.IncludesBeta ? "Laplace" : "stage 1 (beta in PIRLS)", thetaLength, _inner.IncludesBeta, withDispersion: true, x,
            _inner is ProfiledLaplaceCriterion s1 ? s1.Beta : default, f);
    }

    public double[] SaveModes() => _inner.SaveModes();

    public void RestoreModes(ReadOnlySpan<double> u) => _inner.RestoreModes(u);
}
