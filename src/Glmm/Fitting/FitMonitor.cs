namespace Glmm.Fitting;

/// <summary>
/// The observer of a top-level fit: every criterion evaluation is recorded in the fit log, reported to the caller's
/// <see cref="IProgress{T}"/> and checked against the caller's <see cref="CancellationToken"/> (a cancelled fit throws
/// <see cref="OperationCanceledException"/> between evaluations). It is attached to the thread that runs the fit — the
/// optimisers evaluate their criterion on that thread, while the work inside an evaluation runs on other threads and
/// is never observed — so the refits of a profile or a bootstrap, which run elsewhere, stay unobserved.
/// </summary>
internal sealed class FitMonitor
{
    [ThreadStatic] private static FitMonitor? _current;

    private readonly IProgress<FitEvaluation>? _progress;
    private readonly CancellationToken _token;
    private readonly List<FitEvaluation> _log = new();
    private double[]? _scaling;
    private int _nested;

    private FitMonitor(IProgress<FitEvaluation>? progress, CancellationToken token)
    {
        _progress = progress;
        _token = token;
    }

    /// <summary>The evaluations so far.</summary>
    public IReadOnlyList<FitEvaluation> Log => _log;

    /// <summary>Attaches a monitor to this thread until the returned scope is disposed (the previous one is restored).</summary>
    public static Attachment Attach(IProgress<FitEvaluation>? progress, CancellationToken token, out FitMonitor monitor)
    {
        monitor = new FitMonitor(progress, token);
        var previous = _current;
        _current = monitor;
        return new Attachment(previous);
    }

    /// <summary>
    /// The engine's column scaling of X (divisors c: β = β*/c), so that the log shows β on the model's own scale.
    /// </summary>
    public static void UseScaling(double[] factors)
    {
        if (_current is { } m) m._scaling = factors;
    }

    /// <summary>
    /// Marks a criterion that evaluates another one inside its own evaluation (a dispersion or a prior around the Laplace
    /// criterion, REML around the joint mode): only the outer evaluation is logged.
    /// </summary>
    public static Nesting Nested()
    {
        if (_current is { } m) m._nested++;
        return new Nesting(_current);
    }

    /// <summary>
    /// Records one evaluation: x = θ (its first <paramref name="thetaLength"/> entries), then β when the criterion
    /// includes it, then log φ when <paramref name="withDispersion"/>; <paramref name="profiledBeta"/> is β when it is
    /// solved for inside (stage 1). Throws when the fit was cancelled.
    /// </summary>
    public static void Observe(string stage, int thetaLength, bool includesBeta, bool withDispersion, ReadOnlySpan<double> x,
        ReadOnlySpan<double> profiledBeta, double objective)
    {
        if (_current is not { } m) return;
        m._token.ThrowIfCancellationRequested();
        if (m._nested > 0) return;
        var theta = x[..thetaLength].ToArray();
        var betaSource = includesBeta ? x[thetaLength..(withDispersion ? x.Length - 1 : x.Length)] : profiledBeta;
        var beta = betaSource.ToArray();
        if (m._scaling is { } c && c.Length == beta.Length)
            for (int j = 0; j < beta.Length; j++) beta[j] /= c[j];
        double? dispersion = withDispersion ? Math.Exp(x[^1]) : null;
        var entry = new FitEvaluation(stage, m._log.Count + 1, Array.AsReadOnly(theta), Array.AsReadOnly(beta), dispersion, objective);
        m._log.Add(entry);
        m._progress?.Report(entry);
    }

    /// <summary>The attachment of a monitor to a thread; disposing restores the one before.</summary>
    public readonly struct Attachment(FitMonitor? previous) : IDisposable
    {
        /// <summary>Detaches the monitor.</summary>
        public void Dispose() => _current = previous;
    }

    /// <summary>A nested evaluation's scope.</summary>
    public readonly struct Nesting(FitMonitor? monitor) : IDisposable
    {
        /// <summary>Ends the nested evaluation.</summary>
        public void Dispose()
        {
            if (monitor is not null) monitor._nested--;
        }
    }
}
