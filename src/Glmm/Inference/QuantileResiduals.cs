using Glmm.Families;

namespace Glmm.Inference;

/// <summary>Options of the simulation-based residual check (DHARMa's <c>simulateResiduals</c>).</summary>
public sealed record ResidualCheckOptions
{
    /// <summary>Simulated responses per observation (DHARMa's default 250).</summary>
    public int Simulations { get; init; } = 250;

    /// <summary>The seed: simulation j uses the stream (seed, j), the same responses as <see cref="Simulation.Simulate"/> gives.</summary>
    public long Seed { get; init; } = 123;

    /// <summary>
    /// False (default): new random effects for each simulation (DHARMa and lme4's <c>re.form = NA</c>); true: the
    /// conditional modes (<c>re.form = NULL</c>).
    /// </summary>
    public bool Conditional { get; init; }

    /// <summary>Threads; 0 for all cores. Results do not depend on it.</summary>
    public int Threads { get; init; }

    /// <summary>
    /// The outlier test (DHARMa's <c>testOutliers(type)</c>): <see cref="OutlierTestType.Default"/> is the exchangeable
    /// simulation test for integer responses and the binomial test for continuous ones.
    /// </summary>
    public OutlierTestType Outliers { get; init; } = OutlierTestType.Default;

    /// <summary>Bootstrap replicates of DHARMa's bootstrapped outlier test (nBoot, default 100; at most <see cref="Simulations"/>).</summary>
    public int OutlierReplicates { get; init; } = OutlierBootstrap.DefaultReplicates;

    /// <summary>The outlier test these options give for an integer or continuous response.</summary>
    public OutlierTestType ResolveOutliers(bool integerResponse) => Outliers switch
    {
        OutlierTestType.Default => integerResponse ? OutlierTestType.Exchangeable : OutlierTestType.Binomial,
        _ => Outliers,
    };
}

/// <summary>
/// The simulation-based residual check of a fit: DHARMa's scaled (quantile) residuals and the tests on them, with
/// what a residual plot needs (the residual and the population-level prediction of each observation).
/// </summary>
public sealed class ResidualCheck
{
    /// <summary>Simulations per observation.</summary>
    public required int Simulations { get; init; }

    /// <summary>The seed.</summary>
    public required long Seed { get; init; }

    /// <summary>True when simulated given the conditional modes; false for new random effects.</summary>
    public required bool Conditional { get; init; }

    /// <summary>True for discrete responses (binomial, Poisson, negative binomial), whose residuals are randomized.</summary>
    public required bool IntegerResponse { get; init; }

    /// <summary>The quantile residual of each observation, in (0, 1) up to the envelope (the order of <see cref="GlmmFit.RowsUsed"/>).</summary>
    public required IReadOnlyList<double> Residuals { get; init; }

    /// <summary>
    /// The population-level prediction of each observation on the response scale, g⁻¹(Xβ̂ + offset) (DHARMa's
    /// fittedPredictedResponse, lme4's <c>predict(type = "response", re.form = ~0)</c>): the x axis of DHARMa's residual plot.
    /// </summary>
    public required IReadOnlyList<double> PredictedResponse { get; init; }

    /// <summary>The population-level linear predictor Xβ̂ + offset of each observation.</summary>
    public required IReadOnlyList<double> LinearPredictor { get; init; }

    /// <summary>The tests in the order of <see cref="ResidualTests.Names"/> (zeroInflation only for discrete responses).</summary>
    public required IReadOnlyList<ResidualTest> Tests { get; init; }

    /// <summary>The dispersion test's simulated spreads (one per simulation) and its observed spread, for a histogram.</summary>
    public required IReadOnlyList<double> SimulatedSpread { get; init; }

    /// <summary>The observed spread var(y − μ₀)/var(simulated responses).</summary>
    public required double ObservedSpread { get; init; }

    /// <summary>Zeros in each simulation (for discrete responses; empty otherwise).</summary>
    public required IReadOnlyList<double> SimulatedZeros { get; init; }

    /// <summary>Zeros in the observed response.</summary>
    public required double ObservedZeros { get; init; }

    /// <summary>Wall-clock seconds of the simulations and tests.</summary>
    public double Seconds { get; init; }

