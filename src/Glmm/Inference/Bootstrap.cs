using Glmm.Fitting;

namespace Glmm.Inference;

/// <summary>The replicates and percentile intervals of a parametric bootstrap.</summary>
public sealed class BootstrapResult
{
    /// <summary>Parameter names: the SDs/correlations (lme4's <c>oldNames = FALSE</c> names), then the fixed effects.</summary>
    public required IReadOnlyList<string> Names { get; init; }

    /// <summary>Per replicate, the refitted parameters in the order of <see cref="Names"/> (NaN when the refit failed).</summary>
    public required IReadOnlyList<double[]> Replicates { get; init; }

    /// <summary>Percentile intervals (R's type-7 quantiles of the finite replicates).</summary>
    public required IReadOnlyList<ConfidenceInterval> Intervals { get; init; }

    /// <summary>Replicates whose refit failed (non-finite deviance); left out of the intervals.</summary>
    public required int Failed { get; init; }

    /// <summary>Replicates asked for.</summary>
    public int Requested { get; init; }

    /// <summary>Replicates finished (all of them unless <see cref="Partial"/>); <see cref="Replicates"/> holds these.</summary>
    public int Completed { get; init; }

    /// <summary>True when the run was cancelled before every replicate finished: the intervals are from the finished ones.</summary>
    public bool Partial { get; init; }

    /// <summary>The seed.</summary>
    public required long Seed { get; init; }

    /// <summary>The confidence level.</summary>
    public required double Level { get; init; }

    /// <summary>Wall-clock seconds.</summary>
    public double Seconds { get; init; }
}

/// <summary>
/// Parametric bootstrap as lme4's <c>bootMer(type = "parametric", use.u = FALSE)</c>: each replicate simulates
/// a response from the fitted model with new random effects (<see cref="Simulation"/>), refits from the
/// estimates, and records the SDs/correlations and β; intervals are percentiles. Replicate i draws from the
/// stream (seed, i), and each refit is single-threaded, so the numbers depend on the seed only, never on
/// the number of threads.
/// </summary>
public static class Bootstrap
{
    /// <summary>
    /// Runs <paramref name="nsim"/> replicates on <paramref name="threads"/> threads (0: all cores).
    /// <paramref name="progress"/>, if given, receives the number of replicates finished (from worker threads).
    /// When <paramref name="cancellationToken"/> is cancelled, the refits under way finish, no new one starts, and the result
    /// holds the finished replicates, marked <see cref="BootstrapResult.Partial"/> (each replicate's numbers depend only on
    /// the seed and its index, so a partial run's replicates are those of the full run).
    /// </summary>
    public static BootstrapResult Run(GlmmFit fit, int nsim, long seed, double level = 0.95, int threads = 0, IProgress<int>? progress = null,
        CancellationToken cancellationToken = default)
    {
        Wald.CheckLevel(level);
        if (nsim < 2) throw new GlmmInputException($"the bootstrap needs at least 2 replicates (--nsim), not {nsim}");
        if (fit.Family is Families.Gaussian { IsLinearMixedModel: true })
            return LinearMixedModel(fit, nsim, seed, level, threads, progress, cancellationToken);
        Refits.CheckFit(fit, "the parametric bootstrap", carriesDispersion: true);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var re = fit.Model.Random;
        // Families with a dispersion parameter: sigma (glmmTMB's sigma()) after the random-effect rows, as the Wald rows.
        bool dispersion = fit.Family.HasDispersion;
        int nd = dispersion ? 1 : 0;
        var names = CovarianceParameterization.Names(re).Concat(dispersion ? ["sigma"] : []).Concat(fit.FixedEffects.Select(b => b.Name)).ToArray();
        int nth = re.ThetaLength, p = fit.Beta.Count;
        double logDispersion0 = dispersion ? Math.Log(fit.Dispersion) : 0.0;
        double logDispersionScale = dispersion ? fit.SigmaStdError / fit.Family.SigmaLogDerivative(fit.Dispersion) : 1.0;
        if (!(logDispersionScale > 0 && double.IsFinite(logDispersionScale))) logDispersionScale = 1.0;
        var theta0 = fit.Theta.ToArray();
        var beta0 = fit.Beta.ToArray();
        var scale = Refits.BetaScale(fit);
        var options = fit.Options;
        var replicates = new double[nsim][];
        int done = 0;
        var po = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : -1, CancellationToken = cancellationToken };
        bool partial = false;
        try
        {
            RunReplicates();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            partial = true;
        }
        var estimates = CovarianceParameterization.FromTheta(re, theta0).Concat(dispersion ? [fit.Sigma] : []).Concat(beta0).ToArray();
        return Result(names, estimates, replicates, partial, seed, level, clock);

