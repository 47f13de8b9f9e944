using Glmm.Inference;

namespace Glmm.Tests.Inference;

/// <summary>The residual check's progress and cancellation (IProgress and CancellationToken on the long library operations).</summary>
public class ResidualCheckCancellationTests
{
    private static GlmmFit Cbpp() => GlmmModel.Fit("cbind(incidence, size - incidence) ~ factor(period) + (1 | herd)",
        CsvTableReader.Read(Path.Combine(AppContext.BaseDirectory, "fixtures", "data", "cbpp.csv")));

    private sealed class Counter(Action<int>? onReport = null) : IProgress<int>
    {
        private int _reports;

        public int Reports => _reports;

        public void Report(int value)
        {
            Interlocked.Increment(ref _reports);
            onReport?.Invoke(value);
        }
    }

    [Fact]
    public void ProgressCountsEverySimulationAndTheResultIsTheSame()
    {
        var fit = Cbpp();
        var options = new ResidualCheckOptions { Simulations = 60, Seed = 5 };
        var counter = new Counter();
        var withProgress = QuantileResiduals.Check(fit, options, counter, CancellationToken.None);
        Assert.Equal(60, counter.Reports);
        Assert.Equal(QuantileResiduals.Check(fit, options).Residuals, withProgress.Residuals);
    }

    [Fact]
    public void ACancelledTokenStopsTheCheck()
    {
        var fit = Cbpp();
        using var source = new CancellationTokenSource();
        var counter = new Counter(done =>
        {
            if (done >= 10) source.Cancel();
        });
        Assert.ThrowsAny<OperationCanceledException>(() =>
            QuantileResiduals.Check(fit, new ResidualCheckOptions { Simulations = 100_000, Threads = 1 }, counter, source.Token));
        Assert.InRange(counter.Reports, 10, 1000);
    }
}
