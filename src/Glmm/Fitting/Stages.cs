using Glmm.LinearAlgebra;
using Glmm.Model;
using Glmm.Optimization;

namespace Glmm.Fitting;

/// <summary>An estimate of (θ, β) from one stage, with the criterion's value there.</summary>
/// <param name="Theta">θ.</param>
/// <param name="Beta">β.</param>
/// <param name="Deviance">The criterion at (θ, β).</param>
/// <param name="Converged">The stage's optimiser converged.</param>
/// <param name="Evaluations">Evaluations the stage made (a gradient evaluation counts once).</param>
/// <param name="Message">The optimiser's message.</param>
internal sealed record StageResult(double[] Theta, double[] Beta, double Deviance, bool Converged, int Evaluations, string Message = "");

/// <summary>The boundary check's outcome.</summary>
/// <param name="Theta">θ with the diagonal entries that belong on their bound set to 0.</param>
/// <param name="Deviance">The criterion at (θ, β), evaluated last (so the criterion's state is at the estimates).</param>
/// <param name="Singular">A diagonal θ is (near) 0: the random-effects covariance is singular.</param>
internal sealed record BoundaryResult(double[] Theta, double Deviance, bool Singular);

/// <summary>The Newton polish's outcome.</summary>
/// <param name="Theta">θ.</param>
/// <param name="Beta">β.</param>
/// <param name="Deviance">The criterion at (θ, β).</param>
/// <param name="Modes">The modes at (θ, β), as the polish's save function gave them.</param>
/// <param name="Check">The convergence check at (θ, β).</param>
/// <param name="Evaluations">The steps' evaluations (the checks' are not counted, as the first check's are not).</param>
internal sealed record PolishResult(double[] Theta, double[] Beta, double Deviance, double[] Modes, ConvergenceCheck Check, int Evaluations);

/// <summary>
/// The stages of a maximum-likelihood fit, in the order a fit runs them (lme4's modular.R: mkGlmerDevfun →
/// optimizeGlmer → updateGlmerDevfun → optimizeGlmer → check.boundary → checkConv):
/// <see cref="Stage1"/> (θ with β inside PIRLS), <see cref="Stage2Gradient"/> or <see cref="Stage2DerivativeFree"/>
/// ((θ, β) jointly), <see cref="QuadratureStage"/> (nAGQ &gt; 1), <see cref="BoundaryCheck"/> and
/// <see cref="AssessConvergence"/>. Each is a function of a criterion and a start, returning a small record.
/// </summary>
internal static class Stages
{
    /// <summary>
    /// Stage 1: θ by BOBYQA on the Laplace deviance profiled over β by PIRLS, from lme4's start (each factor the
    /// identity). When it only seeks a start for the gradient stage (<paramref name="startForGradient"/>) a few
    /// quadratic-model steps suffice and PIRLS stops earlier; when it is the last stage (nAGQ = 0) it runs to the
    /// user's tolerance. Ends with a full-precision evaluation at the optimum, whose β̃ is returned.
    /// </summary>
    public static StageResult Stage1(ProfiledLaplaceCriterion criterion, RandomEffectsStructure re, FitControl control, bool startForGradient, bool lastStage)
    {
        int nth = re.ThetaLength;
        if (startForGradient) criterion.PirlsTolerance = control.Stage1StartPirlsTolerance;
        var opt = new Bobyqa().Minimize(x => criterion.Evaluate(x), (double[])re.InitialTheta.Clone(), re.LowerBounds,
            Enumerable.Repeat(double.PositiveInfinity, nth).ToArray(),
            new OptimizerOptions
            {
                InitialTrustRadius = control.Stage1InitialRadius,
                FinalTrustRadius = lastStage ? control.Tolerance
                    : Math.Max(control.Tolerance, startForGradient ? control.Stage1GradientStartRadius : control.Stage1StartRadius),
                MaxEvaluations = startForGradient ? 2 * nth + control.Stage1GradientStartExtraEvaluations : control.MaxEvaluations,
            });
        return AtFullPrecision(criterion, opt.X, control, opt.Converged, opt.Message);
    }

