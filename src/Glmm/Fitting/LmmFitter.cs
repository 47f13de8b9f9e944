using System.Diagnostics;
using Glmm.Families;
using Glmm.Model;
using Glmm.Optimization;
using MathNet.Numerics.LinearAlgebra;

namespace Glmm.Fitting;

/// <summary>
/// The linear mixed model (Gaussian family, identity link) as lme4's <c>lmer</c> fits it: θ by BOBYQA from lmer's start
/// (each factor the identity) within its bounds on the profiled deviance (ML) or the REML criterion of
/// <see cref="LinearMixedModel"/>, the boundary check, then β̂, ũ and σ̂ in closed form at θ̂. Every REML variant is
/// the exact REML criterion here (Laplace, Cox–Reid and PQL all coincide with it for a linear mixed model).
/// Fixed-effect inference: t statistics with Satterthwaite's denominator degrees of freedom, as lmerTest computes
/// them (the Hessian of the criterion and the Jacobian of Var(β̂) in (θ, σ), by central differences).
/// </summary>
internal static class LmmFitter
{
    public static GlmmFit Fit(ModelStructure model, GlmmOptions options)
    {
        var clock = Stopwatch.StartNew();
        var family = (Gaussian)options.Family;
        if (options.NAgq > 1)
            throw new GlmmInputException($"--nagq {options.NAgq} does not apply to a linear mixed model (gaussian family, identity link): its likelihood is exact without quadrature, as lmer's (which has no nAGQ)");
        if (options.FixedEffectsPrior is not null)
            throw new GlmmInputException("--fixef-prior is not available for a linear mixed model (gaussian family, identity link)");
        family.ValidateResponse(model.Y, model.Weights);
        bool anyWeight = false;
        foreach (double w in model.Weights) if (w > 0) { anyWeight = true; break; }
        if (!anyWeight)
            throw new GlmmInputException(FitPreconditions.Prefix + "every prior weight is zero, so no row carries information");
        foreach (double v in model.X.Values)
            if (!(Math.Abs(v) <= FitPreconditions.MaxAbsCovariate))
                throw new GlmmInputException(FitPreconditions.Prefix + "a fixed-effects covariate is not finite or too large for the arithmetic (beyond 1e150)");

        bool reml = options.Reml is not null;
        bool kenwardRoger = options.Ddf == DenominatorDf.KenwardRoger;
        if (kenwardRoger && !reml)
            throw new GlmmInputException("--ddf Kenward-Roger needs a REML fit (add --reml): Kenward-Roger's method is only available for REML model fits, as lmerTest");
        var layout = new EngineLayout(model, family);
        if (kenwardRoger) Inference.KenwardRoger.CheckSize(layout);
        var lmm = new LinearMixedModel(layout, reml, options.Threads);
        int p = layout.P;
        if (lmm.N <= (reml ? p : 0))
            throw new GlmmInputException(FitPreconditions.Prefix + $"{lmm.N} observations with positive weight are too few for {p} fixed effects");
        var re = model.Random;
        var control = FitControl.From(options);
        var warnings = new List<string>();

        int nth = re.ThetaLength;
        var opt = Optimize(lmm, re, control);
        if (!opt.Converged) warnings.Add($"optimiser did not converge: {opt.Message}");
        var theta = (double[])opt.X.Clone();
        double criterion = lmm.Evaluate(theta);

        // lme4's check.boundary: a diagonal θ near 0 set to 0 when the criterion does not rise.
        for (int j = 0; j < nth; j++)
        {
            if (!re.IsDiagonal(j) || theta[j] == 0.0 || theta[j] >= control.SingularThreshold) continue;
            var trial = (double[])theta.Clone();
            trial[j] = 0.0;
            double ct = lmm.Evaluate(trial);
            if (ct <= criterion + control.BoundaryDevianceSlack * Math.Max(1.0, Math.Abs(criterion)))
            {
                theta = trial;
                criterion = ct;
            }
        }
        bool singular = Enumerable.Range(0, nth).Any(j => re.IsDiagonal(j) && theta[j] < control.SingularThreshold);
        criterion = lmm.Evaluate(theta);
        if (!double.IsFinite(criterion))
            throw new GlmmInputException(FitPreconditions.Prefix + "the penalized least-squares system is not positive definite at the estimates (is the response constant?)");

        int evaluations = lmm.Evaluations;
        var (u, beta) = lmm.Solution();
        double rss = lmm.PenalizedRss;
        double sigma = Math.Sqrt(rss / (reml ? lmm.N - p : lmm.N));
        var unscaled = lmm.UnscaledCovariance();
        var covariance = new double[p, p];
        for (int i = 0; i < p; i++)
            for (int j = 0; j < p; j++) covariance[i, j] = sigma * sigma * unscaled[i, j];
        // −2 log-likelihood at the estimates; for REML, as lme4's logLik(fit, REML = FALSE): the ML deviance profiled over σ at
        // the REML θ (σ² = r²/n there; the criterion itself is REMLcrit).
        double deviance = lmm.Criterion(reml: false, lmm.LogDetL, lmm.LogDetRX, rss);
        var eta = lmm.LinearPredictor(theta, u, beta);

        var inference = Satterthwaite(lmm, theta, sigma, p);
        if (inference.Warning is not null) warnings.Add(inference.Warning);

        // Kenward–Roger (pbkrtest's vcovAdj and Lb_ddf) in place of Satterthwaite's df; Satterthwaite's σ SE is kept.
        var kr = kenwardRoger ? Inference.KenwardRoger.Compute(layout, theta, sigma, covariance, lmm.N) : null;

        var condVar = lmm.ConditionalVariances(theta);
        foreach (var blocks in condVar)
            for (int i = 0; i < blocks.Length; i++) blocks[i] *= sigma * sigma;

        return FitAssembler.Assemble(new FitState
        {
            Layout = layout,
            Options = options,
            Method = reml ? FitMethod.Reml : FitMethod.MaximumLikelihood,
            Theta = theta,
            Beta = beta,
            Covariance = covariance,
            CovarianceSource = CovarianceSource.Pirls,
            Deviance = deviance,
            Modes = new ModeState(u, eta, (double[])eta.Clone(), condVar),
            Converged = opt.Converged,
            Singular = singular,
            Warnings = warnings,
            Evaluations = evaluations,
            Sweeps = 1,
            Seconds = clock.Elapsed.TotalSeconds,
            Reml = options.Reml,
            RestrictedDeviance = reml ? criterion : double.NaN,
            Sigma = sigma,
            SigmaStdError = inference.SigmaStdError,
            Df = kr?.Df ?? inference.Df,
            Ddf = options.Ddf,
            AdjustedCovariance = kr?.AdjustedCovariance,
        });
    }

