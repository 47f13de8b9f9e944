using System.Diagnostics;
using Glmm.Data;
using Glmm.Fitting;
using Glmm.Model;

namespace Glmm.Cluster;

/// <summary>A distributed fit's result and how it ran.</summary>
/// <param name="Fit">The fit, as a local fit reports it (without the per-row vectors: they stay on the workers).</param>
/// <param name="Partitions">Parts of the data set.</param>
/// <param name="Workers">Distinct workers that evaluated the last round.</param>
/// <param name="Criterion">The distributed criterion (timings, retries).</param>
internal sealed record ClusterFitResult(GlmmFit Fit, int Partitions, int Workers, DistributedCriterion Criterion);

/// <summary>
/// The coordinator of a distributed fit: the same stages and optimisers as a local fit (<see cref="Fitter"/>) through
/// the criterion interface, with the criterion a <see cref="DistributedCriterion"/> over the partition grains. Stage 1 (β
/// inside PIRLS, which would need the fixed-effects block of the system summed over the parts inside every PIRLS
/// iteration) runs on a sample — the first part — only to start stage 2, which then runs on all parts to the same
/// optimum; the encoding (factor levels of the whole data set, the column list, the engine's column scaling) is made
/// here and sent to every part.
/// </summary>
internal static class ClusterFitter
{
    /// <summary>The part files of a directory written by glmm partition, in part order.</summary>
    public static string[] PartFiles(string dir)
    {
        if (!Directory.Exists(dir))
            throw new GlmmInputException($"--data '{dir}' is not a directory; a cluster fit reads a directory of parts written by glmm partition");
        var files = Directory.EnumerateFiles(dir, "part-*")
            .Where(f => f.EndsWith(".parquet", StringComparison.Ordinal) || f.EndsWith(".csv", StringComparison.Ordinal))
            .OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal).ToArray();
        if (files.Length == 0) throw new GlmmInputException($"the directory '{dir}' has no parts (part-NNNNN.parquet or .csv); write them with glmm partition");
        return files.Select(Path.GetFullPath).ToArray();
    }

    /// <summary>The checks of what a distributed fit can do, before any work.</summary>
    public static void Check(string formula, GlmmOptions options)
    {
        CriterionFactory.CheckOptions(options);
        DataPartitioner.TopFactor(formula);
        if (formula.Contains("scale(", StringComparison.Ordinal))
            throw new GlmmInputException("scale() is not available in a cluster fit (its centre and scale would be the first part's); scale the column before glmm partition");
        if (options.Family is Families.Gaussian { IsLinearMixedModel: true })
            throw new GlmmInputException("the gaussian family with the identity link (the linear mixed model) is not available on a cluster yet; its profiled criterion is not a plain sum over parts");
        if (options.Family.HasDispersion)
            throw new GlmmInputException($"the {options.Family.Name} family is not available on a cluster yet: its dispersion parameter is not carried by the partitions");
        if (options.Reml is not null) throw new GlmmInputException("--reml is not available on a cluster yet");
        if (options.FixedEffectsPrior is not null) throw new GlmmInputException("--fixef-prior is not available on a cluster yet");
        if (options.Solver == LinearSolver.Iterative)
            throw new GlmmInputException("--solver iterative is not available on a cluster: its models (crossed factors) do not split into parts of whole clusters; the parts use the exact (Cholesky) solver");
        if (options.NAgq == 0)
            throw new GlmmInputException("--nagq 0 is not available on a cluster: it keeps beta inside PIRLS, whose fixed-effects block would have to be summed over the parts in every PIRLS iteration; the cluster fits the Laplace criterion (--nagq 1, the default)");
        if (options.NAgq > 1)
            throw new GlmmInputException($"--nagq {options.NAgq} is not available on a cluster yet: the quadrature stage starts from the Laplace fit's full-data Hessian and conditional modes, which the cluster does not gather; the cluster fits the Laplace criterion (--nagq 1, the default); fit adaptive quadrature on one machine");
    }

    /// <summary>
    /// Runs the fit of <paramref name="formula"/> on the parts in <paramref name="dir"/> through <paramref name="client"/>;
    /// every evaluation (stage 1's on the first part, then the distributed ones) is reported to <paramref name="progress"/>
    /// and kept in the fit's <see cref="GlmmFit.FitLog"/>, as a local fit does.
    /// </summary>
    public static ClusterFitResult Fit(IClusterClient client, string dir, string formula, GlmmOptions options, TimeSpan timeout,
        TextWriter? log = null, Action<DistributedCriterion>? configure = null, IProgress<FitEvaluation>? progress = null)
    {
        using (FitMonitor.Attach(progress, CancellationToken.None, out var monitor))
        {
            var result = Run(client, dir, formula, options, timeout, log, configure);
            result.Fit.FitLog = monitor.Log;
            return result;
        }
    }

    private static ClusterFitResult Run(IClusterClient client, string dir, string formula, GlmmOptions options, TimeSpan timeout,
        TextWriter? log, Action<DistributedCriterion>? configure)
    {
        var clock = Stopwatch.StartNew();
        Check(formula, options);
        var files = PartFiles(dir);
        int parts = files.Length;
        string fitId = Guid.NewGuid().ToString("N");
        var grains = Enumerable.Range(0, parts).Select(i => client.GetGrain<IPartitionGrain>(fitId + "/" + i.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToArray();
        var family = options.Family.ForFit();
        options = options with { Family = family };
        var specs = new PartitionSpec[parts];
        var criterion = new DistributedCriterion(grains, specs, [], 0, false, timeout, log);
        try
        {
            // 1. Each part describes itself; the coordinator merges the levels into the whole data set's encoding.
            var descriptions = criterion.Gather(i => grains[i].Describe(files[i], formula, options.WeightsColumn, family.Name, family.Link.Name), "reading its part");
            var encoding = PartitionModel.Merge(descriptions.Select(d => new ModelEncoding(
                d.Levels.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value, StringComparer.Ordinal), d.Numeric,
                new Dictionary<string, ScaleParameters>())).ToArray());
            for (int i = 1; i < parts; i++)
                if (!descriptions[i].Terms.SequenceEqual(descriptions[0].Terms))
                    throw new GlmmInputException($"part {i} gives the random-effect terms {string.Join("; ", descriptions[i].Terms)} but part 0 gives {string.Join("; ", descriptions[0].Terms)}; a factor on the left of a term must have the same levels in every part");

            // 2. The sample (the first part) with the whole data set's columns: the column list, its dependence check,
            // the engine's column scaling, the starting GLM and stage 1.
            var table0 = TableReader.Read(files[0]);
            var sample = PartitionModel.Build(formula, table0, encoding, null, options.WeightsColumn);
            var dependent = LinearDependence.DependentColumns(Enumerable.Range(0, sample.X.Columns).Select(j => sample.X.Column(j).ToArray()).ToArray(), 1e-7);
            if (dependent.Length > 0)
                throw new GlmmInputException($"the fixed-effects column(s) {string.Join(", ", dependent.Select(j => sample.X.Names[j]))} are linearly dependent on the others in the first part, where the cluster fit's start is computed; drop them from the formula (or put clusters with every level into the first part)");
            var fixedNames = sample.X.Names;
            var scaling = FixedEffectsScaling.For(sample.X, FixedEffectsScaling.Band);
            FitMonitor.UseScaling(scaling.Factors);
            var scaled = scaling.Apply(sample);
            var factory = CriterionFactory.Create(scaled, options);
            // The local fit's account of its solver, from the sample (the parts factor their own blocks exactly).
            var solverReason = SolverChoice.Choose(factory.Layout, options).Reason;
            var control = FitControl.From(options);
            var re = scaled.Random;
            bool gradientStage = factory.LaplaceHasGradient;
            var glm = GlmIrls.Fit(family, scaled.X, scaled.Y, scaled.Weights, scaled.Offset);
            var stage1 = factory.ProfiledLaplace(glm.Coefficients.ToArray());
            var s1 = Stages.Stage1(stage1, re, control, startForGradient: gradientStage, lastStage: false);
            long n = descriptions.Sum(d => (long)d.Rows);
            double share = (double)n / sample.N;
            var hessianDiagonal = FixedEffectsCovariance.BetaHessianDiagonal(stage1.System).Select(h => h * share).ToArray();
            var betaScale = FixedEffectsCovariance.StandardErrors(FixedEffectsCovariance.FromBorderedFactor(stage1.System)).Select(s => s / Math.Sqrt(share)).ToArray();

            // 3. Every part builds its model with that encoding.
            for (int i = 0; i < parts; i++)
                specs[i] = new PartitionSpec
                {
                    Path = files[i],
                    Formula = formula,
                    WeightsColumn = options.WeightsColumn,
                    Family = family.Name,
                    Link = family.Link.Name,
                    Observed = options.Information == Information.Observed,
                    Levels = encoding.FactorLevels.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.Ordinal),
                    Numeric = encoding.NumericVariables.ToArray(),
                    FixedNames = fixedNames,
                    Scaling = scaling.Factors,
                    Threads = options.Threads,
                    WithGradient = gradientStage,
                };
            criterion = new DistributedCriterion(grains, specs, re.LowerBounds, fixedNames.Length, gradientStage, timeout, log)
            {
                ActiveWorkers = () => ActiveWorkerNames(client),
            };
            configure?.Invoke(criterion);
            criterion.SetWorkers(criterion.Gather(i => grains[i].Load(specs[i]), "loading its part"));
            log?.WriteLine($"glmm: stage 2 on {parts} partitions");

            // 4. Stage 2 on all parts, the boundary check, the convergence check: as a local fit.
            var warnings = new List<string>();
            if (!s1.Converged && !gradientStage) warnings.Add($"stage 1 optimiser did not converge: {s1.Message}");
            var estimate = gradientStage
                ? Stages.Stage2Gradient(criterion, s1.Theta, s1.Beta, hessianDiagonal, re, control)
                : Stages.Stage2DerivativeFree(x => criterion.Evaluate(x), s1.Theta, s1.Beta, betaScale, re, control);
            int evaluations = s1.Evaluations + estimate.Evaluations;
            if (!estimate.Converged) warnings.Add("stage 2 optimiser did not converge");
            var boundary = Stages.BoundaryCheck(criterion, estimate.Theta, estimate.Beta, estimate.Deviance, re, control);
            var theta = boundary.Theta;
            var beta = estimate.Beta;
            if (!double.IsFinite(boundary.Deviance) || beta.Any(b => !double.IsFinite(b)))
                throw new GlmmInputException(FitPreconditions.Prefix + "the Laplace deviance is not finite at the estimates (eta overflowing, or separated fixed effects)");
            criterion.SaveModes();
            var check = Stages.AssessConvergence(criterion, theta, beta, [], re, expensive: false);
            double deviance = boundary.Deviance;
            if (gradientStage)
            {
                // The Newton polish, as a local fit's: both end at the same optimum although their stage-2 starts differ.
                var polished = Stages.Polish(criterion, theta, beta, deviance, [], check, criterion.SaveModes, re, control);
                theta = polished.Theta;
                beta = polished.Beta;
                deviance = polished.Deviance;
                check = polished.Check;
                evaluations += polished.Evaluations;
            }
            warnings.AddRange(check.Warnings);
            var covariance = check.BetaCovariance;
            if (covariance is null)
            {
                warnings.Add("the Hessian at the estimates is not positive definite; the fixed effects' standard errors are not available");
                covariance = new double[beta.Length, beta.Length];
                for (int i = 0; i < beta.Length; i++) for (int j = 0; j < beta.Length; j++) covariance[i, j] = double.NaN;
            }

            // 5. The parts' residuals and conditional modes at the estimates.
            var x = theta.Concat(beta).ToArray();
            var finished = criterion.Gather(i => grains[i].Finish(x), "finishing");
            var fit = Assemble(sample, fixedNames, scaling, options, theta, beta, covariance, boundary with { Theta = theta, Deviance = deviance }, descriptions, finished,
                warnings, check.Converged && warnings.Count == 0, evaluations, criterion.Sweeps + stage1.Sweeps, clock.Elapsed.TotalSeconds, solverReason);
            int workers = criterion.Workers.Distinct(StringComparer.Ordinal).Count();
            return new ClusterFitResult(fit, parts, workers, criterion);
        }
        finally
        {
            foreach (var g in grains)
            {
                try
                {
                    g.Unload().Wait(TimeSpan.FromSeconds(5));
                }
                catch (AggregateException)
                {
                    // a worker that is gone has nothing to unload
                }
            }
        }
    }

    /// <summary>The silo names of the active members, as the membership table has them (null when it cannot be read in 5 s).</summary>
    private static IReadOnlySet<string>? ActiveWorkerNames(IClusterClient client)
    {
        var hosts = client.GetGrain<IManagementGrain>(0).GetDetailedHosts(onlyActive: true);
        if (!hosts.Wait(TimeSpan.FromSeconds(5))) return null;
        return hosts.Result.Select(h => h.SiloName).ToHashSet(StringComparer.Ordinal);
    }

    private static GlmmFit Assemble(ModelStructure sample, string[] fixedNames, FixedEffectsScaling scaling, GlmmOptions options,
        double[] theta, double[] internalBeta, double[,] internalCovariance, BoundaryResult boundary, PartitionDescription[] parts,
        PartitionResult[] finished, List<string> warnings, bool converged, int evaluations, int sweeps, double seconds, string solverReason)
    {
        var beta = scaling.BetaToOriginal(internalBeta);
        var covariance = scaling.CovarianceToOriginal(internalCovariance);
        int p = beta.Length;
        var fixedEffects = new FixedEffectEstimate[p];
        for (int j = 0; j < p; j++)
        {
            double se = Math.Sqrt(covariance[j, j]);
            double z = beta[j] / se;
            fixedEffects[j] = new FixedEffectEstimate(fixedNames[j], beta[j], se, z, 2.0 * Families.NormalDistribution.UpperTail(Math.Abs(z)));
        }
        var re = sample.Random;
        var components = new List<RandomEffectsComponent>();
        for (int s = 0; s < re.Terms.Count; s++)
        {
            var term = re.Terms[s];
            int q = term.Q;
            var cov = re.Covariance(theta, s);
            var sd = new double[q];
            var corr = new double[q, q];
            for (int i = 0; i < q; i++) sd[i] = Math.Sqrt(cov[i * q + i]);
            for (int i = 0; i < q; i++)
                for (int j = 0; j < q; j++)
                    corr[i, j] = i == j ? 1.0 : cov[i * q + j] / (Math.Sqrt(cov[i * q + i]) * Math.Sqrt(cov[j * q + j]));
            components.Add(new RandomEffectsComponent(term.GroupName, term.TermNames, sd, new ReadOnlyMatrix(corr), parts.Sum(d => d.TermLevels[s])));
        }
        // The conditional modes term by term, each term's levels in part order (the parts hold runs of the levels in order).
        var modes = new List<RandomEffectPrediction>();
        for (int s = 0; s < re.Terms.Count; s++)
            foreach (var r in finished)
                for (int k = 0; k < r.Term.Length; k++)
                    if (r.Term[k] == s) modes.Add(new RandomEffectPrediction(re.Terms[s].GroupName, r.Level[k], r.Effect[k], r.Mode[k], r.ConditionalSd[k]));
        var pearson = Merge(finished.Select(r => r.Pearson).ToArray());
        var dataWarnings = parts.SelectMany(d => d.Warnings).Distinct(StringComparer.Ordinal);
        int nobs = parts.Sum(d => d.Rows);
        var modelView = sample.WithFixedEffects(new FixedEffects(0, fixedNames, []));
        return new GlmmFit
        {
            Method = FitMethod.Laplace,
            NAgq = options.NAgq,
            Family = options.Family,
            Formula = sample.Formula,
            DataName = options.DataName,
            Nobs = nobs,
            DroppedRows = parts.Sum(d => d.DroppedRows),
            DroppedReason = string.Join(", ", parts.Select(d => d.DroppedReason).Where(r => r.Length > 0).Distinct(StringComparer.Ordinal)),
            LogLik = -0.5 * boundary.Deviance,
            ParameterCount = p + theta.Length,
            FixedEffects = fixedEffects,
            FixedEffectsCovariance = new ReadOnlyMatrix(covariance),
            CovarianceSource = CovarianceSource.Hessian,
            RandomEffects = components,
            Theta = theta,
            ConditionalModes = modes,
            ScaledResidualQuantiles = FitAssembler.Quantiles(pearson),
            Converged = converged,
            Singular = boundary.Singular,
            Warnings = dataWarnings.Concat(warnings).ToList(),
            Evaluations = evaluations,
            Sweeps = sweeps,
            Seconds = seconds,
            SolverReason = solverReason,
            Model = modelView,
            Options = options,
            Beta = beta,
            RandomEffectModes = [],
            LinearPredictor = [],
            Fitted = [],
        };
    }

    /// <summary>The sorted union of sorted arrays.</summary>
    private static double[] Merge(double[][] sorted)
    {
        var all = new double[sorted.Sum(a => a.Length)];
        int at = 0;
        foreach (var a in sorted) { a.CopyTo(all, at); at += a.Length; }
        Array.Sort(all);
        return all;
    }
}