    /// <summary>
    /// Writes the check's properties into the open JSON object: <c>nsim</c>, <c>seed</c>, <c>conditional</c>,
    /// <c>integerResponse</c> and <c>tests</c>, one object per test: name, statistic, p, statisticName, significant (p ≤ 0.05)
    /// and the one-line verdict (the outlier test adds observations and expectedFrequency).
    /// </summary>
    public void WriteJson(System.Text.Json.Utf8JsonWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.WriteNumber("nsim", Simulations);
        w.WriteNumber("seed", Seed);
        w.WriteBoolean("conditional", Conditional);
        w.WriteBoolean("integerResponse", IntegerResponse);
        w.WriteStartArray("tests");
        foreach (var t in Tests)
        {
            w.WriteStartObject();
            w.WriteString("name", t.Name);
            Results.JsonWriter.Number(w, "statistic", t.Statistic);
            Results.JsonWriter.Number(w, "p", t.P);
            w.WriteString("statisticName", t.StatisticName);
            w.WriteBoolean("significant", t.IsSignificant());
            if (t.Name == "outliers")
            {
                w.WriteNumber("observations", t.Observations);
                Results.JsonWriter.Number(w, "expectedFrequency", t.ExpectedFrequency);
                if (t.Method is not null) w.WriteString("method", t.Method);
                if (t.Method is "bootstrap" or "exchangeable") w.WriteNumber("replicates", t.Replicates);
            }
            w.WriteString("verdict", t.Verdict());
            w.WriteEndObject();
        }
        w.WriteEndArray();
        Results.JsonWriter.Number(w, "checkSeconds", Seconds);
    }

    /// <summary>The tests as text: a header line and one verdict line per test.</summary>
    public string Format()
    {
        var ci = System.Globalization.CultureInfo.InvariantCulture;
        var sb = new System.Text.StringBuilder();
        sb.Append(ci, $"Simulation-based residual checks (DHARMa): {Simulations} simulations, seed {Seed}, {(Conditional ? "conditional on the modes of the random effects" : "new random effects")}, {Residuals.Count} observations\n");
        foreach (var t in Tests) sb.Append("  ").Append(t.Verdict()).Append('\n');
        return sb.ToString();
    }

    /// <summary>The test of that name, or null (zeroInflation for a continuous response).</summary>
    public ResidualTest? Test(string name) => Tests.FirstOrDefault(t => t.Name == name);

    /// <summary>
    /// The residuals and tests from simulations made elsewhere (DHARMa's <c>createDHARMa</c>): the observed responses,
    /// the simulated responses (each array one simulation, on the observed scale; binomial as counts of successes),
    /// the population-level fitted values and one uniform in [0, 1) per observation for the randomization.
    /// </summary>
    public static ResidualCheck FromSimulations(ReadOnlySpan<double> observed, IReadOnlyList<double[]> simulated, ReadOnlySpan<double> fitted,
        ReadOnlySpan<double> uniforms, bool integerResponse) =>
        FromSimulations(observed, simulated, fitted, uniforms, integerResponse, OutlierTestType.Binomial, null);

