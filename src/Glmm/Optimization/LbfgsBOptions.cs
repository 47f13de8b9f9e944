namespace Glmm.Optimization;

/// <summary>Settings of <see cref="LbfgsB"/>.</summary>
internal sealed record LbfgsBOptions
{
    /// <summary>Number of correction pairs (s, y) kept for the limited-memory BFGS matrix.</summary>
    public int Memory { get; init; } = 10;

    /// <summary>Stop when the largest component of the projected gradient is at most this times 1 + |f|.</summary>
    public double ProjectedGradientTolerance { get; init; } = 1e-6;

    /// <summary>Stop when an iteration lowers f by at most this times max(|f|, 1).</summary>
    public double FunctionTolerance { get; init; } = 1e-12;

    /// <summary>Maximum number of iterations.</summary>
    public int MaxIterations { get; init; } = 500;

    /// <summary>Maximum number of function-and-gradient evaluations.</summary>
    public int MaxEvaluations { get; init; } = 2000;
}