    /// <summary>Stage 1's end: the profiled deviance at θ at full PIRLS precision, whose β̃ is returned.</summary>
    private static StageResult AtFullPrecision(ProfiledLaplaceCriterion criterion, double[] theta, FitControl control, bool converged, string message)
    {
        criterion.PirlsTolerance = control.PirlsTolerance;
        double deviance = criterion.Evaluate(theta);
        if (!double.IsFinite(deviance))
            throw new GlmmInputException(FitPreconditions.Diagnose(criterion.System.Layout.Model, criterion.System.Layout.Family, criterion.System.Eta));
        return new StageResult(theta, (double[])criterion.Beta.Clone(), deviance, converged, criterion.Evaluations, message);
    }

    /// <summary>
    /// Stage 1 reduced to its start: the profiled deviance at lme4's start θ (each factor the identity) at full PIRLS
    /// precision, whose β̃ and bordered factor start the gradient stage there. For an expensive factor, where the
    /// gradient stage's evaluations are worth more than stage 1's quadratic-model steps.
    /// </summary>
    public static StageResult Stage1AtStart(ProfiledLaplaceCriterion criterion, RandomEffectsStructure re, FitControl control) =>
        AtFullPrecision(criterion, (double[])re.InitialTheta.Clone(), control, true, "the start (an expensive factor)");

    /// <summary>
    /// Stage 2 with the exact gradient: L-BFGS-B over (θ, β) from stage 1's solution, each coordinate scaled by
    /// 1/√|its diagonal Hessian entry| — β's from stage 1's factor (<paramref name="betaHessianDiagonal"/>), θ's by
    /// forward differences of the gradient — and each iteration's step at most <see cref="FitControl.Stage2MaxStep"/>
    /// long in those units, without bounds: the deviance is unchanged when a column of a factor T
    /// changes sign, and for a scalar term its gradient vanishes at θ = 0, so a bound at 0 would stall the search;
    /// signs are normalised afterwards. With <paramref name="scale"/> (<see cref="CoordinateScale(ICriterion, double[], double[], double[], int, FitControl)"/> from elsewhere) those
    /// units are taken as given and the θ curvature's evaluations are skipped.
    /// </summary>
    public static StageResult Stage2Gradient(ICriterion criterion, double[] theta0, double[] beta0, double[] betaHessianDiagonal,
        RandomEffectsStructure re, FitControl control, double[]? scale = null)
    {
        int nth = theta0.Length, p = beta0.Length, n = nth + p;
        var y0 = theta0.Concat(beta0).ToArray();
        // The deviance is even in each column of a factor T, so at a diagonal θ of exactly 0 its gradient in that
        // direction vanishes and a gradient method could never leave the boundary that stage 1 may have stopped
        // on: start such entries a little inside (if 0 is right, the search returns there and the boundary check
        // sets it back to 0).
        for (int j = 0; j < nth; j++)
            if (re.IsDiagonal(j) && Math.Abs(y0[j]) < control.GradientStartInside) y0[j] = control.GradientStartInsideValue;
        var g0 = new double[n];
        double f0 = criterion.Evaluate(y0, g0);
        int evaluations = 1;
        if (scale is not null && scale.Length != n) throw new ArgumentException("one scale per coordinate", nameof(scale));
        List<(double[] S, double[] Y)>? pairs = null;
        if (scale is null)
        {
            pairs = control.SeedSecantPairs ? [] : null;
            scale = CoordinateScale((x, g) => criterion.Evaluate(x, g), y0, g0, betaHessianDiagonal, nth, control, pairs);
            evaluations += nth;
            // In the optimiser's units z = (y − y0) / scale: s_z = s / scale, y_z = scale ∘ (∇f differences).
            if (pairs is not null)
                for (int k = 0; k < pairs.Count; k++)
                {
                    var (sy, gy) = pairs[k];
                    for (int j = 0; j < n; j++)
                    {
                        sy[j] /= scale[j];
                        gy[j] *= scale[j];
                    }
                }
        }
        var (result, y, reused) = ScaledLbfgs((z, g) => criterion.Evaluate(z, g), y0, f0, g0, scale, control, pairs);
        evaluations += result.Evaluations - reused;
        var theta = y[..nth];
        var beta = y[nth..];
        re.NormalizeThetaSigns(theta);
        return new StageResult(theta, beta, result.Value, result.Converged, evaluations, result.Message);
    }

    /// <summary>
    /// Stage 2's units of (θ, β) at <paramref name="y0"/> (where the criterion's gradient is <paramref name="g0"/>):
    /// 1/√|diagonal Hessian entry|, θ's by forward differences of the gradient (one evaluation each), β's from
    /// <paramref name="betaHessianDiagonal"/>.
    /// </summary>
    public static double[] CoordinateScale(ICriterion criterion, double[] y0, double[] g0, double[] betaHessianDiagonal, int nth, FitControl control) =>
        CoordinateScale((x, g) => criterion.Evaluate(x, g), y0, g0, betaHessianDiagonal, nth, control);

