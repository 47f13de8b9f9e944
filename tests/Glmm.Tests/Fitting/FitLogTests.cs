using Glmm.Data;

namespace Glmm.Tests.Fitting;

/// <summary>The fit log, progress and cancellation of a fit (GlmmModel.Fit with IProgress and a CancellationToken).</summary>
public class FitLogTests
{
    private static readonly string Data = Path.Combine(AppContext.BaseDirectory, "fixtures", "data");
    private const string Cbpp = "cbind(incidence, size - incidence) ~ factor(period) + (1 | herd)";

    private static DataTable CbppData() => CsvTableReader.Read(Path.Combine(Data, "cbpp.csv"));

    private sealed class Recorder : IProgress<FitEvaluation>
    {
        public readonly List<FitEvaluation> Seen = new();
        public Action<FitEvaluation>? OnReport;

        public void Report(FitEvaluation value)
        {
            Seen.Add(value);
            OnReport?.Invoke(value);
        }
    }

    [Fact]
    public void TheLogHoldsEveryEvaluationInOrderAndEndsAtTheEstimates()
    {
        var recorder = new Recorder();
        var fit = GlmmModel.Fit(Cbpp, CbppData(), null, recorder);
        Assert.Equal(recorder.Seen, fit.FitLog);
        Assert.True(fit.FitLog.Count >= fit.Evaluations, $"{fit.FitLog.Count} logged, {fit.Evaluations} counted");
        Assert.Equal(Enumerable.Range(1, fit.FitLog.Count), fit.FitLog.Select(e => e.Evaluation));
        Assert.StartsWith("stage 1", fit.FitLog[0].Stage);
        Assert.Contains(fit.FitLog, e => e.Stage == "Laplace");
        // Stage 1's β is the PIRLS β̃ (one per fixed effect); the best logged deviance is the fit's, at its estimates.
        Assert.All(fit.FitLog, e => Assert.Equal(fit.Beta.Count, e.Beta.Count));
        var best = fit.FitLog.Where(e => e.Stage == "Laplace").MinBy(e => e.Objective)!;
        Assert.Equal(-2 * fit.LogLik, best.Objective, 1e-6);
        Assert.Equal(fit.Theta[0], best.Theta[0], 1e-5);
        for (int j = 0; j < fit.Beta.Count; j++) Assert.Equal(fit.Beta[j], best.Beta[j], 1e-4);
        // The plain overload keeps the log too.
        Assert.Equal(fit.FitLog.Count, GlmmModel.Fit(Cbpp, CbppData()).FitLog.Count);
    }

    [Fact]
    public void TheLogShowsBetaOnTheModelsOwnScaleWhenTheEngineRescalesAColumn()
    {
        // A covariate in units 1000 times too small: the engine divides its column by a power of two; the log must not.
        var table = CbppData();
        var size = ((NumericColumn)table["size"]).Values;
        var scaled = new DataTable(table.Columns.Append(new NumericColumn("sizeK", size.Select(v => v * 1000.0).ToArray())));
        var fit = GlmmModel.Fit("cbind(incidence, size - incidence) ~ sizeK + (1 | herd)", scaled);
        var last = fit.FitLog.Where(e => e.Stage == "Laplace").MinBy(e => e.Objective)!;
        Assert.Equal(fit.Beta[1], last.Beta[1], Math.Abs(fit.Beta[1]) * 1e-3);
    }

    [Fact]
    public void ACancelledTokenStopsTheFitBetweenEvaluations()
    {
        using var source = new CancellationTokenSource();
        var recorder = new Recorder();
        recorder.OnReport = e =>
        {
            if (e.Evaluation == 5) source.Cancel();
        };
        Assert.ThrowsAny<OperationCanceledException>(() => GlmmModel.Fit(Cbpp, CbppData(), null, recorder, source.Token));
        Assert.Equal(5, recorder.Seen.Count);
        // Cancelled before it starts: nothing evaluated.
        var none = new Recorder();
        Assert.ThrowsAny<OperationCanceledException>(() => GlmmModel.Fit(Cbpp, CbppData(), null, none, source.Token));
        Assert.Empty(none.Seen);
    }

    [Fact]
    public void TheLinearMixedModelLogsThetaAndItsCriterion()
    {
        var data = CsvTableReader.Read(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "examples", "sleepstudy.csv"));
        var fit = GlmmModel.Fit("Reaction ~ Days + (Days | Subject)", data, new GlmmOptions { Family = new Glmm.Families.Gaussian(), Reml = RemlVariant.Laplace });
        Assert.NotEmpty(fit.FitLog);
        Assert.All(fit.FitLog, e => Assert.Equal("REML", e.Stage));
        Assert.Equal(fit.RemlCriterion, fit.FitLog.Min(e => e.Objective), 1e-6);
    }
}
