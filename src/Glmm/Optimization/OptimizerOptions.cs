namespace Glmm.Optimization;

/// <summary>
/// Settings of the bound-constrained optimiser <see cref="Bobyqa"/>.
/// </summary>
internal sealed record OptimizerOptions
{
    /// <summary>
    /// Initial trust-region radius (BOBYQA's <c>rhobeg</c>).
    /// BOBYQA shrinks it to half the smallest bound range <c>upper[i] - lower[i]</c> when that range is smaller than
    /// <c>2 * InitialTrustRadius</c>.
    /// </summary>
    public double InitialTrustRadius { get; init; } = 0.2;

    /// <summary>
    /// Final trust-region radius (BOBYQA's <c>rhoend</c>): the accuracy required in the variables.
    /// </summary>
    public double FinalTrustRadius { get; init; } = 1e-7;

    /// <summary>Maximum number of objective evaluations.</summary>
    public int MaxEvaluations { get; init; } = 10000;

    /// <summary>
    /// Number of interpolation points for BOBYQA, between <c>n + 2</c> and <c>(n + 1)(n + 2) / 2</c>; <c>null</c> means
    /// <c>2n + 1</c> (Powell's recommendation).
    /// </summary>
    public int? InterpolationPoints { get; init; }
}
