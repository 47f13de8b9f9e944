using System.Runtime.CompilerServices;
using Glmm.LinearAlgebra;

namespace Glmm.Fitting;

/// <summary>
/// Exact gradient of the Laplace deviance D(θ, β) = −2 Σ ℓ_i(η̃_i) + ‖ũ‖² + log|H|, H = A'WA + I, A = ZΛ(θ),
/// with respect to (θ, β), for canonical links (where the IRLS weight w_i = −d²ℓ_i/dη_i² and dw_i/dη_i =
/// wt·V'(μ)V(μ)). With s_i = dℓ_i/dη_i, the envelope theorem gives the first part,
/// −2 Σ s_i ∂η_i/∂γ|_u; the log-determinant gives 2 Σ w_i (∂a_i/∂γ)'H⁻¹a_i + Σ c_i dη̃_i/dγ with
/// c_i = w'_i a_i'H⁻¹a_i and dη̃/dγ = ∂η/∂γ|_u + A dũ/dγ, dũ/dγ = H⁻¹[(∂A/∂γ)'s − A'W ∂η/∂γ|_u]. The last term
/// is taken by the adjoint λ = H⁻¹A'c, so one gradient is: a selected inversion of H, one pass over the rows
/// (h_i, c_i, everything not involving λ), one solve, and a second pass. Rows are processed in the same fixed
/// chunks as <see cref="PenalizedSystem"/> and reduced in chunk order, so the result does not depend on the thread count.
/// <para>It differentiates the state the system holds: call <see cref="ComputeAtMode"/> right after a PIRLS solve has
/// converged at the point whose gradient is wanted. Two formulations of the same sums: when every term hangs off the
/// first grouping factor (<see cref="EngineLayout.IsBlockDiagonal"/>, H block diagonal) the sums are taken per level in
/// the covariates' space, which also gives dũ/d(θ, β) for warm starts; otherwise row by row through the design.</para>
/// </summary>
internal sealed class LaplaceGradient
{
    private readonly EngineLayout _d;
    private readonly PenalizedSystem _pirls;
    private readonly Action<int> _pass1, _pass2;
    private readonly SelectedInversion _inv;
    private readonly int[] _chunkStart;
    private readonly ParallelOptions _parallel;
    private readonly int _nTheta, _nGrad, _aLen;
    private readonly int[] _aOff;
    private readonly int[] _thetaOff;       // θ offset of each engine term
    private readonly double[] _chunkGrad;   // per chunk, nθ + p
    private readonly double[] _chunkAtc;    // per chunk, dense part of A'c
    private readonly double[] _adjoint;     // A'c, then λ = H⁻¹A'c
    private readonly int[] _thetaRow, _thetaCol; // position of each θ entry in the level block (block terms)
    private readonly double[] _jacobian;    // dũ/d(θ, β) at the last gradient, row-major TotalRandom × (nθ + p)
    private readonly double[] _chunkJacobian; // per chunk, the dense part of the Jacobian's right-hand sides (general H), row-major
    private readonly int[] _thetaTerm, _thetaR, _thetaC; // engine term and T entry (r, c) of each θ entry
    // The layout's per-term numbers, copied once so that the row kernels index plain arrays.
    private readonly int[] _q, _zOff;
    private readonly int[] _uBase, _uStride;   // term k, level l, effect 0 of u at _uBase[k] + l·_uStride[k]
    private readonly int[] _denseBase;         // per dense entry e of a row: DenseOffset of its term + its effect
    private readonly int[] _denseTerm;         // per dense entry e of a row: its engine term

