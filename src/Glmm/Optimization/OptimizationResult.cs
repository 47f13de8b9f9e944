namespace Glmm.Optimization;

/// <summary>The outcome of a bound-constrained minimisation.</summary>
/// <param name="X">The best point found (within the bounds; coordinates on a bound are exactly equal to it).</param>
/// <param name="Value">The objective value at <paramref name="X"/>.</param>
/// <param name="Evaluations">Number of objective evaluations used.</param>
/// <param name="Converged">True when the optimiser stopped on its convergence criterion (not on the evaluation limit
/// or a numerical failure).</param>
/// <param name="Message">A short description of why the optimiser stopped.</param>
internal sealed record OptimizationResult(double[] X, double Value, int Evaluations, bool Converged, string Message);
