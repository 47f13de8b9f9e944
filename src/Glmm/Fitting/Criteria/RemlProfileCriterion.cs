using Glmm.LinearAlgebra;
using Glmm.Optimization;

namespace Glmm.Fitting;

/// <summary>
/// REML variant 'profile': the Cox–Reid adjusted profile likelihood of the marginal likelihood ℓ (Laplace, or
/// adaptive quadrature with nAGQ &gt; 1),
/// <code>−2ℓ_R(θ) = −2ℓ(θ, β̂_θ) + log det J_ββ − p log 2π</code>
/// with β̂_θ the maximiser of ℓ at θ — two Newton steps from the joint PIRLS mode β̃(θ), with finite-difference
/// derivatives of −2ℓ in β — and J_ββ the observed information for β at fixed θ (half that Hessian). Its β is
/// β̂(θ̂), with covariance J_ββ⁻¹.
/// </summary>
internal sealed class RemlProfileCriterion : ICriterion
{
    private readonly ProfiledLaplaceCriterion _joint;
    private readonly ICriterion _marginal;
    private readonly int _newtonSteps;
    private int _marginalEvaluations;

    /// <param name="joint">The PIRLS over (u, β) that gives the start β̃(θ).</param>
    /// <param name="marginal">−2ℓ(θ, β): the Laplace or quadrature criterion.</param>
    /// <param name="newtonSteps">Newton steps from β̃(θ) to β̂_θ.</param>
    /// <param name="startBeta">β̂ until the criterion is first finite.</param>
    public RemlProfileCriterion(ProfiledLaplaceCriterion joint, ICriterion marginal, int newtonSteps, double[] startBeta)
    {
        _joint = joint;
        _marginal = marginal;
        _newtonSteps = newtonSteps;
        BetaHat = (double[])startBeta.Clone();
        Information = new double[startBeta.Length, startBeta.Length];
    }

    /// <summary>β̂_θ at the last θ where the criterion was finite (the start before that).</summary>
    public double[] BetaHat { get; private set; }

    /// <summary>The Hessian of −2ℓ in β (= 2J_ββ) at the last θ where the criterion was finite (zero before that).</summary>
    public double[,] Information { get; private set; }

    /// <summary>The marginal criterion −2ℓ(θ, β).</summary>
    public ICriterion Marginal => _marginal;

    public int Dimension => _joint.Dimension;

    public bool IncludesBeta => false;

    public ReadOnlySpan<double> LowerBounds => _joint.LowerBounds;

    public bool HasGradient => false;

    public PenalizedSystem System => _marginal.System;

    public int Sweeps => _joint.Sweeps + _marginal.Sweeps;

    /// <summary>Joint PIRLS solves plus marginal evaluations.</summary>
    public int Evaluations => _joint.Evaluations + _marginalEvaluations;

    public double Evaluate(ReadOnlySpan<double> x)
    {
        double value;
        double[] betaHat;
        double[,] hessian;
        using (FitMonitor.Nested()) value = Evaluate(x, out betaHat, out hessian);
        if (double.IsFinite(value))
        {
            BetaHat = betaHat;
            Information = hessian;
        }
        FitMonitor.Observe("REML (profile)", x.Length, includesBeta: false, withDispersion: false, x, betaHat, value);
        return value;
    }

    /// <summary>−2ℓ_R(θ), with β̂_θ and the Hessian of −2ℓ in β (= 2J) used for log det J.</summary>
    public double Evaluate(ReadOnlySpan<double> theta, out double[] betaHat, out double[,] hessian)
    {
        betaHat = [];
        hessian = new double[0, 0];
        if (!double.IsFinite(_joint.Evaluate(theta))) return double.PositiveInfinity;
        var b = (double[])_joint.Beta.Clone();
        var th = theta.ToArray();
        var xb = new double[th.Length + b.Length];
        th.CopyTo(xb, 0);
        double MinusTwoLogLik(double[] bb)
        {
            _marginalEvaluations++;
            bb.CopyTo(xb, th.Length);
            return _marginal.Evaluate(xb);
        }
        for (int step = 0; step < _newtonSteps; step++)
        {
            var (g, hs) = FiniteDifferences.GradientAndHessian(MinusTwoLogLik, b);
            hessian = hs;
            var dir = Solve(hs, g);
            if (dir is null) return double.PositiveInfinity;
            for (int j = 0; j < b.Length; j++) b[j] -= dir[j];
        }
        double value = MinusTwoLogLik(b);
        double logDetJ = LogDetHalf(hessian);
        if (!double.IsFinite(value) || double.IsNaN(logDetJ)) return double.PositiveInfinity;
        betaHat = b;
        return value + logDetJ - b.Length * Math.Log(2 * Math.PI);
    }

    public double Evaluate(ReadOnlySpan<double> x, Span<double> gradient) =>
        throw new NotSupportedException("the profile REML criterion has no analytic gradient");

    public double[] SaveModes() => _marginal.SaveModes();

    public void RestoreModes(ReadOnlySpan<double> u) => _marginal.RestoreModes(u);

    /// <summary>(H/2)⁻¹: the covariance of β̂ from the Hessian H of −2ℓ in β (NaN when H is not positive definite).</summary>
    public static double[,] InverseHalf(double[,] h)
    {
        int n = h.GetLength(0);
        var l = Half(h);
        var inv = new double[n * n];
        var c = new double[n, n];
        if (!DenseCholesky.Factor(l, n)) { for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) c[i, j] = double.NaN; return c; }
        DenseCholesky.Inverse(l, n, inv);
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) c[i, j] = inv[i * n + j];
        return c;
    }

    private static double[]? Solve(double[,] a, double[] b)
    {
        int n = b.Length;
        var l = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) l[i * n + j] = a[i, j];
        if (!DenseCholesky.Factor(l, n)) return null;
        var x = (double[])b.Clone();
        DenseCholesky.SolveLower(l, n, x);
        DenseCholesky.SolveUpper(l, n, x);
        return x;
    }

    /// <summary>log det(H/2), or NaN when H is not positive definite.</summary>
    private static double LogDetHalf(double[,] h)
    {
        int n = h.GetLength(0);
        var l = Half(h);
        return DenseCholesky.Factor(l, n) ? DenseCholesky.LogDeterminant(l, n, n) : double.NaN;
    }

    private static double[] Half(double[,] h)
    {
        int n = h.GetLength(0);
        var l = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) l[i * n + j] = 0.5 * h[i, j];
        return l;
    }
}
