using System.Diagnostics;
using Glmm.Model;

namespace Glmm.Fitting;

/// <summary>
/// Maximum-likelihood fitting as lme4's glmer does it, as a chain of <see cref="Stages"/> over criteria from the
/// <see cref="CriterionFactory"/>: stage 1 optimises θ with β solved inside PIRLS (nAGQ = 0); stage 2 optimises (θ, β)
/// jointly on the Laplace deviance from stage 1's solution (with the exact gradient for canonical links, else
/// derivative-free with β in units of its stage-1 standard errors); for nAGQ &gt; 1 the quadrature stage follows.
/// Then the boundary check (a θ near its bound set to the bound when the deviance does not rise: a singular fit),
/// the convergence assessment (the gradient relative to the curvature; standard errors from the Hessian of the
/// deviance in (θ, β)), and the result.
/// </summary>
internal static class Fitter
{
    /// <summary>Fits the model; <paramref name="fitControl"/> replaces the settings the options imply (tests).</summary>
    public static GlmmFit Fit(ModelStructure original, GlmmOptions options, FitControl? fitControl = null)
    {
        var clock = Stopwatch.StartNew();
        // The fit's own family: the dispersion's working value is per fit, never set on the caller's instance.
        options = options with { Family = options.Family.ForFit() };
        // The data's checks, X in the engine's column scaling, the starting GLM, separation (FitPreconditions).
        var start = FitPreconditions.Prepare(original, options);
        FitMonitor.UseScaling(start.Scaling.Factors);
        var model = start.Model;
        var factory = CriterionFactory.Create(model, options);
        var (solver, solverReason) = SolverChoice.Choose(factory.Layout, options);
        if (solver == LinearSolver.Iterative) return IterativeFitter.Fit(original, options, start, factory, solverReason, clock);
        var data = factory.Layout;
        var re = model.Random;
        var control = fitControl ?? FitControl.From(options);
        var warnings = new List<string>();

        bool gradientStage = factory.LaplaceHasGradient && options.NAgq != 0;
        var criteria = new List<ICriterion>();
        ICriterion final;
        StageResult estimate;
        int evaluations;
        ProfiledLaplaceCriterion? stage1 = null;
        PenalizedCriterion? penalized = null;
        if (options.FixedEffectsPrior is { } prior)
        {
            // The penalized likelihood (a normal prior on β, blme's fixef.prior): stage 1 cannot carry the prior (β is
            // solved inside PIRLS there, and separated data make that β infinite), so stage 2 starts from θ = lme4's
            // start and β = 0, β scaled by the curvature of the penalized deviance at that start.
            var sd = prior.StandardDeviations(model.X.Names);
            var precision = new double[sd.Length];
            for (int j = 0; j < sd.Length; j++)
            {
                double s = sd[j] * start.Scaling.Factors[j];
                precision[j] = 1.0 / (s * s);
            }
            penalized = new PenalizedCriterion(factory.Laplace(), precision);
            criteria.Add(penalized);
            var theta0 = (double[])re.InitialTheta.Clone();
            var beta0 = new double[data.P];
            var hessian = PriorStartCurvature(model, options.Family, precision);
            estimate = gradientStage
                ? Stages.Stage2Gradient(penalized, theta0, beta0, hessian, re, control)
                : Stages.Stage2DerivativeFree(x => penalized.Evaluate(x), theta0, beta0, hessian.Select(h => Math.Sqrt(2.0 / h)).ToArray(), re, control);
            evaluations = estimate.Evaluations;
            if (!estimate.Converged) warnings.Add("penalized-likelihood optimiser did not converge");
            final = penalized;
        }
        else
        {
            // Stage 1, from the GLM without random effects (as glmer starts). It is the answer for nAGQ = 0, otherwise only
            // the start of stage 2: then, before the gradient stage, a few quadratic-model steps are start enough.
            var glm = start.RequireGlm;
            stage1 = factory.ProfiledLaplace(glm.Coefficients.ToArray());
            // Where the factor makes the cost (a dense block of crossed factors, far more multiply-adds than rows) every
            // evaluation counts: the gradient stage starts from lme4's start itself, where stage 1 would spend 2n + 1
            // evaluations on its quadratic model first.
            var s1 = gradientStage && options.NAgq == 1 && !data.Family.HasDispersion && stage1.System.FactorIsExpensive
                && stage1.System.FactorFlopsPerRow >= control.Stage1SkipFactorPerRow
                ? Stages.Stage1AtStart(stage1, re, control)
                : Stages.Stage1(stage1, re, control, startForGradient: gradientStage, lastStage: options.NAgq == 0);
            if (!s1.Converged && !gradientStage) warnings.Add($"stage 1 optimiser did not converge: {s1.Message}");
            criteria.Add(stage1);
            final = stage1;
            estimate = s1;
            evaluations = s1.Evaluations;

            if (data.Family.HasDispersion)
            {
                // Stage 2 with the dispersion: (θ, β, log φ) jointly, derivative-free, from stage 1's (θ, β) (fitted at
                // the starting GLM's φ) and that φ.
                var dispersion = factory.LaplaceWithDispersion();
                criteria.Add(dispersion);
                dispersion.RestoreModes(stage1.System.U);
                estimate = DispersionStage(dispersion, s1, stage1, re, control);
                evaluations += estimate.Evaluations;
                if (!estimate.Converged) warnings.Add("stage 2 optimiser did not converge");
                final = dispersion;
                if (factory.Rule is not null)
                {
                    // Adaptive quadrature with log φ an outer parameter, from the Laplace optimum.
                    var quadrature = factory.MarginalWithDispersion();
                    criteria.Add(quadrature);
                    estimate = Stages.QuadratureStage(quadrature, dispersion, estimate, re, control);
                    evaluations += estimate.Evaluations;
                    if (!estimate.Converged) warnings.Add("quadrature-stage optimiser did not converge");
                    final = quadrature;
                }
            }
            else if (options.NAgq >= 1)
            {
                var laplace = factory.Laplace();
                criteria.Add(laplace);
                laplace.RestoreModes(stage1.System.U);
                var stage2Control = laplace.System.FactorIsExpensive && penalized is null && factory.Rule is null
                    ? control with { GradientFunctionTolerance = control.ExpensiveGradientFunctionTolerance, SeedSecantPairs = control.ExpensiveSeedSecantPairs }
                    : control;
                estimate = gradientStage
                    ? Stages.Stage2Gradient(laplace, s1.Theta, s1.Beta, FixedEffectsCovariance.BetaHessianDiagonal(stage1.System), re, stage2Control)
                    : Stages.Stage2DerivativeFree(x => laplace.Evaluate(x), s1.Theta, s1.Beta,
                        FixedEffectsCovariance.StandardErrors(FixedEffectsCovariance.FromBorderedFactor(stage1.System)), re, control);
                evaluations += estimate.Evaluations;
                if (!estimate.Converged) warnings.Add("stage 2 optimiser did not converge");
                final = laplace;
                if (factory.Rule is not null)
                {
                    var quadrature = factory.Quadrature();
                    criteria.Add(quadrature);
                    estimate = Stages.QuadratureStage(quadrature, laplace, estimate, re, control);
                    evaluations += estimate.Evaluations;
                    if (!estimate.Converged) warnings.Add("quadrature-stage optimiser did not converge");
                    final = quadrature;
                }
            }
        }

        var boundary = Stages.BoundaryCheck(final, estimate.Theta, estimate.Beta, estimate.Deviance, re, control);
        var theta = boundary.Theta;
        // With β inside PIRLS (nAGQ = 0) β is the joint mode at the final θ.
        var beta = final.IncludesBeta ? estimate.Beta : (double[])stage1!.Beta.Clone();
        // With a dispersion parameter the last coordinate of the estimate is log φ (the family is at it after the check).
        var withDispersion = final as DispersionCriterion;
        double logDispersion = withDispersion is null ? double.NaN : beta[^1];
        var betaAndDispersion = beta;
        if (withDispersion is not null) beta = beta[..^1];
        var modes = ModeState.Capture(final.System);

        if (!double.IsFinite(boundary.Deviance) || beta.Any(b => !double.IsFinite(b)))
            throw new GlmmInputException(FitPreconditions.Diagnose(model, options.Family, final.System.Eta));

        // β's covariance from the bordered PIRLS factor at the estimates, unless the Hessian's is used (computed below).
        double[,]? covariance = null;
        var covarianceSource = CovarianceSource.Pirls;
        bool converged = true;
        double logDispersionVariance = double.NaN;
        if (final.IncludesBeta)
        {
            var check = Stages.AssessConvergence(final, theta, betaAndDispersion, modes.U, re, expensive: factory.Rule is not null);
            if (final.HasGradient && withDispersion is null && penalized is null && factory.Rule is null)
            {
                // The gradient stage's optimum polished by Newton steps with the check's Hessian (as a cluster fit's is).
                var polished = Stages.Polish(final, theta, beta, boundary.Deviance, modes.U, check, () =>
                {
                    modes = ModeState.Capture(final.System);
                    return modes.U;
                }, re, control);
                if (polished.Evaluations > 0 && !ReferenceEquals(polished.Check, check))
                {
                    theta = polished.Theta;
                    beta = polished.Beta;
                    betaAndDispersion = beta;
                    boundary = boundary with { Theta = theta, Deviance = polished.Deviance };
                    check = polished.Check;
                }
                evaluations += polished.Evaluations;
            }
            warnings.AddRange(check.Warnings);
            converged = check.Converged;
            var betaCovariance = check.BetaCovariance;
            if (withDispersion is not null && betaCovariance is not null)
            {
                // The (β, log φ) block of 2H⁻¹: β's covariance, and log φ's variance for sigma's standard error.
                int p = beta.Length;
                logDispersionVariance = betaCovariance[p, p];
                var b = new double[p, p];
                for (int i = 0; i < p; i++) for (int j = 0; j < p; j++) b[i, j] = betaCovariance[i, j];
                betaCovariance = b;
            }
            if (options.UseHessian && betaCovariance is not null)
            {
                covariance = betaCovariance;
                covarianceSource = CovarianceSource.Hessian;
            }
        }
        if (withDispersion is not null)
        {
            // The derivatives moved the working dispersion: back to the estimate.
            withDispersion.SetLogDispersion(logDispersion);
            withDispersion.RestoreModes(modes.U);
        }
        covariance ??= FixedEffectsCovariance.AtEstimates(data, theta, beta, modes.U);

        return FitAssembler.Assemble(new FitState
        {
            Layout = data,
            OriginalModel = original,
            Scaling = start.Scaling,
            Options = options,
            Method = options.NAgq switch { 0 => FitMethod.PirlsOnly, 1 => FitMethod.Laplace, _ => FitMethod.AdaptiveQuadrature },
            Rule = factory.Rule,
            Theta = theta,
            Beta = beta,
            LogDispersion = logDispersion,
            LogDispersionVariance = logDispersionVariance,
            Covariance = covariance,
            CovarianceSource = covarianceSource,
            // With a prior the criterion is the penalized deviance; the likelihood reported is the unpenalized one.
            Deviance = penalized is null ? boundary.Deviance : boundary.Deviance - penalized.Penalty(beta),
            PenalizedDeviance = penalized is null ? double.NaN : boundary.Deviance,
            Modes = modes,
            Converged = converged && warnings.Count == 0,
            Singular = boundary.Singular,
            Warnings = start.Warnings.Concat(warnings).ToList(),
            Evaluations = evaluations,
            Sweeps = criteria.Sum(c => c.Sweeps),
            Seconds = clock.Elapsed.TotalSeconds,
            SolverReason = solverReason,
        });
    }

