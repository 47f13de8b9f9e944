using Glmm.Results;

namespace Glmm.Cli.Commands;

/// <summary>
/// <c>glmm fit</c>: fits a GLMM by maximum likelihood (Laplace approximation by default, adaptive
/// Gauss–Hermite quadrature with --nagq K &gt; 1) and prints an lme4-style summary or JSON.
/// </summary>
internal sealed class FitCommand : Command
{
    private static readonly OptionSpec NAgq = new("nagq", "K",
        "0: fixed effects inside PIRLS only (fast, approximate); 1: Laplace approximation; K > 1: adaptive Gauss-Hermite quadrature with K points per random effect (one grouping factor)")
    { Default = "1" };

    private static readonly OptionSpec Grid = new("grid", "GRID", "quadrature grid for --nagq > 1: product (K^q nodes) or sparse (Smolyak)")
    { Default = "product", Allowed = new[] { "product", "sparse" } };

    private static readonly OptionSpec MaxQuadratureWork = new("max-quadrature-work", "N",
        "cost guard of --nagq K > 1: nodes per cluster x rows x expected deviance evaluations above N are refused with the numbers before the fit starts; 0: no limit")
    { Default = "1e9" };

    private static readonly OptionSpec FixefPrior = new("fixef-prior", "PRIOR",
        "a weak normal prior on the fixed effects, the remedy for separation (blme's fixef.prior): normal (SD 10 for the intercept, 2.5 for the others) or normal:SD_INTERCEPT,SD; the fit maximises the penalized likelihood (Laplace only)");

    private static readonly OptionSpec Information = new("information", "KIND",
        "curvature of the Laplace approximation for non-canonical links: observed (exact, as glmmTMB) or expected (as lme4)")
    { Default = "observed", Allowed = new[] { "observed", "expected" } };

    private static readonly OptionSpec Reml = new("reml", "VARIANT",
        "restricted maximum likelihood: laplace (beta integrated out by Laplace, as glmmTMB), profile (Cox-Reid adjusted profile likelihood; with --nagq K > 1 based on quadrature) or pql (REML of the working linear mixed model)")
    { Allowed = new[] { "laplace", "profile", "pql" } };

    private static readonly OptionSpec Ddf = new("ddf", "METHOD",
        "a linear mixed model's t-test df (lmerTest's ddf): Satterthwaite, or Kenward-Roger (REML fits: the adjusted covariance of the fixed effects for their SEs, as pbkrtest)")
    { Default = "Satterthwaite" };

    // ---- The solver of the penalized system (issue 17): --solver, --probes (and --seed for the probes) ----
    private static readonly OptionSpec Solver = new("solver", "SOLVER",
        "the Laplace approximation's linear algebra: cholesky (the exact factor), iterative (conjugate gradients and stochastic Lanczos quadrature, for crossed factors with many levels; binomial/poisson with canonical links) or auto (iterative when the exact factor's dense block would cost 3,000 or more multiply-adds per non-zero of Z, or more than 2 GB)")
    { Default = "auto", Allowed = new[] { "auto", "cholesky", "iterative" } };

    private static readonly OptionSpec Probes = new("probes", "N", "probe vectors of --solver iterative (the Monte Carlo error of logLik falls as 1/sqrt(N))") { Default = "64" };

    private static readonly OptionSpec Ranef = new("ranef", null, "add the conditional modes of the random effects (lme4's ranef, with conditional SDs) to the output");

    // ---- Confidence intervals (issue 6): --confint wald|profile|boot, --level, --nsim, --seed ----
    private static readonly OptionSpec Confint = new("confint", "METHOD",
        "add confidence intervals for the random-effect SDs/correlations and the fixed effects: wald (beta +- z SE; none for SDs, as lme4), profile (profile likelihood, as lme4's confint) or boot (parametric bootstrap percentiles)")
    { Allowed = new[] { "wald", "profile", "boot" } };

    private static readonly OptionSpec Level = new("level", "P", "confidence level of --confint") { Default = "0.95" };

