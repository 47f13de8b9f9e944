using System.Diagnostics;
using Glmm.LinearAlgebra;

namespace Glmm.Fitting;

/// <summary>
/// Maximum likelihood on the <see cref="IterativeLaplaceCriterion"/> (crossed designs whose exact factor fills in):
/// stage 1 is skipped — (θ, β) start at lme4's θ and the starting GLM's β, β scaled by the GLM's curvature 2X'WX —
/// and L-BFGS-B runs on the (θ, β) deviance with the stochastic-trace gradient (on the first
/// <see cref="SearchProbes"/> probes, then Newton steps on all of them: <see cref="Search"/>); then the boundary check,
/// the conditional variances by stochastic estimation of the diagonal blocks of H⁻¹, and the convergence check and
/// standard errors from forward differences of the gradient (the Newton finish's, when it converged).
/// </summary>
internal static class IterativeFitter
{
    /// <summary>L-BFGS-B's relative reduction of the criterion at which the iterative fit stops.</summary>
    public const double FunctionTolerance = 1e-10;

    public static GlmmFit Fit(Model.ModelStructure original, GlmmOptions options, FitStart start, CriterionFactory factory, string reason, Stopwatch clock)
    {
        var data = factory.Layout;
        var re = data.Random;
        // The gradient's stochastic traces are not the exact derivative of the quadrature's estimate: near the optimum the
        // line search can no longer lower the criterion and L-BFGS-B would spend its evaluations on ever shorter steps.
        // A relative reduction of 1e-10 (1e-5 in a deviance of 10⁵) is far below the Monte Carlo error.
        var control = FitControl.From(options) with { GradientFunctionTolerance = FunctionTolerance };
        var warnings = new List<string>();
        var criterion = new IterativeLaplaceCriterion(data, factory.Threads, options.Probes, options.ProbeSeed);
        var glm = start.RequireGlm;
        var beta0 = glm.Coefficients.ToArray();
        var theta0 = (double[])re.InitialTheta.Clone();
        var estimate = Search(criterion, theta0, beta0, data, re, control, out var polished);
        if (!estimate.Converged && !estimate.Message.Contains("ABNORMAL", StringComparison.Ordinal))
            warnings.Add($"stage 2 optimiser did not converge: {estimate.Message}");
        var boundary = Stages.BoundaryCheck(criterion, estimate.Theta, estimate.Beta, estimate.Deviance, re, control);
        var theta = boundary.Theta;
        var beta = estimate.Beta;
        var sys = criterion.Iterative;
        if (!double.IsFinite(boundary.Deviance) || beta.Any(b => !double.IsFinite(b)))
            throw new GlmmInputException(FitPreconditions.Diagnose(data.Model, options.Family, sys.Eta));
        double monteCarloError = 0.5 * criterion.LogDeterminantStandardError;
        double meanIterations = criterion.MeanProbeIterations;
        var modes = new ModeState((double[])sys.U.Clone(), (double[])sys.Eta.Clone(), (double[])sys.Mu.Clone(), criterion.ConditionalVariances());
        var fallback = WorkingCovariance(data, sys.Weights);

        // After the Newton finish the check is at hand (the full criterion's gradient at the estimate, the search
        // criterion's Hessian); it is taken anew only when the boundary check moved θ or the finish was not used.
        var check = polished is not null && theta.AsSpan().SequenceEqual(estimate.Theta)
            ? polished
            : Stages.AssessConvergence(criterion, theta, beta, modes.U, re, expensive: false);
        warnings.AddRange(check.Warnings);
        double[,] covariance;
        var source = CovarianceSource.Hessian;
        if (options.UseHessian && check.BetaCovariance is { } hessian) covariance = hessian;
        else
        {
            covariance = fallback;
            source = CovarianceSource.Pirls;
            if (options.UseHessian) warnings.Add("standard errors from X'WX at the modes: the Hessian of the deviance was not positive definite");
        }
        var x = theta.Concat(beta).ToArray();
        var (deviance, logLikProbes) = RefineLogLik(criterion, x, modes.U, boundary.Deviance, ref monteCarloError);
        var report = new IterativeSolverReport(options.Probes, options.ProbeSeed, sys.Preconditioner.Name, sys.Tolerance,
            monteCarloError, meanIterations, reason, logLikProbes);
        return FitAssembler.Assemble(new FitState
        {
            Layout = data,
            OriginalModel = original,
            Scaling = start.Scaling,
            Options = options,
            Method = FitMethod.Laplace,
            Theta = theta,
            Beta = beta,
            Covariance = covariance,
            CovarianceSource = source,
            Deviance = deviance,
            Modes = modes,
            Converged = check.Converged && warnings.Count == 0,
            Singular = boundary.Singular,
            Warnings = start.Warnings.Concat(warnings).ToList(),
            Evaluations = estimate.Evaluations,
            Sweeps = criterion.Sweeps,
            Seconds = clock.Elapsed.TotalSeconds,
            Solver = LinearSolver.Iterative,
            SolverReason = reason,
            Iterative = report,
        });
    }

