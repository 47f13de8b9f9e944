using System.Globalization;

namespace Glmm.Inference;

/// <summary>Which outlier test <c>glmm check</c> runs (DHARMa's <c>testOutliers(type = …)</c>).</summary>
public enum OutlierTestType
{
    /// <summary>
    /// <see cref="Exchangeable"/> for integer-valued responses, <see cref="Binomial"/> (exact there) for continuous ones. DHARMa's
    /// own default is its bootstrap below 500 rows of an integer response, which flags too often (see <see cref="Bootstrap"/>).
    /// </summary>
    Default,

    /// <summary>The exact binomial test of the number of residuals outside the envelope against the frequency 2/(nsim + 1), exact for continuous responses.</summary>
    Binomial,

    /// <summary>
    /// DHARMa's type = "bootstrap", as DHARMa computes it: the expected outlier frequency from simulated data sets each
    /// re-evaluated against a resample with replacement of the others. A resample of nsim holds about 63% distinct
    /// simulations, so its envelope is narrower than the observed data's and the expectation too high: on well-specified
    /// counts it flags "fewer outliers than expected" far above its nominal rate (measured: 8 of 40 seeds; DHARMa's formula
    /// in R on independent Poisson rows, 15 of 100). Kept for comparison with DHARMa; it stores every simulated value.
    /// </summary>
    Bootstrap,

    /// <summary>
    /// The exact simulation test of the outlier count: each simulated data set is ranked among the other simulations with the
    /// observed data in its own place (so against nsim data sets, as the observed data is), which makes the observed count
    /// exchangeable with the simulated ones when the model is right, whatever the ties of a discrete response. The
    /// expectation is the mean over all simulations and p DHARMa's two-sided getP. Needs no stored simulations: a simulation
    /// is an outlier of a row only when it is that row's unique minimum (or maximum), so the row's extremes decide.
    /// </summary>
    Exchangeable,
}

/// <summary>
/// DHARMa's bootstrapped outlier test (<c>testOutliers(type = "bootstrap", margin = "both")</c>, DHARMa 0.4.x–0.5.x): an
/// observation is an outlier when its scaled residual is exactly 0 or 1 (every simulation above it, or every one below it;
/// the randomization of ties never reaches the edges). The observed frequency of outliers is compared with its distribution
/// under the model: for bootstrap replicate i (i = 1, …, nBoot ≤ nsim), simulation i plays the observed data and is ranked
/// among nsim simulations drawn with replacement from the others, and the frequency of its outliers is recorded. The
/// statistic is the number of outliers, the expected frequency the mean over replicates and p DHARMa's two-sided getP.
/// </summary>
public static class OutlierBootstrap
{
    /// <summary>DHARMa's default number of bootstrap replicates (capped at the number of simulations).</summary>
    public const int DefaultReplicates = 100;