        void RunReplicates() => Parallel.For(0, nsim, po, () => (Eta: new double[fit.Nobs], Y: (double[]?)null), (i, _, ws) =>
        {
            var y = new double[fit.Nobs];
            Simulation.SimulateInto(fit, new SeededRandom(seed, i), false, ws.Eta, y);
            var row = new double[nth + nd + p];
            try
            {
                StageResult refit;
                double sigma = double.NaN;
                if (dispersion)
                {
                    (refit, double phi) = Refits.RefitWithDispersion(fit.Model.WithResponse(y), fit.Family, options, theta0, beta0, scale,
                        logDispersion0, logDispersionScale);
                    sigma = fit.Family.SigmaOf(phi);
                }
                else
                {
                    var data = new EngineLayout(fit.Model.WithResponse(y), fit.Family);
                    refit = Refits.Refit(Refits.Criterion(data, options), data, theta0, beta0, scale, options);
                }
                var (theta, beta, dev) = (refit.Theta, refit.Beta, refit.Deviance);
                if (double.IsFinite(dev))
                {
                    CovarianceParameterization.FromTheta(re, theta).CopyTo(row, 0);
                    if (dispersion) row[nth] = sigma;
                    beta.CopyTo(row, nth + nd);
                }
                else Array.Fill(row, double.NaN);
            }
            catch (GlmmInputException)
            {
                Array.Fill(row, double.NaN);
            }
            replicates[i] = row;
            int d = Interlocked.Increment(ref done);
            progress?.Report(d);
            return ws;
        }, _ => { });
    }

    /// <summary>
    /// The bootstrap of a linear mixed model (lme4's bootMer on an lmer fit, as <c>confint(method = "boot")</c>): y ~ N(μ, σ²/w)
    /// with new random effects, each replicate refitted by ML (or REML, as the fit) from the estimates; the parameters are the
    /// SDs (σ times θ's) and correlations, <c>sigma</c>, then β.
    /// </summary>
    private static BootstrapResult LinearMixedModel(GlmmFit fit, int nsim, long seed, double level, int threads, IProgress<int>? progress,
        CancellationToken cancellationToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var re = fit.Model.Random;
        int nth = re.ThetaLength, p = fit.Beta.Count;
        var names = CovarianceParameterization.Names(re).Append("sigma").Concat(fit.FixedEffects.Select(b => b.Name)).ToArray();
        var theta0 = fit.Theta.ToArray();
        bool reml = fit.Reml is not null;
        var control = FitControl.From(fit.Options);
        var replicates = new double[nsim][];
        int done = 0;
        var po = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : -1, CancellationToken = cancellationToken };
        bool partial = false;
        try
        {
            RunReplicates();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            partial = true;
        }
        var estimates = CovarianceParameterization.FromTheta(re, theta0).Append(fit.Sigma).Concat(fit.Beta).ToArray();
        for (int k = 0; k < nth; k++) if (CovarianceParameterization.IsStandardDeviation(re, k)) estimates[k] *= fit.Sigma;
        return Result(names, estimates, replicates, partial, seed, level, clock);

        void RunReplicates() => Parallel.For(0, nsim, po, () => new double[fit.Nobs], (i, _, eta) =>
        {
            var y = new double[fit.Nobs];
            Simulation.SimulateInto(fit, new SeededRandom(seed, i), false, eta, y);
            var row = new double[nth + 1 + p];
            try
            {
                var layout = new EngineLayout(fit.Model.WithResponse(y), fit.Family);
                var lmm = new Fitting.LinearMixedModel(layout, reml, threads: 1);
                var opt = new Optimization.Bobyqa().Minimize(x => lmm.Evaluate(x), (double[])theta0.Clone(), re.LowerBounds,
                    Enumerable.Repeat(double.PositiveInfinity, nth).ToArray(),
                    new Optimization.OptimizerOptions { InitialTrustRadius = control.Stage1InitialRadius, FinalTrustRadius = control.Tolerance, MaxEvaluations = control.MaxEvaluations });
                double crit = lmm.Evaluate(opt.X);
                if (double.IsFinite(crit)) LinearMixedModelRow(re, lmm, opt.X, reml, row);
                else Array.Fill(row, double.NaN);
            }
            catch (GlmmInputException)
            {
                Array.Fill(row, double.NaN);
            }
            replicates[i] = row;
            int d = Interlocked.Increment(ref done);
            progress?.Report(d);
            return eta;
        }, _ => { });

    }

    /// <summary>One replicate's (SDs and correlations, σ, β) from the model evaluated at θ.</summary>
    private static void LinearMixedModelRow(Model.RandomEffectsStructure re, Fitting.LinearMixedModel lmm, double[] theta, bool reml, double[] row)
    {
        int nth = theta.Length;
        var (_, beta) = lmm.Solution();
        double sigma = Math.Sqrt(lmm.PenalizedRss / (reml ? lmm.N - beta.Length : lmm.N));
        var sdcor = CovarianceParameterization.FromTheta(re, theta);
        for (int k = 0; k < nth; k++) row[k] = CovarianceParameterization.IsStandardDeviation(re, k) ? sigma * sdcor[k] : sdcor[k];
        row[nth] = sigma;
        beta.CopyTo(row, nth + 1);
    }

    /// <summary>
    /// The percentile intervals from the finished replicates (all of them unless <paramref name="partial"/>: then the null
    /// entries of unfinished ones are left out), with the counts.
    /// </summary>
    private static BootstrapResult Result(string[] names, double[] estimates, double[][] replicates, bool partial, long seed, double level,
        System.Diagnostics.Stopwatch clock)
    {
        var finished = partial ? replicates.Where(r => r is not null).ToArray() : replicates;
        int failed = finished.Count(r => !double.IsFinite(r[0]));
        var intervals = new ConfidenceInterval[names.Length];
        double a = (1 - level) / 2;
        for (int k = 0; k < names.Length; k++)
        {
            var values = finished.Select(r => r[k]).Where(double.IsFinite).OrderBy(v => v).ToArray();
            intervals[k] = new ConfidenceInterval(names[k], estimates[k], Quantile(values, a), Quantile(values, 1 - a));
        }
        return new BootstrapResult
        {
            Names = names,
            Replicates = finished,
            Intervals = intervals,
            Failed = failed,
            Requested = replicates.Length,
            Completed = finished.Length,
            Partial = partial,
            Seed = seed,
            Level = level,
            Seconds = clock.Elapsed.TotalSeconds,
        };
    }

    /// <summary>R's type-7 quantile of sorted values (NaN when empty).</summary>
    public static double Quantile(IReadOnlyList<double> sorted, double prob)
    {
        int n = sorted.Count;
        if (n == 0) return double.NaN;
        double h = (n - 1) * prob;
        int lo = (int)Math.Floor(h);
        int hi = Math.Min(lo + 1, n - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }
}
