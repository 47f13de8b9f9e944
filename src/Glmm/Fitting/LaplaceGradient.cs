using System.Runtime.CompilerServices;
using Glmm.LinearAlgebra;

namespace Glmm.Fitting;

/// <summary>
/// Exact gradient of the Laplace deviance D(θ, β) = −2 Σ ℓ_i(η̃_i) + ‖ũ‖² + log|H|, H = A'WA + I, A = ZΛ(θ),
/// with respect to (θ, β), for canonical links (where the IRLS weight w_i = −d²ℓ_i/dη_i² and dw_i/dη_i =
/// wt·V'(μ)V(μ)) and, with the observed information in H, for any link (dw_i/dη_i from
/// <see cref="Families.Family.ObservedRowDerivatives"/>). With s_i = dℓ_i/dη_i, the envelope theorem gives the first part,
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
    private readonly int _nTheta, _nGrad;
    private readonly int[] _thetaOff;       // θ offset of each engine term
    private readonly double[] _chunkGrad;   // per chunk, nθ + p
    private readonly double[] _chunkAtc;    // per chunk, dense part of A'c
    private readonly double[] _adjoint;     // A'c, then λ = H⁻¹A'c
    private readonly int[] _thetaRow, _thetaCol; // position of each θ entry in the level block (block terms)
    private readonly double[] _jacobian;    // dũ/d(θ, β) at the last gradient, row-major TotalRandom × (nθ + p)
    private readonly double[] _chunkJacobian; // per chunk, the dense part of the Jacobian's right-hand sides (general H), row-major
    private readonly int[] _thetaTerm, _thetaR, _thetaC; // engine term and T entry (r, c) of each θ entry
    // The layout's per-term numbers, copied once so that the row kernels index plain arrays.
    private readonly int[] _q;
    private readonly int[] _vOff;              // where engine term k's covariates start in a row's v (block terms at their block offset)
    // Families with a dispersion parameter (any link, observed information): per row dw/dη and ∂s/∂log φ, ∂w/∂log φ
    // at fixed η; per chunk the dispersion's part of the gradient.
    private readonly bool _general;
    private readonly double[] _weightEta, _scorePhi, _weightPhi, _chunkPhi;

    public LaplaceGradient(PenalizedSystem pirls, int threads = 0)
    {
        var data = pirls.Layout;
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
        _thetaOff = new int[data.K];
        for (int k = 0; k < data.K; k++) _thetaOff[k] = data.Random.ThetaOffsets[data.StructureTerm(k)];
        _q = data.Q.ToArray();
        _vOff = new int[data.K];
        for (int k = 0, o = data.QBlock; k < data.K; k++)
            if (k < data.BlockTerms) _vOff[k] = data.TermOffsetInBlock[k];
            else { _vOff[k] = o; o += data.Q[k]; }
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
        // Non-canonical links and dispersion families: the observed weight's derivative from the family's row derivatives.
        _general = data.Family.HasDispersion || !data.Family.IsCanonical;
        _weightEta = _general ? new double[data.N] : [];
        _scorePhi = _general ? new double[data.N] : [];
        _weightPhi = _general ? new double[data.N] : [];
        _chunkPhi = new double[chunks];
        _pass1 = data.IsBlockDiagonal ? Pass1Block : Pass1Cells;
        _pass2 = data.IsBlockDiagonal ? Pass2Block : Pass2Cells;
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
    /// dD/d log φ at the last <see cref="ComputeAtMode"/> for a family with a dispersion parameter: −2 Σ ∂ℓ_i/∂log φ
    /// (envelope: the modes are stationary) + Σ h_i ∂w_i/∂log φ (log|H| through the weights at fixed η) + Σ (a_i'λ)
    /// ∂s_i/∂log φ (the modes' move dũ = H⁻¹A'∂s through log|H|, by the adjoint λ); NaN otherwise.
    /// </summary>
    public double DispersionDerivative { get; private set; } = double.NaN;

    /// <summary>
    /// The gradient at the state the system holds — after a PIRLS solve at (θ, β) has converged: writes dD/dθ (length
    /// ThetaLength) then dD/dβ (length P) into <paramref name="gradient"/> (and <see cref="DispersionDerivative"/>).
    /// </summary>
    public void ComputeAtMode(Span<double> gradient)
    {
        if (gradient.Length < _nGrad) throw new ArgumentException("gradient too short", nameof(gradient));
        int chunks = _chunkStart.Length - 1;
        double logLikPhi = _general ? PrepareRows() : 0.0;
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
        if (_general)
        {
            double phi = -2.0 * logLikPhi;
            for (int c = 0; c < chunks; c++) phi += _chunkPhi[c];
            DispersionDerivative = phi;
        }
        if (!_d.IsBlockDiagonal) ModeJacobianGeneral(chunks);
    }

    /// <summary>The rows' derivatives of the observed weight and of the score for the general path; returns Σ ∂ℓ_i/∂log φ.</summary>
    private double PrepareRows()
    {
        var d = _d;
        var family = d.Family;
        family.PrepareDispersionDerivatives(d.Y);
        var y = d.Y;
        var wt = d.Weights;
        var eta = _pirls.Eta;
        double sum = 0;
        for (int i = 0; i < y.Length; i++)
        {
            family.ObservedRowDerivatives(y[i], wt[i], eta[i], out _weightEta[i], out double dl, out _scorePhi[i], out _weightPhi[i]);
            sum += dl;
        }
        return sum;
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
        var dense = _jacobian.AsSpan(_d.Q0Total * n, m * n);
        dense.Clear();
        for (int c = 0; c < chunks; c++)
        {
            var part = _chunkJacobian.AsSpan(c * m * n, m * n);
            for (int a = 0; a < part.Length; a++) dense[a] += part[a];
        }
        _pirls.Factor.SolveMany(_jacobian, n);
    }

    /// <summary>
    /// Pass 1 when every term shares the first grouping factor (H block diagonal), with the sums taken per level in the
    /// covariates' space: a_i = Λ₀'z_i, so h_i = z_i'(Λ₀H_l⁻¹Λ₀')z_i, A'c = Λ₀'Σc_i z_i, and the θ part of the
    /// gradient is G = (Σ cv_i z_i)u_l' + 2(Σ w_i z_i z_i')Λ₀H_l⁻¹ read off at each term's (r, c).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Pass1Block(int chunk)
    {
        bool general = _general;
        var weightEta = _weightEta;
        var weightPhi = _weightPhi;
        var scorePhi = _scorePhi;
        double phiSum = 0;
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
                double ci = (general ? weightEta[i] : w * family.VarianceDerivative(mu[i])) * h;
                if (general) phiSum += h * weightPhi[i];
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
        _chunkPhi[chunk] = phiSum;
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
        bool general = _general;
        var weightEta = _weightEta;
        var weightPhi = _weightPhi;
        var scorePhi = _scorePhi;
        double phiSum = 0;
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
                if (general) phiSum += au * scorePhi[i];
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
        _chunkPhi[chunk] += phiSum;
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

    /// <summary>
    /// Pass 1 for a design with other terms, cell by cell (rows of one cluster sharing every other term's level, see
    /// <see cref="EngineLayout.CellStart"/>), in the covariates' space: with v_i the row's random covariates and
    /// M = diag(Λ₀, T_k …) the cell's a_i = M'v_i, so h_i = v_i'(M H_c⁻¹ M')v_i with H_c⁻¹ the selected inverse at the
    /// cell's effects; A'c = M'Σ c_i v_i; the θ part of the gradient is G = (Σ cv_i v_i)ũ_c' + 2(Σ w_i v_i v_i')M H_c⁻¹ read
    /// off at each term's (r, c); and the right-hand sides of the mode Jacobian, −M'(Σ w v v')e_r ũ_c + e_c(Σ s v)_r for
    /// θ and −M'(Σ w v x_j) for β_j, come from the same sums.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Pass1Cells(int chunk)
    {
        bool general = _general;
        var weightEta = _weightEta;
        var weightPhi = _weightPhi;
        var scorePhi = _scorePhi;
        double phiSum = 0;
        var d = _d;
        var v = _pirls.U;
        var family = d.Family;
        int q0 = d.QBlock, m = d.DenseRandom, qRest = d.QRest, p = d.P, dr = q0 + qRest;
        int n = _nGrad, nTheta = _nTheta, q0Total = d.Q0Total;
        var wRow = _pirls.RowWeights;
        var sRow = _pirls.RowScores;
        var mu = _pirls.Mu;
        var cellStart = d.CellStart;
        var levelCellStart = d.LevelCellStart;
        var cellSlot = d.CellSlot;
        var cellDense = d.CellDense;
        var sinv = _inv.Dense;
        Span<double> mt = stackalloc double[dr * dr];    // M (lower triangular, block diagonal)
        Span<double> hc = stackalloc double[dr * dr];    // H⁻¹ at the cell's effects
        Span<double> k1 = stackalloc double[dr * dr];    // M H_c⁻¹
        Span<double> gm = stackalloc double[dr * dr];    // M H_c⁻¹ M'
        Span<double> f = stackalloc double[dr * dr];     // Σ w v v'
        Span<double> mf = stackalloc double[dr * dr];    // M'F
        Span<double> fx = stackalloc double[dr * p];     // Σ w v x'
        Span<double> mfx = stackalloc double[dr * p];    // M'Fx
        Span<double> sc = stackalloc double[dr];
        Span<double> scv = stackalloc double[dr];
        Span<double> ss = stackalloc double[dr];
        Span<double> uc = stackalloc double[dr];
        int nd = d.DistinctWidth;
        var vdAll = d.DistinctCovariates;
        var xAll = d.X;
        var rcols = d.RandomDistinct;
        var rpos = d.RandomDistinctPosition;
        int nr = rcols.Length;
        Span<double> vr = stackalloc double[nr];
        Span<double> gd = stackalloc double[nr * nr];
        Span<double> fd = stackalloc double[nr * nr];
        Span<double> fxd = stackalloc double[nr * p];
        Span<double> scd = stackalloc double[nr];
        Span<double> scvd = stackalloc double[nr];
        Span<double> ssd = stackalloc double[nr];
        Span<double> ra = stackalloc double[dr];
        Span<double> rha = stackalloc double[dr];
        FillM(mt);
        var g = _chunkGrad.AsSpan(chunk * n, n);
        g.Clear();
        var gb = g.Slice(nTheta, p);
        var atcDense = _chunkAtc.AsSpan(chunk * m, m);
        atcDense.Clear();
        var jacDense = _chunkJacobian.AsSpan(chunk * n * m, n * m);
        jacDense.Clear();
        int levelFrom = _chunkStart[chunk], levelTo = _chunkStart[chunk + 1];
        _jacobian.AsSpan(levelFrom * q0 * n, (levelTo - levelFrom) * q0 * n).Clear();
        for (int l = levelFrom; l < levelTo; l++)
        {
            var hll = _inv.DiagonalBlock(l);
            var hpl = _inv.OffDiagonalBlock(l);
            var atcBlock = _adjoint.AsSpan(l * q0, q0);
            atcBlock.Clear();
            for (int cell = levelCellStart[l]; cell < levelCellStart[l + 1]; cell++)
            {
                var slots = cellSlot.Slice(cell * qRest, qRest);
                var dense = cellDense.Slice(cell * qRest, qRest);
                // H_c⁻¹ and ũ_c at the cell's effects (the level's block, then the other terms' effects).
                for (int a = 0; a < q0; a++)
                {
                    for (int b = 0; b < q0; b++) hc[a * dr + b] = hll[a * q0 + b];
                    uc[a] = v[l * q0 + a];
                }
                for (int e = 0; e < qRest; e++)
                {
                    var hrow = hpl.Slice(slots[e] * q0, q0);
                    for (int t = 0; t < q0; t++) hc[(q0 + e) * dr + t] = hc[t * dr + q0 + e] = hrow[t];
                    var crow = sinv.Slice(dense[e] * m, m);
                    for (int e2 = 0; e2 < qRest; e2++) hc[(q0 + e) * dr + q0 + e2] = crow[dense[e2]];
                    uc[q0 + e] = v[q0Total + dense[e]];
                }
                if (cellStart[cell + 1] - cellStart[cell] < SmallCell)
                {
                    phiSum += SmallCellRows(cell, l, mt, hc, uc, dense, atcBlock, atcDense, g, jacDense, ra, rha);
                    continue;
                }
                MultiplyLower(mt, hc, k1, dr);
                for (int a = 0; a < dr; a++)
                    for (int b = 0; b <= a; b++)
                    {
                        double sum = 0;
                        for (int r = 0; r <= b; r++) sum += k1[a * dr + r] * mt[b * dr + r];
                        gm[a * dr + b] = gm[b * dr + a] = sum;
                    }
                // Per row over the random covariates' distinct columns (v_r): h = v_r'G_r v_r, and the sums Σ w v_r v_r',
                // Σ w v_r x', Σ c v_r, Σ cv v_r, Σ s v_r, spread to v's columns afterwards.
                gd.Clear();
                for (int a = 0; a < dr; a++)
                    for (int b = 0; b < dr; b++) gd[rpos[a] * nr + rpos[b]] += gm[a * dr + b];
                fd.Clear();
                fxd.Clear();
                scd.Clear();
                scvd.Clear();
                ssd.Clear();
                for (int i = cellStart[cell]; i < cellStart[cell + 1]; i++)
                {
                    var vrow = vdAll.Slice(i * nd, nd);
                    for (int c = 0; c < nr; c++) vr[c] = vrow[rcols[c]];
                    var x = xAll.Slice(i * p, p);
                    double h = 0;
                    for (int a = 0; a < nr; a++)
                    {
                        var grow = gd.Slice(a * nr, nr);
                        double sum = 0;
                        for (int b = 0; b < nr; b++) sum += grow[b] * vr[b];
                        h += vr[a] * sum;
                    }
                    double w = wRow[i], si = sRow[i];
                    double ci = (general ? weightEta[i] : w * family.VarianceDerivative(mu[i])) * h;
                    if (general) phiSum += h * weightPhi[i];
                    double cv = -2.0 * si + ci;
                    for (int a = 0; a < nr; a++)
                    {
                        double va = vr[a], wva = w * va;
                        scd[a] += ci * va;
                        scvd[a] += cv * va;
                        ssd[a] += si * va;
                        var frow = fd.Slice(a * nr, a + 1);
                        for (int b = 0; b < frow.Length; b++) frow[b] += wva * vr[b];
                        var fxrow = fxd.Slice(a * p, p);
                        for (int j = 0; j < p; j++) fxrow[j] += wva * x[j];
                    }
                    for (int j = 0; j < p; j++) gb[j] += x[j] * cv;
                }
                for (int a = 0; a < dr; a++)
                {
                    int ca = rpos[a];
                    sc[a] = scd[ca];
                    scv[a] = scvd[ca];
                    ss[a] = ssd[ca];
                    for (int b = 0; b < dr; b++)
                    {
                        int cb = rpos[b];
                        f[a * dr + b] = ca >= cb ? fd[ca * nr + cb] : fd[cb * nr + ca];
                    }
                    fxd.Slice(ca * p, p).CopyTo(fx.Slice(a * p, p));
                }
                // A'c = M'Σ c v.
                for (int e = 0; e < dr; e++)
                {
                    double sum = 0;
                    for (int r = e; r < dr; r++) sum += mt[r * dr + e] * sc[r];
                    if (e < q0) atcBlock[e] += sum;
                    else atcDense[dense[e - q0]] += sum;
                }
                // θ part: G[(k, r), (k, c)] = scv_r ũ_c + 2 (F M H_c⁻¹)[r, c] for each term's own entries.
                for (int gamma = 0; gamma < nTheta; gamma++)
                {
                    int o = _vOff[_thetaTerm[gamma]], r = o + _thetaR[gamma], c = o + _thetaC[gamma];
                    double sum = 0;
                    for (int b = 0; b < dr; b++) sum += f[r * dr + b] * k1[b * dr + c];
                    g[gamma] += scv[r] * uc[c] + 2.0 * sum;
                }
                // The mode Jacobian's right-hand sides at the cell's effects.
                for (int e = 0; e < dr; e++)
                {
                    for (int b = 0; b < dr; b++)
                    {
                        double sum = 0;
                        for (int r = e; r < dr; r++) sum += mt[r * dr + e] * f[r * dr + b];
                        mf[e * dr + b] = sum;
                    }
                    for (int j = 0; j < p; j++)
                    {
                        double sum = 0;
                        for (int r = e; r < dr; r++) sum += mt[r * dr + e] * fx[r * p + j];
                        mfx[e * p + j] = sum;
                    }
                }
                for (int e = 0; e < dr; e++)
                {
                    var dst = e < q0 ? _jacobian.AsSpan((l * q0 + e) * n, n) : jacDense.Slice(dense[e - q0] * n, n);
                    for (int gamma = 0; gamma < nTheta; gamma++)
                    {
                        int o = _vOff[_thetaTerm[gamma]], r = o + _thetaR[gamma], c = o + _thetaC[gamma];
                        double val = -mf[e * dr + r] * uc[c];
                        if (e == c) val += ss[r];
                        dst[gamma] += val;
                    }
                    for (int j = 0; j < p; j++) dst[nTheta + j] -= mfx[e * p + j];
                }
            }
        }
        _chunkPhi[chunk] = phiSum;
    }

    /// <summary>Cells with fewer rows than this (crossed designs: mostly one) are differentiated row by row.</summary>
    private const int SmallCell = 4;

    /// <summary>
    /// <see cref="Pass1Cells"/> for a cell of a few rows, row by row: a_i = M'v_i, (H⁻¹a_i) from the cell's block
    /// <paramref name="hc"/> of H⁻¹, and each row's terms of A'c, of the gradient and of the mode Jacobian's right-hand
    /// sides directly, without the cell's sums and the mapping of H⁻¹ by M. <paramref name="a"/>, <paramref name="ha"/>: scratch.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private double SmallCellRows(int cell, int l, ReadOnlySpan<double> mt, ReadOnlySpan<double> hc, ReadOnlySpan<double> uc,
        ReadOnlySpan<int> dense, Span<double> atcBlock, Span<double> atcDense, Span<double> g, Span<double> jacDense, Span<double> a, Span<double> ha)
    {
        bool general = _general;
        var weightEta = _weightEta;
        var weightPhi = _weightPhi;
        var scorePhi = _scorePhi;
        double phiSum = 0;
        var d = _d;
        var family = d.Family;
        int q0 = d.QBlock, p = d.P, dr = q0 + d.QRest, width = d.CovariateWidth, n = _nGrad, nTheta = _nTheta;
        var wRow = _pirls.RowWeights;
        var sRow = _pirls.RowScores;
        var mu = _pirls.Mu;
        var cov = d.Covariates;
        var xAll = d.X;
        var gb = g.Slice(nTheta, p);
        for (int i = d.CellStart[cell]; i < d.CellStart[cell + 1]; i++)
        {
            var vi = cov.Slice(i * width, dr);
            var x = xAll.Slice(i * p, p);
            for (int e = 0; e < dr; e++)
            {
                double sum = 0;
                for (int r = e; r < dr; r++) sum += mt[r * dr + e] * vi[r];
                a[e] = sum;
            }
            double h = 0;
            for (int e = 0; e < dr; e++)
            {
                var hrow = hc.Slice(e * dr, dr);
                double sum = 0;
                for (int b = 0; b < dr; b++) sum += hrow[b] * a[b];
                ha[e] = sum;
                h += a[e] * sum;
            }
            double w = wRow[i], si = sRow[i];
            double ci = (general ? weightEta[i] : w * family.VarianceDerivative(mu[i])) * h;
            if (general) phiSum += h * weightPhi[i];
            double cv = -2.0 * si + ci;
            for (int e = 0; e < dr; e++)
            {
                if (e < q0) atcBlock[e] += ci * a[e];
                else atcDense[dense[e - q0]] += ci * a[e];
            }
            for (int gamma = 0; gamma < nTheta; gamma++)
            {
                int o = _vOff[_thetaTerm[gamma]], r = o + _thetaR[gamma], c = o + _thetaC[gamma];
                g[gamma] += vi[r] * (cv * uc[c] + 2.0 * w * ha[c]);
            }
            for (int j = 0; j < p; j++) gb[j] += x[j] * cv;
            for (int e = 0; e < dr; e++)
            {
                var dst = e < q0 ? _jacobian.AsSpan((l * q0 + e) * n, n) : jacDense.Slice(dense[e - q0] * n, n);
                double wa = -w * a[e];
                for (int gamma = 0; gamma < nTheta; gamma++)
                {
                    int o = _vOff[_thetaTerm[gamma]], r = o + _thetaR[gamma], c = o + _thetaC[gamma];
                    double val = wa * vi[r] * uc[c];
                    if (e == c) val += si * vi[r];
                    dst[gamma] += val;
                }
                for (int j = 0; j < p; j++) dst[nTheta + j] += wa * x[j];
            }
        }
        return phiSum;
    }

    /// <summary>Pass 2 cell by cell: G = (Σ cv_i v_i)ũ_c' + (Σ s_i v_i)λ_c', cv_i = −w_i v_i'Mλ_c (λ the adjoint), read off at each term's (r, c).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Pass2Cells(int chunk)
    {
        bool general = _general;
        var weightEta = _weightEta;
        var weightPhi = _weightPhi;
        var scorePhi = _scorePhi;
        double phiSum = 0;
        var d = _d;
        var v = _pirls.U;
        int q0 = d.QBlock, qRest = d.QRest, p = d.P, dr = q0 + qRest;
        int nTheta = _nTheta, q0Total = d.Q0Total;
        var wRow = _pirls.RowWeights;
        var sRow = _pirls.RowScores;
        var cellStart = d.CellStart;
        var levelCellStart = d.LevelCellStart;
        var cellDense = d.CellDense;
        Span<double> mt = stackalloc double[dr * dr];
        Span<double> lc = stackalloc double[dr];
        Span<double> lu = stackalloc double[dr];
        Span<double> uc = stackalloc double[dr];
        Span<double> scv = stackalloc double[dr];
        Span<double> ss = stackalloc double[dr];
        int nd = d.DistinctWidth;
        var vdAll = d.DistinctCovariates;
        var xAll = d.X;
        var rcols = d.RandomDistinct;
        var rpos = d.RandomDistinctPosition;
        int nr = rcols.Length;
        Span<double> lud = stackalloc double[nr];
        Span<double> scvd = stackalloc double[nr];
        Span<double> ssd = stackalloc double[nr];
        FillM(mt);
        var g = _chunkGrad.AsSpan(chunk * _nGrad, _nGrad);
        var gb = g.Slice(nTheta, p);
        for (int l = _chunkStart[chunk]; l < _chunkStart[chunk + 1]; l++)
        {
            for (int cell = levelCellStart[l]; cell < levelCellStart[l + 1]; cell++)
            {
                var dense = cellDense.Slice(cell * qRest, qRest);
                for (int a = 0; a < q0; a++)
                {
                    lc[a] = _adjoint[l * q0 + a];
                    uc[a] = v[l * q0 + a];
                }
                for (int e = 0; e < qRest; e++)
                {
                    lc[q0 + e] = _adjoint[q0Total + dense[e]];
                    uc[q0 + e] = v[q0Total + dense[e]];
                }
                for (int a = 0; a < dr; a++)
                {
                    double sum = 0;
                    for (int r = 0; r <= a; r++) sum += mt[a * dr + r] * lc[r];
                    lu[a] = sum;
                }
                lud.Clear();
                for (int a = 0; a < dr; a++) lud[rpos[a]] += lu[a];
                scvd.Clear();
                ssd.Clear();
                for (int i = cellStart[cell]; i < cellStart[cell + 1]; i++)
                {
                    var vrow = vdAll.Slice(i * nd, nd);
                    double au = 0;
                    for (int c = 0; c < nr; c++) au += vrow[rcols[c]] * lud[c];
                    double cv = -wRow[i] * au, si = sRow[i];
                    if (general) phiSum += au * scorePhi[i];
                    for (int c = 0; c < nr; c++)
                    {
                        double va = vrow[rcols[c]];
                        scvd[c] += cv * va;
                        ssd[c] += si * va;
                    }
                    var x = xAll.Slice(i * p, p);
                    for (int j = 0; j < p; j++) gb[j] += x[j] * cv;
                }
                for (int a = 0; a < dr; a++)
                {
                    scv[a] = scvd[rpos[a]];
                    ss[a] = ssd[rpos[a]];
                }
                for (int gamma = 0; gamma < nTheta; gamma++)
                {
                    int o = _vOff[_thetaTerm[gamma]], r = o + _thetaR[gamma], c = o + _thetaC[gamma];
                    g[gamma] += scv[r] * uc[c] + ss[r] * lc[c];
                }
            }
        }
        _chunkPhi[chunk] += phiSum;
    }

    /// <summary>M = diag(Λ₀, T_k for the other terms) at the current θ, dr × dr row-major (lower triangular).</summary>
    private void FillM(Span<double> mt)
    {
        var d = _d;
        int q0 = d.QBlock, dr = q0 + d.QRest;
        mt.Clear();
        var l0 = _pirls.BlockLambda;
        for (int a = 0; a < q0; a++)
            for (int b = 0; b <= a; b++) mt[a * dr + b] = l0[a * q0 + b];
        for (int k = d.BlockTerms; k < d.K; k++)
        {
            int q = _q[k], o = _vOff[k];
            var t = _pirls.TermFactor(k);
            for (int a = 0; a < q; a++)
                for (int b = 0; b <= a; b++) mt[(o + a) * dr + o + b] = t[a * q + b];
        }
    }

    /// <summary>c = L·h for lower-triangular L and a full h, both n × n row-major.</summary>
    private static void MultiplyLower(ReadOnlySpan<double> lower, ReadOnlySpan<double> h, Span<double> c, int n)
    {
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++)
            {
                double sum = 0;
                for (int r = 0; r <= a; r++) sum += lower[a * n + r] * h[r * n + b];
                c[a * n + b] = sum;
            }
    }
}
