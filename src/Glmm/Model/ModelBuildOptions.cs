namespace Glmm.Model;

/// <summary>Options of <see cref="ModelBuilder.Build"/>.</summary>
public sealed record ModelBuildOptions
{
    /// <summary>A numeric column of prior weights (rows where it is missing are dropped); null for none.</summary>
    public string? WeightsColumn { get; init; }

    /// <summary>
    /// Relative tolerance for detecting linearly dependent fixed-effect columns (lme4's <c>qr(X, tol = 1e-7)</c>):
    /// a column whose part orthogonal to the earlier kept columns is smaller than this fraction of its norm is dropped.
    /// </summary>
    public double RankTolerance { get; init; } = 1e-7;

    /// <summary>
    /// The table is one part of a larger data set (a partition of a distributed fit): a response that is constant in this
    /// part is accepted, since the other parts may vary.
    /// </summary>
    internal bool PartOfLargerData { get; init; }
}