    /// <summary>
    /// θ̂: L-BFGS-B with the exact gradient (<see cref="LinearMixedModel.EvaluateWithGradient"/>) from lmer's start, as the
    /// GLMM's gradient stage: each θ in units of 1/√|its curvature at the start| (forward differences of the gradient), each
    /// step at most <see cref="FitControl.Stage2MaxStep"/> long in those units, and without bounds — the criterion is
    /// unchanged when a column of a factor T changes sign, and at a diagonal θ of exactly 0 its derivative in that
    /// coordinate vanishes, so a bound at 0 would be a false stationary point — the signs normalised afterwards. When it
    /// does not report convergence, BOBYQA (lmer's optimiser, without derivatives, within the bounds) from the best point
    /// L-BFGS-B reached, or from the start when that is not finite.
    /// </summary>
    internal static OptimizationResult Optimize(LinearMixedModel lmm, RandomEffectsStructure re, FitControl control)
    {
        int n = re.ThetaLength;
        var y0 = (double[])re.InitialTheta.Clone();
        var upper = Enumerable.Repeat(double.PositiveInfinity, n).ToArray();
        var g0 = new double[n];
        double f0 = lmm.EvaluateWithGradient(y0, g0);
        OptimizationResult? grad = null;
        if (double.IsFinite(f0))
        {
            var scale = Stages.CoordinateScale((x, g) => lmm.EvaluateWithGradient(x, g), y0, g0, [], n, control);
            var (result, theta, _) = Stages.ScaledLbfgs((x, g) => lmm.EvaluateWithGradient(x, g), y0, f0, g0, scale, control);
            re.NormalizeThetaSigns(theta);
            grad = result with { X = theta };
            if (grad.Converged && double.IsFinite(grad.Value)) return grad;
        }
        var start = grad is not null && double.IsFinite(grad.Value) ? grad.X : (double[])re.InitialTheta.Clone();
        var opt = new Bobyqa().Minimize(t => lmm.Evaluate(t), start, re.LowerBounds, upper,
            new OptimizerOptions
            {
                InitialTrustRadius = control.Stage1InitialRadius,
                FinalTrustRadius = FinalRadiusFactor * control.Tolerance,
                MaxEvaluations = control.MaxEvaluations,
            });
        return opt with { Message = $"{opt.Message} (BOBYQA after L-BFGS-B: {grad?.Message ?? "not finite at the start"})" };
    }

    /// <summary>BOBYQA's final trust radius as a fraction of the tolerance: an evaluation is cheap, and lmer's estimates are matched to 1e-6.</summary>
    private const double FinalRadiusFactor = 0.1;

    /// <summary>Relative step of the central differences in θ.</summary>
    private const double DifferenceStep = 1e-4;

    /// <summary>Eigenvalues of the criterion's Hessian below this are treated as zero in its pseudo-inverse (lmerTest's tol).</summary>
    private const double EigenTolerance = 1e-8;