    /// <summary>Monte Carlo error of the log-likelihood above which the estimate's log-likelihood takes more probes.</summary>
    public const double LogLikErrorTarget = 0.02;

    /// <summary>Probes of the log-likelihood at the estimate at most.</summary>
    public const int MaxLogLikProbes = 1024;

    /// <summary>
    /// The log-likelihood at the estimate to a Monte Carlo error of <see cref="LogLikErrorTarget"/>: where the fit's probes
    /// leave more, log|H| at the estimate's modes is re-estimated on more probes of the same seeded sequence (the fit's
    /// own estimates kept, <see cref="IterativeLaplaceCriterion.ExtendProbes"/>) — as many as the error's square predicts,
    /// at most <see cref="MaxLogLikProbes"/>, and no more conjugate-gradient iterations than the fit took so far (counted,
    /// not timed, so that the count is the same on every machine and thread count; the iterations per probe are those of
    /// a first extension by <see cref="IterativeLaplaceCriterion.Probes"/> more). Only the reported log-likelihood
    /// changes; the estimates are the fit's.
    /// </summary>
    private static (double Deviance, int Probes) RefineLogLik(IterativeLaplaceCriterion criterion, double[] x, double[] modes,
        double deviance, ref double monteCarloError)
    {
        int probes = criterion.Probes;
        if (!(monteCarloError > LogLikErrorTarget) || !double.IsFinite(deviance)) return (deviance, probes);
        double ratio = monteCarloError / LogLikErrorTarget;
        int wanted = (int)Math.Min(MaxLogLikProbes, Math.Ceiling(probes * ratio * ratio / 16.0) * 16);
        if (wanted <= probes) return (deviance, probes);
        long budget = criterion.TotalCgIterations;
        criterion.RestoreModes(modes);
        double f = criterion.Evaluate(x);
        if (!double.IsFinite(f)) return (deviance, probes);
        int first = Math.Min(wanted, 2 * probes);
        double extended = criterion.ExtendProbes(first);
        if (!double.IsFinite(extended)) return (deviance, probes);
        int total = first;
        double perProbe = Math.Max(1.0, criterion.MeanProbeIterations);
        long spent = (long)Math.Round(perProbe * (first - probes));
        int affordable = first + (int)(Math.Max(0, budget - spent) / perProbe / 16) * 16;
        int last = Math.Min(wanted, affordable);
        if (last > total)
        {
            double more = criterion.ExtendProbes(last);
            if (double.IsFinite(more))
            {
                extended = more;
                total = last;
            }
        }
        monteCarloError = 0.5 * criterion.LogDeterminantStandardError;
        return (extended, total);
    }

    /// <summary>Probes of the search for a start (one block of solves); the full count then finishes the fit.</summary>
    public const int SearchProbes = 16;

    /// <summary>Relative reduction of the criterion at which the search for a start stops.</summary>
    public const double SearchFunctionTolerance = 1e-8;

    /// <summary>Newton decrement (deviance units) at which the full criterion's Newton finish stops.</summary>
    public const double FinishDecrement = 1e-5;

    /// <summary>Newton steps of the finish at most.</summary>
    public const int FinishMaxSteps = 4;

