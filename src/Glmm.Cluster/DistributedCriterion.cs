using System.Diagnostics;
using System.Globalization;
using Glmm.Fitting;

namespace Glmm.Cluster;

/// <summary>
/// The Laplace criterion of a partitioned data set as the sum of the partitions' own: every evaluation broadcasts x to all
/// partition grains in parallel and adds their values (and gradients) in partition order, so the result does not depend
/// on how many workers there are or where Orleans placed the partitions. A partition that fails or does not answer within
/// the timeout is asked again (Orleans reactivates it on a surviving worker, where it reloads its part); one that still
/// fails after <see cref="Attempts"/> tries stops the fit with one line naming it and its last worker. Calls refused by a
/// worker that cannot be reached do not count as tries while the membership has yet to drop it (within the timeout).
/// </summary>
internal sealed class DistributedCriterion : ICriterion
{
    private readonly IPartitionGrain[] _grains;
    private readonly PartitionSpec[] _specs;
    private readonly double[] _lower;
    private readonly TimeSpan _timeout;
    private readonly TextWriter? _log;
    private readonly string[] _worker;
    private readonly int[] _sweeps;
    private readonly bool[] _placing;
    private readonly int _nth;
    private bool _restoreNext;

    /// <summary>Tries per partition and evaluation before the fit stops.</summary>
    public const int Attempts = 4;

    public DistributedCriterion(IPartitionGrain[] grains, PartitionSpec[] specs, double[] lowerTheta, int p, bool hasGradient, TimeSpan timeout, TextWriter? log)
    {
        _grains = grains;
        _specs = specs;
        _timeout = timeout;
        _log = log;
        HasGradient = hasGradient;
        _nth = lowerTheta.Length;
        Dimension = lowerTheta.Length + p;
        _lower = new double[Dimension];
        for (int j = 0; j < Dimension; j++) _lower[j] = j < lowerTheta.Length ? lowerTheta[j] : double.NegativeInfinity;
        _worker = new string[grains.Length];
        Array.Fill(_worker, "?");
        _sweeps = new int[grains.Length];
        _placing = new bool[grains.Length];
    }

    /// <summary>
    /// The names of the workers the cluster's membership holds active, or null when that cannot be asked now. While a
    /// round waits, a partition whose worker has left that set is asked again at once rather than after the timeout
    /// (Orleans does not fail a call in flight to a worker that died; its partitions are placed anew on the next call).
    /// </summary>
    public Func<IReadOnlySet<string>?>? ActiveWorkers { get; set; }

