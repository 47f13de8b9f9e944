using System.Runtime.CompilerServices;
using Glmm.LinearAlgebra;
using Glmm.Quadrature;

namespace Glmm.Fitting;

/// <summary>
/// The deviance by adaptive Gauss–Hermite quadrature (Liu &amp; Pierce 1994; Pinheiro &amp; Bates 1995) as a function
/// of (θ, β), for models whose random-effect terms share one grouping factor, with any number q of effects per
/// cluster. For cluster i with conditional mode ũ_i and H_i = LL' (the PIRLS matrix at the mode),
/// <code>p(y_i) ≈ |L|⁻¹ Σ_k ω_k exp{g_i(ũ_i + L⁻ᵀz_k) + ½‖z_k‖²},   g_i(u) = log p(y_i | u) − ½‖u‖²</code>
/// with (z_k, ω_k) a q-dimensional rule for the standard normal weight: where <see cref="LaplaceCriterion"/> takes
/// the integrand's value at the mode (one node, z = 0), this sums it over the rule's nodes. Sums are taken in logs
/// (log-sum-exp), never as products of per-cluster likelihoods; every constant is kept, so a one-node rule gives
/// exactly the Laplace deviance. The modes and scalings are recomputed at every evaluation (fully adaptive).
/// </summary>
internal sealed class QuadratureCriterion : PirlsCriterion
{
    private readonly EngineLayout _d;
    private readonly QuadratureRule _rule;
    private readonly int[] _chunkStart;
    private readonly double[] _chunkSum;
    private readonly ParallelOptions _parallel;
    private readonly double[][] _scratch;   // per chunk: δ_k, Λ₀δ_k (nodes × q each), η and deviance at the nodes, g (nodes each)

    public QuadratureCriterion(EngineLayout data, QuadratureRule rule, int threads = 0, bool observedInformation = true)
        : base(new Pirls(data, withFixed: false, threads, observedInformation), includesBeta: true)
    {
        // The factory refuses such models with a message for the user; here it is a programmer error.
        if (!data.IsBlockDiagonal) throw new ArgumentException("adaptive quadrature needs every random-effect term on one grouping factor", nameof(data));
        if (rule.Dimension != data.QBlock) throw new ArgumentException("rule dimension differs from q", nameof(rule));
        _d = data;
        _rule = rule;
        _chunkStart = data.ChunkLevels(0);
        _chunkSum = new double[_chunkStart.Length - 1];
        _scratch = new double[_chunkSum.Length][];
        for (int c = 0; c < _scratch.Length; c++) _scratch[c] = new double[rule.Count * (2 * data.QBlock + 3)];
        _parallel = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount };
    }

    /// <summary>The quadrature rule.</summary>
    public QuadratureRule Rule => _rule;

    /// <summary>AGQ deviance −2 log L at x = (θ, β): −2 Σ_i log p(y_i) by the rule, with the family's constants.</summary>
    public override double Evaluate(ReadOnlySpan<double> x)
    {
        Evaluations++;
        double laplace = SolvePirls(x);
        if (!double.IsFinite(laplace))
        {
            FitMonitor.Observe("quadrature", ThetaLength, includesBeta: true, withDispersion: false, x, default, double.PositiveInfinity);
            return double.PositiveInfinity;
        }
        int chunks = _chunkSum.Length;
        if (chunks == 1) _chunkSum[0] = Chunk(0);
        else Parallel.For(0, chunks, _parallel, c => _chunkSum[c] = Chunk(c));
        double logLik = 0;
        for (int c = 0; c < chunks; c++) logLik += _chunkSum[c];
        // logLik here is Σ_i log ∫ exp(−½ dev_i − ½‖u‖²) ...; add back the family's constants.
        double dev = -2.0 * logLik - 2.0 * Pirls.System.SaturatedLogLik;
        if (!double.IsFinite(dev)) dev = double.PositiveInfinity;
        FitMonitor.Observe("quadrature", ThetaLength, includesBeta: true, withDispersion: false, x, default, dev);
        return dev;
    }

    /// <summary>Σ over the chunk's clusters of log ∫ exp(−½ d(y_i, u) − ½‖u‖²) (2π)^(−q/2) du.</summary>
    /// <remarks>
    /// Node k moves η_i by a_i'δ_k = z_i'(Λ₀δ_k), δ_k = L⁻ᵀz_k, so each cluster maps its nodes once and a row needs a dot
    /// product per node; the row's deviances at all nodes go through the family's multi-node kernel.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private double Chunk(int c)
    {
        var d = _d;
        var family = d.Family;
        int q = d.QBlock, nodes = _rule.Count;
        var z = _rule.Nodes;
        var w = _rule.Weights;
        var eta = Pirls.Eta;
        var v = Pirls.U;
        var factor = Pirls.Factor;
        var l0 = Pirls.System.BlockLambda;
        var zb = d.ZBlock;
        var y = d.Y;
        var weights = d.Weights;
        var clusterStart = d.ClusterStart;
        var scratch = _scratch[c].AsSpan();
        var delta = scratch[..(nodes * q)];
        var shift = scratch.Slice(nodes * q, nodes * q);   // Λ₀δ_k
        var etaNodes = scratch.Slice(2 * nodes * q, nodes);
        var devNodes = scratch.Slice(2 * nodes * q + nodes, nodes);
        var g = scratch.Slice(2 * nodes * q + 2 * nodes, nodes);
        double total = 0;
        for (int l = _chunkStart[c]; l < _chunkStart[c + 1]; l++)
        {
            var L = factor.DiagonalBlock(l);
            var vl = v.AsSpan(l * q, q);
            double logDetL = 0;
            for (int t = 0; t < q; t++) logDetL += Math.Log(L[t * q + t]);
            for (int k = 0; k < nodes; k++)
            {
                var dk = delta.Slice(k * q, q);
                z.Slice(k * q, q).CopyTo(dk);
                DenseCholesky.SolveUpper(L, q, dk);
                double zz = DenseCholesky.Dot(z.Slice(k * q, q), z.Slice(k * q, q));
                double vv = 0;
                for (int t = 0; t < q; t++) { double u = vl[t] + dk[t]; vv += u * u; }
                g[k] = 0.5 * zz - 0.5 * vv;
                for (int s = 0; s < q; s++)
                {
                    double sum = 0;
                    for (int j = 0; j <= s; j++) sum += l0[s * q + j] * dk[j];
                    shift[k * q + s] = sum;
                }
            }
            for (int i = clusterStart[l]; i < clusterStart[l + 1]; i++)
            {
                var zi = zb.Slice(i * q, q);
                double e0 = eta[i];
                for (int k = 0; k < nodes; k++)
                {
                    double e = e0;
                    for (int t = 0; t < q; t++) e += zi[t] * shift[k * q + t];
                    etaNodes[k] = e;
                }
                family.DeviancesAt(y[i], weights[i], etaNodes, devNodes);
                for (int k = 0; k < nodes; k++) g[k] -= 0.5 * devNodes[k];
            }
            double gmax = double.NegativeInfinity;
            for (int k = 0; k < nodes; k++) if (w[k] > 0 && g[k] > gmax) gmax = g[k];
            double sum2 = 0;
            for (int k = 0; k < nodes; k++) sum2 += w[k] * Math.Exp(g[k] - gmax);
            if (!(sum2 > 0)) return double.NaN;
            total += gmax + Math.Log(sum2) - logDetL;
        }
        return total;
    }
}