    /// <summary>
    /// As <see cref="FromSimulations(ReadOnlySpan{double}, IReadOnlyList{double[]}, ReadOnlySpan{double}, ReadOnlySpan{double}, bool)"/>
    /// with the outlier test of type <paramref name="outliers"/> (<see cref="OutlierTestType.Default"/> resolved as
    /// <see cref="ResidualCheckOptions.ResolveOutliers"/> does). DHARMa's bootstrap ranks simulation i among the simulations
    /// of <paramref name="outlierResamples"/>[i] (nsim 0-based indices other than i, drawn with replacement; null: 100 drawn
    /// from seed 0).
    /// </summary>
    public static ResidualCheck FromSimulations(ReadOnlySpan<double> observed, IReadOnlyList<double[]> simulated, ReadOnlySpan<double> fitted,
        ReadOnlySpan<double> uniforms, bool integerResponse, OutlierTestType outliers, IReadOnlyList<int[]>? outlierResamples = null)
    {
        ArgumentNullException.ThrowIfNull(simulated);
        int n = observed.Length, nsim = simulated.Count;
        if (nsim < 1) throw new GlmmInputException("at least one simulation is needed");
        if (fitted.Length != n || uniforms.Length != n || simulated.Any(s => s.Length != n))
            throw new GlmmInputException($"the observed responses, fitted values, uniforms and each simulation must have the same length ({n})");
        var less = new int[n];
        var lessOrEqual = new int[n];
        var spread = new double[nsim];
        var zeros = new double[nsim];
        var work = new double[n];
        var moments = new (double Mean, double M2)[nsim];
        for (int j = 0; j < nsim; j++)
        {
            var y = simulated[j];
            Accumulate(y, observed, less, lessOrEqual);
            spread[j] = DeviationVariance(y, fitted, work);
            zeros[j] = Zeros(y);
            moments[j] = Moments(y);
        }
        var residuals = new double[n];
        for (int i = 0; i < n; i++) residuals[i] = ResidualTests.QuantileResidual(less[i], lessOrEqual[i], nsim, uniforms[i]);
        var type = new ResidualCheckOptions { Outliers = outliers }.ResolveOutliers(integerResponse);
        ResidualTest? outlierTest = null;
        if (type == OutlierTestType.Bootstrap)
            outlierTest = OutlierBootstrap.Test(less, lessOrEqual, simulated, outlierResamples
                ?? OutlierBootstrap.Resamples(nsim, OutlierBootstrap.Replicates(OutlierBootstrap.DefaultReplicates, nsim), new SeededRandom(0, long.MaxValue - 1)));
        else if (type == OutlierTestType.Exchangeable)
        {
            var e = OutlierBootstrap.ExtremesOf(simulated, n);
            outlierTest = OutlierBootstrap.Exchangeable(less, lessOrEqual, observed, e.Min, e.ArgMin, e.Max, e.ArgMax, nsim);
        }
        return Assemble(observed, fitted, [.. fitted], residuals, spread, zeros, PooledVariance(moments, n), nsim, 0, false, integerResponse, 0, outlierTest);
    }

    internal static ResidualCheck Assemble(ReadOnlySpan<double> observed, ReadOnlySpan<double> fitted, double[] eta, double[] residuals, double[] spread,
        double[] zeros, double expectedVariance, int nsim, long seed, bool conditional, bool integerResponse, double seconds,
        ResidualTest? outlierTest = null)
    {
        var work = new double[observed.Length];
        double observedVariance = DeviationVariance(observed, fitted, work);
        var tests = new List<ResidualTest>
        {
            ResidualTests.Uniformity(residuals),
            ResidualTests.Dispersion(observedVariance, spread, expectedVariance),
        };
        double observedZeros = Zeros(observed);
        if (integerResponse) tests.Add(ResidualTests.ZeroInflation(observedZeros, zeros));
        var outliers = outlierTest ?? ResidualTests.Outliers(residuals, nsim);
        if (integerResponse && outliers.Method == "binomial" && outliers.IsSignificant())
            outliers = outliers with { Note = "the binomial test's expectation is approximate for integer responses and may flag too often: rerun with --outliers bootstrap" };
        tests.Add(outliers);
        var relativeSpread = spread.Select(s => s / expectedVariance).ToArray();
        return new ResidualCheck
        {
            Simulations = nsim,
            Seed = seed,
            Conditional = conditional,
            IntegerResponse = integerResponse,
            Residuals = Array.AsReadOnly(residuals),
            PredictedResponse = Array.AsReadOnly(fitted.ToArray()),
            LinearPredictor = Array.AsReadOnly(eta),
            Tests = tests.AsReadOnly(),
            SimulatedSpread = Array.AsReadOnly(relativeSpread),
            ObservedSpread = observedVariance / expectedVariance,
            SimulatedZeros = integerResponse ? Array.AsReadOnly(zeros) : Array.AsReadOnly(Array.Empty<double>()),
            ObservedZeros = observedZeros,
            Seconds = seconds,
        };
    }

    internal static void Accumulate(ReadOnlySpan<double> y, ReadOnlySpan<double> observed, Span<int> less, Span<int> lessOrEqual)
    {
        for (int i = 0; i < y.Length; i++)
        {
            double s = y[i], o = observed[i];
            if (s < o) less[i]++;
            if (s <= o) lessOrEqual[i]++;
        }
    }