    private static readonly OptionSpec NSim = new("nsim", "N", "bootstrap replicates for --confint boot") { Default = "500" };

    private static readonly OptionSpec Seed = new("seed", "S", "random seed for --confint boot (same seed, same numbers, whatever --threads)") { Default = "1" };

    private static readonly OptionSpec Progress = new("progress", null, "show the progress of long work (the fit, profile, bootstrap) on stderr even when it is not a terminal");

    private static readonly OptionSpec Verbose = new("verbose", null,
        "print the fit log on stderr: every evaluation's stage, criterion, theta and beta (MixedModels.jl's fitlog); with --format json also as \"fitLog\"");

    private static readonly OptionSpec Quiet = new("quiet", null, "no progress on stderr, even on a terminal");

    private static readonly OptionSpec[] ConfintOptions = { Confint, Level, NSim, Seed, Progress, Quiet, Verbose };

    /// <summary>Checks the interval options before the fit; returns the method (null when none was asked for).</summary>
    private static string? CheckConfint(ParsedOptions options)
    {
        var method = options.Get(Confint);
        double level = options.GetDouble(Level, 0.95);
        if (!(level > 0 && level < 1)) throw new GlmmInputException($"--level must lie strictly between 0 and 1, not {options.Get(Level)}");
        if (options.GetInt(NSim, 500) < 2) throw new GlmmInputException($"--nsim must be at least 2, not {options.Get(NSim)}");
        options.GetInt(Seed, 1);
        if (method is null && (options.Has(Level) || options.Has(NSim)))
            throw new GlmmInputException("--level and --nsim need --confint");
        if (options.Has(Progress) && options.Has(Quiet)) throw new GlmmInputException("--progress and --quiet exclude each other");
        if (method != "boot" && options.Has(NSim))
            throw new GlmmInputException("--nsim applies to --confint boot only");
        if (method != "boot" && options.Has(Seed) && options.Get(Solver) is not ("iterative" or "auto"))
            throw new GlmmInputException("--seed applies to --confint boot and the probes of --solver iterative only");
        return method;
    }

    /// <summary>The intervals --confint asks for (null when none), with a bootstrap progress line on a terminal's stderr.</summary>
    private static IReadOnlyList<Glmm.Inference.ConfidenceInterval>? ConfidenceIntervals(ParsedOptions options, GlmmFit fit, int threads, TextWriter stderr,
        out Glmm.Inference.BootstrapResult? bootstrap, out bool interrupted)
    {
        bootstrap = null;
        interrupted = false;
        double level = options.GetDouble(Level, 0.95);
        switch (options.Get(Confint))
        {
            case "wald": return Glmm.Inference.Wald.Intervals(fit, level);
            case "profile":
                try
                {
                    bool showProfile = !options.Has(Quiet) && (options.Has(Progress) || (!Console.IsErrorRedirected && ReferenceEquals(stderr, Console.Error)));
                    int limits = 2 * (fit.Theta.Count + fit.Beta.Count);
                    var profileClock = System.Diagnostics.Stopwatch.StartNew();
                    var profileGate = new object();
                    IProgress<int>? profileProgress = showProfile ? new SynchronousProgress(done =>
                    {
                        lock (profileGate)
                        {
                            double elapsed = profileClock.Elapsed.TotalSeconds;
                            string eta = done < limits ? $", about {elapsed / done * (limits - done):F0} s to go" : "";
                            stderr.Write($"\rprofile: {done}/{limits} interval limits, {elapsed:F1} s{eta}   ");
                            if (done == limits) stderr.WriteLine();
                            stderr.Flush();
                        }
                    }) : null;
                    using (Interruption.Graceful())
                        return Glmm.Inference.Profile.Intervals(fit, level, threads, profileProgress, Interruption.Token);
                }
                catch (OperationCanceledException) when (Interruption.Interrupted)
                {
                    stderr.WriteLine("glmm: warning: interrupted: the profile intervals were not finished");
                    interrupted = true;
                    return [];
                }
            case "boot":
                int nsim = options.GetInt(NSim, 500);
                bool show = !options.Has(Quiet) && (options.Has(Progress) || (!Console.IsErrorRedirected && ReferenceEquals(stderr, Console.Error)));
                var gate = new object();
                var clock = System.Diagnostics.Stopwatch.StartNew();
                long last = -1000;
                IProgress<int>? progress = show ? new SynchronousProgress(done =>
                {
                    lock (gate)
                    {
                        if (done < nsim && clock.ElapsedMilliseconds - last < 200) return;
                        last = clock.ElapsedMilliseconds;
                        double elapsed = clock.Elapsed.TotalSeconds;
                        string eta = done < nsim && done > 0 ? $", about {elapsed / done * (nsim - done):F0} s to go" : "";
                        stderr.Write($"\rbootstrap: {done}/{nsim} refits, {elapsed:F1} s{eta}   ");
                        if (done == nsim) stderr.WriteLine();
                        stderr.Flush();
                    }
                }) : null;
                Glmm.Inference.BootstrapResult boot;
                using (Interruption.Graceful())
                    boot = Glmm.Inference.Bootstrap.Run(fit, nsim, options.GetInt(Seed, 1), level, threads, progress, Interruption.Token);
                if (boot.Partial) stderr.WriteLine($"glmm: warning: interrupted: the bootstrap intervals are from the {boot.Completed} of {nsim} replicates finished");
                if (boot.Failed > 0) stderr.WriteLine($"glmm: warning: {boot.Failed} of {boot.Completed} bootstrap refits failed and were left out");
                bootstrap = boot;
                return boot.Intervals;
            default: return null;
        }
    }

