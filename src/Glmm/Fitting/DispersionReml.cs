using Glmm.LinearAlgebra;
using Glmm.Optimization;

namespace Glmm.Fitting;

/// <summary>
/// Laplace-REML (glmmTMB's <c>REML = TRUE</c>) for a family with a dispersion parameter: β gets a flat prior and is
/// integrated out with u by one Laplace approximation over (u, β) (<see cref="RemlLaplaceCriterion"/>), and the
/// restricted criterion is minimised over (θ, log φ) by BOBYQA — log φ an outer parameter as θ (the
/// <see cref="DispersionCriterion"/> around the REML criterion).
/// <para>Standard errors as glmmTMB's <c>vcov</c> of a REML fit, which inverts the joint precision of (b, β, θ, d)
/// after integrating b out: Cov(β) = (R_X'R_X)⁻¹ + J Σ J', the conditional covariance of β̃ at the estimates plus
/// the spread of the outer parameters carried through β̃, with Σ = (½ ∇² criterion)⁻¹ the covariance of (θ, log φ)
/// and J = ∂β̃/∂(θ, log φ) (central differences); log φ's variance, for sigma's standard error, is Σ's last entry.</para>
/// </summary>
internal static class DispersionReml
{
    /// <summary>Step of the differences for Σ and J (as lme4's <c>deriv12</c>).</summary>
    private const double Delta = 1e-4;

    /// <summary>What a dispersion Laplace-REML fit hands to <see cref="RemlFitter"/>.</summary>
    internal sealed record Result(double[] Theta, double LogDispersion, double[] Beta, double[,] Covariance,
        double LogDispersionVariance, double Criterion, int Evaluations, int Sweeps);

    public static Result Fit(CriterionFactory factory, double[] glmBeta, FitControl control, List<string> warnings)
    {
        var layout = factory.Layout;
        var re = layout.Random;
        int nth = re.ThetaLength, p = layout.P;
        // The starting dispersion is the starting GLM's (FitPreconditions left the family's working value there).
        double ld0 = Math.Log(layout.Family.Dispersion);
        var inner = factory.RemlLaplace(glmBeta);
        var reml = new DispersionCriterion(inner);
        var start = re.InitialTheta.Append(ld0).ToArray();
        var lower = reml.LowerBounds.ToArray();
        var upper = Enumerable.Repeat(double.PositiveInfinity, nth + 1).ToArray();
        var opt = new Bobyqa().Minimize(x => reml.Evaluate(x), start, lower, upper,
            new OptimizerOptions { InitialTrustRadius = control.Stage1InitialRadius, FinalTrustRadius = control.Tolerance, MaxEvaluations = control.MaxEvaluations });
        if (!opt.Converged) warnings.Add($"REML optimiser did not converge: {opt.Message}");
        var x = opt.X;
        double criterion = reml.Evaluate(x);
        var beta = (double[])inner.Beta.Clone();
        var conditional = FixedEffectsCovariance.FromBorderedFactor(inner.System);
        var modes = reml.SaveModes();

        // Each difference starts PIRLS from the estimates' (u, β̃), so that the values do not depend on the order.
        double At(double[] y)
        {
            reml.RestoreModes(modes);
            inner.Pirls.SetBeta(beta);
            return reml.Evaluate(y);
        }
        var (_, hessian) = FiniteDifferences.GradientAndHessian(At, x, lower, Delta, fx: criterion);
        var jacobian = BetaJacobian(At, inner, x, lower, beta.Length);
        var sigma = OuterCovariance(hessian, x, lower);
        var covariance = (double[,])conditional.Clone();
        double logDispersionVariance = double.NaN;
        if (sigma is not null)
        {
            int n = x.Length;
            for (int a = 0; a < p; a++)
                for (int b = 0; b < p; b++)
                {
                    double s = 0;
                    for (int i = 0; i < n; i++)
                        for (int j = 0; j < n; j++) s += jacobian[a, i] * sigma[i, j] * jacobian[b, j];
                    covariance[a, b] += s;
                }
            logDispersionVariance = sigma[n - 1, n - 1];
        }
        else warnings.Add("the Hessian of the REML criterion in (theta, log dispersion) is not positive definite: standard errors are conditional on the variance parameters and sigma has none");

        // Back at the estimates (the differences moved the working dispersion and the modes).
        At(x);
        return new Result(x[..nth], x[nth], beta, covariance, logDispersionVariance, criterion, reml.Evaluations, reml.Sweeps);
    }

    /// <summary>∂β̃/∂x by central differences (forward, second order, where x − δ is below its bound), β̃ from PIRLS.</summary>
    private static double[,] BetaJacobian(Func<double[], double> at, RemlLaplaceCriterion inner, double[] x, double[] lower, int p)
    {
        int n = x.Length;
        var j = new double[p, n];
        var y = (double[])x.Clone();
        var b0 = (double[])inner.Beta.Clone();
        for (int k = 0; k < n; k++)
        {
            bool forward = x[k] - Delta < lower[k];
            y[k] = x[k] + Delta;
            at(y);
            var bp = (double[])inner.Beta.Clone();
            y[k] = forward ? x[k] + 2 * Delta : x[k] - Delta;
            at(y);
            var bm = inner.Beta;
            for (int a = 0; a < p; a++)
                j[a, k] = forward ? (-3 * b0[a] + 4 * bp[a] - bm[a]) / (2 * Delta) : (bp[a] - bm[a]) / (2 * Delta);
            y[k] = x[k];
        }
        return j;
    }

    /// <summary>
    /// Σ = (½H)⁻¹; a θ at its bound (a singular fit) is held fixed (its rows and columns are zero), as a parameter on the
    /// boundary has no Wald variance. Null when the rest is not positive definite.
    /// </summary>
    private static double[,]? OuterCovariance(double[,] hessian, double[] x, double[] lower)
    {
        int n = x.Length;
        var free = Enumerable.Range(0, n).Where(k => !(x[k] <= lower[k])).ToArray();
        int m = free.Length;
        var half = new double[m * m];
        for (int a = 0; a < m; a++)
            for (int b = 0; b < m; b++) half[a * m + b] = 0.5 * hessian[free[a], free[b]];
        if (!DenseCholesky.Factor(half, m)) return null;
        var inverse = new double[m * m];
        DenseCholesky.Inverse(half, m, inverse);
        var sigma = new double[n, n];
        for (int a = 0; a < m; a++)
            for (int b = 0; b < m; b++) sigma[free[a], free[b]] = inverse[a * m + b];
        return sigma;
    }
}