    /// <summary>var(y − fitted) as R computes it; <paramref name="work"/> holds the deviations.</summary>
    internal static double DeviationVariance(ReadOnlySpan<double> y, ReadOnlySpan<double> fitted, Span<double> work)
    {
        for (int i = 0; i < y.Length; i++) work[i] = y[i] - fitted[i];
        return ResidualTests.Variance(work[..y.Length]);
    }

    internal static double Zeros(ReadOnlySpan<double> y)
    {
        int z = 0;
        foreach (double v in y) if (v == 0) z++;
        return z;
    }

    /// <summary>The mean and the sum of squared deviations of one simulation.</summary>
    internal static (double Mean, double M2) Moments(ReadOnlySpan<double> y)
    {
        double mean = ResidualTests.Mean(y), m2 = 0;
        foreach (double v in y) m2 += (v - mean) * (v - mean);
        return (mean, m2);
    }

    /// <summary>The variance of all simulated responses together (n per simulation), from each simulation's moments, in simulation order.</summary>
    internal static double PooledVariance(ReadOnlySpan<(double Mean, double M2)> moments, int n)
    {
        double grand = 0;
        foreach (var m in moments) grand += m.Mean;
        grand /= moments.Length;
        double ss = 0;
        foreach (var m in moments) ss += m.M2 + n * (m.Mean - grand) * (m.Mean - grand);
        return ss / ((double)n * moments.Length - 1);
    }
}

/// <summary>
/// Simulation-based quantile residuals of a fit (DHARMa's <c>simulateResiduals</c> followed by its tests): for each of n
/// simulations, a response vector is simulated from the fitted model (<see cref="Simulation"/>, stream (seed, j)), and
/// for each observation the simulations below and at-or-below it are counted; the simulated responses are never stored
/// (only per-observation counts and per-simulation summaries), so memory is O(rows), and simulations run in parallel
/// with results independent of the thread count (each has its own stream; counts are integers; summaries are stored
/// by simulation index and reduced in that order).
/// </summary>
public static class QuantileResiduals
{
    /// <summary>Runs the check on <paramref name="fit"/>.</summary>
    public static ResidualCheck Check(GlmmFit fit, ResidualCheckOptions? options = null) => Check(fit, options, null);

    /// <summary>
    /// Runs the check on <paramref name="fit"/>, reporting the number of finished simulations to <paramref name="progress"/>
    /// (from the worker threads, in no particular order) and stopping with <see cref="OperationCanceledException"/> when
    /// <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public static ResidualCheck Check(GlmmFit fit, ResidualCheckOptions? options, IProgress<int>? progress, CancellationToken cancellationToken) =>
        Check(fit, options, null, progress, cancellationToken);

    /// <summary>
    /// The check of <paramref name="response"/> (on the scale of the model's response, binomial as proportions; null: the
    /// fitted data's own) against simulations from <paramref name="fit"/>: with responses simulated from the fit itself the
    /// residuals are exactly uniform, which the tests use.
    /// </summary>
    internal static ResidualCheck Check(GlmmFit fit, ResidualCheckOptions? options, double[]? response, IProgress<int>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fit);
        options ??= new ResidualCheckOptions();
        int nsim = options.Simulations;
        if (nsim < 2) throw new GlmmInputException($"the residual check needs at least 2 simulations, not {nsim}");
        if (options.Threads < 0) throw new GlmmInputException($"threads must be 0 or more, not {options.Threads}");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var model = fit.Model;
        int n = model.N;
        var family = fit.Family;
        bool binomial = family.Name == "binomial";
        bool integer = binomial || family is Poisson or NegativeBinomial2 or NegativeBinomial1;
        var weights = model.Weights;

        // Observed responses on DHARMa's scale: binomial as counts of successes (proportion × trials).
        var observed = new double[n];
        var y0 = response ?? model.Y;
        if (y0.Length != n) throw new ArgumentException($"the response must have {n} values", nameof(response));
        for (int i = 0; i < n; i++) observed[i] = binomial ? y0[i] * weights[i] : y0[i];

        // Population-level linear predictor and fitted mean (re.form = ~0).
        var eta = new double[n];
        var fitted = new double[n];
        int p = model.X.Columns;
        var xv = model.X.Values;
        var beta = fit.Beta.ToArray();
        for (int i = 0; i < n; i++) eta[i] = model.Offset[i];
        for (int j = 0; j < p; j++)
        {
            double bj = beta[j];
            for (int i = 0; i < n; i++) eta[i] += xv[j * n + i] * bj;
        }
        for (int i = 0; i < n; i++) fitted[i] = family.Link.Inverse(eta[i]);

