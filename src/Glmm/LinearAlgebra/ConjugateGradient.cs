namespace Glmm.LinearAlgebra;

/// <summary>A symmetric positive-definite operator y = A x applied without forming A.</summary>
internal interface ISymmetricOperator
{
    /// <summary>Length of x.</summary>
    int Size { get; }

    /// <summary>y = A x.</summary>
    void Apply(ReadOnlySpan<double> x, Span<double> y);
}

/// <summary>A symmetric positive-definite preconditioner P = LL' (its factor's products for blocks of vectors: <see cref="IBlockPreconditioner"/>).</summary>
internal interface IPreconditioner
{
    /// <summary>A short name for reports.</summary>
    string Name { get; }

    /// <summary>z = P⁻¹ r.</summary>
    void Solve(ReadOnlySpan<double> r, Span<double> z);

    /// <summary>log|P|, exact.</summary>
    double LogDeterminant { get; }
}

/// <summary>
/// Preconditioned conjugate gradients for A x = b, which also records the Lanczos tridiagonal matrix of the
/// preconditioned operator L⁻¹AL'⁻¹ started at L⁻¹b (its coefficients follow from CG's α and β), the matrix stochastic
/// Lanczos quadrature needs. Work buffers are held by the instance; a solve allocates nothing.
/// </summary>
internal sealed class ConjugateGradient
{
    private readonly double[] _r, _z, _p, _ap;
    private readonly double[] _alpha, _beta;

    public ConjugateGradient(int size, int maxIterations)
    {
        _r = new double[size];
        _z = new double[size];
        _p = new double[size];
        _ap = new double[size];
        MaxIterations = maxIterations;
        _alpha = new double[maxIterations];
        _beta = new double[maxIterations];
    }

    /// <summary>Iteration limit.</summary>
    public int MaxIterations { get; }

    /// <summary>Iterations of the last solve.</summary>
    public int Iterations { get; private set; }

    /// <summary>True when the last solve reached its tolerance.</summary>
    public bool Converged { get; private set; }

    /// <summary>
    /// Solves A x = b to ‖r‖ ≤ tolerance·‖b‖, starting from x (its content is the initial guess when
    /// <paramref name="warm"/>, else x starts at 0). Returns the iterations.
    /// </summary>
    public int Solve(ISymmetricOperator a, IPreconditioner m, ReadOnlySpan<double> b, Span<double> x, double tolerance, bool warm = false)
    {
        int n = b.Length;
        var r = _r.AsSpan(0, n);
        var z = _z.AsSpan(0, n);
        var p = _p.AsSpan(0, n);
        var ap = _ap.AsSpan(0, n);
        double bnorm = Math.Sqrt(Dot(b, b));
        Iterations = 0;
        Converged = false;
        if (bnorm == 0)
        {
            x.Clear();
            Converged = true;
            return 0;
        }
        if (warm)
        {
            a.Apply(x, ap);
            for (int i = 0; i < n; i++) r[i] = b[i] - ap[i];
        }
        else
        {
            x.Clear();
            b.CopyTo(r);
        }
        m.Solve(r, z);
        z.CopyTo(p);
        double rz = Dot(r, z);
        double limit = tolerance * bnorm;
        if (Math.Sqrt(Dot(r, r)) <= limit) { Converged = true; return 0; }
        for (int k = 0; k < MaxIterations; k++)
        {
            a.Apply(p, ap);
            double pap = Dot(p, ap);
            if (!(pap > 0)) break;
            double alpha = rz / pap;
            for (int i = 0; i < n; i++)
            {
                x[i] += alpha * p[i];
                r[i] -= alpha * ap[i];
            }
            _alpha[k] = alpha;
            Iterations = k + 1;
            double rnorm = Math.Sqrt(Dot(r, r));
            m.Solve(r, z);
            double rzNew = Dot(r, z);
            double beta = rzNew / rz;
            _beta[k] = beta;
            rz = rzNew;
            if (rnorm <= limit) { Converged = true; break; }
            for (int i = 0; i < n; i++) p[i] = z[i] + beta * p[i];
        }
        return Iterations;
    }

    /// <summary>
    /// The Lanczos tridiagonal matrix of the last solve (which must have started at x = 0): its diagonal in
    /// <paramref name="diagonal"/> and off-diagonal in <paramref name="offDiagonal"/> (length <see cref="Iterations"/>, the last entry 0).
    /// </summary>
    public void Tridiagonal(Span<double> diagonal, Span<double> offDiagonal)
    {
        int k = Iterations;
        for (int j = 0; j < k; j++)
        {
            diagonal[j] = 1.0 / _alpha[j] + (j > 0 ? _beta[j - 1] / _alpha[j - 1] : 0.0);
            offDiagonal[j] = j < k - 1 ? Math.Sqrt(_beta[j]) / _alpha[j] : 0.0;
        }
    }

    /// <summary>x'y, summed in index order (deterministic).</summary>
    public static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0, n = x.Length;
        for (; i + 3 < n; i += 4)
        {
            s0 += x[i] * y[i];
            s1 += x[i + 1] * y[i + 1];
            s2 += x[i + 2] * y[i + 2];
            s3 += x[i + 3] * y[i + 3];
        }
        for (; i < n; i++) s0 += x[i] * y[i];
        return (s0 + s1) + (s2 + s3);
    }
}
