using Glmm.LinearAlgebra;
using Glmm.Model;
using Glmm.Optimization;

namespace Glmm.Fitting;

/// <summary>
/// Judges a fit at its optimum from the finite-difference gradient g and Hessian H of the deviance in
/// (θ, β), parameters on a bound left out: the fit is sound when H is positive definite and the Newton
/// decrement ½ g'H⁻¹g — the fall in deviance that a Newton step would still bring — is negligible. Unlike a
/// test on max|g| (lme4's, which warns falsely on Contraception), this is invariant to the scale of the
/// parameters. Also gives the covariance of β̂ as the β block of 2H⁻¹, as lme4 does.
/// </summary>
internal sealed class ConvergenceCheck
{
    /// <summary>Predicted fall in deviance above which the fit is reported as not converged.</summary>
    public const double DecrementTolerance = 1e-3;

    private ConvergenceCheck(bool converged, List<string> warnings, double[,]? betaCovariance, double decrement, double maxAbsGradient,
        double[,] hessian, double[]? newtonStep = null)
    {
        _hessian = hessian;
        NewtonStep = newtonStep;
        Converged = converged;
        Warnings = warnings;
        BetaCovariance = betaCovariance;
        Decrement = decrement;
        MaxAbsGradient = maxAbsGradient;
    }

    public bool Converged { get; }
    public List<string> Warnings { get; }
    public double[,]? BetaCovariance { get; }
    public double Decrement { get; }
    public double MaxAbsGradient { get; }

    /// <summary>
    /// H⁻¹g over all of (θ, β) (0 for the parameters on a bound): x − H⁻¹g is the Newton step's point; null when H is
    /// not positive definite.
    /// </summary>
    public double[]? NewtonStep { get; }

    /// <summary>Checks the optimum x0 = (θ, β) of the deviance <paramref name="f"/> (finite-difference gradient and Hessian).</summary>
    public static ConvergenceCheck Run(Func<double[], double> f, double[] theta, double[] beta, RandomEffectsStructure re)
    {
        int nth = theta.Length, p = beta.Length, n = nth + p;
        var x0 = new double[n];
        theta.CopyTo(x0, 0);
        beta.CopyTo(x0, nth);
        var lower = new double[n];
        for (int j = 0; j < n; j++) lower[j] = j < nth ? re.LowerBounds[j] : double.NegativeInfinity;
        var (g, h) = FiniteDifferences.GradientAndHessian(f, x0, lower);
        return Assess(g, h, theta, beta, re);
    }

    /// <summary>
    /// Checks the optimum with an analytic gradient: the Hessian from forward differences of the exact gradient
    /// (n gradients, symmetrised; standard errors agree with central differences to about 1e-5 relative), far
    /// cheaper than second differences of the deviance.
    /// </summary>
    public static ConvergenceCheck Run(Func<double[], double[], double> valueAndGradient, double[] theta, double[] beta, RandomEffectsStructure re)
    {
        var (g, h) = GradientAndHessian(valueAndGradient, theta.Concat(beta).ToArray(), forward: true);
        return Assess(g, h, theta, beta, re);
    }

    /// <summary>
    /// Checks the optimum of an expensive deviance (adaptive quadrature) with 1 + 2n + n(n−1)/2 evaluations instead of
    /// 1 + 2n²: central differences for the gradient and the diagonal of the Hessian, forward cross differences
    /// (reusing the points x + δeᵢ) for its off-diagonal entries, whose O(δ) error is far below what standard
    /// errors need.
    /// </summary>
    public static ConvergenceCheck RunEconomical(Func<double[], double> f, double[] theta, double[] beta, RandomEffectsStructure re)
    {
        var x0 = theta.Concat(beta).ToArray();
        int n = x0.Length;
        const double delta = 1e-4;
        double At(int i, double di, int j, double dj)
        {
            var y = (double[])x0.Clone();
            if (i >= 0) y[i] += di;
            if (j >= 0) y[j] += dj;
            return f(y);
        }
        double f0 = At(-1, 0, -1, 0);
        var fp = new double[n];
        var fm = new double[n];
        var g = new double[n];
        var h = new double[n, n];
        for (int j = 0; j < n; j++)
        {
            fp[j] = At(j, delta, -1, 0);
            fm[j] = At(j, -delta, -1, 0);
            g[j] = (fp[j] - fm[j]) / (2 * delta);
            h[j, j] = (fp[j] - 2 * f0 + fm[j]) / (delta * delta);
        }
        for (int j = 1; j < n; j++)
            for (int i = 0; i < j; i++)
            {
                double v = (At(i, delta, j, delta) - fp[i] - fp[j] + f0) / (delta * delta);
                h[i, j] = v;
                h[j, i] = v;
            }
        return Assess(g, h, theta, beta, re);
    }

