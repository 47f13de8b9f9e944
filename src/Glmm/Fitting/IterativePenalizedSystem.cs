using Glmm.LinearAlgebra;

namespace Glmm.Fitting;

/// <summary>
/// The penalized system of the Laplace approximation handled without a factor: products with
/// H = Λ'Z'WZΛ + I row-wise through Z (forward: one pass over the rows; transposed: one pass over each term's levels,
/// whose rows are listed level by level), the conditional modes by Newton steps whose systems H δ = Λ'Z'r − u are
/// solved by preconditioned conjugate gradients (<see cref="ConjugateGradient"/>, <see cref="BlockJacobiPreconditioner"/>).
/// Memory is O(non-zeros of Z) plus a few vectors of length n and of length q (the random effects): no q × q block.
/// </summary>
/// <remarks>
/// Rows and levels are split into chunks that depend on the data alone; each chunk's sums run in a fixed order and
/// are combined in chunk order, so every result is identical whatever the number of threads. u is indexed as the
/// engine's <see cref="EngineLayout.UIndex"/> so that the modes can be reported as the exact path reports them.
/// </remarks>
internal sealed partial class IterativePenalizedSystem : ISymmetricOperator, IBlockOperator
{
    /// <summary>Random effects per level above which the iterative solver refuses a term (its small dense kernels).</summary>
    public const int MaxTermSize = 8;

    private const int MaxNewton = 60;
    private const int MaxHalvings = 30;

    private readonly EngineLayout _d;
    private readonly int _n, _p, _k, _m;
    private readonly int[] _q, _levels;
    private readonly int[][] _uBase, _levelStart, _levelRows;
    private readonly double[][] _t, _gram;
    private readonly double[] _eta, _etaTrial, _fixedEta, _mu, _w, _score, _dw, _rowTmp;
    private readonly double[] _u, _uTrial, _grad, _delta, _lambdaX, _beta;
    private readonly int[] _rowChunk;
    private readonly int[][] _levelChunk;
    private readonly double[] _chunkSums;
    private readonly ParallelOptions _parallel;
    private readonly double _saturated;

