namespace Glmm.Fitting;

/// <summary>
/// An objective the stages minimise: a deviance (−2 × a log-likelihood, or a restricted one) as a function of a
/// parameter vector x — θ alone when β is solved for inside (stage 1, the REML criteria), or (θ, β). Each criterion
/// owns its PIRLS state, which warm-starts every evaluation from the modes of the last one; after an evaluation,
/// <see cref="System"/> holds the state at x (the modes ũ, η, μ and the factor at the mode).
/// </summary>
/// <remarks>
/// The Laplace, quadrature and REML criteria are classes side by side in this folder, each with its formula in
/// <see cref="Evaluate(ReadOnlySpan{double})"/>; <see cref="CriterionFactory"/> builds the one a set of options
/// asks for. A new criterion (another family's, an iterative Laplace, a sum over distributed shards) is one new
/// class and one case in the factory.
/// </remarks>
internal interface ICriterion
{
    /// <summary>Length of x: θ's, plus β's when <see cref="IncludesBeta"/>.</summary>
    int Dimension { get; }

    /// <summary>True when x is (θ, β); false when it is θ and β is solved for inside.</summary>
    bool IncludesBeta { get; }

    /// <summary>Lower bounds of x: 0 for θ's diagonal entries, −∞ elsewhere.</summary>
    ReadOnlySpan<double> LowerBounds { get; }

    /// <summary>The criterion at x; +∞ where it cannot be evaluated (PIRLS failed, μ invalid).</summary>
    double Evaluate(ReadOnlySpan<double> x);

    /// <summary>True when <see cref="Evaluate(ReadOnlySpan{double}, Span{double})"/> gives the exact gradient.</summary>
    bool HasGradient { get; }

    /// <summary>The criterion and its gradient in x (only when <see cref="HasGradient"/>).</summary>
    double Evaluate(ReadOnlySpan<double> x, Span<double> gradient);

    /// <summary>The conditional modes u of the last evaluation (a copy), to restore later.</summary>
    double[] SaveModes();

    /// <summary>Starts the next evaluation's PIRLS from the modes <paramref name="u"/>.</summary>
    void RestoreModes(ReadOnlySpan<double> u);

    /// <summary>The PIRLS state after the last evaluation.</summary>
    PenalizedSystem System { get; }

    /// <summary>Sweeps over the data (PIRLS system builds) since construction.</summary>
    int Sweeps { get; }

    /// <summary>Evaluations since construction.</summary>
    int Evaluations { get; }
}
