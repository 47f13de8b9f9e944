using System.Diagnostics;
using Glmm.Families;
using Glmm.Model;
using Glmm.Optimization;

namespace Glmm.Fitting;

/// <summary>
/// Restricted maximum likelihood for GLMMs (Maestrini, Hui &amp; Welsh 2024), three variants, each a criterion in θ
/// (<see cref="RemlLaplaceCriterion"/>, <see cref="RemlProfileCriterion"/>, <see cref="RemlPqlCriterion"/>) minimised
/// by BOBYQA; PQL iterates its working linear mixed model. The reported logLik is the (Laplace or AGQ) marginal
/// log-likelihood at the REML estimates; the restricted criterion is reported separately.
/// </summary>
internal static class RemlFitter
{
    public static GlmmFit Fit(ModelStructure original, GlmmOptions options)
    {
        var clock = Stopwatch.StartNew();
        var variant = options.Reml ?? throw new ArgumentException("not a REML fit", nameof(options));
        // The fit's own family: the dispersion's working value is per fit, never set on the caller's instance.
        options = options with { Family = options.Family.ForFit() };
        var start = FitPreconditions.Prepare(original, options);
        FitMonitor.UseScaling(start.Scaling.Factors);
        var model = start.Model;
        var factory = CriterionFactory.Create(model, options);
        var data = factory.Layout;
        var re = model.Random;
        var control = FitControl.From(options);
        var glmBeta = start.RequireGlm.Coefficients.ToArray();
        var warnings = new List<string>();

        // The marginal deviance −2ℓ(θ, β) at the estimates: Laplace, or AGQ when asked (for 'profile', the one inside
        // its criterion, warm from its last evaluations).
        ICriterion marginal;
        double[] theta, beta;
        double[,] covariance;
        double criterion;
        int evaluations, sweeps;
        double logDispersion = double.NaN, logDispersionVariance = double.NaN;
        switch (variant)
        {
            case RemlVariant.Laplace when data.Family.HasDispersion:
            {
                // (θ, log φ) outer, β integrated out (glmmTMB's REML = TRUE); the marginal deviance carries log φ too.
                var r = DispersionReml.Fit(factory, glmBeta, control, warnings);
                (theta, beta, covariance, criterion, evaluations, sweeps) = (r.Theta, r.Beta, r.Covariance, r.Criterion, r.Evaluations, r.Sweeps);
                (logDispersion, logDispersionVariance) = (r.LogDispersion, r.LogDispersionVariance);
                marginal = factory.LaplaceWithDispersion();
                break;
            }
            case RemlVariant.Laplace:
            {
                var reml = factory.RemlLaplace(glmBeta);
                theta = Minimize(reml, re, control, warnings);
                criterion = reml.Evaluate(theta);
                beta = (double[])reml.Beta.Clone();
                covariance = FixedEffectsCovariance.FromBorderedFactor(reml.System);
                evaluations = reml.Evaluations;
                sweeps = reml.Sweeps;
                marginal = factory.Marginal();
                break;
            }
            case RemlVariant.Profile:
            {
                var reml = factory.RemlProfile(glmBeta, control);
                theta = Minimize(reml, re, control, warnings);
                criterion = reml.Evaluate(theta);
                beta = reml.BetaHat;
                covariance = RemlProfileCriterion.InverseHalf(reml.Information);
                evaluations = reml.Evaluations;
                sweeps = reml.Sweeps - reml.Marginal.Sweeps;   // the marginal's sweeps are counted below
                marginal = reml.Marginal;
                break;
            }
            case RemlVariant.Pql:
                (theta, beta, covariance, criterion, evaluations, sweeps) = Pql(factory, glmBeta, control, warnings);
                marginal = factory.Marginal();
                break;
            default: throw new ArgumentOutOfRangeException(nameof(options), "unknown REML variant");
        }

        // The marginal likelihood and the conditional modes at the REML estimates.
        double deviance = Stages.EvaluateAt(marginal, theta, double.IsNaN(logDispersion) ? beta : beta.Append(logDispersion).ToArray());
        if (!double.IsFinite(deviance) || !double.IsFinite(criterion) || beta.Any(b => !double.IsFinite(b)))
            throw new GlmmInputException(FitPreconditions.Diagnose(model, options.Family, marginal.System.Eta));
        var modes = ModeState.Capture(marginal.System);
        bool singular = Enumerable.Range(0, re.ThetaLength).Any(j => re.IsDiagonal(j) && theta[j] < control.SingularThreshold);
        return FitAssembler.Assemble(new FitState
        {
            Layout = data,
            OriginalModel = original,
            Scaling = start.Scaling,
            Options = options,
            Method = FitMethod.Reml,
            Rule = factory.Rule,
            Theta = theta,
            Beta = beta,
            LogDispersion = logDispersion,
            LogDispersionVariance = logDispersionVariance,
            Covariance = covariance,
            CovarianceSource = variant == RemlVariant.Profile ? CovarianceSource.ObservedInformationForBeta : CovarianceSource.Pirls,
            Deviance = deviance,
            Modes = modes,
            Converged = warnings.Count == 0,
            Singular = singular,
            Warnings = start.Warnings.Concat(warnings).ToList(),
            Evaluations = evaluations,
            Sweeps = sweeps + marginal.Sweeps,
            Seconds = clock.Elapsed.TotalSeconds,
            Reml = variant,
            // log|X'WX| (or log det J_ββ) of the scaled columns is smaller by 2 Σ log cⱼ: back to the original X.
            RestrictedDeviance = criterion + 2.0 * start.Scaling.LogDeterminant,
        });
    }