    public LaplaceGradient(PenalizedSystem pirls, int threads = 0)
    {
        var data = pirls.Layout;
        if (!data.Family.IsCanonical)
            throw new NotSupportedException("the analytic Laplace gradient needs a canonical link (binomial-logit, poisson-log)");
        _d = data;
        _pirls = pirls;
        var factor = pirls.Factor;
        if (factor.DenseSize != data.DenseRandom) throw new ArgumentException("the PIRLS must be the one with β outside (withFixed = false)", nameof(pirls));
        _chunkStart = data.ChunkLevels(factor.UsesLevelPairs ? 0 : factor.DenseSize);
        int chunks = _chunkStart.Length - 1;
        _inv = new SelectedInversion(factor, chunks);
        _parallel = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount };
        _nTheta = data.Random.ThetaLength;
        _nGrad = _nTheta + data.P;
        _aOff = new int[data.K + 1];
        _thetaOff = new int[data.K];
        for (int k = 0; k < data.K; k++)
        {
            _aOff[k + 1] = _aOff[k] + data.Q[k];
            _thetaOff[k] = data.Random.ThetaOffsets[data.StructureTerm(k)];
        }
        _aLen = _aOff[data.K];
        _q = data.Q.ToArray();
        _zOff = data.ZOffset.ToArray();
        _uBase = new int[data.K];
        _uStride = new int[data.K];
        _denseBase = new int[data.QRest];
        _denseTerm = new int[data.QRest];
        for (int k = 0, e = 0; k < data.K; k++)
        {
            _uBase[k] = data.UIndex(k, 0, 0);
            _uStride[k] = k < data.BlockTerms ? data.QBlock : data.Q[k];
            if (k < data.BlockTerms) continue;
            for (int j = 0; j < data.Q[k]; j++, e++)
            {
                _denseBase[e] = data.DenseOffset[k] + j;
                _denseTerm[e] = k;
            }
        }
        _chunkGrad = new double[chunks * _nGrad];
        _chunkAtc = new double[chunks * Math.Max(1, data.DenseRandom)];
        _adjoint = new double[data.TotalRandom];
        _jacobian = data.IsBlockDiagonal ? new double[data.Q0Total * _nGrad] : new double[data.TotalRandom * _nGrad];
        _chunkJacobian = data.IsBlockDiagonal ? [] : new double[chunks * Math.Max(1, data.DenseRandom) * _nGrad];
        _thetaTerm = new int[_nTheta];
        _thetaR = new int[_nTheta];
        _thetaC = new int[_nTheta];
        for (int k = 0; k < data.K; k++)
        {
            int pos = _thetaOff[k];
            for (int c = 0; c < data.Q[k]; c++)
                for (int r = c; r < data.Q[k]; r++, pos++)
                {
                    _thetaTerm[pos] = k;
                    _thetaR[pos] = r;
                    _thetaC[pos] = c;
                }
        }
        _pass1 = data.IsBlockDiagonal ? Pass1Block : Pass1;
        _pass2 = data.IsBlockDiagonal ? Pass2Block : Pass2;
        _thetaRow = new int[_nTheta];
        _thetaCol = new int[_nTheta];
        for (int k = 0; k < data.BlockTerms; k++)
        {
            int q = data.Q[k], o = data.TermOffsetInBlock[k], pos = _thetaOff[k];
            for (int c = 0; c < q; c++)
                for (int r = c; r < q; r++, pos++)
                {
                    _thetaRow[pos] = o + r;
                    _thetaCol[pos] = o + c;
                }
        }
    }

    /// <summary>True: <see cref="ComputeAtMode"/> also gives the derivatives of the modes dũ/d(θ, β), for every design.</summary>
    public bool HasModeJacobian => true;

    /// <summary>
    /// First-order prediction of the modes at x = x0 + dx from the modes <paramref name="v0"/> at the x0 of the last
    /// <see cref="ComputeAtMode"/>: u = u0 + (dũ/dx)dx. A PIRLS warm-started there begins an order of magnitude closer.
    /// </summary>
    public void PredictModes(ReadOnlySpan<double> v0, ReadOnlySpan<double> dx, Span<double> v)
    {
        int n = _nGrad;
        for (int a = 0; a < v0.Length; a++)
        {
            var row = _jacobian.AsSpan(a * n, n);
            double s = v0[a];
            for (int j = 0; j < n; j++) s += row[j] * dx[j];
            v[a] = s;
        }
    }

    /// <summary>
    /// The gradient at the state the system holds — after a PIRLS solve at (θ, β) has converged: writes dD/dθ (length
    /// ThetaLength) then dD/dβ (length P) into <paramref name="gradient"/>.
    /// </summary>
    public void ComputeAtMode(Span<double> gradient)
    {
        if (gradient.Length < _nGrad) throw new ArgumentException("gradient too short", nameof(gradient));
        int chunks = _chunkStart.Length - 1;
        if (chunks == 1) _inv.Compute();
        else _inv.Compute(_chunkStart, _parallel);

        int m = _d.DenseRandom;
        if (chunks == 1) _pass1(0);
        else Parallel.For(0, chunks, _parallel, _pass1);
        // λ = A'c: block part written per level; dense part reduced in chunk order.
        var uDense = _adjoint.AsSpan(_d.Q0Total, m);
        uDense.Clear();
        for (int c = 0; c < chunks; c++)
        {
            var part = _chunkAtc.AsSpan(c * m, m);
            for (int j = 0; j < m; j++) uDense[j] += part[j];
        }
        _pirls.Factor.Solve(_adjoint);
        if (chunks == 1) _pass2(0);
        else Parallel.For(0, chunks, _parallel, _pass2);

        gradient[.._nGrad].Clear();
        for (int c = 0; c < chunks; c++)
        {
            var g = _chunkGrad.AsSpan(c * _nGrad, _nGrad);
            for (int j = 0; j < _nGrad; j++) gradient[j] += g[j];
        }
        if (!_d.IsBlockDiagonal) ModeJacobianGeneral(chunks);
    }

    /// <summary>
    /// dũ/dγ = H⁻¹[(∂A/∂γ)'s − A'W ∂η/∂γ|_u] for every γ in (θ, β) when H is not block diagonal: one pass over the rows
    /// for the right-hand sides (block part per level, dense part per chunk and reduced in chunk order), then one
    /// solve with the factor for all of them. For β_j, ∂η/∂β_j = x_j and ∂A/∂β = 0; for the θ entry T_k[r, c],
    /// ∂a_k(i) = e_c z_k,r(i), so ∂η_i = z_k,r(i)·u_k,c and (∂A/∂γ)'s adds s_i z_k,r(i) at u_k,c.
    /// </summary>
    private void ModeJacobianGeneral(int chunks)
    {
        int m = _d.DenseRandom, n = _nGrad;
        if (chunks == 1) ModeJacobianRows(0);
        else Parallel.For(0, chunks, _parallel, ModeJacobianRows);
        var dense = _jacobian.AsSpan(_d.Q0Total * n, m * n);
        dense.Clear();
        for (int c = 0; c < chunks; c++)
        {
            var part = _chunkJacobian.AsSpan(c * m * n, m * n);
            for (int a = 0; a < part.Length; a++) dense[a] += part[a];
        }
        _pirls.Factor.SolveMany(_jacobian, n);
    }

    /// <summary>The right-hand sides of the mode Jacobian (row-major: u index × γ) from the rows of one chunk.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ModeJacobianRows(int chunk)
    {
        var d = _d;
        var u = _pirls.U;
        var wRow = _pirls.RowWeights;
        var sRow = _pirls.RowScores;
        int m = d.DenseRandom, n = _nGrad, q0 = d.QBlock, q0Total = d.Q0Total, p = d.P, rows = d.N, nTheta = _nTheta;
        int kEnd = _q.Length;
        Span<double> a = stackalloc double[_aLen];
        Span<int> idx = stackalloc int[_aLen];
        Span<double> t = stackalloc double[n];
        var dense = _chunkJacobian.AsSpan(chunk * n * m, n * m);
        dense.Clear();
        int levelFrom = _chunkStart[chunk], levelTo = _chunkStart[chunk + 1];
        _jacobian.AsSpan(levelFrom * q0 * n, (levelTo - levelFrom) * q0 * n).Clear();
        var codes = d.AllCodes;
        var zAll = d.AllZ;
        var xAll = d.X;
        var clusterStart = d.ClusterStart;
        for (int i = clusterStart[levelFrom]; i < clusterStart[levelTo]; i++)
        {
            _pirls.FillDesignRow(i, a);
            for (int k = 0; k < kEnd; k++)
            {
                int b = _uBase[k] + codes[k * rows + i] * _uStride[k];
                for (int c = 0; c < _q[k]; c++) idx[_aOff[k] + c] = b + c;
            }
            double w = wRow[i], s = sRow[i];
            // t_γ = −w_i ∂η_i/∂γ; the (∂A/∂γ)'s part of the θ entries goes straight to u_k,c.
            for (int g = 0; g < nTheta; g++)
            {
                int k = _thetaTerm[g], q = _q[k];
                double zr = zAll[_zOff[k] + i * q + _thetaR[g]];
                int at = idx[_aOff[k] + _thetaC[g]];
                t[g] = -w * zr * u[at];
                Row(at)[g] += s * zr;
            }
            var xi = xAll.Slice(i * p, p);
            for (int j = 0; j < p; j++) t[nTheta + j] = -w * xi[j];
            for (int e = 0; e < a.Length; e++)
            {
                double ae = a[e];
                if (ae == 0.0) continue;
                var dst = Row(idx[e]);
                for (int g = 0; g < n; g++) dst[g] += ae * t[g];
            }
        }

        Span<double> Row(int at) => at < q0Total ? _jacobian.AsSpan(at * n, n) : _chunkJacobian.AsSpan((chunk * m + at - q0Total) * n, n);
    }

    /// <summary>
    /// Fills a (the design row a_i), and returns μ-derived quantities of row i: s = dℓ/dη, w = −d²ℓ/dη², w' = dw/dη.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RowQuantities(int i, ReadOnlySpan<double> y, ReadOnlySpan<double> weights, out double s, out double w, out double wPrime)
    {
        var family = _d.Family;
        double mu = _pirls.Mu[i];
        double wt = weights[i];
        double var = family.Variance(mu);
        s = wt * (y[i] - mu);
        w = wt * var;
        wPrime = wt * var * family.VarianceDerivative(mu);
    }

    /// <summary>Accumulates g[θ(k, r, c)] += z_k[r] · coef_k[c] for every term k, and g[β_j] += x_ij · cx.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Scatter(int i, Span<double> g, ReadOnlySpan<double> coef, double cx, ReadOnlySpan<double> zAll, ReadOnlySpan<double> xAll)
    {
        for (int k = 0; k < _q.Length; k++)
        {
            int q = _q[k];
            var z = zAll.Slice(_zOff[k] + i * q, q);
            var ck = coef.Slice(_aOff[k], q);
            int pos = _thetaOff[k];
            for (int c = 0; c < q; c++)
                for (int r = c; r < q; r++) g[pos++] += z[r] * ck[c];
        }
        int p = _d.P;
        var x = xAll.Slice(i * p, p);
        var gb = g.Slice(_nTheta, p);
        for (int j = 0; j < p; j++) gb[j] += x[j] * cx;
    }

    /// <summary>
    /// Pass 1 when every term shares the first grouping factor (H block diagonal), with the sums taken per level in the
    /// covariates' space: a_i = Λ₀'z_i, so h_i = z_i'(Λ₀H_l⁻¹Λ₀')z_i, A'c = Λ₀'Σc_i z_i, and the θ part of the
    /// gradient is G = (Σ cv_i z_i)u_l' + 2(Σ w_i z_i z_i')Λ₀H_l⁻¹ read off at each term's (r, c).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Pass1Block(int chunk)
    {
        var d = _d;
        var v = _pirls.U;
        var family = d.Family;
        int q0 = d.QBlock, p = d.P;
        var l0 = _pirls.BlockLambda;
        var wRow = _pirls.RowWeights;
        var sRow = _pirls.RowScores;
        var mu = _pirls.Mu;
        var zb = d.ZBlock;
        var xAll = d.X;
        var clusterStart = d.ClusterStart;
        Span<double> mm = stackalloc double[q0 * q0];   // Λ₀H⁻¹Λ₀'
        Span<double> t = stackalloc double[q0 * q0];
        Span<double> swzz = stackalloc double[q0 * q0];
        Span<double> scz = stackalloc double[q0];
        Span<double> scvz = stackalloc double[q0];
        Span<double> gq = stackalloc double[q0 * q0];
        Span<double> ssz = stackalloc double[q0];
        Span<double> swzx = stackalloc double[q0 * p];
        Span<double> rhs = stackalloc double[q0];
        var g = _chunkGrad.AsSpan(chunk * _nGrad, _nGrad);
        g.Clear();
        var gb = g.Slice(_nTheta, p);
        for (int l = _chunkStart[chunk]; l < _chunkStart[chunk + 1]; l++)
        {
            var hinv = _inv.DiagonalBlock(l);
            ssz.Clear();
            swzx.Clear();
            // t = H⁻¹Λ₀', mm = Λ₀ t.
            for (int a = 0; a < q0; a++)
                for (int b = 0; b < q0; b++)
                {
                    double sum = 0;
                    for (int r = 0; r <= b; r++) sum += hinv[a * q0 + r] * l0[b * q0 + r];
                    t[a * q0 + b] = sum;
                }
            for (int a = 0; a < q0; a++)
                for (int b = 0; b < q0; b++)
                {
                    double sum = 0;
                    for (int r = 0; r <= a; r++) sum += l0[a * q0 + r] * t[r * q0 + b];
                    mm[a * q0 + b] = sum;
                }
            swzz.Clear();
            scz.Clear();
            scvz.Clear();
            for (int i = clusterStart[l]; i < clusterStart[l + 1]; i++)
            {
                var z = zb.Slice(i * q0, q0);
                double h = 0;
                for (int a = 0; a < q0; a++)
                {
                    double sum = 0;
                    for (int b = 0; b < q0; b++) sum += mm[a * q0 + b] * z[b];
                    h += z[a] * sum;
                }
                double w = wRow[i], si = sRow[i];
                double ci = w * family.VarianceDerivative(mu[i]) * h;
                double cv = -2.0 * si + ci;
                var x = xAll.Slice(i * p, p);
                for (int a = 0; a < q0; a++)
                {
                    double za = z[a], wza = w * za;
                    scz[a] += ci * za;
                    scvz[a] += cv * za;
                    ssz[a] += si * za;
                    for (int b = 0; b <= a; b++) swzz[a * q0 + b] += wza * z[b];
                    var wzx = swzx.Slice(a * p, p);
                    for (int j = 0; j < p; j++) wzx[j] += wza * x[j];
                }
                for (int j = 0; j < p; j++) gb[j] += x[j] * cv;
            }
            for (int a = 0; a < q0; a++)
                for (int b = a + 1; b < q0; b++) swzz[a * q0 + b] = swzz[b * q0 + a];
            // A'c for the level: Λ₀'Σ c_i z_i.
            var atc = _adjoint.AsSpan(l * q0, q0);
            for (int c = 0; c < q0; c++)
            {
                double sum = 0;
                for (int r = c; r < q0; r++) sum += l0[r * q0 + c] * scz[r];
                atc[c] = sum;
            }
            // G = scvz u_l' + 2 swzz (Λ₀H⁻¹) with (Λ₀H⁻¹) = t'.
            for (int r = 0; r < q0; r++)
                for (int c = 0; c < q0; c++)
                {
                    double sum = 0;
                    for (int k = 0; k < q0; k++) sum += swzz[r * q0 + k] * t[c * q0 + k];
                    gq[r * q0 + c] = scvz[r] * v[l * q0 + c] + 2.0 * sum;
                }
            ScatterBlock(gq, g);
            ModeJacobian(l, hinv, l0, swzz, ssz, swzx, v, rhs);
        }
    }

    /// <summary>
    /// dũ_l/dγ = H_l⁻¹ dF_l/dγ for the PIRLS equations F_l = Σ a_i s_i − u_l: for β_j, dF = −Λ₀'Σ w_i z_i x_ij; for the θ
    /// entry at (r, c) of a term at offset o, dF = e_{o+c}(Σ s_i z_i)_{o+r} − Λ₀'(Σ w_i z_i z_i,o+r) u_l,o+c.
    /// </summary>
    private void ModeJacobian(int l, ReadOnlySpan<double> hinv, ReadOnlySpan<double> l0, ReadOnlySpan<double> swzz,
        ReadOnlySpan<double> ssz, ReadOnlySpan<double> swzx, ReadOnlySpan<double> v, Span<double> rhs)
    {
        var d = _d;
        int q0 = d.QBlock, p = d.P, n = _nGrad;
        var jac = _jacobian.AsSpan(l * q0 * n, q0 * n);
        for (int gamma = 0; gamma < n; gamma++)
        {
            if (gamma >= _nTheta)
            {
                int j = gamma - _nTheta;
                for (int c = 0; c < q0; c++)
                {
                    double sum = 0;
                    for (int r = c; r < q0; r++) sum += l0[r * q0 + c] * swzx[r * p + j];
                    rhs[c] = -sum;
                }
            }
            else
            {
                int row = _thetaRow[gamma], col = _thetaCol[gamma];
                double vc = v[l * q0 + col];
                for (int c = 0; c < q0; c++)
                {
                    double sum = 0;
                    for (int r = c; r < q0; r++) sum += l0[r * q0 + c] * swzz[r * q0 + row];
                    rhs[c] = -sum * vc;
                }
                rhs[col] += ssz[row];
            }
            for (int a = 0; a < q0; a++)
            {
                double sum = 0;
                for (int b = 0; b < q0; b++) sum += hinv[a * q0 + b] * rhs[b];
                jac[a * n + gamma] = sum;
            }
        }
    }

    /// <summary>Pass 2 for a block-diagonal H: G = (Σ cv_i z_i)u_l' + (Σ s_i z_i)λ_l', cv_i = −w_i z_i'Λ₀λ_l (λ the adjoint).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Pass2Block(int chunk)
    {
        var d = _d;
        var v = _pirls.U;
        int q0 = d.QBlock, p = d.P;
        var l0 = _pirls.BlockLambda;
        var wRow = _pirls.RowWeights;
        var sRow = _pirls.RowScores;
        var zb = d.ZBlock;
        var xAll = d.X;
        var clusterStart = d.ClusterStart;
        Span<double> lu = stackalloc double[q0];
        Span<double> scvz = stackalloc double[q0];
        Span<double> ssz = stackalloc double[q0];
        Span<double> gq = stackalloc double[q0 * q0];
        var g = _chunkGrad.AsSpan(chunk * _nGrad, _nGrad);
        var gb = g.Slice(_nTheta, p);
        for (int l = _chunkStart[chunk]; l < _chunkStart[chunk + 1]; l++)
        {
            var ul = _adjoint.AsSpan(l * q0, q0);
            for (int a = 0; a < q0; a++)
            {
                double sum = 0;
                for (int r = 0; r <= a; r++) sum += l0[a * q0 + r] * ul[r];
                lu[a] = sum;
            }
            scvz.Clear();
            ssz.Clear();
            for (int i = clusterStart[l]; i < clusterStart[l + 1]; i++)
            {
                var z = zb.Slice(i * q0, q0);
                double au = 0;
                for (int a = 0; a < q0; a++) au += z[a] * lu[a];
                double cv = -wRow[i] * au, s = sRow[i];
                for (int a = 0; a < q0; a++)
                {
                    scvz[a] += cv * z[a];
                    ssz[a] += s * z[a];
                }
                var x = xAll.Slice(i * p, p);
                for (int j = 0; j < p; j++) gb[j] += x[j] * cv;
            }
            for (int r = 0; r < q0; r++)
                for (int c = 0; c < q0; c++) gq[r * q0 + c] = scvz[r] * v[l * q0 + c] + ssz[r] * ul[c];
            ScatterBlock(gq, g);
        }
    }

    /// <summary>g[θ(k, r, c)] += G[o_k + r, o_k + c] for every block term k (θ holds each T_k column by column).</summary>
    private void ScatterBlock(ReadOnlySpan<double> gq, Span<double> g)
    {
        var d = _d;
        int q0 = d.QBlock;
        for (int k = 0; k < d.BlockTerms; k++)
        {
            int q = d.Q[k], o = d.TermOffsetInBlock[k], pos = _thetaOff[k];
            for (int c = 0; c < q; c++)
                for (int r = c; r < q; r++) g[pos++] += gq[(o + r) * q0 + o + c];
        }
    }

    /// <summary>Pass 1: h_i = a_i'H⁻¹a_i, c_i = w'_i h_i, A'c, and the gradient terms that do not involve the adjoint λ.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Pass1(int chunk)
    {
        var d = _d;
        var v = _pirls.U;
        int q0 = d.QBlock, m = d.DenseRandom, nd = d.QRest, aLen = _aLen;
        Span<double> a = stackalloc double[aLen];
        Span<double> ha = stackalloc double[aLen];    // (H⁻¹a_i) at a_i's positions
        Span<double> coef = stackalloc double[aLen];
        Span<int> idx = stackalloc int[nd];
        var g = _chunkGrad.AsSpan(chunk * _nGrad, _nGrad);
        g.Clear();
        var atcDense = _chunkAtc.AsSpan(chunk * m, m);
        atcDense.Clear();
        var sinv = _inv.Dense;
        var codes = d.AllCodes;
        var zAll = d.AllZ;
        var xAll = d.X;
        var yAll = d.Y;
        var wtAll = d.Weights;
        var rowSlot = d.RowSlot;
        var clusterStart = d.ClusterStart;
        int n = d.N, kEnd = _q.Length;
        for (int l = _chunkStart[chunk]; l < _chunkStart[chunk + 1]; l++)
        {
            var hll = _inv.DiagonalBlock(l);
            var hpl = _inv.OffDiagonalBlock(l);
            var atcBlock = _adjoint.AsSpan(l * q0, q0);
            atcBlock.Clear();
            for (int i = clusterStart[l]; i < clusterStart[l + 1]; i++)
            {
                _pirls.FillDesignRow(i, a);
                RowQuantities(i, yAll, wtAll, out double s, out double w, out double wp);
                var a0 = a[..q0];
                var h0 = ha[..q0];
                for (int t = 0; t < q0; t++) h0[t] = DenseCholesky.Dot(hll.Slice(t * q0, q0), a0);
                for (int e = 0; e < nd; e++)
                {
                    int slot = rowSlot[i * nd + e];
                    var hrow = hpl.Slice(slot * q0, q0);
                    double ae = a[q0 + e];
                    // Dense index of entry e.
                    int k = _denseTerm[e];
                    idx[e] = _denseBase[e] + codes[k * n + i] * _q[k];
                    double sum = DenseCholesky.Dot(hrow, a0);
                    for (int t = 0; t < q0; t++) h0[t] += hrow[t] * ae;
                    ha[q0 + e] = sum;
                }
                for (int e = 0; e < nd; e++)
                {
                    var crow = sinv.Slice(idx[e] * m, m);
                    double sum = 0;
                    for (int e2 = 0; e2 < nd; e2++) sum += crow[idx[e2]] * a[q0 + e2];
                    ha[q0 + e] += sum;
                }
                double h = DenseCholesky.Dot(a, ha);
                double ci = wp * h;
                for (int t = 0; t < q0; t++) atcBlock[t] += ci * a0[t];
                for (int e = 0; e < nd; e++) atcDense[idx[e]] += ci * a[q0 + e];
                // coef[c] = (−2s + c_i) v[c] + 2 w (H⁻¹a)[c] for each term's effect c at the row's level.
                double cv = -2.0 * s + ci;
                for (int k = 0; k < kEnd; k++)
                {
                    int vi = _uBase[k] + codes[k * n + i] * _uStride[k];
                    for (int c = 0; c < _q[k]; c++)
                        coef[_aOff[k] + c] = cv * v[vi + c] + 2.0 * w * ha[_aOff[k] + c];
                }
                Scatter(i, g, coef, cv, zAll, xAll);
            }
        }
    }

    /// <summary>Pass 2: the adjoint terms Σ s_i (∂a_i/∂γ)'λ − Σ w_i (a_i'λ) ∂η_i/∂γ.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Pass2(int chunk)
    {
        var d = _d;
        var v = _pirls.U;
        Span<double> a = stackalloc double[_aLen];
        Span<double> coef = stackalloc double[_aLen];
        var g = _chunkGrad.AsSpan(chunk * _nGrad, _nGrad);
        int from = d.ClusterStart[_chunkStart[chunk]], to = d.ClusterStart[_chunkStart[chunk + 1]];
        var codes = d.AllCodes;
        var zAll = d.AllZ;
        var xAll = d.X;
        var yAll = d.Y;
        var wtAll = d.Weights;
        int n = d.N, kEnd = _q.Length;
        for (int i = from; i < to; i++)
        {
            _pirls.FillDesignRow(i, a);
            RowQuantities(i, yAll, wtAll, out double s, out double w, out _);
            double au = 0;
            for (int k = 0; k < kEnd; k++)
            {
                int vi = _uBase[k] + codes[k * n + i] * _uStride[k];
                for (int c = 0; c < _q[k]; c++) au += a[_aOff[k] + c] * _adjoint[vi + c];
            }
            double cv = -w * au;
            for (int k = 0; k < kEnd; k++)
            {
                int vi = _uBase[k] + codes[k * n + i] * _uStride[k];
                for (int c = 0; c < _q[k]; c++) coef[_aOff[k] + c] = cv * v[vi + c] + s * _adjoint[vi + c];
            }
            Scatter(i, g, coef, cv, zAll, xAll);
        }
    }
}
