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
    public static GlmmFit Fit(ModelStructure original, GlmmOptions options)
    {
        var clock = Stopwatch.StartNew();
        // The data's checks, X in the engine's column scaling, the starting GLM, separation (FitPreconditions).
        var start = FitPreconditions.Prepare(original, options);
        var model = start.Model;
        var factory = CriterionFactory.Create(model, options);
        var data = factory.Layout;
        var re = model.Random;
        var control = FitControl.From(options);
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
            var s1 = Stages.Stage1(stage1, re, control, startForGradient: gradientStage, lastStage: options.NAgq == 0);
            if (!s1.Converged && !gradientStage) warnings.Add($"stage 1 optimiser did not converge: {s1.Message}");
            criteria.Add(stage1);
            final = stage1;
            estimate = s1;
            evaluations = s1.Evaluations;

            if (options.NAgq >= 1)
            {
                var laplace = factory.Laplace();
                criteria.Add(laplace);
                laplace.RestoreModes(stage1.System.U);
                estimate = gradientStage
                    ? Stages.Stage2Gradient(laplace, s1.Theta, s1.Beta, FixedEffectsCovariance.BetaHessianDiagonal(stage1.System), re, control)
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
        var modes = ModeState.Capture(final.System);

        if (!double.IsFinite(boundary.Deviance) || beta.Any(b => !double.IsFinite(b)))
            throw new GlmmInputException(FitPreconditions.Diagnose(model, options.Family, final.System.Eta));

        var covariance = FixedEffectsCovariance.AtEstimates(data, theta, beta, modes.U);
        var covarianceSource = CovarianceSource.Pirls;
        bool converged = true;
        if (final.IncludesBeta)
        {
            var check = Stages.AssessConvergence(final, theta, beta, modes.U, re, expensive: factory.Rule is not null);
            warnings.AddRange(check.Warnings);
            converged = check.Converged;
            if (options.UseHessian && check.BetaCovariance is not null)
            {
                covariance = check.BetaCovariance;
                covarianceSource = CovarianceSource.Hessian;
            }
        }

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
        });
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