    /// <summary>
    /// The test from the observed counts (simulations below, and at or below, each observation), the simulated responses
    /// (each array one simulation) and the resamples: <paramref name="selections"/>[i] holds the nsim indices (0-based, drawn
    /// with replacement from all but i) that replicate i ranks simulation i among.
    /// </summary>
    public static ResidualTest Test(ReadOnlySpan<int> less, ReadOnlySpan<int> lessOrEqual, IReadOnlyList<double[]> simulated,
        IReadOnlyList<int[]> selections, int threads = 0)
    {
        ArgumentNullException.ThrowIfNull(simulated);
        ArgumentNullException.ThrowIfNull(selections);
        int n = less.Length, nsim = simulated.Count, nBoot = selections.Count;
        if (nsim < 2) throw new GlmmInputException($"the bootstrapped outlier test needs at least 2 simulations, not {nsim}");
        if (nBoot < 1 || nBoot > nsim) throw new GlmmInputException($"the bootstrapped outlier test needs between 1 and {nsim} replicates, not {nBoot}");
        if (lessOrEqual.Length != n || simulated.Any(s => s.Length != n))
            throw new GlmmInputException($"the counts and each simulation must have the same length ({n})");
        int observed = 0;
        for (int k = 0; k < n; k++)
        {
            if (lessOrEqual[k] == 0) observed++;
            if (less[k] == nsim) observed++;
        }
        double observedFrequency = observed / (double)n;

        var frequencies = new double[nBoot];
        var po = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount };
        Parallel.For(0, nBoot, po,
            () => new Workspace(n, nsim),
            (i, _, ws) =>
            {
                frequencies[i] = ReplicateFrequency(simulated, i, selections[i], ws) / (double)n;
                return ws;
            },
            _ => { });
        double expected = ResidualTests.Mean(frequencies);
        double p = ResidualTests.SimulationP(frequencies, observedFrequency);
        return new ResidualTest("outliers", observed, p, "outliers")
        {
            Observations = n,
            ExpectedFrequency = expected,
            Method = "bootstrap",
            Replicates = nBoot,
        };
    }

    /// <summary>
    /// The exchangeable outlier test from each row's extremes over the simulations: the smallest simulated value, the
    /// simulation attaining it (−1 when two or more do) and the same for the largest. Simulation j has a low outlier in
    /// row k when it is the row's unique minimum and lies below the observation (then every other data set lies above it),
    /// and a high one when it is the unique maximum above the observation.
    /// </summary>
    public static ResidualTest Exchangeable(ReadOnlySpan<int> less, ReadOnlySpan<int> lessOrEqual, ReadOnlySpan<double> observed,
        ReadOnlySpan<double> min, ReadOnlySpan<int> argMin, ReadOnlySpan<double> max, ReadOnlySpan<int> argMax, int nsim)
    {
        int n = less.Length;
        if (nsim < 2) throw new GlmmInputException($"the outlier test needs at least 2 simulations, not {nsim}");
        if (lessOrEqual.Length != n || observed.Length != n || min.Length != n || argMin.Length != n || max.Length != n || argMax.Length != n)
            throw new GlmmInputException($"the counts, observations and extremes must have the same length ({n})");
        int count = 0;
        var perSimulation = new int[nsim];
        for (int k = 0; k < n; k++)
        {
            if (lessOrEqual[k] == 0) count++;
            if (less[k] == nsim) count++;
            if (argMin[k] >= 0 && min[k] < observed[k]) perSimulation[argMin[k]]++;
            if (argMax[k] >= 0 && max[k] > observed[k]) perSimulation[argMax[k]]++;
        }
        var frequencies = new double[nsim];
        for (int j = 0; j < nsim; j++) frequencies[j] = perSimulation[j] / (double)n;
        return new ResidualTest("outliers", count, ResidualTests.SimulationP(frequencies, count / (double)n), "outliers")
        {
            Observations = n,
            ExpectedFrequency = ResidualTests.Mean(frequencies),
            Method = "exchangeable",
            Replicates = nsim,
        };
    }

    /// <summary>Each row's extremes over the simulations (<see cref="Extremes"/>), from stored simulations.</summary>
    internal static Extremes ExtremesOf(IReadOnlyList<double[]> simulated, int n)
    {
        var e = new Extremes(n);
        for (int j = 0; j < simulated.Count; j++) e.Add(simulated[j], j);
        return e;
    }

    /// <summary>
    /// nBoot resamples for nsim simulations, drawn from <paramref name="rng"/> in replicate order: replicate i draws nsim
    /// indices uniformly from the nsim − 1 simulations other than i (R's <c>sample(simIndices[-i], nSim, replace = TRUE)</c>).
    /// </summary>
    internal static int[][] Resamples(int nsim, int nBoot, Random rng)
    {
        var result = new int[nBoot][];
        for (int i = 0; i < nBoot; i++)
        {
            var sel = new int[nsim];
            for (int s = 0; s < nsim; s++)
            {
                int j = rng.Next(nsim - 1);
                sel[s] = j >= i ? j + 1 : j;
            }
            result[i] = sel;
        }
        return result;
    }

    /// <summary>The replicates DHARMa runs for <paramref name="requested"/>: at most one per simulation.</summary>
    public static int Replicates(int requested, int nsim) => Math.Min(requested, nsim);

    /// <summary>Outliers (both margins) of simulation <paramref name="i"/> ranked among the simulations <paramref name="selection"/>.</summary>
    private static int ReplicateFrequency(IReadOnlyList<double[]> simulated, int i, int[] selection, Workspace ws)
    {
        // Duplicates in the resample do not change whether every selected value lies above (or below) the observation: the
        // minimum and maximum over the distinct selected simulations decide.
        Array.Clear(ws.Used);
        int distinct = 0;
        foreach (int j in selection)
        {
            if ((uint)j >= (uint)simulated.Count || j == i)
                throw new GlmmInputException(string.Create(CultureInfo.InvariantCulture, $"bootstrap replicate {i}: resample index {j} is not one of the other simulations"));
            if (!ws.Used[j])
            {
                ws.Used[j] = true;
                ws.Distinct[distinct++] = j;
            }
        }
        var min = ws.Min.AsSpan();
        var max = ws.Max.AsSpan();
        simulated[ws.Distinct[0]].AsSpan().CopyTo(min);
        simulated[ws.Distinct[0]].AsSpan().CopyTo(max);
        for (int d = 1; d < distinct; d++)
        {
            var y = simulated[ws.Distinct[d]].AsSpan();
            for (int k = 0; k < y.Length; k++)
            {
                double v = y[k];
                if (v < min[k]) min[k] = v;
                if (v > max[k]) max[k] = v;
            }
        }
        var obs = simulated[i].AsSpan();
        int outliers = 0;
        for (int k = 0; k < obs.Length; k++)
        {
            if (min[k] > obs[k]) outliers++;
            if (max[k] < obs[k]) outliers++;
        }
        return outliers;
    }

    /// <summary>
    /// Per row, the smallest and largest simulated values and which simulation attains each (−1 when tied): merged in any
    /// order with the same result, so the parallel simulations can keep one per thread.
    /// </summary>
    internal sealed class Extremes
    {
        public readonly double[] Min;
        public readonly double[] Max;
        public readonly int[] ArgMin;
        public readonly int[] ArgMax;

        public Extremes(int n)
        {
            Min = new double[n];
            Max = new double[n];
            ArgMin = new int[n];
            ArgMax = new int[n];
            Array.Fill(Min, double.PositiveInfinity);
            Array.Fill(Max, double.NegativeInfinity);
            Array.Fill(ArgMin, -2);
            Array.Fill(ArgMax, -2);
        }

        /// <summary>Adds simulation <paramref name="j"/>.</summary>
        public void Add(ReadOnlySpan<double> y, int j)
        {
            for (int k = 0; k < y.Length; k++)
            {
                double v = y[k];
                if (v < Min[k]) { Min[k] = v; ArgMin[k] = j; }
                else if (v == Min[k]) ArgMin[k] = -1;
                if (v > Max[k]) { Max[k] = v; ArgMax[k] = j; }
                else if (v == Max[k]) ArgMax[k] = -1;
            }
        }

        /// <summary>Merges another thread's extremes (over disjoint simulations) into these.</summary>
        public void Merge(Extremes other)
        {
            for (int k = 0; k < Min.Length; k++)
            {
                if (other.ArgMin[k] == -2) continue;
                if (other.Min[k] < Min[k]) { Min[k] = other.Min[k]; ArgMin[k] = other.ArgMin[k]; }
                else if (other.Min[k] == Min[k]) ArgMin[k] = -1;
                if (other.Max[k] > Max[k]) { Max[k] = other.Max[k]; ArgMax[k] = other.ArgMax[k]; }
                else if (other.Max[k] == Max[k]) ArgMax[k] = -1;
            }
        }
    }

    private sealed class Workspace(int n, int nsim)
    {
        public readonly double[] Min = new double[n];
        public readonly double[] Max = new double[n];
        public readonly bool[] Used = new bool[nsim];
        public readonly int[] Distinct = new int[nsim];
    }
}