    /// <summary>Reports on the calling thread (System.Progress would post to the thread pool, out of order).</summary>
    private sealed class SynchronousProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
    // ---- end of confidence intervals ----

    /// <summary>--cluster: fit on the workers of this cluster, --data naming a directory of parts (glmm partition).</summary>
    public static readonly OptionSpec Cluster = new("cluster", "URL",
        "fit on a cluster of workers (glmm serve): redis://HOST:PORT, postgres://... or localhost; --data is then a directory of parts written by glmm partition");

    /// <summary>--timeout: seconds a cluster fit waits for a worker's answer to one evaluation before retrying.</summary>
    public static readonly OptionSpec Timeout = new("timeout", "SECONDS", "with --cluster: seconds to wait for a partition's answer to one evaluation before it is retried (then reported by worker)") { Default = "120" };

    public override string Name => "fit";

    public override string Summary => "fit a generalized linear mixed model by maximum likelihood";

    public override string Description =>
        "Fits the formula to the data as lme4's glmer does: PIRLS for the conditional modes, the Laplace\n" +
        "approximation (or adaptive Gauss-Hermite quadrature), BOBYQA over the covariance parameters, then\n" +
        "(theta, beta) jointly (L-BFGS-B with the exact gradient for logit and log links). Prints an lme4-style\n" +
        "summary (--format text) or one JSON object.";

    public override IReadOnlyList<OptionSpec> Options { get; } =
        CommonOptions.Model.Concat(new[] { CommonOptions.Family, CommonOptions.Link, NAgq, Grid, MaxQuadratureWork, FixefPrior, Information, Reml, Ddf, Solver, Probes, CommonOptions.Threads, CommonOptions.Format, Ranef })
            // After the fit (issue 6): --ranef-out, --predict, --type, --no-random, --allow-new-levels, --residuals, --save.
            .Concat(PredictionOutput.FitOptions)
            .Concat(ConfintOptions) // --confint, --level, --nsim, --seed
            .Append(MarginalOutput.Marginal) // issue 16: --marginal
            .Concat(new[] { Cluster, Timeout, ServeCommand.ClusterId })
            .ToArray();