    /// <summary><see cref="CoordinateScale(ICriterion, double[], double[], double[], int, FitControl)"/> of any value-and-gradient function.</summary>
    public static double[] CoordinateScale(Func<double[], double[], double> valueAndGradient, double[] y0, double[] g0, double[] betaHessianDiagonal,
        int nth, FitControl control, List<(double[] S, double[] Y)>? pairs = null)
    {
        int n = y0.Length;
        var scale = new double[n];
        var gh = new double[n];
        for (int j = 0; j < n; j++)
        {
            double hjj;
            if (j < nth)
            {
                double h = control.ThetaCurvatureStep;
                var yh = (double[])y0.Clone();
                yh[j] += h;
                double f = valueAndGradient(yh, gh);
                hjj = double.IsFinite(f) ? (gh[j] - g0[j]) / h : double.NaN;
                if (pairs is not null && double.IsFinite(f))
                {
                    var sj = new double[n];
                    sj[j] = h;
                    var yj = new double[n];
                    for (int k = 0; k < n; k++) yj[k] = gh[k] - g0[k];
                    pairs.Add((sj, yj));
                }
            }
            else hjj = betaHessianDiagonal[j - nth];
            // Where the deviance is concave at the start (a variance far above its estimate: D grows like log σ²),
            // the magnitude of the curvature still gives the coordinate's natural unit.
            scale[j] = hjj != 0 && double.IsFinite(hjj) ? 1.0 / Math.Sqrt(Math.Abs(hjj)) : 1.0;
        }
        return scale;
    }

    /// <summary>
    /// L-BFGS-B over y = y0 + scale ∘ z from z = 0, unbounded, each iteration's step at most
    /// <see cref="FitControl.Stage2MaxStep"/> long in z, with the value <paramref name="f0"/> and gradient
    /// <paramref name="g0"/> at y0 already known (reused for the optimiser's first call). Returns the optimiser's result,
    /// its point in y, and how many of its evaluations were that reuse.
    /// </summary>
    public static (OptimizationResult Result, double[] Y, int Reused) ScaledLbfgs(Func<double[], double[], double> valueAndGradient,
        double[] y0, double f0, double[] g0, double[] scale, FitControl control, IReadOnlyList<(double[] S, double[] Y)>? pairs = null)
    {
        int n = y0.Length;
        var x = new double[n];
        var gx = new double[n];
        bool first = true;
        int reused = 0;
        var result = new LbfgsB().Minimize((z, g) =>
        {
            double f;
            if (first && z.All(zj => zj == 0.0))
            {
                // The start, evaluated before (the mode state may have moved since, but the next solve warm-starts anyway).
                f = f0;
                g0.CopyTo(gx, 0);
                reused++;
            }
            else
            {
                for (int j = 0; j < n; j++) x[j] = y0[j] + scale[j] * z[j];
                f = valueAndGradient(x, gx);
            }
            first = false;
            for (int j = 0; j < n; j++) g[j] = gx[j] * scale[j];
            return f;
        }, new double[n], Enumerable.Repeat(double.NegativeInfinity, n).ToArray(), Enumerable.Repeat(double.PositiveInfinity, n).ToArray(),
            new LbfgsBOptions { ProjectedGradientTolerance = control.GradientTolerance, FunctionTolerance = control.GradientFunctionTolerance, MaxEvaluations = control.MaxEvaluations, MaxStepNorm = control.Stage2MaxStep, InitialPairs = pairs ?? [] });
        var y = new double[n];
        for (int j = 0; j < n; j++) y[j] = y0[j] + scale[j] * result.X[j];
        return (result, y, reused);
    }

