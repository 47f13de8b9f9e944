using Glmm.Results;

namespace Glmm.Cli;

/// <summary>
/// The fit's progress on stderr: with --verbose every evaluation as a line of the fit log; otherwise, on a terminal or
/// with --progress, one line rewritten at most five times a second (stage, evaluation, criterion, time). Reports come on
/// the fitting thread, in order.
/// </summary>
internal sealed class FitProgressReporter(TextWriter stderr, bool verbose, bool show) : IProgress<FitEvaluation>
{
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private long _lastShown = -1000;
    private bool _lineOpen;

    /// <summary>Evaluations reported so far.</summary>
    public int Count { get; private set; }

    /// <summary>The smallest finite criterion of the current stage so far (NaN before one).</summary>
    public double Best { get; private set; } = double.NaN;

    /// <summary>The stage of the last evaluation ("" before one).</summary>
    public string Stage { get; private set; } = "";

    public void Report(FitEvaluation value)
    {
        Count = value.Evaluation;
        if (value.Stage != Stage)
        {
            Stage = value.Stage;
            Best = double.NaN;
        }
        if (double.IsFinite(value.Objective) && !(value.Objective >= Best)) Best = value.Objective;
        if (verbose)
        {
            if (value.Evaluation == 1) stderr.WriteLine(FitLogWriter.Header);
            stderr.WriteLine(FitLogWriter.FormatLine(value));
            return;
        }
        if (!show || _clock.ElapsedMilliseconds - _lastShown < 200) return;
        _lastShown = _clock.ElapsedMilliseconds;
        string best = double.IsFinite(Best) ? Best.ToString("F4", System.Globalization.CultureInfo.InvariantCulture) : "-";
        stderr.Write($"\rfit: {value.Stage}, evaluation {value.Evaluation}, best {best}, {_clock.Elapsed.TotalSeconds:F1} s   ");
        stderr.Flush();
        _lineOpen = true;
    }

    /// <summary>Ends the progress line (if one was written).</summary>
    public void Finish()
    {
        if (!_lineOpen) return;
        stderr.WriteLine();
        _lineOpen = false;
    }
}
