namespace Glmm.Optimization;

/// <summary>Settings of <see cref="LbfgsB"/>.</summary>
internal sealed record LbfgsBOptions
{
    /// <summary>Number of correction pairs (s, y) kept for the limited-memory BFGS matrix.</summary>
    public int Memory { get; init; } = 10;

    /// <summary>
    /// Longest step (Euclidean norm) one iteration may take, expansions of its line search included: a trust radius
    /// for problems whose variables are scaled to unit curvature, where a much longer step means the quadratic model
    /// has been extrapolated far beyond where it holds. Infinite by default.
    /// </summary>
    public double MaxStepNorm { get; init; } = double.PositiveInfinity;

    /// <summary>Stop when the largest component of the projected gradient is at most this times 1 + |f|.</summary>
    public double ProjectedGradientTolerance { get; init; } = 1e-6;

    /// <summary>Stop when an iteration lowers f by at most this times max(|f|, 1).</summary>
    public double FunctionTolerance { get; init; } = 1e-12;

    /// <summary>Maximum number of iterations.</summary>
    public int MaxIterations { get; init; } = 500;

    /// <summary>
    /// Correction pairs (s, y = ∇f(x + s) − ∇f(x)) known before the start (gradient differences evaluated elsewhere, in the
    /// optimiser's variables), oldest first: the limited-memory matrix starts from them instead of the identity. Pairs
    /// without positive curvature are skipped.
    /// </summary>
    public IReadOnlyList<(double[] S, double[] Y)> InitialPairs { get; init; } = [];

    /// <summary>Maximum number of function-and-gradient evaluations.</summary>
    public int MaxEvaluations { get; init; } = 2000;
}