    /// <summary>
    /// Stage 2 without derivatives (and every refit: profiles, bootstrap replicates): BOBYQA over (θ, β) from
    /// (θ0, β0), β measured in units of <paramref name="betaScale"/> (its standard errors) so that one trust region
    /// suits every coordinate.
    /// </summary>
    public static StageResult Stage2DerivativeFree(Func<double[], double> criterion, double[] theta0, double[] beta0, double[] betaScale,
        RandomEffectsStructure re, FitControl control)
    {
        int nth = theta0.Length, p = beta0.Length;
        var x = new double[nth + p];
        Func<double[], double> scaled = z =>
        {
            for (int j = 0; j < nth; j++) x[j] = z[j];
            for (int j = 0; j < p; j++) x[nth + j] = beta0[j] + betaScale[j] * z[nth + j];
            return criterion(x);
        };
        var start = new double[nth + p];
        Array.Copy(theta0, start, nth);
        var lower = new double[nth + p];
        var upper = new double[nth + p];
        for (int j = 0; j < nth + p; j++)
        {
            lower[j] = j < nth ? re.LowerBounds[j] : double.NegativeInfinity;
            upper[j] = double.PositiveInfinity;
        }
        var opt = new Bobyqa().Minimize(scaled, start, lower, upper,
            new OptimizerOptions { InitialTrustRadius = control.JointInitialRadius, FinalTrustRadius = control.Tolerance, MaxEvaluations = control.MaxEvaluations });
        var theta = opt.X[..nth];
        var beta = new double[p];
        for (int j = 0; j < p; j++) beta[j] = beta0[j] + betaScale[j] * opt.X[nth + j];
        return new StageResult(theta, beta, opt.Value, opt.Converged, opt.Evaluations, opt.Message);
    }

    /// <summary>
    /// The quadrature stage (nAGQ &gt; 1): the quadrature deviance is the Laplace one plus a small smooth correction,
    /// so Newton steps with the Laplace Hessian at the Laplace optimum converge in a few iterations, each needing only a
    /// difference gradient; when they do not, BOBYQA goes on from where Newton stopped.
    /// </summary>
    public static StageResult QuadratureStage(ICriterion quadrature, ICriterion laplace, StageResult atLaplace,
        RandomEffectsStructure re, FitControl control)
    {
        // Quadrature's PIRLS starts from the Laplace modes at the Laplace optimum (before the Hessian moves them).
        quadrature.RestoreModes(laplace.System.U);
        var xL = atLaplace.Theta.Concat(atLaplace.Beta).ToArray();
        double[,] hL = laplace.HasGradient
            ? ConvergenceCheck.GradientAndHessian((x, g) => laplace.Evaluate(x, g), xL, forward: true).Hessian
            : FiniteDifferences.GradientAndHessian(x => laplace.Evaluate(x), xL).Hessian;
        var newton = QuadratureNewton(x => quadrature.Evaluate(x), atLaplace.Theta, atLaplace.Beta, hL, re, control);
        if (newton.Converged) return newton;
        // Fall back to the derivative-free search from where Newton stopped, β in units of its Laplace SEs.
        // (With a dispersion parameter the last coordinate is log φ, in units of 1/√(half its Laplace curvature).)
        int p = laplace.System.Layout.P, last = xL.Length - 1;
        var seLaplace = FixedEffectsCovariance.StandardErrors(
            FixedEffectsCovariance.AtEstimates(laplace.System.Layout, newton.Theta, newton.Beta[..p], laplace.System.U));
        if (newton.Beta.Length > p) seLaplace = [.. seLaplace, hL[last, last] > 0 ? Math.Sqrt(2.0 / hL[last, last]) : 0.1];
        var search = Stage2DerivativeFree(x => quadrature.Evaluate(x), newton.Theta, newton.Beta, seLaplace, re, control);
        return search with { Evaluations = newton.Evaluations + search.Evaluations };
    }