    /// <summary>The gradient at x0 and the Hessian from central differences of the gradient (symmetrised).</summary>
    /// <remarks>With <paramref name="forward"/>, forward differences (n gradients instead of 2n), for a Hessian that only
    /// preconditions Newton steps.</remarks>
    public static (double[] Gradient, double[,] Hessian) GradientAndHessian(Func<double[], double[], double> valueAndGradient, double[] x0, bool forward = false)
    {
        int n = x0.Length;
        var g = new double[n];
        valueAndGradient((double[])x0.Clone(), g);
        var h = new double[n, n];
        var gp = new double[n];
        var gm = new double[n];
        const double delta = 1e-4;
        for (int j = 0; j < n; j++)
        {
            var xp = (double[])x0.Clone();
            var xm = (double[])x0.Clone();
            xp[j] += delta;
            valueAndGradient(xp, gp);
            if (forward)
            {
                for (int i = 0; i < n; i++) h[i, j] = (gp[i] - g[i]) / delta;
                continue;
            }
            xm[j] -= delta;
            valueAndGradient(xm, gm);
            for (int i = 0; i < n; i++) h[i, j] = (gp[i] - gm[i]) / (2 * delta);
        }
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++)
            {
                double v = 0.5 * (h[i, j] + h[j, i]);
                h[i, j] = v;
                h[j, i] = v;
            }
        return (g, h);
    }

    /// <summary>The Hessian this check was assessed with (its n × n matrix over (θ, β)).</summary>
    private readonly double[,] _hessian;

    /// <summary>The Hessian this check was assessed with (its n × n matrix over (θ, β); not to be modified).</summary>
    public double[,] Hessian => _hessian;

    /// <summary>
    /// The check at a nearby point (θ, β) with its gradient <paramref name="g"/> and this check's Hessian: after a Newton
    /// step of a small decrement the Hessian changes by far less than the step itself, so it needs no new differences.
    /// </summary>
    public ConvergenceCheck WithGradient(double[] g, double[] theta, double[] beta, RandomEffectsStructure re) =>
        Assess(g, _hessian, theta, beta, re);

    private static ConvergenceCheck Assess(double[] g, double[,] h, double[] theta, double[] beta, RandomEffectsStructure re)
    {
        int nth = theta.Length, p = beta.Length, n = nth + p;
        // Free parameters: everything not sitting on its bound.
        var free = Enumerable.Range(0, n).Where(j => !(j < nth && re.IsDiagonal(j) && theta[j] == 0.0)).ToArray();
        int nf = free.Length;
        var hf = new double[nf * nf];
        var gf = new double[nf];
        for (int a = 0; a < nf; a++)
        {
            gf[a] = g[free[a]];
            for (int b = 0; b < nf; b++) hf[a * nf + b] = h[free[a], free[b]];
        }
        var warnings = new List<string>();
        double maxGrad = gf.Length == 0 ? 0 : gf.Max(Math.Abs);
        if (!DenseCholesky.Factor(hf, nf))
        {
            warnings.Add("the Hessian of the deviance is not positive definite at the optimum: the fit may not be at a minimum");
            return new ConvergenceCheck(false, warnings, null, double.NaN, maxGrad, h);
        }
        var step = (double[])gf.Clone();
        DenseCholesky.SolveLower(hf, nf, step);
        DenseCholesky.SolveUpper(hf, nf, step);
        double decrement = 0.5 * DenseCholesky.Dot(gf, step);
        bool converged = decrement <= DecrementTolerance;
        if (!converged)
            warnings.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"model may not have converged: a Newton step would lower the deviance by {decrement:G3} (max |gradient| {maxGrad:G3})"));

        var inv = new double[nf * nf];
        DenseCholesky.Inverse(hf, nf, inv);
        var cov = new double[p, p];
        for (int a = 0; a < nf; a++)
        {
            int ja = free[a] - nth;
            if (ja < 0) continue;
            for (int b = 0; b < nf; b++)
            {
                int jb = free[b] - nth;
                if (jb < 0) continue;
                cov[ja, jb] = 2.0 * inv[a * nf + b];
            }
        }
        var newtonStep = new double[n];
        for (int a = 0; a < nf; a++) newtonStep[free[a]] = step[a];
        return new ConvergenceCheck(converged, warnings, cov, decrement, maxGrad, h, newtonStep);
    }
}
