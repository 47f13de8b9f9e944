namespace Glmm.Optimization;

/// <summary>A derivative-free minimiser of a function subject to simple bounds <c>lower &lt;= x &lt;= upper</c>.</summary>
public interface IBoundedOptimizer
{
    /// <summary>Minimises <paramref name="f"/> over the box <c>[lower, upper]</c> starting from <paramref name="x0"/>.</summary>
    /// <param name="f">The objective. It receives an array that it must not keep or modify: the optimiser may reuse the
    /// same array for later calls. It may return <c>+∞</c> or <c>NaN</c> where it is undefined; such points are treated
    /// as worse than any finite value.</param>
    /// <param name="x0">Starting point; projected onto the bounds if outside them. Not modified.</param>
    /// <param name="lower">Lower bounds (may be <see cref="double.NegativeInfinity"/>).</param>
    /// <param name="upper">Upper bounds (may be <see cref="double.PositiveInfinity"/>); a coordinate with
    /// <c>lower[i] == upper[i]</c> is held fixed.</param>
    /// <param name="options">Radii, evaluation limit and other settings.</param>
    /// <returns>The best point found and how the search ended.</returns>
    OptimizationResult Minimize(Func<double[], double> f, double[] x0, double[] lower, double[] upper, OptimizerOptions options);
}