        if (options.OutlierReplicates < 1) throw new GlmmInputException($"the outlier test's bootstrap replicates must be at least 1, not {options.OutlierReplicates}");
        var outlierType = options.ResolveOutliers(integer);
        bool exchangeable = outlierType == OutlierTestType.Exchangeable;
        var extremes = exchangeable ? new OutlierBootstrap.Extremes(n) : null;
        // The bootstrapped outlier test ranks simulations among each other: it needs them all.
        var stored = outlierType == OutlierTestType.Bootstrap ? new double[nsim][] : null;
        var less = new int[n];
        var lessOrEqual = new int[n];
        var spread = new double[nsim];
        var zeros = new double[nsim];
        var moments = new (double Mean, double M2)[nsim];
        var gate = new object();
        var po = new ParallelOptions
        {
            MaxDegreeOfParallelism = options.Threads > 0 ? options.Threads : Environment.ProcessorCount,
            CancellationToken = cancellationToken,
        };
        int finished = 0;
        Parallel.For(0, nsim, po,
            () => new Workspace(n, exchangeable),
            (j, _, ws) =>
            {
                Simulation.SimulateInto(fit, new SeededRandom(options.Seed, j), options.Conditional, ws.Eta, ws.Y);
                var y = ws.Y;
                if (binomial)
                    for (int i = 0; i < n; i++) y[i] *= weights[i];
                ResidualCheck.Accumulate(y, observed, ws.Less, ws.LessOrEqual);
                spread[j] = ResidualCheck.DeviationVariance(y, fitted, ws.Eta);
                zeros[j] = ResidualCheck.Zeros(y);
                moments[j] = ResidualCheck.Moments(y);
                if (stored is not null) stored[j] = (double[])y.Clone();
                ws.Extremes?.Add(y, (int)j);
                progress?.Report(Interlocked.Increment(ref finished));
                return ws;
            },
            ws =>
            {
                lock (gate)
                {
                    for (int i = 0; i < n; i++)
                    {
                        less[i] += ws.Less[i];
                        lessOrEqual[i] += ws.LessOrEqual[i];
                    }
                    if (ws.Extremes is not null) extremes!.Merge(ws.Extremes);
                }
            });

        // The randomization of ties: one uniform per observation from a stream of its own (after the simulations' streams).
        var rng = new SeededRandom(options.Seed, long.MaxValue);
        var residuals = new double[n];
        for (int i = 0; i < n; i++) residuals[i] = ResidualTests.QuantileResidual(less[i], lessOrEqual[i], nsim, rng.NextDouble());
        double expected = ResidualCheck.PooledVariance(moments, n);
        if (!(expected > 0))
            throw new GlmmInputException("the simulated responses do not vary (all equal): the residual check needs a model that simulates variation");
        ResidualTest? outlierTest = null;
        if (stored is not null)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int nBoot = OutlierBootstrap.Replicates(options.OutlierReplicates, nsim);
            var selections = OutlierBootstrap.Resamples(nsim, nBoot, new SeededRandom(options.Seed, long.MaxValue - 1));
            outlierTest = OutlierBootstrap.Test(less, lessOrEqual, stored, selections, options.Threads);
        }
        else if (extremes is not null)
            outlierTest = OutlierBootstrap.Exchangeable(less, lessOrEqual, observed, extremes.Min, extremes.ArgMin, extremes.Max, extremes.ArgMax, nsim);
        return ResidualCheck.Assemble(observed, fitted, eta, residuals, spread, zeros, expected, nsim, options.Seed, options.Conditional, integer,
            clock.Elapsed.TotalSeconds, outlierTest);
    }

    private sealed class Workspace(int n, bool extremes)
    {
        public readonly OutlierBootstrap.Extremes? Extremes = extremes ? new OutlierBootstrap.Extremes(n) : null;
        public readonly double[] Eta = new double[n];
        public readonly double[] Y = new double[n];
        public readonly int[] Less = new int[n];
        public readonly int[] LessOrEqual = new int[n];
    }
}
