namespace Glmm.Model;

/// <summary>How the response was given, which decides how binomial data are read.</summary>
public enum ResponseKind
{
    /// <summary>A numeric column or expression (counts for Poisson, 0/1 or proportions for binomial).</summary>
    Numeric,
    /// <summary>A logical column or two-level categorical column, coded 0/1 (second level = 1).</summary>
    Binary,
    /// <summary><c>cbind(successes, failures)</c>: <see cref="ModelStructure.Y"/> is the proportion and the trials are in the weights.</summary>
    SuccessFailure,
}

/// <summary>
/// Everything the fitting engine needs, built from a formula and a table: the response, prior weights,
/// offset, X, and the random-effects structure; rows with missing values in any model variable removed.
/// </summary>
public sealed class ModelStructure
{
    /// <summary>The formula as the user wrote it.</summary>
    public required string Formula { get; init; }

    /// <summary>The response as written in the formula (e.g. <c>cbind(incidence, size - incidence)</c>).</summary>
    public required string ResponseName { get; init; }

    /// <summary>How the response was given.</summary>
    public required ResponseKind ResponseKind { get; init; }

    /// <summary>The response per kept row: a number, 0/1, or a proportion for <c>cbind</c>.</summary>
    public required double[] Y { get; init; }

    /// <summary>Prior weights per kept row (for <c>cbind</c>: the number of trials times any user weight).</summary>
    public required double[] Weights { get; init; }

    /// <summary>The offset per kept row (zeros when the formula has none).</summary>
    public required double[] Offset { get; init; }

    /// <summary>True when the formula has an offset.</summary>
    public bool HasOffset { get; init; }

    /// <summary>The fixed-effects model matrix.</summary>
    public required FixedEffects X { get; init; }

    /// <summary>The random-effects terms and θ layout.</summary>
    public required RandomEffectsStructure Random { get; init; }

    /// <summary>The index in the original table of each kept row.</summary>
    public required int[] RowIndex { get; init; }

    /// <summary>How many rows were dropped for missing values.</summary>
    public int DroppedRows { get; init; }

    /// <summary>Why rows were dropped, e.g. <c>missing values in age (3), urban (1)</c>; empty when none were.</summary>
    public string DroppedReason { get; init; } = "";

    /// <summary>Factor levels, numeric variables and scale() parameters of the fitted data, for encoding new data.</summary>
    public ModelEncoding Encoding { get; init; } = ModelEncoding.Empty;

    /// <summary>The number of kept rows, n.</summary>
    public int N => Y.Length;

    /// <summary>
    /// The same model (X, terms, offset, rows, encoding) with another response — and other prior weights and response
    /// kind when given: a bootstrap replicate's simulated response, or PQL's working response and weights.
    /// </summary>
    internal ModelStructure WithResponse(double[] y, double[]? weights = null, ResponseKind? kind = null) =>
        Copy(y, weights ?? Weights, kind ?? ResponseKind, X);

    /// <summary>The same model with another fixed-effects matrix (internally rescaled columns, see FixedEffectsScaling).</summary>
    internal ModelStructure WithFixedEffects(FixedEffects x) => Copy(Y, Weights, ResponseKind, x);

    private ModelStructure Copy(double[] y, double[] weights, ResponseKind kind, FixedEffects x) => new()
    {
        Formula = Formula,
        ResponseName = ResponseName,
        ResponseKind = kind,
        Y = y,
        Weights = weights,
        Offset = Offset,
        HasOffset = HasOffset,
        X = x,
        Random = Random,
        RowIndex = RowIndex,
        DroppedRows = DroppedRows,
        DroppedReason = DroppedReason,
        Encoding = Encoding,
    };
}