    /// <summary>θ minimising a REML criterion by BOBYQA from lme4's start; a warning when it does not converge.</summary>
    private static double[] Minimize(ICriterion reml, RandomEffectsStructure re, FitControl control, List<string> warnings)
    {
        var opt = Minimize(reml, re, control, (double[])re.InitialTheta.Clone(), control.Stage1InitialRadius);
        if (!opt.Converged) warnings.Add($"REML optimiser did not converge: {opt.Message}");
        return opt.X;
    }

    /// <summary>BOBYQA on a REML criterion in θ from <paramref name="start"/>.</summary>
    private static OptimizationResult Minimize(ICriterion reml, RandomEffectsStructure re, FitControl control, double[] start, double initialRadius) =>
        new Bobyqa().Minimize(x => reml.Evaluate(x), start, re.LowerBounds, Enumerable.Repeat(double.PositiveInfinity, re.ThetaLength).ToArray(),
            new OptimizerOptions { InitialTrustRadius = initialRadius, FinalTrustRadius = control.Tolerance, MaxEvaluations = control.MaxEvaluations });

    /// <summary>The working response z = η + (y − μ)/μ' and weights w = wt·μ'²/V(μ) at η (model row order).</summary>
    internal static ModelStructure WorkingModel(ModelStructure model, Family family, double[] eta)
    {
        int n = model.N;
        var link = family.Link;
        var z = new double[n];
        var w = new double[n];
        for (int i = 0; i < n; i++)
        {
            double mu = link.Inverse(eta[i]), me = link.MuEta(eta[i]);
            z[i] = eta[i] + (model.Y[i] - mu) / me;
            w[i] = model.Weights[i] * me * me / family.Variance(mu);
        }
        return model.WithResponse(z, w, ResponseKind.Numeric);
    }

    /// <summary>PQL: iterate the working LMM's REML estimate of θ and its (β, u) until they settle.</summary>
    private static (double[] Theta, double[] Beta, double[,] Covariance, double Criterion, int Evaluations, int Sweeps) Pql(
        CriterionFactory factory, double[] glmBeta, FitControl control, List<string> warnings)
    {
        var data = factory.Layout;
        var model = data.Model;
        var re = model.Random;
        int nth = re.ThetaLength, p = data.P;
        var family = data.Family;
        // Start: the joint mode at θ = lme4's starting value.
        var start = factory.ProfiledLaplace(glmBeta);
        var theta = (double[])re.InitialTheta.Clone();
        start.Evaluate(theta);
        var eta = data.ToModelOrder(start.System.Eta);
        double[] beta = (double[])start.Beta.Clone();
        double[,] covariance = new double[p, p];
        double criterion = double.NaN;
        int evaluations = start.Evaluations;
        int sweeps = 0;
        bool settled = false;
        for (int round = 0; round < control.PqlMaxRounds && !settled; round++)
        {
            var reml = factory.RemlPql(WorkingModel(model, family, eta));
            // A round's optimiser need not converge: the rounds go on until θ and β settle.
            var next = Minimize(reml, re, control, theta, round == 0 ? control.Stage1InitialRadius : control.PqlRestartRadius).X;
            criterion = reml.Evaluate(next);
            evaluations += reml.Evaluations;
            sweeps += reml.Sweeps;
            var newBeta = (double[])reml.Beta.Clone();
            double change = 0;
            for (int j = 0; j < nth; j++) change = Math.Max(change, Math.Abs(next[j] - theta[j]));
            for (int j = 0; j < p; j++) change = Math.Max(change, Math.Abs(newBeta[j] - beta[j]));
            theta = next;
            beta = newBeta;
            covariance = FixedEffectsCovariance.FromBorderedFactor(reml.System);
            eta = reml.System.Layout.ToModelOrder(reml.System.Eta);
            settled = change < control.PqlSettled;
        }
        if (!settled) warnings.Add($"PQL iterations did not settle in {control.PqlMaxRounds} rounds");
        return (theta, beta, covariance, criterion, evaluations, sweeps + start.Sweeps);
    }
}