    /// <summary>
    /// L-BFGS-B on the criterion with the full probes. With more than <see cref="SearchProbes"/> probes, first a search
    /// with only the first <see cref="SearchProbes"/> (a quarter of the work per evaluation at the default 64) to a
    /// looser tolerance; then, at the search's optimum, the search criterion's Hessian by forward differences of its
    /// gradient (the probes move the curvature by their Monte Carlo error only) and Newton steps on the full criterion
    /// with it (<see cref="Stages.Polish"/>) until the decrement is below <see cref="FinishDecrement"/>: the full
    /// criterion's optimum, its check (<paramref name="check"/>) and Hessian at no further cost. Where that finish does
    /// not converge, L-BFGS-B on the full criterion from there in the units of that Hessian's diagonal, and the same Newton
    /// finish from where it stops (with the check's own Hessian there). The estimate is the root of the full criterion's
    /// score either way; the search only shortens the path to it.
    /// </summary>
    private static StageResult Search(IterativeLaplaceCriterion criterion, double[] theta0, double[] beta0, EngineLayout data,
        Model.RandomEffectsStructure re, FitControl control, out ConvergenceCheck? check)
    {
        check = null;
        int evaluations = 0;
        double[]? scale = null;
        if (criterion.Probes > SearchProbes)
        {
            criterion.ActiveProbes = SearchProbes;
            var search = Stages.Stage2Gradient(criterion, theta0, beta0, GlmCurvature(data, beta0), re,
                control with { GradientFunctionTolerance = SearchFunctionTolerance });
            evaluations += search.Evaluations;
            if (search.Theta.All(double.IsFinite) && search.Beta.All(double.IsFinite) && double.IsFinite(search.Deviance))
            {
                theta0 = search.Theta;
                beta0 = search.Beta;
                int nth = theta0.Length, n = nth + beta0.Length;
                var y = theta0.Concat(beta0).ToArray();
                // The search's θ has its signs normalised: its modes come from this evaluation (the check's first, cached).
                criterion.Evaluate(y, new double[n]);
                var modes = criterion.SaveModes();
                var searchCheck = Stages.AssessConvergence(criterion, theta0, beta0, modes, re, expensive: false);
                evaluations += n + 1;
                criterion.ActiveProbes = criterion.Probes;
                criterion.RestoreModes(modes);
                var g0 = new double[n];
                double f0 = criterion.Evaluate(y, g0);
                evaluations++;
                var finish = Finish(criterion, theta0, beta0, f0, modes, searchCheck.WithGradient(g0, theta0, beta0, re), re, control, ref evaluations);
                if (finish is { Check.Converged: true })
                {
                    check = finish.Check;
                    return Finished(finish, evaluations);
                }
                if (finish is not null)
                {
                    theta0 = finish.Theta;
                    beta0 = finish.Beta;
                }
                scale = new double[n];
                var h = searchCheck.Hessian;
                var curvature = GlmCurvature(data, beta0);
                for (int j = 0; j < n; j++)
                {
                    double hjj = h[j, j];
                    if (!(hjj > 0) || !double.IsFinite(hjj)) hjj = j < nth ? 0 : curvature[j - nth];
                    scale[j] = hjj > 0 ? 1.0 / Math.Sqrt(hjj) : 1.0;
                }
            }
            criterion.ActiveProbes = criterion.Probes;
        }
        var estimate = Stages.Stage2Gradient(criterion, theta0, beta0, GlmCurvature(data, beta0), re, control, scale);
        evaluations += estimate.Evaluations;
        estimate = estimate with { Evaluations = evaluations };
        if (!estimate.Theta.All(double.IsFinite) || !estimate.Beta.All(double.IsFinite) || !double.IsFinite(estimate.Deviance)) return estimate;
        // L-BFGS-B stops where the value and the stochastic gradient disagree (its line search can no longer lower the
        // one along the other), which can be short of the score's root: Newton steps on the score from there, with the
        // check's Hessian, which the fit needs anyway.
        {
            int n = estimate.Theta.Length + estimate.Beta.Length;
            var y = estimate.Theta.Concat(estimate.Beta).ToArray();
            double f = criterion.Evaluate(y, new double[n]);
            var modes = criterion.SaveModes();
            var last = Stages.AssessConvergence(criterion, estimate.Theta, estimate.Beta, modes, re, expensive: false);
            evaluations += n + 1;
            if (last.Converged)
            {
                // The estimate's own evaluation last (the boundary check's evaluation there is then the cached one).
                criterion.RestoreModes(modes);
                criterion.Evaluate(y, new double[n]);
                check = last;
                return estimate with { Evaluations = evaluations };
            }
            // The check holds the full criterion's gradient at the estimate: the finish starts from it as it is.
            var finish = Finish(criterion, estimate.Theta, estimate.Beta, f, modes, last, re, control, ref evaluations);
            if (finish is { Check.Converged: true })
            {
                check = finish.Check;
                return Finished(finish, evaluations);
            }
            // Not converged: the estimate stays L-BFGS-B's, with its check (the warning says by how much).
            check = last;
        }
        return estimate with { Evaluations = evaluations };
    }