    /// <summary>
    /// Stage 2 of a family with a dispersion parameter over (θ, β, log φ) from stage 1's (θ, β) and the starting GLM's φ:
    /// L-BFGS-B with the exact gradient when the criterion has it, else BOBYQA with β in units of its stage-1 standard
    /// errors and log φ in units of 1/√(half its curvature) there.
    /// </summary>
    private static StageResult DispersionStage(DispersionCriterion criterion, StageResult s1, ProfiledLaplaceCriterion stage1,
        RandomEffectsStructure re, FitControl control)
    {
        var family = criterion.System.Layout.Family;
        double ld0 = Math.Log(family.Dispersion);
        var se = FixedEffectsCovariance.StandardErrors(FixedEffectsCovariance.FromBorderedFactor(stage1.System));
        var x0 = s1.Theta.Concat(s1.Beta).Append(ld0).ToArray();
        var modes = criterion.SaveModes();
        const double h = 0.05;
        double f0 = criterion.Evaluate(x0);
        x0[^1] = ld0 + h;
        criterion.RestoreModes(modes);
        double fp = criterion.Evaluate(x0);
        x0[^1] = ld0 - h;
        criterion.RestoreModes(modes);
        double fm = criterion.Evaluate(x0);
        criterion.RestoreModes(modes);
        double curvature = (fp - 2 * f0 + fm) / (h * h);
        double scale = double.IsFinite(curvature) && curvature > 0 ? Math.Sqrt(2.0 / curvature) : 0.1;
        if (criterion.HasGradient)
        {
            // L-BFGS-B with the exact gradient: β's curvature from stage 1's factor, log φ's from the differences above.
            var diagonal = FixedEffectsCovariance.BetaHessianDiagonal(stage1.System)
                .Append(double.IsFinite(curvature) && curvature > 0 ? curvature : 2.0 / (scale * scale)).ToArray();
            var g = Stages.Stage2Gradient(criterion, s1.Theta, s1.Beta.Append(ld0).ToArray(), diagonal, re, control);
            return g with { Evaluations = g.Evaluations + 3 };
        }
        var result = Stages.Stage2DerivativeFree(x => criterion.Evaluate(x), s1.Theta, s1.Beta.Append(ld0).ToArray(),
            se.Append(scale).ToArray(), re, control);
        return result with { Evaluations = result.Evaluations + 3 };
    }

    /// <summary>2 Σ wᵢxᵢⱼ² + 2λⱼ at β = 0 (u = 0): the diagonal curvature of the penalized deviance at the prior path's start.</summary>
    private static double[] PriorStartCurvature(ModelStructure model, Families.Family family, double[] precision)
    {
        int n = model.N, p = precision.Length;
        var eta = model.Offset;
        var mu = new double[n];
        var muEta = new double[n];
        var w = new double[n];
        family.UpdateMu(eta, mu, muEta);
        family.WorkingWeights(mu, muEta, model.Weights, w);
        var h = new double[p];
        for (int j = 0; j < p; j++)
        {
            var col = model.X.Column(j);
            double s = 0;
            for (int i = 0; i < n; i++) s += w[i] * col[i] * col[i];
            h[j] = 2.0 * s + 2.0 * precision[j];
        }
        return h;
    }
}