    /// <summary>
    /// The outputs a cluster fit cannot give, each refused with its reason: the fit, --confint wald and --ranef-out (the
    /// conditional modes are gathered from the parts) are printed as a local fit prints them.
    /// </summary>
    private static void CheckClusterOutputs(ParsedOptions options, string? confint)
    {
        if (options.Has(Confint) && confint != "wald")
            throw new GlmmInputException($"--confint {confint} is not available with --cluster: its refits need the data in one process; --confint wald is");
        if (options.Has(MarginalOutput.Marginal))
            throw new GlmmInputException("--marginal is not available with --cluster: it averages over the rows, which stay on the workers");
        foreach (var o in PredictionOutput.FitOptions)
        {
            if (o == PredictionOutput.RanefOut || !options.Has(o)) continue;
            string why = o == PredictionOutput.Save
                ? "the saved model's conditional modes are not gathered by level on the coordinator"
                : o == PredictionOutput.Residuals ? "the residuals are per row, and the rows stay on the workers"
                : "predictions need the saved model, which a cluster fit does not make";
            throw new GlmmInputException($"--{o.Name} is not available with --cluster: {why}; fit on one machine for it (--ranef-out is available)");
        }
    }

    public override int Execute(ParsedOptions options, TextWriter stdout, TextWriter stderr)
    {
        options.Require(CommonOptions.Data);
        int nagq = options.GetInt(NAgq, 1);
        int threads = CommonOptions.ReadThreads(options);
        var confint = CheckConfint(options);
        double budget = options.GetDouble(MaxQuadratureWork, 1e9);
        if (double.IsNaN(budget)) throw new GlmmInputException($"--max-quadrature-work must be a number, not {options.Get(MaxQuadratureWork)}");
        if (nagq <= 1 && options.Has(Grid))
            stderr.WriteLine($"glmm: warning: --grid {options.Get(Grid)} has no effect without --nagq K > 1 (adaptive quadrature)");
        if (nagq <= 1 && options.Has(MaxQuadratureWork))
            stderr.WriteLine("glmm: warning: --max-quadrature-work has no effect without --nagq K > 1 (adaptive quadrature)");
        bool onCluster = options.Has(Cluster);
        if (onCluster) CheckClusterOutputs(options, confint);
        var fitOptions = CommonOptions.FitOptions(options, nagq, threads) with
        {
            MaxQuadratureWork = budget,
            FixedEffectsPrior = options.Get(FixefPrior) is { } prior ? NormalPrior.Parse(prior) : null,
            Grid = FitNames.ParseGrid(options.Get(Grid) ?? "product"),
            Information = FitNames.ParseInformation(options.Get(Information) ?? "observed"),
            Reml = options.Get(Reml) is { } reml ? FitNames.ParseReml(reml) : null,
            Ddf = DenominatorDfNames.Parse(options.Get(Ddf) ?? "Satterthwaite"),
            Solver = (options.Get(Solver) ?? "auto") switch { "cholesky" => LinearSolver.Cholesky, "iterative" => LinearSolver.Iterative, _ => LinearSolver.Auto },
            Probes = options.GetInt(Probes, IterativeDefaults.Probes),
            ProbeSeed = (ulong)options.GetInt(Seed, 1),
        };
        if (options.Has(Probes) && fitOptions.Solver == LinearSolver.Cholesky)
            stderr.WriteLine("glmm: warning: --probes has no effect with --solver cholesky");
        GlmmFit fit;
        Action<System.Text.Json.Utf8JsonWriter>? afterJson;
        string afterText;
        if (onCluster)
        {
            var run = ClusterHooks.Fit ?? throw new GlmmInputException($"--cluster needs the {ClusterHooks.Executable} executable beside glmm");
            // The same fit log and progress line as a local fit.
            bool showClusterFit = !options.Has(Quiet) && (options.Has(Progress) || (!Console.IsErrorRedirected && ReferenceEquals(stderr, Console.Error)));
            var clusterReporter = new FitProgressReporter(stderr, options.Has(Verbose), showClusterFit);
            (fit, afterJson, afterText) = run(options, fitOptions, stderr, clusterReporter);
            clusterReporter.Finish();
            // --ranef-out, from the conditional modes gathered from the parts (the other per-row outputs are refused above).
            PredictionOutput.AfterFit(options, fit, stderr);
        }
        else
        {
            var data = CommonOptions.ReadData(options, stderr);
            bool showFit = !options.Has(Quiet) && (options.Has(Progress) || (!Console.IsErrorRedirected && ReferenceEquals(stderr, Console.Error)));
            var reporter = new FitProgressReporter(stderr, options.Has(Verbose), showFit);
            try
            {
                using (Interruption.Graceful())
                    fit = GlmmModel.Fit(options.Require(CommonOptions.Formula), data, fitOptions, reporter, Interruption.Token);
            }
            catch (OperationCanceledException) when (Interruption.Interrupted)
            {
                reporter.Finish();
                stderr.WriteLine($"glmm: interrupted during the fit after {reporter.Count} evaluations: no estimates to report");
                if (CommonOptions.IsJson(options)) stdout.WriteLine(JsonWriter.WriteInterrupted("fit", reporter.Count, reporter.Stage, reporter.Best));
                return Interruption.ExitCode;
            }
            reporter.Finish();
            // After the fit (issue 6): ranef CSV, predictions, residuals, saved model.
            (afterJson, afterText) = PredictionOutput.AfterFit(options, fit, stderr);
        }
        // Confidence intervals (issue 6): --confint.
        var intervals = ConfidenceIntervals(options, fit, threads, stderr, out var bootstrap, out bool profileInterrupted);
        // Population-averaged coefficients (issue 16): --marginal.
        var marginal = MarginalOutput.Compute(options, fit);
        if (marginal is not null)
        {
            var before = afterJson;
            afterJson = w =>
            {
                before?.Invoke(w);
                MarginalOutput.WriteJson(w, marginal);
            };
            afterText = MarginalOutput.Text(marginal) + afterText;
        }
        Action<System.Text.Json.Utf8JsonWriter>? extra = afterJson;
        if (options.Has(Verbose))
            extra = w =>
            {
                afterJson?.Invoke(w);
                FitLogWriter.WriteJson(w, fit.FitLog);
            };
        var beforeIntervals = extra;
        bool partial = bootstrap?.Partial == true || profileInterrupted;
        if (intervals is not null)
            extra = w =>
            {
                beforeIntervals?.Invoke(w);
                Glmm.Inference.ConfidenceInterval.WriteJson(w, intervals);
                w.WriteString("confintMethod", confint);
                w.WriteNumber("confintLevel", options.GetDouble(Level, 0.95));
                if (bootstrap is not null)
                {
                    w.WriteStartObject("bootstrap");
                    w.WriteNumber("requested", bootstrap.Requested);
                    w.WriteNumber("completed", bootstrap.Completed);
                    w.WriteNumber("failed", bootstrap.Failed);
                    w.WriteNumber("seed", bootstrap.Seed);
                    w.WriteEndObject();
                }
                w.WriteBoolean("partial", partial);
            };
        if (CommonOptions.IsJson(options)) stdout.WriteLine(JsonWriter.Write(fit, includeRanef: options.Has(Ranef), extra: extra));
        else
        {
            stdout.Write(SummaryWriter.Write(fit) + (options.Has(Ranef) ? SummaryWriter.WriteRanef(fit) : "") + afterText);
            if (intervals is not null)
                stdout.Write($"\nConfidence intervals ({confint}, level {options.GetDouble(Level, 0.95).ToString(System.Globalization.CultureInfo.InvariantCulture)}):\n"
                    + Glmm.Inference.ConfidenceInterval.Format(intervals, options.GetDouble(Level, 0.95)));
            if (bootstrap is not null)
                stdout.Write($"Bootstrap: {bootstrap.Completed} of {bootstrap.Requested} replicates{(partial ? " (interrupted: partial)" : "")}, {bootstrap.Failed} failed, seed {bootstrap.Seed}\n");
        }
        return partial ? Interruption.ExitCode : 0;
    }
}