    /// <summary>
    /// Newton iterations x ← x − H⁻¹g on a deviance f with a fixed positive-definite H and difference gradients, with
    /// backtracking; θ unbounded (column signs are normalised at the end). The gradient is by forward differences until
    /// their Newton decrement ½g'H⁻¹g falls below <see cref="FitControl.QuadratureCentralDecrement"/>, by central
    /// differences from then on (the forward differences' O(δ) bias puts a floor of about 5e-7 per coordinate under
    /// the decrement they can resolve); the stage stops when the central-difference decrement falls below
    /// <see cref="FitControl.QuadratureDecrement"/>. At a Laplace optimum the quadrature correction is often small
    /// enough that the first forward decrement is already below 1e-3 while the optimum still moves by 1e-4 in θ.
    /// </summary>
    private static StageResult QuadratureNewton(Func<double[], double> f, double[] theta0, double[] beta0, double[,] h,
        RandomEffectsStructure re, FitControl control)
    {
        int nth = theta0.Length, n = nth + beta0.Length;
        var l = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) l[i * n + j] = h[i, j];
        var x = theta0.Concat(beta0).ToArray();
        int evaluations = 0;
        double Eval(double[] y) { evaluations++; return f((double[])y.Clone()); }
        double fx = Eval(x);
        if (!DenseCholesky.Factor(l, n) || !double.IsFinite(fx)) return new StageResult(theta0, beta0, fx, false, evaluations);
        bool converged = false;
        // Steps of 1e-3 standard errors (from the diagonal of H): the forward-difference bias then costs about
        // 5e-7 in the Newton decrement per coordinate, whatever the scale of the parameter.
        var step0 = new double[n];
        for (int j = 0; j < n; j++)
            step0[j] = h[j, j] > 0 ? control.QuadratureStepInStandardErrors * Math.Sqrt(2.0 / h[j, j]) : control.QuadratureFallbackStep;
        bool central = false;
        var g = new double[n];
        var step = new double[n];
        // The Newton step and decrement ½g'H⁻¹g of the gradient g (forward differences: n evaluations; central: 2n).
        double Decrement()
        {
            for (int j = 0; j < n; j++)
            {
                var xp = (double[])x.Clone();
                xp[j] += step0[j];
                double fp = Eval(xp);
                if (central)
                {
                    var xm = (double[])x.Clone();
                    xm[j] -= step0[j];
                    g[j] = (fp - Eval(xm)) / (2.0 * step0[j]);
                }
                else g[j] = (fp - fx) / step0[j];
            }
            g.CopyTo(step, 0);
            DenseCholesky.SolveLower(l, n, step);
            DenseCholesky.SolveUpper(l, n, step);
            return 0.5 * DenseCholesky.Dot(g, step);
        }
        for (int iteration = 0; iteration < control.QuadratureMaxIterations && !converged; iteration++)
        {
            double decrement = Decrement();
            if (!double.IsFinite(decrement)) break;
            if (!central && decrement < control.QuadratureCentralDecrement)
            {
                // Close enough for the forward differences' bias to matter: resolve the rest with central ones.
                central = true;
                decrement = Decrement();
                if (!double.IsFinite(decrement)) break;
            }
            if (central && decrement < control.QuadratureDecrement) { converged = true; break; }
            double t = 1.0;
            bool moved = false;
            for (int k = 0; k < control.QuadratureMaxHalvings; k++, t *= 0.5)
            {
                var trial = new double[n];
                for (int j = 0; j < n; j++) trial[j] = x[j] - t * step[j];
                double ft = Eval(trial);
                if (double.IsFinite(ft) && ft <= fx - control.QuadratureArmijo * t * decrement)
                {
                    x = trial;
                    fx = ft;
                    moved = true;
                    break;
                }
            }
            if (!moved) { converged = decrement < control.QuadratureStallDecrement; break; }
        }
        var theta = x[..nth];
        re.NormalizeThetaSigns(theta);
        return new StageResult(theta, x[nth..], fx, converged, evaluations);
    }

    /// <summary>
    /// The boundary check (lme4's check.boundary): a diagonal θ close to 0 is set to 0 when the criterion does not rise;
    /// the fit is singular when a diagonal θ is (near) 0. Evaluates the criterion at the final θ last.
    /// </summary>
    public static BoundaryResult BoundaryCheck(ICriterion criterion, double[] theta, double[] beta, double deviance,
        RandomEffectsStructure re, FitControl control)
    {
        int nth = theta.Length;
        for (int j = 0; j < nth; j++)
        {
            if (!re.IsDiagonal(j) || theta[j] == 0.0 || theta[j] >= control.SingularThreshold) continue;
            var trial = (double[])theta.Clone();
            trial[j] = 0.0;
            double dt = EvaluateAt(criterion, trial, beta);
            if (dt <= deviance + control.BoundaryDevianceSlack * Math.Max(1.0, Math.Abs(deviance)))
            {
                theta = trial;
                deviance = dt;
            }
        }
        bool singular = false;
        for (int j = 0; j < nth; j++) if (re.IsDiagonal(j) && theta[j] < control.SingularThreshold) singular = true;
        deviance = EvaluateAt(criterion, theta, beta);
        return new BoundaryResult(theta, deviance, singular);
    }

    /// <summary>
    /// The convergence assessment at the optimum, from the gradient and Hessian of the criterion in (θ, β) with the
    /// PIRLS of every evaluation started at the optimum's modes <paramref name="modes"/>: the exact gradient's forward
    /// differences when the criterion has one, the economical difference scheme for an expensive criterion
    /// (<paramref name="expensive"/>: quadrature), second differences of the deviance otherwise.
    /// </summary>
    public static ConvergenceCheck AssessConvergence(ICriterion criterion, double[] theta, double[] beta, double[] modes,
        RandomEffectsStructure re, bool expensive)
    {
        if (criterion.HasGradient)
            return ConvergenceCheck.Run((x, g) =>
            {
                criterion.RestoreModes(modes);
                return criterion.Evaluate(x, g);
            }, theta, beta, re);
        Func<double[], double> atMode = x =>
        {
            criterion.RestoreModes(modes);
            return criterion.Evaluate(x);
        };
        return expensive ? ConvergenceCheck.RunEconomical(atMode, theta, beta, re) : ConvergenceCheck.Run(atMode, theta, beta, re);
    }

    /// <summary>
    /// The Newton polish of a gradient stage's optimum: while the convergence check's decrement ½g'H⁻¹g exceeds
    /// <see cref="FitControl.PolishDecrement"/>, a full Newton step with its Hessian (the parameters on a bound left
    /// where they are), kept when the deviance falls and no diagonal θ changes sign, then the check again at the new point
    /// (with an exact gradient: the new gradient and the same Hessian).
    /// Every fit of the same data then ends at the same optimum to the rounding of the deviance, whatever its start (a
    /// cluster fit starts stage 2 from one part's stage 1). <paramref name="saveModes"/> captures the criterion's modes
    /// after an accepted step; <paramref name="modes"/> are those at (θ, β). The criterion's state afterwards is that of
    /// its last evaluation (a perturbed point of the check, or the last trial point).
    /// </summary>
    public static PolishResult Polish(ICriterion criterion, double[] theta, double[] beta, double deviance, double[] modes,
        ConvergenceCheck check, Func<double[]> saveModes, RandomEffectsStructure re, FitControl control)
    {
        int nth = theta.Length, n = nth + beta.Length, steps = 0;
        var x = new double[n];
        while (steps < control.PolishMaxSteps && check.NewtonStep is { } step && check.Decrement > control.PolishDecrement)
        {
            for (int j = 0; j < n; j++) x[j] = (j < nth ? theta[j] : beta[j - nth]) - step[j];
            bool crosses = false;
            for (int j = 0; j < nth; j++)
                if (re.IsDiagonal(j) && theta[j] != 0.0 && (x[j] <= 0.0) != (theta[j] <= 0.0)) crosses = true;
            if (crosses) break;
            criterion.RestoreModes(modes);
            var g = criterion.HasGradient ? new double[n] : null;
            double d = g is null ? criterion.Evaluate(x) : criterion.Evaluate(x, g);
            steps++;
            ConvergenceCheck? next = null;
            if (!(d < deviance))
            {
                // A stochastic criterion's gradient (trace estimates) is not the exact derivative of its value (the
                // quadrature's estimate with the same probes): a step that halves the decrement is kept while the
                // deviance rises by less than its Monte Carlo error, so that the estimate is the root of the score.
                if (g is null || !(control.PolishNoise > 0) || !(d < deviance + control.PolishNoise)) break;
                next = check.WithGradient(g, x[..nth], x[nth..], re);
                if (!(next.Decrement < 0.5 * check.Decrement)) break;
            }
            theta = x[..nth];
            beta = x[nth..];
            deviance = d;
            modes = saveModes();
            // The new point's gradient with the Hessian just used (a step of a decrement below 1e-3 barely changes it);
            // the differences are only taken anew without a gradient.
            check = next ?? (g is not null ? check.WithGradient(g, theta, beta, re) : AssessConvergence(criterion, theta, beta, modes, re, expensive: false));
        }
        return new PolishResult(theta, beta, deviance, modes, check, steps);
    }

    /// <summary>The criterion at θ (β solved inside) or at (θ, β).</summary>
    public static double EvaluateAt(ICriterion criterion, double[] theta, double[] beta)
    {
        if (!criterion.IncludesBeta) return criterion.Evaluate(theta);
        var x = new double[theta.Length + beta.Length];
        theta.CopyTo(x, 0);
        beta.CopyTo(x, theta.Length);
        return criterion.Evaluate(x);
    }
}