    /// <summary>The Satterthwaite degrees of freedom of each coefficient, the standard error of σ, and a warning when the Hessian is not positive definite.</summary>
    internal sealed record SatterthwaiteResult(double[] Df, double SigmaStdError, string? Warning);

    /// <summary>
    /// Satterthwaite's approximation as lmerTest: with φ = (θ, σ), A = 2H⁻¹ (H the Hessian of the criterion in φ, pseudo-inverted
    /// on its positive eigenvalues), C(φ) = σ²(R_X'R_X)⁻¹ and, for coefficient j, g = ∂C_jj/∂φ: df = 2C_jj² / (g'Ag).
    /// Both derivatives by central differences; leaves the model evaluated at θ.
    /// </summary>
    internal static SatterthwaiteResult Satterthwaite(LinearMixedModel lmm, double[] theta, double sigma, int p)
    {
        int nth = theta.Length, k = nth + 1;
        bool reml = lmm.Reml;
        double nu = reml ? lmm.N - p : lmm.N, s2 = sigma * sigma;
        var h = new double[nth];
        for (int i = 0; i < nth; i++) h[i] = DifferenceStep * Math.Max(Math.Abs(theta[i]), 0.1);
        // f(θ, σ) = g(θ) + r²(θ)/σ² + ν log(2πσ²) with g = log|L|² (+ log|R_X|²): the σ derivatives are exact, the θ ones central
        // differences of g and r², one factorisation per θ (the Jacobian of (R_X'R_X)⁻¹ from the same points).
        var x = (double[])theta.Clone();
        (double F, double R2) At(double[] t)
        {
            lmm.Evaluate(t);
            return (lmm.LogDetL + (reml ? lmm.LogDetRX : 0.0) + lmm.PenalizedRss / s2, lmm.PenalizedRss);
        }
        var (f0, r20) = At(theta);
        var hess = new double[k, k];
        var grad = new double[p, k];
        var fPlus = new double[nth];
        for (int i = 0; i < nth; i++)
        {
            x[i] = theta[i] + h[i];
            var (fp, r2p) = At(x);
            var cp = lmm.UnscaledCovariance();
            x[i] = theta[i] - h[i];
            var (fm, r2m) = At(x);
            var cm = lmm.UnscaledCovariance();
            x[i] = theta[i];
            fPlus[i] = fp;
            hess[i, i] = (fp - 2 * f0 + fm) / (h[i] * h[i]);
            hess[i, nth] = hess[nth, i] = -2.0 / (s2 * sigma) * (r2p - r2m) / (2 * h[i]);
            for (int j = 0; j < p; j++) grad[j, i] = s2 * (cp[j, j] - cm[j, j]) / (2 * h[i]);
        }
        // Mixed θ derivatives from one more point per pair: (f(θ + hᵢ + hⱼ) − f(θ + hᵢ) − f(θ + hⱼ) + f(θ)) / (hᵢhⱼ).
        for (int i = 0; i < nth; i++)
            for (int j = 0; j < i; j++)
            {
                x[i] = theta[i] + h[i];
                x[j] = theta[j] + h[j];
                double fij = At(x).F;
                x[i] = theta[i];
                x[j] = theta[j];
                hess[i, j] = hess[j, i] = (fij - fPlus[i] - fPlus[j] + f0) / (h[i] * h[j]);
            }
        hess[nth, nth] = 6.0 * r20 / (s2 * s2) - 2.0 * nu / s2;
        var evd = Matrix<double>.Build.DenseOfArray(hess).Evd(MathNet.Numerics.LinearAlgebra.Symmetricity.Symmetric);
        var values = evd.EigenValues.Select(v => v.Real).ToArray();
        var vectors = evd.EigenVectors;
        string? warning = values.Any(v => v < -EigenTolerance)
            ? "the Hessian of the criterion in (theta, sigma) has a negative eigenvalue: Satterthwaite degrees of freedom are unreliable"
            : null;
        var a = new double[k, k];
        for (int e = 0; e < k; e++)
        {
            if (!(values[e] > EigenTolerance)) continue;
            for (int i = 0; i < k; i++)
                for (int j = 0; j < k; j++) a[i, j] += 2.0 * vectors[i, e] * vectors[j, e] / values[e];
        }

        lmm.Evaluate(theta);
        var c0 = lmm.UnscaledCovariance();
        var df = new double[p];
        for (int j = 0; j < p; j++)
        {
            grad[j, nth] = 2.0 * sigma * c0[j, j];
            double vc = sigma * sigma * c0[j, j], quad = 0;
            for (int r = 0; r < k; r++)
                for (int s = 0; s < k; s++) quad += grad[j, r] * a[r, s] * grad[j, s];
            df[j] = quad > 0 ? 2.0 * vc * vc / quad : double.NaN;
        }
        double sigmaSe = a[nth, nth] > 0 ? Math.Sqrt(a[nth, nth]) : double.NaN;
        return new SatterthwaiteResult(df, sigmaSe, warning);
    }
}
