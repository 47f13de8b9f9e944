using System.Diagnostics;
using Glmm.Families;
using Glmm.Inference;
using Glmm.LinearAlgebra;
using Glmm.Model;
using Glmm.Optimization;
using Glmm.Quadrature;
using Glmm.Results;

namespace Glmm.Fitting;

/// <summary>
/// Maximum-likelihood fitting as lme4's glmer does it: stage 1 optimises θ with β solved inside PIRLS
/// (nAGQ = 0); stage 2 optimises (θ, β) jointly on the Laplace deviance from stage 1's solution (β
/// rescaled by its stage-1 standard errors so the trust region is round). Then: θ near its bound is set
/// to the bound when the deviance does not rise (singular fit); standard errors from a finite-difference
/// Hessian of the deviance in (θ, β); convergence judged from the gradient relative to the curvature.
/// </summary>
internal static class Fitter
{
    public static GlmmFit Fit(ModelStructure model, Family family, GlmmOptions options)
    {
        var clock = Stopwatch.StartNew();
        family.ValidateResponse(model.Y, model.Weights);
        var data = new ModelData(model, family);
        var re = model.Random;
        int nth = re.ThetaLength, p = data.P, threads = options.Threads;
        var warnings = new List<string>();
        QuadratureRule? rule = options.NAgq > 1 ? Rule(data, options) : null;

        // Starting β from the GLM without random effects (as glmer starts).
        var glm = GlmIrls.Fit(family, model.X, model.Y, model.Weights, model.Offset);
        var stage1 = new LaplaceObjective(data, betaInside: true, threads, options.ObservedInformation);
        stage1.Pirls.SetBeta(glm.Coefficients.ToArray());

        var bobyqa = new Bobyqa();
        var upperTheta = Enumerable.Repeat(double.PositiveInfinity, nth).ToArray();
        // Stage 1 is only the start of stage 2 unless nAGQ = 0, so it need not be tight; when the gradient-based
        // stage 2 follows, a few quadratic-model steps (2nθ + 4 evaluations) are start enough.
        bool gradientStage = family.IsCanonical && options.UseGradient && options.NAgq != 0;
        // A start needs no deviance exact to the last bit: stop PIRLS at a relative Newton decrement of 1e-16
        // (modes to about 1e-6) while stage 1 searches, which saves a sweep in most solves.
        if (gradientStage) stage1.Pirls.Tolerance = 1e-16;
        var opt1 = bobyqa.Minimize(x => stage1.Evaluate(x), (double[])re.InitialTheta.Clone(), re.LowerBounds, upperTheta,
            new OptimizerOptions
            {
                InitialTrustRadius = 0.2,
                FinalTrustRadius = options.NAgq == 0 ? options.Tolerance : Math.Max(options.Tolerance, gradientStage ? 5e-2 : 1e-4),
                MaxEvaluations = gradientStage ? 2 * nth + 4 : options.MaxEvaluations,
            });
        var theta = opt1.X;
        stage1.Pirls.Tolerance = 1e-30;
        double deviance = stage1.Evaluate(theta);
        if (!double.IsFinite(deviance)) throw new GlmmInputException("the model could not be fitted: PIRLS failed at the stage-1 optimum (check the response and the family)");
        var beta = (double[])stage1.Pirls.Beta.Clone();
        int evaluations = stage1.Evaluations;
        if (!opt1.Converged && !gradientStage) warnings.Add($"stage 1 optimiser did not converge: {opt1.Message}");

        // The criterion of the final stage as a function of (θ, β), and the PIRLS holding its modes.
        Func<double[], double>? criterion = null;
        Func<double[], double[], double>? valueAndGradient = null;
        Pirls finalPirls = stage1.Pirls;
        var solvers = new List<Pirls> { stage1.Pirls };
        if (options.NAgq >= 1)
        {
            var stage2 = new LaplaceObjective(data, betaInside: false, threads, options.ObservedInformation);
            solvers.Add(stage2.Pirls);
            stage2.Pirls.SetModes(stage1.Pirls.V);
            bool ok2;
            int ev2;
            if (family.IsCanonical && options.UseGradient)
            {
                // Exact gradient of the Laplace deviance: quasi-Newton in a few dozen evaluations.
                var gradient = new LaplaceGradient(data, stage2.Pirls, threads);
                // Each PIRLS starts from the modes predicted by the derivatives of the last ones (when available).
                double[]? xLast = null;
                var vLast = new double[data.TotalRandom];
                var dx = new double[nth + p];
                valueAndGradient = (x, g) =>
                {
                    if (xLast is not null && gradient.HasModeJacobian)
                    {
                        for (int j = 0; j < dx.Length; j++) dx[j] = x[j] - xLast[j];
                        gradient.PredictModes(vLast, dx, stage2.Pirls.V);
                    }
                    double f = stage2.Evaluate(x);
                    if (double.IsFinite(f))
                    {
                        gradient.Compute(g);
                        xLast = (double[])x.Clone();
                        stage2.Pirls.V.CopyTo(vLast, 0);
                    }
                    return f;
                };
                (theta, beta, deviance, ok2) = JointWithGradient(valueAndGradient, theta, beta, BetaHessianDiagonal(stage1.Pirls, data), re, options, out ev2);
            }
            else
                (theta, beta, deviance, ok2) = Joint(x => stage2.Evaluate(x), theta, beta, BetaStandardErrors(stage1.Pirls, data), re, options, bobyqa, out ev2);
            evaluations += ev2;
            if (!ok2) warnings.Add("stage 2 optimiser did not converge");
            criterion = x => stage2.Evaluate(x);
            finalPirls = stage2.Pirls;
            if (rule is not null)
            {
                var agq = new QuadratureObjective(data, rule, threads, options.ObservedInformation);
                solvers.Add(agq.Pirls);
                agq.Pirls.SetModes(stage2.Pirls.V);
                // The quadrature deviance is the Laplace one plus a small smooth correction: Newton steps with the
                // Laplace Hessian converge in a few iterations, each needing only a difference gradient.
                var xL = theta.Concat(beta).ToArray();
                double[,] hL = valueAndGradient is not null
                    ? ConvergenceCheck.GradientAndHessian(valueAndGradient, xL, forward: true).Hessian
                    : FiniteDifferences.GradientAndHessian(x => stage2.Evaluate(x), xL).Hessian;
                (theta, beta, deviance, var ok3, int ev3) = QuadratureNewton(x => agq.Evaluate(x), theta, beta, hL, re);
                evaluations += ev3;
                if (!ok3)
                {
                    // Fall back to the derivative-free search from where Newton stopped.
                    var seLaplace = PirlsStandardErrors(data, theta, beta, stage2.Pirls.V);
                    (theta, beta, deviance, ok3) = Joint(x => agq.Evaluate(x), theta, beta, seLaplace, re, options, bobyqa, out int ev4);
                    evaluations += ev4;
                    if (!ok3) warnings.Add("quadrature-stage optimiser did not converge");
                }
                criterion = x => agq.Evaluate(x);
                valueAndGradient = null;
                finalPirls = agq.Pirls;
            }
        }

        // Singular fits: a diagonal θ close to 0 is set to 0 when the deviance does not rise.
        Func<double[], double[], double> evaluate = (th, b) =>
        {
            if (criterion is null) return stage1.Evaluate(th);
            var x = new double[nth + p];
            th.CopyTo(x, 0);
            b.CopyTo(x, nth);
            return criterion(x);
        };
        bool singular = false;
        for (int j = 0; j < nth; j++)
        {
            if (!re.IsDiagonal(j) || theta[j] == 0.0 || theta[j] >= 1e-4) continue;
            var trial = (double[])theta.Clone();
            trial[j] = 0.0;
            double dt = evaluate(trial, beta);
            if (dt <= deviance + 1e-9 * Math.Max(1.0, Math.Abs(deviance)))
            {
                theta = trial;
                deviance = dt;
            }
        }
        for (int j = 0; j < nth; j++) if (re.IsDiagonal(j) && theta[j] < 1e-4) singular = true;
        deviance = evaluate(theta, beta);
        if (criterion is null) beta = (double[])finalPirls.Beta.Clone();

        // Keep the mode state of the optimum before derivative evaluations move it.
        var v = (double[])finalPirls.V.Clone();
        var eta = (double[])finalPirls.Eta.Clone();
        var mu = (double[])finalPirls.Mu.Clone();
        var condVar = ConditionalVariances(finalPirls, data);

        // Standard errors and convergence diagnostics from the Hessian of the deviance in (θ, β).
        var covariance = PirlsCovariance(data, theta, beta, v);
        string covSource = "pirls";
        bool converged = true;
        if (criterion is not null)
        {
            Func<double[], double> atMode = x =>
            {
                finalPirls.SetModes(v);
                return criterion(x);
            };
            var check = valueAndGradient is null
                ? rule is not null ? ConvergenceCheck.RunEconomical(atMode, theta, beta, re) : ConvergenceCheck.Run(atMode, theta, beta, re)
                : ConvergenceCheck.Run((x, g) =>
                {
                    finalPirls.SetModes(v);
                    return valueAndGradient(x, g);
                }, theta, beta, re);
            warnings.AddRange(check.Warnings);
            converged = check.Converged;
            if (options.UseHessian && check.BetaCovariance is not null)
            {
                covariance = check.BetaCovariance;
                covSource = "hessian";
            }
        }

        string method = options.NAgq switch { 0 => "nAGQ=0", 1 => "Laplace", _ => "AGQ" };
        return Results(model, family, options, data, method, rule, theta, beta, covariance, covSource, deviance, v, eta, mu, condVar,
            converged && warnings.Count == 0, singular, warnings, evaluations, clock.Elapsed.TotalSeconds, sweeps: solvers.Sum(s => s.Sweeps));
    }

