namespace Glmm.Quadrature;

/// <summary>
/// A q-dimensional quadrature rule for the standard normal weight φ_q(z):
/// ∫ f(z) φ_q(z) dz ≈ Σ_k w_k f(z_k), with Σ_k w_k = 1.
/// </summary>
/// <remarks>
/// <para>Nodes are stored row-major (<see cref="Count"/> × <see cref="Dimension"/>): coordinate d of
/// node k is <c>Nodes[k * Dimension + d]</c>. Rules are immutable and may be cached and shared
/// between threads.</para>
/// <para>Weights are signed: Gauss–Hermite and product rules have positive weights, but Smolyak
/// sparse grids (<see cref="SparseGrid"/>) generally have some negative weights. Callers working in
/// logs should therefore use <see cref="LogAbsWeights"/> together with the sign of
/// <see cref="Weights"/> (check <see cref="HasNegativeWeights"/>; when it is false every weight is
/// positive and <c>LogAbsWeights</c> are plain log-weights). Log-weights are computed directly
/// (not as <c>log(Weights[k])</c>) where possible, so they stay finite when a weight underflows.</para>
/// </remarks>
public sealed class QuadratureRule
{
    private readonly double[] _nodes;
    private readonly double[] _weights;
    private readonly double[] _logAbsWeights;

    /// <summary>
    /// Creates a rule from row-major nodes (count × dimension) and signed weights; the arrays are copied.
    /// Log-weights are taken as log|w|.
    /// </summary>
    /// <param name="dimension">The dimension q ≥ 1.</param>
    /// <param name="nodes">Row-major nodes, length count × q.</param>
    /// <param name="weights">Signed weights, one per node.</param>
    /// <param name="precision">Polynomial degree integrated exactly (see <see cref="Precision"/>).</param>
    /// <param name="description">Short human-readable description.</param>
    public QuadratureRule(int dimension, ReadOnlySpan<double> nodes, ReadOnlySpan<double> weights, int precision, string description)
        : this(dimension, nodes.ToArray(), weights.ToArray(), null, precision, description)
    {
    }

    internal QuadratureRule(int dimension, double[] nodes, double[] weights, double[]? logAbsWeights, int precision, string description)
    {
        if (dimension < 1) throw new ArgumentOutOfRangeException(nameof(dimension), "dimension must be ≥ 1");
        if (weights.Length == 0) throw new ArgumentException("a rule needs at least one node", nameof(weights));
        if (nodes.Length != weights.Length * dimension)
            throw new ArgumentException("nodes length must be count × dimension", nameof(nodes));
        if (logAbsWeights != null && logAbsWeights.Length != weights.Length)
            throw new ArgumentException("one log-weight per node", nameof(logAbsWeights));
        Dimension = dimension;
        Count = weights.Length;
        _nodes = nodes;
        _weights = weights;
        if (logAbsWeights == null)
        {
            logAbsWeights = new double[weights.Length];
            for (int k = 0; k < weights.Length; k++) logAbsWeights[k] = Math.Log(Math.Abs(weights[k]));
        }
        _logAbsWeights = logAbsWeights;
        bool negative = false;
        for (int k = 0; k < weights.Length; k++) if (weights[k] < 0) { negative = true; break; }
        HasNegativeWeights = negative;
        Precision = precision;
        Description = description;
    }

    /// <summary>The dimension q of the integration variable.</summary>
    public int Dimension { get; }

    /// <summary>The number of nodes.</summary>
    public int Count { get; }

    /// <summary>All nodes, row-major (<see cref="Count"/> × <see cref="Dimension"/>).</summary>
    public ReadOnlySpan<double> Nodes => _nodes;

    /// <summary>The signed weights; they sum to 1 (up to rounding).</summary>
    public ReadOnlySpan<double> Weights => _weights;

    /// <summary>log|w_k| for each node, finite even where the weight underflows to zero.</summary>
    public ReadOnlySpan<double> LogAbsWeights => _logAbsWeights;

    /// <summary>True when at least one weight is negative (possible for sparse grids only).</summary>
    public bool HasNegativeWeights { get; }

    /// <summary>
    /// Polynomial exactness: for a 1-D rule or a sparse grid, every polynomial of (total) degree
    /// ≤ Precision is integrated exactly; for a product grid, every polynomial of degree ≤ Precision
    /// in each coordinate separately. A product grid from which pruning removed nodes is no longer exact
    /// for any degree and reports −1 (see <see cref="ProductGrid"/>).
    /// </summary>
    public int Precision { get; }

    /// <summary>Short description, e.g. "Gauss-Hermite product grid, K = 7, q = 3".</summary>
    public string Description { get; }

    /// <summary>The q coordinates of node <paramref name="k"/>.</summary>
    public ReadOnlySpan<double> Node(int k) => new(_nodes, k * Dimension, Dimension);

    /// <inheritdoc />
    public override string ToString() => Description + " (" + Count.ToString(System.Globalization.CultureInfo.InvariantCulture) + " nodes)";
}
