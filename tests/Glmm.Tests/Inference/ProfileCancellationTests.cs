namespace Glmm.Tests.Inference;

/// <summary>A library profile stops through its cancellation token, and reports its progress.</summary>
public class ProfileCancellationTests
{
    private static GlmmFit Fit() => GlmmModel.Fit("cbind(incidence, size - incidence) ~ period + (1 | herd)",
        CsvTableReader.Read(Path.Combine(AppContext.BaseDirectory, "fixtures", "data", "cbpp.csv")));

    [Fact]
    public void ACancelledTokenStopsTheProfile()
    {
        var fit = Fit();
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => Glmm.Inference.Profile.Intervals(fit, 0.95, 1, null, cts.Token));
    }

    [Fact]
    public void CancellingDuringTheProfileStopsItAfterTheLimitsUnderWay()
    {
        var fit = Fit();
        using var cts = new CancellationTokenSource();
        int reports = 0;
        var progress = new Reporter(n =>
        {
            Interlocked.Exchange(ref reports, n);
            if (n == 1) cts.Cancel();
        });
        Assert.ThrowsAny<OperationCanceledException>(() => Glmm.Inference.Profile.Intervals(fit, 0.95, 1, progress, cts.Token));
        Assert.InRange(reports, 1, 5); // 3 parameters: 6 limits; cancelled after the first
        var all = new List<int>();
        var full = Glmm.Inference.Profile.Intervals(fit, 0.95, 1, new Reporter(n => { lock (all) all.Add(n); }));
        Assert.Equal(3, full.Count);
        Assert.Equal(Enumerable.Range(1, 6), all.Order());
    }

    private sealed class Reporter(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