    /// <summary>How often a waiting round asks <see cref="ActiveWorkers"/>.</summary>
    public TimeSpan MembershipPoll { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Called after every evaluation with the count so far (tests stop a worker mid-fit here).</summary>
    public Action<int>? AfterEvaluation { get; set; }

    /// <summary>Seconds of the last evaluation at the coordinator (broadcast, compute and reduction).</summary>
    public double LastRoundTripSeconds { get; private set; }

    /// <summary>The largest compute time among the partitions in the last evaluation.</summary>
    public double LastComputeSeconds { get; private set; }

    /// <summary>Total seconds of all evaluations at the coordinator, and the part of it the slowest partition computed.</summary>
    public (double RoundTrip, double Compute) TotalSeconds { get; private set; }

    /// <summary>Partitions re-asked after a failure or a timeout.</summary>
    public int Retries { get; private set; }

    /// <summary>The last worker of each partition.</summary>
    public IReadOnlyList<string> Workers => _worker;

    /// <summary>Records where the partitions were loaded (for the reports before their first evaluation).</summary>
    public void SetWorkers(string[] workers) => workers.CopyTo(_worker, 0);

    public int Dimension { get; }

    public bool IncludesBeta => true;

    public ReadOnlySpan<double> LowerBounds => _lower;

    public bool HasGradient { get; }

    public double Evaluate(ReadOnlySpan<double> x) => Run(x, Span<double>.Empty, false);

    public double Evaluate(ReadOnlySpan<double> x, Span<double> gradient) => Run(x, gradient, true);

    /// <summary>Each grain saves its current modes; returns no modes of its own (they stay on the workers).</summary>
    public double[] SaveModes()
    {
        ForAll(g => g.SaveModes(), "saving the modes");
        return [];
    }

    /// <summary>The next evaluation starts every partition's PIRLS from the modes it saved last.</summary>
    public void RestoreModes(ReadOnlySpan<double> u) => _restoreNext = true;

    public PenalizedSystem System => throw new NotSupportedException("a distributed criterion's PIRLS state lives on the workers");

    public int Sweeps => _sweeps.Sum();

    public int Evaluations { get; private set; }

    private double Run(ReadOnlySpan<double> x, Span<double> gradient, bool withGradient)
    {
        var clock = Stopwatch.StartNew();
        var request = new EvaluationRequest { X = x.ToArray(), Gradient = withGradient, RestoreSaved = _restoreNext };
        _restoreNext = false;
        var results = Gather(i => EvaluateOne(i, request), "evaluating the criterion");
        double total = 0, compute = 0;
        if (withGradient) gradient.Clear();
        // The reduction in partition order: the same sum whatever the placement.
        for (int i = 0; i < results.Length; i++)
        {
            var r = results[i];
            total += r.Value;
            compute = Math.Max(compute, r.Seconds);
            _sweeps[i] = r.Sweeps;
            if (withGradient) for (int j = 0; j < gradient.Length; j++) gradient[j] += r.Gradient[j];
        }
        Evaluations++;
        LastRoundTripSeconds = clock.Elapsed.TotalSeconds;
        LastComputeSeconds = compute;
        TotalSeconds = (TotalSeconds.RoundTrip + LastRoundTripSeconds, TotalSeconds.Compute + compute);
        if (double.IsNaN(total)) total = double.PositiveInfinity;
        FitMonitor.Observe("Laplace", _nth, includesBeta: true, withDispersion: false, x, default, total);
        AfterEvaluation?.Invoke(Evaluations);
        return total;
    }

    private async Task<PartialEvaluation> EvaluateOne(int i, EvaluationRequest request)
    {
        var r = await _grains[i].Evaluate(request).ConfigureAwait(false);
        // Where it runs now (a reactivation after its worker died): the membership check follows that worker from here.
        Volatile.Write(ref _worker[i], r.Worker);
        Volatile.Write(ref _placing[i], false);
        if (!r.Loaded)
        {
            // A new activation (its worker left or died): load the part and ask again.
            _log?.WriteLine($"glmm: partition {i} reloads its part on {r.Worker}");
            await _grains[i].Load(_specs[i]).ConfigureAwait(false);
            r = await _grains[i].Evaluate(request).ConfigureAwait(false);
        }
        _worker[i] = r.Worker;
        return r;
    }

    private void ForAll(Func<IPartitionGrain, Task> call, string what) =>
        Gather(async i => { await call(_grains[i]).ConfigureAwait(false); return true; }, what);

    /// <summary>
    /// Runs <paramref name="call"/> for every partition in parallel, re-asking the ones that fail or time out. A call refused
    /// because its partition's worker cannot be reached (killed, but not yet declared dead by the membership, so Orleans still
    /// routes to it) does not use up one of the <see cref="Attempts"/>: the round waits for the membership to drop that worker
    /// (at most the timeout from the first such refusal) and asks again, when the partition is placed on a live worker.
    /// </summary>
    public T[] Gather<T>(Func<int, Task<T>> call, string what)
    {
        int n = _grains.Length;
        var results = new T[n];
        var pending = Enumerable.Range(0, n).ToList();
        Stopwatch? unreachable = null;
        int backoff = 0;
        for (int attempt = 1; pending.Count > 0;)
        {
            var tasks = pending.Select(i => Start(call, i).WaitAsync(_timeout)).ToArray();
            WaitOrWorkerGone(tasks, pending);
            var failed = new List<int>();
            var reasons = new List<string>();
            var unreachableWorkers = new HashSet<string>(StringComparer.Ordinal);
            bool allUnreachable = true;
            for (int k = 0; k < pending.Count; k++)
            {
                int i = pending[k];
                if (tasks[k].IsCompletedSuccessfully)
                {
                    results[i] = tasks[k].Result;
                    _placing[i] = false;
                    continue;
                }
                failed.Add(i);
                if (!tasks[k].IsCompleted)
                {
                    // Its worker left the cluster: the late answer is dropped (it cannot come from a dead worker).
                    tasks[k].ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
                    reasons.Add($"partition {i} (worker {_worker[i]}) lost its worker, which left the cluster, while {what}");
                    // Until its new activation answers, its last worker is the dead one: the retry must not be judged lost by it
                    // (reloading a large part takes longer than a membership poll); it waits for the answer or the timeout.
                    _placing[i] = true;
                    allUnreachable = false;
                    continue;
                }
                var e = tasks[k].Exception?.InnerException;
                if (e is GlmmInputException input) throw new GlmmInputException($"partition {i}: {input.Message}");
                if (IsUnreachable(e)) unreachableWorkers.Add(_worker[i]);
                else allUnreachable = false;
                reasons.Add(e is TimeoutException
                    ? string.Create(CultureInfo.InvariantCulture, $"partition {i} (worker {_worker[i]}) did not answer within {_timeout.TotalSeconds:G4} s while {what}")
                    : $"partition {i} (worker {_worker[i]}) failed while {what}: {e?.GetType().Name}: {FirstLine(e?.Message)}");
            }
            if (failed.Count == 0) break;
            // Refusals by an unreachable worker wait for the membership instead of counting, within the timeout.
            bool waitForMembership = allUnreachable && (unreachable ??= Stopwatch.StartNew()).Elapsed < _timeout;
            bool giveUp = !waitForMembership && attempt >= Attempts;
            string next = giveUp ? "giving up" : waitForMembership ? "waiting for the membership to drop its worker, then retrying" : "retrying";
            foreach (var reason in reasons) _log?.WriteLine($"glmm: warning: {reason}; {next}");
            if (giveUp) throw new GlmmInputException(reasons[^1] + $", {Attempts} times; the fit stopped");
            if (waitForMembership) WaitUntilGone(unreachableWorkers, TimeSpan.FromMilliseconds(250 << Math.Min(backoff++, 4)));
            else attempt++;
            Retries += failed.Count;
            pending = failed;
        }
        return results;
    }

    /// <summary>
    /// Whether a call failed because its worker could not be reached (a refused connection, a silo Orleans knows to be
    /// unavailable) rather than in the partition's own work.
    /// </summary>
    internal static bool IsUnreachable(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
            if (e is SiloUnavailableException or OrleansMessageRejectionException or Orleans.Runtime.Messaging.ConnectionFailedException) return true;
        return false;
    }

    /// <summary>Waits until the membership no longer holds any of <paramref name="workers"/> active, at most <paramref name="most"/>.</summary>
    private void WaitUntilGone(HashSet<string> workers, TimeSpan most)
    {
        var clock = Stopwatch.StartNew();
        var poll = TimeSpan.FromMilliseconds(Math.Min(250, Math.Max(1, MembershipPoll.TotalMilliseconds)));
        while (clock.Elapsed < most)
        {
            var active = AskActiveWorkers();
            // Dropped by the membership: a poll's time for the gateways to learn it, then the call is placed anew.
            bool gone = active is { Count: > 0 } && !workers.Any(active.Contains);
            Thread.Sleep(poll);
            if (gone) return;
        }
    }

    /// <summary>
    /// Waits until every task has completed, or until a task still running belongs to a worker that the membership no
    /// longer holds active (then returns without waiting for the others' stragglers to matter: the caller retries the
    /// unfinished ones whose workers are gone and keeps the finished results).
    /// </summary>
    private bool WaitOrWorkerGone<T>(Task<T>[] tasks, List<int> pending)
    {
        var all = Task.WhenAll(tasks);
        if (ActiveWorkers is null)
        {
            WaitQuietly(all, Timeout.InfiniteTimeSpan);
            return false;
        }
        while (!WaitQuietly(all, MembershipPoll))
        {
            var active = AskActiveWorkers();
            if (active is null || active.Count == 0) continue;
            bool lost = false;
            for (int k = 0; k < tasks.Length; k++)
            {
                int i = pending[k];
                string worker = Volatile.Read(ref _worker[i]);
                if (!tasks[k].IsCompleted && !Volatile.Read(ref _placing[i]) && worker != "?" && !active.Contains(worker)) lost = true;
            }
            if (!lost) continue;
            // Let the partitions on live workers finish this round; those on the lost worker are retried.
            for (int k = 0; k < tasks.Length; k++)
                if (!tasks[k].IsCompleted && (Volatile.Read(ref _placing[pending[k]]) || active.Contains(Volatile.Read(ref _worker[pending[k]]))))
                    WaitQuietly(tasks[k], Timeout.InfiniteTimeSpan);
            return true;
        }
        return false;
    }

    /// <summary><see cref="ActiveWorkers"/>' answer, or null when there is none or the question failed.</summary>
    private IReadOnlySet<string>? AskActiveWorkers()
    {
        try
        {
            return ActiveWorkers?.Invoke();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return null;
        }
    }

    private static bool WaitQuietly(Task task, TimeSpan wait)
    {
        try
        {
            return task.Wait(wait);
        }
        catch (AggregateException)
        {
            return true; // completed (faulted or timed out): inspected one by one by the caller
        }
    }

    /// <summary>The call's task; an exception thrown before it returns one (a connection refused) becomes a faulted task.</summary>
    private static Task<T> Start<T>(Func<int, Task<T>> call, int i)
    {
        try
        {
            return call(i);
        }
        catch (Exception e) when (e is not GlmmInputException)
        {
            return Task.FromException<T>(e);
        }
    }

    private static string FirstLine(string? s) => s is null ? "" : s.Split('\n')[0].Trim();
}