    /// <summary>
    /// Newton steps on the full criterion's score from (θ, β), whose deviance is <paramref name="f0"/> and whose
    /// <paramref name="check"/> holds the full criterion's gradient there (<see cref="Stages.Polish"/>, a rise of the
    /// deviance within its Monte Carlo error tolerated when the decrement halves), until the decrement is below
    /// <see cref="FinishDecrement"/>. Converged, the estimate's own evaluation is the criterion's last (the boundary
    /// check's evaluation there is then the cached one). Null when there is no Newton step to take.
    /// </summary>
    private static PolishResult? Finish(IterativeLaplaceCriterion criterion, double[] theta, double[] beta, double f0, double[] modes,
        ConvergenceCheck check, Model.RandomEffectsStructure re, FitControl control, ref int evaluations)
    {
        if (!double.IsFinite(f0) || check.NewtonStep is null) return null;
        var finish = Stages.Polish(criterion, theta, beta, f0, modes, check, criterion.SaveModes, re,
            control with { PolishDecrement = FinishDecrement, PolishMaxSteps = FinishMaxSteps, PolishNoise = criterion.LogDeterminantStandardError });
        evaluations += finish.Evaluations;
        if (finish.Check.Converged)
        {
            criterion.RestoreModes(finish.Modes);
            criterion.Evaluate(finish.Theta.Concat(finish.Beta).ToArray(), new double[theta.Length + beta.Length]);
        }
        return finish;
    }

    private static StageResult Finished(PolishResult finish, int evaluations) =>
        new(finish.Theta, finish.Beta, finish.Deviance, true, evaluations, "Newton finish on the full criterion's score");

    /// <summary>The diagonal of 2X'WX at β (u = 0): the curvature of the deviance in β that scales the search.</summary>
    private static double[] GlmCurvature(EngineLayout data, double[] beta)
    {
        int n = data.N, p = data.P;
        var x = data.X;
        var h = new double[p];
        var family = data.Family;
        for (int i = 0; i < n; i++)
        {
            double eta = data.Offset[i];
            for (int j = 0; j < p; j++) eta += x[i * p + j] * beta[j];
            family.IrlsRow(data.Y[i], data.Weights[i], eta, out _, out double w, out _, out _);
            for (int j = 0; j < p; j++) h[j] += 2.0 * w * x[i * p + j] * x[i * p + j];
        }
        for (int j = 0; j < p; j++) if (!(h[j] > 0)) h[j] = 1.0;
        return h;
    }

    /// <summary>(X'WX)⁻¹ at the weights of the modes: the fallback covariance of β when the Hessian fails.</summary>
    private static double[,] WorkingCovariance(EngineLayout data, double[] w)
    {
        int n = data.N, p = data.P;
        var x = data.X;
        var a = new double[p * p];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < p; j++)
                for (int k = 0; k <= j; k++) a[j * p + k] += w[i] * x[i * p + j] * x[i * p + k];
        var inv = new double[p * p];
        var result = new double[p, p];
        if (!DenseCholesky.Factor(a, p)) return result;
        DenseCholesky.Inverse(a, p, inv);
        for (int j = 0; j < p; j++) for (int k = 0; k < p; k++) result[j, k] = inv[j * p + k];
        return result;
    }
}