    /// <summary>The quadrature rule nAGQ &gt; 1 asks for; a clear error when the model or the grid does not allow it.</summary>
    internal static QuadratureRule Rule(ModelData data, GlmmOptions options)
    {
        var re = data.Random;
        if (data.DenseRandom != 0)
            throw new GlmmInputException($"nAGQ = {options.NAgq} needs all random-effect terms to share one grouping factor, but this model's terms use crossed or nested factors ({string.Join(", ", re.Terms.Select(t => t.GroupName).Distinct())}); adaptive quadrature integrates each cluster separately, which crossed factors do not allow. Use --nagq 1 (Laplace)");
        try
        {
            return options.Grid switch
            {
                "product" => ProductGrid.Create(data.QBlock, options.NAgq),
                "sparse" => SparseGrid.Create(data.QBlock, options.NAgq, SparseGridBase.GenzKeister),
                _ => throw new GlmmInputException($"unknown grid '{options.Grid}': use product or sparse"),
            };
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new GlmmInputException($"nAGQ = {options.NAgq} with {data.QBlock} random effects per cluster: {e.Message.Split(" (Parameter")[0]}");
        }
    }

    /// <summary>
    /// Minimises a deviance over (θ, β) from (θ0, β0) with BOBYQA, β measured in units of <paramref name="scale"/>
    /// (its standard errors) so that one trust region suits every coordinate.
    /// </summary>
    internal static (double[] Theta, double[] Beta, double Deviance, bool Converged) Joint(Func<double[], double> f,
        double[] theta0, double[] beta0, double[] scale, Model.RandomEffectsStructure re, GlmmOptions options, Bobyqa bobyqa, out int evaluations)
    {
        int nth = theta0.Length, p = beta0.Length;
        var x = new double[nth + p];
        Func<double[], double> scaled = z =>
        {
            for (int j = 0; j < nth; j++) x[j] = z[j];
            for (int j = 0; j < p; j++) x[nth + j] = beta0[j] + scale[j] * z[nth + j];
            return f(x);
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
        var opt = bobyqa.Minimize(scaled, start, lower, upper,
            new OptimizerOptions { InitialTrustRadius = 0.1, FinalTrustRadius = options.Tolerance, MaxEvaluations = options.MaxEvaluations });
        evaluations = opt.Evaluations;
        var theta = opt.X[..nth];
        var beta = new double[p];
        for (int j = 0; j < p; j++) beta[j] = beta0[j] + scale[j] * opt.X[nth + j];
        return (theta, beta, opt.Value, opt.Converged);
    }

    /// <summary>
    /// Minimises the Laplace deviance over (θ, β) from stage 1's solution with L-BFGS-B and the exact gradient,
    /// each coordinate scaled by 1/√(its diagonal Hessian entry) (a forward difference of the gradient), without
    /// bounds: the deviance is unchanged when a column of a factor T changes sign, and for a scalar term its
    /// gradient vanishes at θ = 0, so a bound at 0 would stall the search; signs are normalised afterwards.
    /// </summary>
    private static (double[] Theta, double[] Beta, double Deviance, bool Converged) JointWithGradient(
        Func<double[], double[], double> valueAndGradient, double[] theta0, double[] beta0, double[] betaHessianDiagonal,
        Model.RandomEffectsStructure re, GlmmOptions options, out int evaluations)
    {
        int nth = theta0.Length, p = beta0.Length, n = nth + p;
        var y0 = theta0.Concat(beta0).ToArray();
        // The deviance is even in each column of a factor T, so at a diagonal θ of exactly 0 its gradient in that
        // direction vanishes and a gradient method could never leave the boundary that stage 1 may have stopped
        // on: start such entries a little inside (if 0 is right, the search returns there and the singular-fit
        // check below sets it back to 0).
        for (int j = 0; j < nth; j++)
            if (re.IsDiagonal(j) && Math.Abs(y0[j]) < 1e-3) y0[j] = 0.1;
        var g0 = new double[n];
        var gh = new double[n];
        double f0 = valueAndGradient((double[])y0.Clone(), g0);
        var scale = new double[n];
        // β's curvature is known from stage 1's factor (twice the Schur complement of the PIRLS system); θ's is
        // taken by forward differences of the gradient.
        for (int j = 0; j < n; j++)
        {
            double hjj;
            if (j < nth)
            {
                const double h = 1e-4;
                var yh = (double[])y0.Clone();
                yh[j] += h;
                double f = valueAndGradient(yh, gh);
                hjj = double.IsFinite(f) ? (gh[j] - g0[j]) / h : double.NaN;
            }
            else hjj = betaHessianDiagonal[j - nth];
            scale[j] = hjj > 0 && double.IsFinite(hjj) ? 1.0 / Math.Sqrt(hjj) : 1.0;
        }
        evaluations = nth + 1;
        var x = new double[n];
        var gx = new double[n];
        bool first = true;
        int reused = 0;
        var result = new LbfgsB().Minimize((z, g) =>
        {
            double f;
            if (first && z.All(zj => zj == 0.0))
            {
                // The start, evaluated above (the mode state has moved since, but the next solve warm-starts anyway).
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
            new LbfgsBOptions { ProjectedGradientTolerance = 1e-9, FunctionTolerance = 1e-13, MaxEvaluations = options.MaxEvaluations });
        evaluations += result.Evaluations - reused;
        var theta = new double[nth];
        var beta = new double[p];
        for (int j = 0; j < nth; j++) theta[j] = y0[j] + scale[j] * result.X[j];
        for (int j = 0; j < p; j++) beta[j] = y0[nth + j] + scale[nth + j] * result.X[nth + j];
        LaplaceGradient.NormalizeThetaSigns(re, theta);
        return (theta, beta, result.Value, result.Converged);
    }

    /// <summary>
    /// Newton iterations x ← x − H⁻¹g on a deviance f with a fixed positive-definite H (the Laplace Hessian at the
    /// Laplace optimum) and forward-difference gradients, with backtracking; θ unbounded (column signs are
    /// normalised at the end). Stops when the Newton decrement ½g'H⁻¹g falls below 1e-4.
    /// </summary>
    private static (double[] Theta, double[] Beta, double Deviance, bool Converged, int Evaluations) QuadratureNewton(
        Func<double[], double> f, double[] theta0, double[] beta0, double[,] h, Model.RandomEffectsStructure re)
    {
        int nth = theta0.Length, n = nth + beta0.Length;
        var l = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) l[i * n + j] = h[i, j];
        var x = theta0.Concat(beta0).ToArray();
        int evaluations = 0;
        double Eval(double[] y) { evaluations++; return f((double[])y.Clone()); }
        double fx = Eval(x);
        if (!DenseCholesky.Factor(l, n) || !double.IsFinite(fx)) return (theta0, beta0, fx, false, evaluations);
        bool converged = false;
        // Steps of 1e-3 standard errors (from the diagonal of H): the forward-difference bias then costs about
        // 5e-7 in the Newton decrement per coordinate, whatever the scale of the parameter.
        var step0 = new double[n];
        for (int j = 0; j < n; j++) step0[j] = h[j, j] > 0 ? 1e-3 * Math.Sqrt(2.0 / h[j, j]) : 1e-4;
        for (int iteration = 0; iteration < 20 && !converged; iteration++)
        {
            // Forward differences (n evaluations): their O(δ) bias moves the optimum by about δ/2 in each
            // coordinate, far below the estimates' precision; the check afterwards uses central differences.
            var g = new double[n];
            for (int j = 0; j < n; j++)
            {
                var xp = (double[])x.Clone();
                xp[j] += step0[j];
                g[j] = (Eval(xp) - fx) / step0[j];
            }
            var step = (double[])g.Clone();
            DenseCholesky.SolveLower(l, n, step);
            DenseCholesky.SolveUpper(l, n, step);
            double decrement = 0.5 * DenseCholesky.Dot(g, step);
            if (!double.IsFinite(decrement)) break;
            if (decrement < 1e-4) { converged = true; break; }
            double t = 1.0;
            bool moved = false;
            for (int k = 0; k < 20; k++, t *= 0.5)
            {
                var trial = new double[n];
                for (int j = 0; j < n; j++) trial[j] = x[j] - t * step[j];
                double ft = Eval(trial);
                if (double.IsFinite(ft) && ft <= fx - 1e-4 * t * decrement)
                {
                    x = trial;
                    fx = ft;
                    moved = true;
                    break;
                }
            }
            if (!moved) { converged = decrement < 1e-5; break; }
        }
        var theta = x[..nth];
        LaplaceGradient.NormalizeThetaSigns(re, theta);
        return (theta, x[nth..], fx, converged, evaluations);
    }

    private static double[] PirlsStandardErrors(ModelData data, double[] theta, double[] beta, double[] v)
    {
        var cov = PirlsCovariance(data, theta, beta, v);
        var s = new double[data.P];
        for (int j = 0; j < data.P; j++) s[j] = cov[j, j] > 0 && double.IsFinite(cov[j, j]) ? Math.Sqrt(cov[j, j]) : 1.0;
        return s;
    }

    /// <summary>SEs of β from the bordered PIRLS factor (stage 1): sqrt diag((R_X'R_X)⁻¹).</summary>
    private static double[] BetaStandardErrors(Pirls pirls, ModelData data)
    {
        var cov = FixedBlockCovariance(pirls.Factor, data);
        var s = new double[data.P];
        for (int j = 0; j < data.P; j++)
        {
            double c = cov[j, j];
            s[j] = c > 0 && double.IsFinite(c) ? Math.Sqrt(c) : 1.0;
        }
        return s;
    }

    /// <summary>(R_X'R_X)⁻¹ from the β block at the end of a bordered factor's dense part.</summary>
    /// <summary>
    /// The diagonal of the deviance's Hessian in β at a PIRLS solution with β inside: 2S, S the Schur complement of the
    /// fixed effects in the system (the β rows of the dense factor: S = L_ββ L_ββ').
    /// </summary>
    private static double[] BetaHessianDiagonal(Pirls pirls, ModelData data)
    {
        var factor = pirls.Factor;
        int p = data.P, m = factor.DenseSize, off = m - p;
        var dense = factor.Dense;
        var h = new double[p];
        for (int j = 0; j < p; j++)
        {
            double s = 0;
            for (int k = off; k <= off + j; k++) s += dense[(off + j) * m + k] * dense[(off + j) * m + k];
            h[j] = 2.0 * s;
        }
        return h;
    }

    internal static double[,] FixedBlockCovariance(BlockedCholesky factor, ModelData data)
    {
        int p = data.P, m = factor.DenseSize, off = m - p;
        var dense = factor.Dense;
        var rx = new double[p * p];
        for (int i = 0; i < p; i++)
            for (int j = 0; j <= i; j++) rx[i * p + j] = dense[(off + i) * m + off + j];
        var inv = new double[p * p];
        DenseCholesky.Inverse(rx, p, inv);
        var cov = new double[p, p];
        for (int i = 0; i < p; i++) for (int j = 0; j < p; j++) cov[i, j] = inv[i * p + j];
        return cov;
    }

    /// <summary>Covariance of β̂ conditional on θ, from the bordered PIRLS system at the optimum.</summary>
    internal static double[,] PirlsCovariance(ModelData data, double[] theta, double[] beta, double[] v)
    {
        var pirls = new Pirls(data, withFixed: true);
        pirls.SetBeta(beta);
        pirls.SetModes(v);
        pirls.Solve(theta);
        return FixedBlockCovariance(pirls.Factor, data);
    }

    /// <summary>
    /// Conditional covariances of v at the mode, (LL')⁻¹ restricted to each term and level: for structure
    /// term s, a levels × q × q array (row-major blocks).
    /// </summary>
    internal static double[][] ConditionalVariances(Pirls pirls, ModelData data)
    {
        // The diagonal blocks of H⁻¹ are entries of its selected inverse: no solve per random effect.
        var inv = new SelectedInversion(pirls.Factor);
        inv.Compute();
        var result = new double[data.K][];
        int qb = data.QBlock, m = pirls.Factor.DenseSize;
        for (int k = 0; k < data.K; k++)
        {
            int q = data.Q[k], levels = data.Levels[k];
            var blocks = new double[levels * q * q];
            for (int l = 0; l < levels; l++)
                for (int a = 0; a < q; a++)
                    for (int b = 0; b < q; b++)
                        blocks[l * q * q + b * q + a] = k < data.BlockTerms
                            ? inv.DiagonalBlock(l)[(data.TermOffsetInBlock[k] + b) * qb + data.TermOffsetInBlock[k] + a]
                            : inv.Dense[(data.DenseOffset[k] + l * q + b) * m + data.DenseOffset[k] + l * q + a];
            result[data.TermIndex[k]] = blocks;
        }
        return result;
    }

    internal static GlmmFit Results(ModelStructure model, Family family, GlmmOptions options, ModelData data, string method, QuadratureRule? rule,
        double[] theta, double[] beta, double[,] covariance, string covSource, double deviance, double[] v,
        double[] eta, double[] mu, double[][] condVar, bool converged, bool singular, List<string> warnings,
        int evaluations, double seconds, string? reml = null, double restrictedLogLik = double.NaN, int sweeps = 0)
    {
        var re = model.Random;
        int p = data.P;
        var fixedEffects = new FixedEffectEstimate[p];
        for (int j = 0; j < p; j++)
        {
            double se = Math.Sqrt(covariance[j, j]);
            double z = beta[j] / se;
            fixedEffects[j] = new FixedEffectEstimate(model.X.Names[j], beta[j], se, z, 2.0 * Distributions.NormalUpperTail(Math.Abs(z)));
        }

        var components = new List<RandomEffectsComponent>();
        var modes = new List<RandomEffectPrediction>();
        var engineIndex = new int[re.Terms.Count];
        for (int k = 0; k < data.K; k++) engineIndex[data.TermIndex[k]] = k;
        for (int s = 0; s < re.Terms.Count; s++)
        {
            var term = re.Terms[s];
            int q = term.Q, k = engineIndex[s];
            var cov = re.Covariance(theta, s);
            var sd = new double[q];
            var corr = new double[q, q];
            for (int i = 0; i < q; i++) sd[i] = Math.Sqrt(cov[i * q + i]);
            for (int i = 0; i < q; i++)
                for (int j = 0; j < q; j++)
                    corr[i, j] = i == j ? 1.0 : cov[i * q + j] / (sd[i] * sd[j]);
            components.Add(new RandomEffectsComponent(term.GroupName, term.TermNames, sd, corr, term.LevelCount));

            var t = new double[q * q];
            re.FillFactor(theta, s, t);
            var blocks = condVar[s];
            for (int l = 0; l < term.LevelCount; l++)
            {
                // b = T v; Var(b) = T Var(v) T'.
                int w = l * q * q;
                for (int i = 0; i < q; i++)
                {
                    double b = 0;
                    for (int r = 0; r <= i; r++) b += t[i * q + r] * v[data.VIndex(k, l, r)];
                    double var = 0;
                    for (int r = 0; r <= i; r++)
                        for (int u = 0; u <= i; u++) var += t[i * q + r] * blocks[w + r * q + u] * t[i * q + u];
                    modes.Add(new RandomEffectPrediction(term.GroupName, term.Levels[l], term.TermNames[i], b, Math.Sqrt(Math.Max(var, 0))));
                }
            }
        }

        // Pearson residuals.
        var pearson = new double[data.N];
        for (int i = 0; i < data.N; i++)
            pearson[i] = (data.Y[i] - mu[i]) * Math.Sqrt(data.Weights[i] / family.Variance(mu[i]));
        Array.Sort(pearson);

        return new GlmmFit
        {
            Method = method,
            NAgq = options.NAgq,
            Grid = rule is null ? null : options.Grid,
            NodesPerCluster = rule?.Count ?? 1,
            Family = family.Name,
            Link = family.Link.Name,
            Formula = model.Formula,
            DataName = options.DataName,
            Nobs = model.N,
            DroppedRows = model.DroppedRows,
            DroppedReason = model.DroppedReason,
            LogLik = -0.5 * deviance,
            ParameterCount = p + theta.Length,
            FixedEffects = fixedEffects,
            FixedEffectsCovariance = covariance,
            CovarianceSource = covSource,
            RandomEffects = components,
            Theta = theta,
            ConditionalModes = modes,
            ScaledResidualQuantiles = Quantiles(pearson),
            Converged = converged,
            Singular = singular,
            Warnings = warnings,
            Evaluations = evaluations,
            Sweeps = sweeps,
            Seconds = seconds,
            Reml = reml,
            RestrictedLogLik = restrictedLogLik,
            Model = model,
            FamilyObject = family,
            Options = options,
            Beta = beta,
            RandomEffectModes = ModesByTerm(data, theta, v),
            LinearPredictor = ToModelOrder(data, eta),
            Fitted = ToModelOrder(data, mu),
        };
    }

    /// <summary>b = T v per structure term, level-major (level l, effect j at l*q + j).</summary>
    private static double[][] ModesByTerm(ModelData data, double[] theta, double[] v)
    {
        var re = data.Random;
        var result = new double[data.K][];
        for (int k = 0; k < data.K; k++)
        {
            int s = data.TermIndex[k], q = data.Q[k];
            var t = new double[q * q];
            re.FillFactor(theta, s, t);
            var b = new double[data.Levels[k] * q];
            for (int l = 0; l < data.Levels[k]; l++)
                for (int i = 0; i < q; i++)
                {
                    double sum = 0;
                    for (int r = 0; r <= i; r++) sum += t[i * q + r] * v[data.VIndex(k, l, r)];
                    b[l * q + i] = sum;
                }
            result[s] = b;
        }
        return result;
    }

    /// <summary>Engine-order values back in the model's row order.</summary>
    private static double[] ToModelOrder(ModelData data, double[] engine)
    {
        var r = new double[data.N];
        for (int i = 0; i < data.N; i++) r[data.Order[i]] = engine[i];
        return r;
    }

    /// <summary>R's default (type 7) quantiles at 0, .25, .5, .75, 1 of sorted values.</summary>
    private static double[] Quantiles(double[] sorted)
    {
        var probs = new[] { 0.0, 0.25, 0.5, 0.75, 1.0 };
        var q = new double[5];
        int n = sorted.Length;
        for (int i = 0; i < 5; i++)
        {
            double h = (n - 1) * probs[i];
            int lo = (int)Math.Floor(h);
            int hi = Math.Min(lo + 1, n - 1);
            q[i] = sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
        }
        return q;
    }
}
