namespace Glmm.Cluster.Tests;

/// <summary>
/// The coordinator's retries without a cluster: partitions answered by a function that fails as a killed worker does. A
/// worker that refuses connections until the membership drops it must not stop the fit, however many calls it refuses in
/// that time; a partition failing in its own work stops it after the allowed tries; neither waits past the timeout.
/// </summary>
public class RetryTests
{

    private static DistributedCriterion Criterion(int partitions, TimeSpan timeout, Func<IReadOnlySet<string>?>? active)
    {
        var c = new DistributedCriterion(new IPartitionGrain[partitions], new PartitionSpec[partitions], [1.0], 1, false, timeout, null)
        {
            ActiveWorkers = active,
            MembershipPoll = TimeSpan.FromMilliseconds(20),
        };
        c.SetWorkers(Enumerable.Range(0, partitions).Select(i => $"w{i % 2}").ToArray());
        return c;
    }

    [Fact]
    public void ARefusingWorkerWaitsForTheMembership_NotForTheTries()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        // w1 is killed: the membership drops it after 300 ms; until then every call to its partitions is refused at once.
        var c = Criterion(4, TimeSpan.FromSeconds(20), () => clock.ElapsedMilliseconds < 300 ? new HashSet<string> { "w0", "w1" } : new HashSet<string> { "w0" });
        int refused = 0;
        var results = c.Gather(i =>
        {
            if (i % 2 == 1 && clock.ElapsedMilliseconds < 300)
            {
                Interlocked.Increment(ref refused);
                return Task.FromException<int>(new InvalidOperationException("Exception while sending message", new Orleans.Runtime.Messaging.ConnectionFailedException("Unable to connect to S127.0.0.1:11113")));
            }
            return Task.FromResult(10 * i);
        }, "evaluating the criterion");
        Assert.Equal([0, 10, 20, 30], results);
        Assert.True(refused >= 2);
        Assert.True(c.Retries >= 2);
    }

    [Fact]
    public void RefusalsWithoutAMembershipAnswerBackOffUntilTheTimeout()
    {
        // As many refusals as tries, no membership to ask: the backoff (0.25, 0.5, 1, ... s) carries the calls past them.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int calls = 0;
        var c = Criterion(2, TimeSpan.FromSeconds(30), null);
        var results = c.Gather(i =>
        {
            if (i == 1 && Interlocked.Increment(ref calls) <= DistributedCriterion.Attempts)
                return Task.FromException<int>(new SiloUnavailableException("silo S127.0.0.1:11113 is unavailable"));
            return Task.FromResult(i + 1);
        }, "evaluating the criterion");
        Assert.Equal([1, 2], results);
        Assert.Equal(DistributedCriterion.Attempts + 1, calls);

        // A worker that stays unreachable: the fit stops once the timeout has passed, naming the partition.
        var brief = Criterion(2, TimeSpan.FromMilliseconds(1500), null);
        var e = Assert.Throws<GlmmInputException>(() => brief.Gather(i => i == 1
            ? Task.FromException<int>(new SiloUnavailableException("silo S127.0.0.1:11113 is unavailable"))
            : Task.FromResult(0), "evaluating the criterion"));
        Assert.Contains("partition 1 (worker w1) failed while evaluating the criterion: SiloUnavailableException", e.Message);
        Assert.Contains("the fit stopped", e.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60));
    }

    [Fact]
    public void APartitionFailingInItsOwnWorkStopsAfterTheTries()
    {
        int calls = 0;
        var c = Criterion(3, TimeSpan.FromSeconds(20), () => new HashSet<string> { "w0", "w1" });
        var e = Assert.Throws<GlmmInputException>(() => c.Gather(i =>
        {
            if (i != 2) return Task.FromResult(i);
            Interlocked.Increment(ref calls);
            return Task.FromException<int>(new InvalidOperationException("the part's file is corrupt\nsecond line"));
        }, "loading its part"));
        Assert.Equal(DistributedCriterion.Attempts, calls);
        Assert.Equal($"partition 2 (worker w0) failed while loading its part: InvalidOperationException: the part's file is corrupt, {DistributedCriterion.Attempts} times; the fit stopped", e.Message);
        Assert.True(DistributedCriterion.IsUnreachable(new Exception("outer", new SiloUnavailableException())));
        Assert.False(DistributedCriterion.IsUnreachable(new TimeoutException()));
    }
}