    public IterativePenalizedSystem(EngineLayout layout, int threads, double tolerance, int maxIterations)
    {
        _d = layout;
        _n = layout.N;
        _p = layout.P;
        _k = layout.K;
        _m = layout.TotalRandom;
        _q = layout.Q.ToArray();
        _levels = layout.Levels.ToArray();
        _uBase = new int[_k][];
        _levelStart = new int[_k][];
        _levelRows = new int[_k][];
        _t = new double[_k][];
        _tPrevious = new double[_k][];
        _gram = new double[_k][];
        for (int k = 0; k < _k; k++)
        {
            int levels = _levels[k], q = _q[k];
            _uBase[k] = new int[levels];
            for (int l = 0; l < levels; l++) _uBase[k][l] = layout.UIndex(k, l, 0);
            // The rows of each level, in row order (a counting sort).
            var codes = layout.Codes(k);
            var start = new int[levels + 1];
            for (int i = 0; i < _n; i++) start[codes[i] + 1]++;
            for (int l = 0; l < levels; l++) start[l + 1] += start[l];
            var rows = new int[_n];
            var fill = (int[])start.Clone();
            for (int i = 0; i < _n; i++) rows[fill[codes[i]]++] = i;
            _levelStart[k] = start;
            _levelRows[k] = rows;
            _t[k] = new double[q * q];
            _tPrevious[k] = new double[q * q];
            _gram[k] = new double[levels * q * q];
        }
        _eta = new double[_n];
        _etaTrial = new double[_n];
        _fixedEta = new double[_n];
        _mu = new double[_n];
        _w = new double[_n];
        _score = new double[_n];
        _dw = new double[_n];
        _rowTmp = new double[_n];
        _u = new double[_m];
        _uTrial = new double[_m];
        _grad = new double[_m];
        _delta = new double[_m];
        _lambdaX = new double[_m];
        _beta = new double[_p];
        _rowChunk = Chunks(_n, 16384);
        _levelChunk = new int[_k][];
        for (int k = 0; k < _k; k++) _levelChunk[k] = Chunks(_levels[k], 2048);
        _chunkSums = new double[Math.Max(_rowChunk.Length, 1)];
        _parallel = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount };
        Preconditioner = new BlockJacobiPreconditioner(_q, _uBase);
        Tolerance = tolerance;
        Solver = new ConjugateGradient(_m, maxIterations);
        _saturated = layout.Family.SaturatedLogLikelihood(layout.Y, layout.Weights);
        // Per pair of terms, the rows grouped by their pair of levels (the non-zero blocks of the coupling between the two terms).
        var pairs = new List<(int K1, int K2, int[] Rows, int[] Start)>();
        for (int k1 = 0; k1 < _k; k1++)
            for (int k2 = k1 + 1; k2 < _k; k2++)
            {
                var c1 = layout.Codes(k1);
                var c2 = layout.Codes(k2);
                var keys = new long[_n];
                var rows = new int[_n];
                for (int i = 0; i < _n; i++)
                {
                    keys[i] = (long)c1[i] * _levels[k2] + c2[i];
                    rows[i] = i;
                }
                // Stable: ties (rows of one pair of levels) keep row order.
                var order = rows.OrderBy(i => keys[i]).ToArray();
                var start = new List<int>();
                for (int e = 0; e < _n; e++)
                    if (e == 0 || keys[order[e]] != keys[order[e - 1]]) start.Add(e);
                start.Add(_n);
                pairs.Add((k1, k2, order, start.ToArray()));
            }
        _pairs = pairs.ToArray();
    }

    private readonly (int K1, int K2, int[] Rows, int[] Start)[] _pairs;

    /// <summary>
    /// ‖E‖²_F for E = L⁻¹HL'⁻¹ − I (P = LL' the block preconditioner), exactly: E has zero diagonal blocks, and its
    /// block between term k1's level a and term k2's level b is L_a⁻¹T₁'(Σ wᵣ zᵣ₁zᵣ₂')T₂L_b'⁻¹ over the rows in both;
    /// each pair of levels that share rows is visited once (twice counted, E being symmetric).
    /// </summary>
    public double CouplingSquaredNorm()
    {
        double total = 0;
        Span<double> g = stackalloc double[MaxTermSize * MaxTermSize];
        Span<double> a = stackalloc double[MaxTermSize * MaxTermSize];
        var z = _d.AllZ;
        var zo = _d.ZOffset;
        var all = _d.AllCodes;
        foreach (var (k1, k2, rows, start) in _pairs)
        {
            int q1 = _q[k1], q2 = _q[k2], z1 = zo[k1], z2 = zo[k2];
            var t1 = _t[k1];
            var t2 = _t[k2];
            var f1 = Preconditioner.Factor(k1);
            var f2 = Preconditioner.Factor(k2);
            double sum = 0;
            for (int run = 0; run + 1 < start.Length; run++)
            {
                int first = rows[start[run]];
                int la = all[k1 * _n + first], lb = all[k2 * _n + first];
                if (q1 == 1 && q2 == 1)
                {
                    double c = 0;
                    for (int e = start[run]; e < start[run + 1]; e++)
                    {
                        int i = rows[e];
                        c += _w[i] * z[z1 + i] * z[z2 + i];
                    }
                    double mab = t1[0] * t2[0] * c / (f1[la] * f2[lb]);
                    sum += mab * mab;
                    continue;
                }
                g[..(q1 * q2)].Clear();
                for (int e = start[run]; e < start[run + 1]; e++)
                {
                    int i = rows[e];
                    double wi = _w[i];
                    for (int r = 0; r < q1; r++)
                    {
                        double zr = wi * z[z1 + i * q1 + r];
                        for (int c = 0; c < q2; c++) g[r * q2 + c] += zr * z[z2 + i * q2 + c];
                    }
                }
                // a = T1' g T2 (q1 × q2).
                for (int r = 0; r < q1; r++)
                    for (int c = 0; c < q2; c++)
                    {
                        double s = 0;
                        for (int u = r; u < q1; u++)
                            for (int v = c; v < q2; v++) s += t1[u * q1 + r] * g[u * q2 + v] * t2[v * q2 + c];
                        a[r * q2 + c] = s;
                    }
                // Columns: L_a⁻¹ a; rows: (L_b⁻¹ (·)')'.
                int o1 = la * q1 * q1, o2 = lb * q2 * q2;
                for (int c = 0; c < q2; c++)
                    for (int r = 0; r < q1; r++)
                    {
                        double s = a[r * q2 + c];
                        for (int u = 0; u < r; u++) s -= f1[o1 + r * q1 + u] * a[u * q2 + c];
                        a[r * q2 + c] = s / f1[o1 + r * q1 + r];
                    }
                for (int r = 0; r < q1; r++)
                    for (int c = 0; c < q2; c++)
                    {
                        double s = a[r * q2 + c];
                        for (int v = 0; v < c; v++) s -= f2[o2 + c * q2 + v] * a[r * q2 + v];
                        a[r * q2 + c] = s / f2[o2 + c * q2 + c];
                    }
                for (int e = 0; e < q1 * q2; e++) sum += a[e] * a[e];
            }
            total += 2.0 * sum;
        }
        return total;
    }

    /// <summary>Chunk boundaries of [0, count) with about <paramref name="size"/> items each (a function of count alone).</summary>
    private static int[] Chunks(int count, int size)
    {
        int chunks = Math.Clamp((count + size - 1) / size, 1, 256);
        var start = new int[chunks + 1];
        for (int c = 0; c <= chunks; c++) start[c] = (int)((long)count * c / chunks);
        return start;
    }

    /// <summary>The engine layout.</summary>
    public EngineLayout Layout => _d;

    /// <summary>Length of u.</summary>
    public int Size => _m;

    /// <summary>The preconditioner at the last weights.</summary>
    public BlockJacobiPreconditioner Preconditioner { get; }

    /// <summary>The conjugate-gradient solver (its buffers) the system's solves use.</summary>
    public ConjugateGradient Solver { get; }

    /// <summary>Relative residual at which the conjugate-gradient solves stop.</summary>
    public double Tolerance { get; }

    /// <summary>The modes u.</summary>
    public double[] U => _u;

    /// <summary>η per engine row.</summary>
    public double[] Eta => _eta;

    /// <summary>μ per engine row.</summary>
    public double[] Mu => _mu;

    /// <summary>IRLS weights per engine row at the last state.</summary>
    public double[] Weights => _w;

    /// <summary>Scores d log p/dη per engine row at the last state.</summary>
    public double[] Scores => _score;

    /// <summary>dW/dη per engine row at the last state (canonical links).</summary>
    public double[] WeightDerivatives => _dw;

    /// <summary>Per engine term, its factor T (row-major lower q × q).</summary>
    public double[][] TermFactors => _t;

    /// <summary>Per engine term, the weighted cross-products Σ wᵢzᵢzᵢ' per level (levels × q × q).</summary>
    public double[][] Gram => _gram;

    /// <summary>Per engine term, the index in u of each level's first effect.</summary>
    public int[][] LevelBase => _uBase;

    /// <summary>−2 log p(y | ũ) with every constant at the last state.</summary>
    public double MinusTwoLogLikConditional { get; private set; }

    /// <summary>‖u‖² at the last state.</summary>
    public double SquaredLengthU { get; private set; }

    /// <summary>Newton iterations of the last mode solve.</summary>
    public int NewtonIterations { get; private set; }

    /// <summary>Conjugate-gradient iterations of all Newton steps of the last mode solve.</summary>
    public int NewtonCgIterations { get; private set; }

    /// <summary>Passes over the data that built a state (weights and preconditioner), since construction.</summary>
    public int Sweeps { get; private set; }

    /// <summary>Sets u (modes of any θ: the next solve starts from them as they are).</summary>
    public void SetModes(ReadOnlySpan<double> u)
    {
        u.CopyTo(_u);
        _uFromPrevious = false;
    }

    // The factors T of the previous solve, and whether u is that solve's modes.
    private readonly double[][] _tPrevious;
    private bool _uFromPrevious;

    /// <summary>
    /// <paramref name="result"/> = Λ⁻¹Λ_previous u level by level (the same b = Λu at the new θ); false when the new Λ is
    /// singular or the result not finite.
    /// </summary>
    private bool TransportModes(double[] result)
    {
        for (int k = 0; k < _k; k++)
        {
            int q = _q[k];
            var t = _t[k];
            var tp = _tPrevious[k];
            for (int a = 0; a < q; a++) if (!(Math.Abs(t[a * q + a]) > 0)) return false;
            var ub = _uBase[k];
            for (int l = 0; l < ub.Length; l++)
            {
                int o = ub[l];
                for (int a = 0; a < q; a++)
                {
                    double b = 0;
                    for (int c = 0; c <= a; c++) b += tp[a * q + c] * _u[o + c];
                    for (int c = 0; c < a; c++) b -= t[a * q + c] * result[o + c];
                    result[o + a] = b / t[a * q + a];
                }
            }
        }
        for (int j = 0; j < _m; j++) if (!double.IsFinite(result[j])) return false;
        return true;
    }

    /// <summary>Sets θ (structure order) into the engine terms' factors.</summary>
    public void SetTheta(ReadOnlySpan<double> theta)
    {
        var re = _d.Random;
        for (int k = 0; k < _k; k++) re.FillFactor(theta, _d.StructureTerm(k), _t[k]);
    }

    /// <summary>Sets β and the fixed part Xβ + offset of η.</summary>
    public void SetBeta(ReadOnlySpan<double> beta)
    {
        beta.CopyTo(_beta);
        var x = _d.X;
        var off = _d.Offset;
        int p = _p;
        for (int i = 0; i < _n; i++)
        {
            double s = off[i];
            for (int j = 0; j < p; j++) s += x[i * p + j] * beta[j];
            _fixedEta[i] = s;
        }
    }

    /// <summary>Runs <paramref name="body"/> for each chunk, in parallel when the options allow (each chunk's work is self-contained).</summary>
    private void ForChunks(int chunks, Action<int> body)
    {
        if (chunks == 1 || _parallel.MaxDegreeOfParallelism == 1)
            for (int c = 0; c < chunks; c++) body(c);
        else Parallel.For(0, chunks, _parallel, body);
    }

    /// <summary>b = Λx, level by level (Tₖ times each level's block).</summary>
    private void MultiplyLambda(double[] x, double[] b)
    {
        for (int k = 0; k < _k; k++)
        {
            int q = _q[k];
            var t = _t[k];
            var ub = _uBase[k];
            if (q == 1)
            {
                double t0 = t[0];
                for (int l = 0; l < ub.Length; l++) b[ub[l]] = t0 * x[ub[l]];
                continue;
            }
            for (int l = 0; l < ub.Length; l++)
            {
                int o = ub[l];
                for (int a = q - 1; a >= 0; a--)
                {
                    double s = 0;
                    for (int c = 0; c <= a; c++) s += t[a * q + c] * x[o + c];
                    b[o + a] = s;
                }
            }
        }
    }

    /// <summary>t = ZΛx (one value per row).</summary>
    public void Forward(double[] x, double[] t)
    {
        MultiplyLambda(x, _lambdaX);
        var b = _lambdaX;
        ForChunks(_rowChunk.Length - 1, c =>
        {
            int r0 = _rowChunk[c], r1 = _rowChunk[c + 1];
            var all = _d.AllCodes;
            var z = _d.AllZ;
            var zo = _d.ZOffset;
            for (int i = r0; i < r1; i++) t[i] = 0;
            for (int k = 0; k < _k; k++)
            {
                int q = _q[k], baseCode = k * _n, zk = zo[k];
                var ub = _uBase[k];
                if (q == 1)
                    for (int i = r0; i < r1; i++) t[i] += z[zk + i] * b[ub[all[baseCode + i]]];
                else
                    for (int i = r0; i < r1; i++)
                    {
                        int o = ub[all[baseCode + i]];
                        double s = 0;
                        for (int j = 0; j < q; j++) s += z[zk + i * q + j] * b[o + j];
                        t[i] += s;
                    }
            }
        });
    }

    /// <summary>y = Λ'Z't (one value per random effect), each level's rows summed in row order.</summary>
    public void Transpose(double[] t, double[] y)
    {
        for (int k = 0; k < _k; k++)
        {
            int kk = k;
            var chunks = _levelChunk[k];
            ForChunks(chunks.Length - 1, c =>
            {
                int q = _q[kk], zk = _d.ZOffset[kk];
                var z = _d.AllZ;
                var start = _levelStart[kk];
                var rows = _levelRows[kk];
                var tk = _t[kk];
                var ub = _uBase[kk];
                Span<double> g = stackalloc double[MaxTermSize];
                for (int l = chunks[c]; l < chunks[c + 1]; l++)
                {
                    if (q == 1)
                    {
                        double s = 0;
                        for (int e = start[l]; e < start[l + 1]; e++)
                        {
                            int i = rows[e];
                            s += t[i] * z[zk + i];
                        }
                        y[ub[l]] = tk[0] * s;
                        continue;
                    }
                    g[..q].Clear();
                    for (int e = start[l]; e < start[l + 1]; e++)
                    {
                        int i = rows[e];
                        double ti = t[i];
                        for (int j = 0; j < q; j++) g[j] += ti * z[zk + i * q + j];
                    }
                    int o = ub[l];
                    for (int a = 0; a < q; a++)
                    {
                        double s = 0;
                        for (int b = a; b < q; b++) s += tk[b * q + a] * g[b];
                        y[o + a] = s;
                    }
                }
            });
        }
    }

    /// <summary>y = (Λ'Z'WZΛ + I) x at the last weights (the one-column case of <see cref="ApplyBlock"/>).</summary>
    public void Apply(ReadOnlySpan<double> x, Span<double> y)
    {
        // The solver hands over its own buffers; products need arrays for the parallel chunks.
        x.CopyTo(_applyIn ??= new double[_m]);
        ApplyBlock(_applyIn, _applyOut ??= new double[_m], 1);
        _applyOut.AsSpan(0, _m).CopyTo(y);
    }

    private double[]? _applyIn, _applyOut;

    /// <summary>η = Xβ + offset + ZΛu into <paramref name="eta"/>.</summary>
    private void ComputeEta(double[] u, double[] eta)
    {
        Forward(u, eta);
        for (int i = 0; i < _n; i++) eta[i] += _fixedEta[i];
    }

    /// <summary>Σ deviance residuals at η (+∞ when μ is invalid), chunk sums in chunk order.</summary>
    private double DevianceAt(double[] eta)
    {
        var family = _d.Family;
        int chunks = _rowChunk.Length - 1;
        ForChunks(chunks, c =>
        {
            int r0 = _rowChunk[c], len = _rowChunk[c + 1] - r0;
            _chunkSums[c] = family.DevianceRows(_d.Y.Slice(r0, len), _d.Weights.Slice(r0, len), eta.AsSpan(r0, len));
        });
        double dev = 0;
        for (int c = 0; c < chunks; c++) dev += _chunkSums[c];
        return double.IsNaN(dev) ? double.PositiveInfinity : dev;
    }

    /// <summary>μ, weights, scores at the current η; returns Σ deviance residuals.</summary>
    private double Rows()
    {
        var family = _d.Family;
        int chunks = _rowChunk.Length - 1;
        ForChunks(chunks, c =>
        {
            int r0 = _rowChunk[c], len = _rowChunk[c + 1] - r0;
            _chunkSums[c] = family.IrlsRows(_d.Y.Slice(r0, len), _d.Weights.Slice(r0, len), _eta.AsSpan(r0, len),
                _mu.AsSpan(r0, len), _w.AsSpan(r0, len), _score.AsSpan(r0, len));
        });
        double dev = 0;
        for (int c = 0; c < chunks; c++) dev += _chunkSums[c];
        Sweeps++;
        _weightsVersion++;
        return double.IsNaN(dev) ? double.PositiveInfinity : dev;
    }

    /// <summary>Σ wᵢzᵢzᵢ' per term and level at the current weights, and the preconditioner from them.</summary>
    private bool UpdatePreconditioner()
    {
        for (int k = 0; k < _k; k++)
        {
            int kk = k;
            var chunks = _levelChunk[k];
            ForChunks(chunks.Length - 1, c =>
            {
                int q = _q[kk], qq = q * q, zk = _d.ZOffset[kk];
                var z = _d.AllZ;
                var start = _levelStart[kk];
                var rows = _levelRows[kk];
                var g = _gram[kk];
                for (int l = chunks[c]; l < chunks[c + 1]; l++)
                {
                    var gl = g.AsSpan(l * qq, qq);
                    gl.Clear();
                    for (int e = start[l]; e < start[l + 1]; e++)
                    {
                        int i = rows[e];
                        double wi = _w[i];
                        for (int a = 0; a < q; a++)
                        {
                            double za = wi * z[zk + i * q + a];
                            for (int b = 0; b < q; b++) gl[a * q + b] += za * z[zk + i * q + b];
                        }
                    }
                }
            });
        }
        return Preconditioner.Update(_gram, _t);
    }

    /// <summary>
    /// The conditional modes ũ at (θ, β) by damped, inexact Newton steps from the current u or the previous solve's modes
    /// carried to the new θ, whichever is better (restarting at u = 0 when both are hopeless); after it the weights, scores and preconditioner are those at ũ. Returns the penalized part
    /// −2 log p(y | ũ) + ‖ũ‖² of the Laplace deviance, +∞ on failure.
    /// </summary>
    public double SolveMode(ReadOnlySpan<double> theta, ReadOnlySpan<double> beta)
    {
        for (int k = 0; k < _k; k++) Array.Copy(_t[k], _tPrevious[k], _t[k].Length);
        bool transport = _uFromPrevious;
        SetTheta(theta);
        SetBeta(beta);
        _uFromPrevious = true;
        NewtonIterations = 0;
        NewtonCgIterations = 0;
        ComputeEta(_u, _eta);
        double dev = Rows();
        // The other start: the previous modes carried to the new θ with b = Λu held fixed (u ← Λ⁻¹Λ_previous u, exact
        // where only a column's sign changed, closer where a level's data outweigh its prior); the better of the two
        // by the penalized deviance.
        if (transport && TransportModes(_uTrial))
        {
            ComputeEta(_uTrial, _etaTrial);
            double alternative = DevianceAt(_etaTrial) + ConjugateGradient.Dot(_uTrial, _uTrial);
            if (alternative < dev + ConjugateGradient.Dot(_u, _u) || !double.IsFinite(dev))
            {
                Array.Copy(_uTrial, _u, _m);
                Array.Copy(_etaTrial, _eta, _n);
                dev = Rows();
            }
        }
        if (!double.IsFinite(dev))
        {
            Array.Clear(_u);
            ComputeEta(_u, _eta);
            dev = Rows();
            if (!double.IsFinite(dev)) return double.PositiveInfinity;
        }
        double pdev = dev + ConjugateGradient.Dot(_u, _u);
        double previous = double.PositiveInfinity;
        while (true)
        {
            NewtonIterations++;
            Transpose(_score, _grad);
            for (int j = 0; j < _m; j++) _grad[j] -= _u[j];
            if (!UpdatePreconditioner()) return double.PositiveInfinity;
            double scale = 1.0 + Math.Abs(pdev);
            // An inexact Newton step: solved to a relative residual τ, the step leaves a decrement of about
            // τ²d + c d² (d its own, estimated by g'P⁻¹g before the solve), so τ need only keep τ²d below the 1e-20
            // floor (1e-21 here) and below the quadratic term (0.1√d): loose where d is already small or still large.
            Preconditioner.Solve(_grad, _delta);
            double estimate = Math.Max(ConjugateGradient.Dot(_delta, _grad) / scale, 1e-300);
            double tau = Math.Clamp(Math.Max(3e-11 / Math.Sqrt(estimate), 0.1 * Math.Sqrt(estimate)), Tolerance, 1e-2);
            NewtonCgIterations += Solver.Solve(this, Preconditioner, _grad, _delta, tau);
            double decrement = ConjugateGradient.Dot(_delta, _grad);
            if (!double.IsFinite(decrement)) return double.PositiveInfinity;
            // The log-determinant is first-order sensitive to errors in ũ: iterate until the decrement is at the
            // solves' rounding floor (it stops shrinking) or tiny.
            if (decrement <= 1e-20 * scale) break;
            if (decrement <= 1e-11 * scale && decrement > 0.25 * previous) break;
            if (NewtonIterations >= MaxNewton) break;
            // Near the mode Newton converges quadratically, dₖ₊₁ ≈ c dₖ² in units of the deviance's scale (c measured
            // from this solve's last two decrements, at least 1): when the decrement after a full step is predicted
            // at the floor above, the step is the last one and the solve that would only confirm it is skipped.
            double relative = decrement / scale, growth = Math.Max(1.0, previous < double.PositiveInfinity ? relative / (previous / scale * (previous / scale)) : 1.0);
            bool last = growth * relative * relative + tau * tau * relative <= 1e-20;
            previous = decrement;
            double step = 1.0;
            bool accepted = false;
            for (int h = 0; h <= MaxHalvings && !accepted; h++, step *= 0.5)
            {
                for (int j = 0; j < _m; j++) _uTrial[j] = _u[j] + step * _delta[j];
                ComputeEta(_uTrial, _etaTrial);
                double trial = DevianceAt(_etaTrial) + ConjugateGradient.Dot(_uTrial, _uTrial);
                if (double.IsFinite(trial) && trial <= pdev + 1e-12 * scale)
                {
                    accepted = true;
                    last &= h == 0;
                    Array.Copy(_uTrial, _u, _m);
                    Array.Copy(_etaTrial, _eta, _n);
                }
            }
            if (!accepted) break;
            dev = Rows();
            if (!double.IsFinite(dev)) return double.PositiveInfinity;
            pdev = dev + ConjugateGradient.Dot(_u, _u);
            if (last)
            {
                // The preconditioner (and the Gram blocks) at the final weights, as the loop's next pass would build them.
                if (!UpdatePreconditioner()) return double.PositiveInfinity;
                break;
            }
        }
        SquaredLengthU = ConjugateGradient.Dot(_u, _u);
        MinusTwoLogLikConditional = dev - 2.0 * _saturated;
        // dW/dη for the gradient (canonical links: W = wt·μ', so dW/dη = wt·μ'').
        var link = _d.Family.Link;
        var wt = _d.Weights;
        for (int i = 0; i < _n; i++) _dw[i] = wt[i] == 0 ? 0.0 : wt[i] * link.MuEtaDerivative(_eta[i]);
        return MinusTwoLogLikConditional + SquaredLengthU;
    }

    /// <summary>
    /// out[θ index] += scale · Σᵢ aᵢ (Z ∂Λ/∂θ x)ᵢ for every θ entry: for θ at (i, j) of term k's factor, Σ over rows of
    /// aᵣ zᵣₖ[i] x_{k,level(r)}[j]. Chunk partials are combined in chunk order.
    /// </summary>
    public void AccumulateThetaDerivative(double[] a, double[] x, double[] result, double scale)
    {
        var re = _d.Random;
        int nth = re.ThetaLength, chunks = _rowChunk.Length - 1;
        var partial = _thetaPartial ??= new double[chunks * nth];
        Array.Clear(partial);
        ForChunks(chunks, c =>
        {
            int r0 = _rowChunk[c], r1 = _rowChunk[c + 1];
            var all = _d.AllCodes;
            var z = _d.AllZ;
            var zo = _d.ZOffset;
            var part = partial.AsSpan(c * nth, nth);
            for (int k = 0; k < _k; k++)
            {
                int q = _q[k], baseCode = k * _n, zk = zo[k], off = re.ThetaOffsets[_d.StructureTerm(k)];
                var ub = _uBase[k];
                if (q == 1)
                {
                    double s = 0;
                    for (int i = r0; i < r1; i++) s += a[i] * z[zk + i] * x[ub[all[baseCode + i]]];
                    part[off] += s;
                    continue;
                }
                for (int i = r0; i < r1; i++)
                {
                    int o = ub[all[baseCode + i]];
                    double ai = a[i];
                    int pos = off;
                    for (int j = 0; j < q; j++)
                    {
                        double xj = ai * x[o + j];
                        for (int r = j; r < q; r++) part[pos++] += z[zk + i * q + r] * xj;
                    }
                }
            }
        });
        for (int c = 0; c < chunks; c++)
            for (int t = 0; t < nth; t++) result[t] += scale * partial[c * nth + t];
    }

    private double[]? _thetaPartial;

    /// <summary>result[j] = Σᵢ aᵢ Xᵢⱼ (chunk partials in chunk order).</summary>
    public void MultiplyXTranspose(double[] a, Span<double> result)
    {
        int p = _p, chunks = _rowChunk.Length - 1;
        var partial = _betaPartial ??= new double[chunks * p];
        Array.Clear(partial);
        ForChunks(chunks, c =>
        {
            var x = _d.X;
            var part = partial.AsSpan(c * p, p);
            for (int i = _rowChunk[c]; i < _rowChunk[c + 1]; i++)
            {
                double ai = a[i];
                for (int j = 0; j < p; j++) part[j] += ai * x[i * p + j];
            }
        });
        result[..p].Clear();
        for (int c = 0; c < chunks; c++)
            for (int j = 0; j < p; j++) result[j] += partial[c * p + j];
    }

    private double[]? _betaPartial;

    /// <summary>
    /// Per row, the exact diagonal of ZΛP⁻¹Λ'Z' for the block preconditioner P: Σₖ ‖Lₖₗ⁻¹ Tₖ zᵣₖ‖² (into <paramref name="result"/>).
    /// </summary>
    public void PreconditionedLeverage(double[] result)
    {
        ForChunks(_rowChunk.Length - 1, c =>
        {
            var all = _d.AllCodes;
            var z = _d.AllZ;
            var zo = _d.ZOffset;
            Span<double> v = stackalloc double[MaxTermSize];
            for (int i = _rowChunk[c]; i < _rowChunk[c + 1]; i++) result[i] = 0;
            for (int k = 0; k < _k; k++)
            {
                int q = _q[k], qq = q * q, baseCode = k * _n, zk = zo[k];
                var t = _t[k];
                var f = Preconditioner.Factor(k);
                for (int i = _rowChunk[c]; i < _rowChunk[c + 1]; i++)
                {
                    int l = all[baseCode + i];
                    double s = 0;
                    for (int a = 0; a < q; a++)
                    {
                        double ta = 0;
                        for (int b = a; b < q; b++) ta += z[zk + i * q + b] * t[b * q + a];
                        // v = T'z, then forward-solve with L.
                        double x = ta;
                        for (int b = 0; b < a; b++) x -= f[l * qq + a * q + b] * v[b];
                        v[a] = x / f[l * qq + a * q + a];
                        s += v[a] * v[a];
                    }
                    result[i] += s;
                }
            }
        });
    }
}
