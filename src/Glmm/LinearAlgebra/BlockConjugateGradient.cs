using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Glmm.LinearAlgebra;

/// <summary>
/// A symmetric positive-definite operator applied to several vectors at once: a block X of <c>width</c> columns stored
/// row-major (entry (j, c) at j·width + c), so that one pass over the operator's data serves every column.
/// </summary>
internal interface IBlockOperator
{
    /// <summary>Rows of X (the operator's size).</summary>
    int Size { get; }

    /// <summary>Y = A X for a block of <paramref name="width"/> columns (x and y distinct).</summary>
    void ApplyBlock(double[] x, double[] y, int width);
}

/// <summary>A preconditioner P applied to a block of columns (row-major, as <see cref="IBlockOperator"/>).</summary>
internal interface IBlockPreconditioner
{
    /// <summary>Z = P⁻¹ R, column by column.</summary>
    void SolveBlock(ReadOnlySpan<double> r, Span<double> z, int width);
}

/// <summary>
/// Preconditioned conjugate gradients for A X = B with several right-hand sides at once: each column runs its own
/// recurrence (its own α, β, stopping test and Lanczos tridiagonal, exactly as <see cref="ConjugateGradient"/> would
/// for it alone), but the products with A and P⁻¹ are taken for the whole block in one pass — for the memory-bound
/// products through Z, 8–16 columns cost little more than one. A column that has converged stops moving (its step is
/// 0) while the others go on. Dot products run over the rows in order for each column: deterministic.
/// </summary>
internal sealed class BlockConjugateGradient
{
    private readonly double[] _r, _z, _p, _ap;
    private readonly double[] _alpha, _beta;
    private readonly double[] _rz, _rzNew, _pap, _step, _negStep, _rr, _limit;
    private readonly int[] _iterations;
    private readonly bool[] _active;

    /// <param name="size">Rows of the blocks.</param>
    /// <param name="maxWidth">Most columns of a block.</param>
    /// <param name="maxIterations">Iteration limit per column.</param>
    public BlockConjugateGradient(int size, int maxWidth, int maxIterations)
    {
        long length = (long)size * maxWidth;
        _r = new double[length];
        _z = new double[length];
        _p = new double[length];
        _ap = new double[length];
        MaxWidth = maxWidth;
        MaxIterations = maxIterations;
        _alpha = new double[maxWidth * maxIterations];
        _beta = new double[maxWidth * maxIterations];
        _rz = new double[maxWidth];
        _rzNew = new double[maxWidth];
        _pap = new double[maxWidth];
        _step = new double[maxWidth];
        _negStep = new double[maxWidth];
        _rr = new double[maxWidth];
        _limit = new double[maxWidth];
        _iterations = new int[maxWidth];
        _active = new bool[maxWidth];
    }

    /// <summary>Most columns of a block.</summary>
    public int MaxWidth { get; }

    /// <summary>Iteration limit per column.</summary>
    public int MaxIterations { get; }

    /// <summary>Products with A (block passes) of the last solve.</summary>
    public int Passes { get; private set; }

    /// <summary>Iterations of column <paramref name="column"/> in the last solve.</summary>
    public int Iterations(int column) => _iterations[column];

    /// <summary>
    /// Solves A X = B from X = 0, each column to ‖r‖ ≤ tolerance·‖b‖. Returns the sum of the columns' iterations.
    /// </summary>
    public int Solve(IBlockOperator a, IBlockPreconditioner m, ReadOnlySpan<double> b, Span<double> x, double tolerance, int width)
    {
        if (width < 1 || width > MaxWidth) throw new ArgumentOutOfRangeException(nameof(width));
        int n = a.Size, len = n * width;
        var r = _r.AsSpan(0, len);
        var z = _z.AsSpan(0, len);
        var p = _p.AsSpan(0, len);
        x[..len].Clear();
        b[..len].CopyTo(r);
        ColumnDots(r, r, _rr, width);
        for (int c = 0; c < width; c++)
        {
            _iterations[c] = 0;
            _limit[c] = tolerance * Math.Sqrt(_rr[c]);
            _active[c] = _rr[c] > 0 && Math.Sqrt(_rr[c]) > _limit[c];
        }
        Passes = 0;
        m.SolveBlock(r, z, width);
        z.CopyTo(p);
        ColumnDots(r, z, _rz, width);
        for (int k = 0; k < MaxIterations && AnyActive(width); k++)
        {
            a.ApplyBlock(_p, _ap, width);
            Passes++;
            var ap = _ap.AsSpan(0, len);
            ColumnDots(p, ap, _pap, width);
            for (int c = 0; c < width; c++)
            {
                _step[c] = 0;
                if (!_active[c]) continue;
                if (!(_pap[c] > 0)) { _active[c] = false; continue; }
                _step[c] = _rz[c] / _pap[c];
                _alpha[c * MaxIterations + k] = _step[c];
                _iterations[c] = k + 1;
            }
            // x += α p; r −= α ap (α = 0 in the stopped columns).
            Update(x[..len], p, _step, width);
            for (int c = 0; c < width; c++) _negStep[c] = -_step[c];
            Update(r, ap, _negStep, width);
            ColumnDots(r, r, _rr, width);
            m.SolveBlock(r, z, width);
            ColumnDots(r, z, _rzNew, width);
            for (int c = 0; c < width; c++)
            {
                if (!_active[c]) { _step[c] = 0; continue; }
                double beta = _rzNew[c] / _rz[c];
                _beta[c * MaxIterations + k] = beta;
                _rz[c] = _rzNew[c];
                _step[c] = beta;
                if (Math.Sqrt(_rr[c]) <= _limit[c]) _active[c] = false;
            }
            // p = z + β p (a stopped column's p is no longer used: its step is 0 from now on).
            var betas = _step.AsSpan(0, width);
            for (int j = 0; j < n; j++) BlockKernels.ScaleColumnsAdd(p.Slice(j * width, width), z.Slice(j * width, width), betas);
        }
        int total = 0;
        for (int c = 0; c < width; c++) total += _iterations[c];
        return total;
    }

    private bool AnyActive(int width)
    {
        for (int c = 0; c < width; c++) if (_active[c]) return true;
        return false;
    }

    /// <summary>
    /// Column <paramref name="column"/>'s Lanczos tridiagonal matrix of the last solve (as
    /// <see cref="ConjugateGradient.Tridiagonal"/>; length <see cref="Iterations"/>).
    /// </summary>
    public void Tridiagonal(int column, Span<double> diagonal, Span<double> offDiagonal)
    {
        int k = _iterations[column], o = column * MaxIterations;
        for (int j = 0; j < k; j++)
        {
            diagonal[j] = 1.0 / _alpha[o + j] + (j > 0 ? _beta[o + j - 1] / _alpha[o + j - 1] : 0.0);
            offDiagonal[j] = j < k - 1 ? Math.Sqrt(_beta[o + j]) / _alpha[o + j] : 0.0;
        }
    }

    /// <summary>result[c] = Σⱼ x[j, c] y[j, c], the rows summed in order.</summary>
    public static void ColumnDots(ReadOnlySpan<double> x, ReadOnlySpan<double> y, Span<double> result, int width)
    {
        var acc = result[..width];
        acc.Clear();
        int n = x.Length / width;
        for (int j = 0; j < n; j++) BlockKernels.AccumulateProducts(acc, x.Slice(j * width, width), y.Slice(j * width, width));
    }

    /// <summary>x[j, c] += s[c] · y[j, c].</summary>
    private static void Update(Span<double> x, ReadOnlySpan<double> y, ReadOnlySpan<double> s, int width)
    {
        int n = x.Length / width;
        var f = s[..width];
        for (int j = 0; j < n; j++) BlockKernels.AddColumnScaled(x.Slice(j * width, width), y.Slice(j * width, width), f);
    }
}

/// <summary>
/// Small vector kernels on the rows of a block (one row of <c>width</c> contiguous values), inlined into the loops over
/// rows and levels and vectorised across the row.
/// </summary>
internal static class BlockKernels
{
    /// <summary>dst += a · src.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddScaled(Span<double> dst, ReadOnlySpan<double> src, double a)
    {
        ref double d = ref MemoryMarshal.GetReference(dst);
        ref double s = ref MemoryMarshal.GetReference(src);
        int n = Math.Min(dst.Length, src.Length), i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var va = new Vector<double>(a);
            for (; i + Vector<double>.Count <= n; i += Vector<double>.Count)
                Vector.StoreUnsafe(Vector.LoadUnsafe(ref d, (nuint)i) + va * Vector.LoadUnsafe(ref s, (nuint)i), ref d, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref d, i) += a * Unsafe.Add(ref s, i);
    }

    /// <summary>dst += src.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Add(Span<double> dst, ReadOnlySpan<double> src)
    {
        ref double d = ref MemoryMarshal.GetReference(dst);
        ref double s = ref MemoryMarshal.GetReference(src);
        int n = Math.Min(dst.Length, src.Length), i = 0;
        if (Vector.IsHardwareAccelerated)
            for (; i + Vector<double>.Count <= n; i += Vector<double>.Count)
                Vector.StoreUnsafe(Vector.LoadUnsafe(ref d, (nuint)i) + Vector.LoadUnsafe(ref s, (nuint)i), ref d, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref d, i) += Unsafe.Add(ref s, i);
    }

    /// <summary>dst = a · src.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Scale(Span<double> dst, ReadOnlySpan<double> src, double a)
    {
        ref double d = ref MemoryMarshal.GetReference(dst);
        ref double s = ref MemoryMarshal.GetReference(src);
        int n = Math.Min(dst.Length, src.Length), i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var va = new Vector<double>(a);
            for (; i + Vector<double>.Count <= n; i += Vector<double>.Count)
                Vector.StoreUnsafe(va * Vector.LoadUnsafe(ref s, (nuint)i), ref d, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref d, i) = a * Unsafe.Add(ref s, i);
    }

    /// <summary>dst = src.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Copy(Span<double> dst, ReadOnlySpan<double> src)
    {
        ref double d = ref MemoryMarshal.GetReference(dst);
        ref double s = ref MemoryMarshal.GetReference(src);
        int n = Math.Min(dst.Length, src.Length), i = 0;
        if (Vector.IsHardwareAccelerated)
            for (; i + Vector<double>.Count <= n; i += Vector<double>.Count)
                Vector.StoreUnsafe(Vector.LoadUnsafe(ref s, (nuint)i), ref d, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref d, i) = Unsafe.Add(ref s, i);
    }

    /// <summary>
    /// One row of Z'WZ for two random intercepts: v = w·(x₁ + x₂), then acc₁ += v and acc₂ += v (the row's two levels).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void TwoInterceptRow(ReadOnlySpan<double> x1, ReadOnlySpan<double> x2, double w, Span<double> acc1, Span<double> acc2)
    {
        ref double a = ref MemoryMarshal.GetReference(x1);
        ref double b = ref MemoryMarshal.GetReference(x2);
        ref double c = ref MemoryMarshal.GetReference(acc1);
        ref double d = ref MemoryMarshal.GetReference(acc2);
        int n = Math.Min(Math.Min(x1.Length, x2.Length), Math.Min(acc1.Length, acc2.Length)), i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vw = new Vector<double>(w);
            for (; i + Vector<double>.Count <= n; i += Vector<double>.Count)
            {
                var v = vw * (Vector.LoadUnsafe(ref a, (nuint)i) + Vector.LoadUnsafe(ref b, (nuint)i));
                Vector.StoreUnsafe(Vector.LoadUnsafe(ref c, (nuint)i) + v, ref c, (nuint)i);
                Vector.StoreUnsafe(Vector.LoadUnsafe(ref d, (nuint)i) + v, ref d, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            double v = w * (Unsafe.Add(ref a, i) + Unsafe.Add(ref b, i));
            Unsafe.Add(ref c, i) += v;
            Unsafe.Add(ref d, i) += v;
        }
    }

    /// <summary>dst[c] += s[c] · src[c] (a per-column coefficient).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddColumnScaled(Span<double> dst, ReadOnlySpan<double> src, ReadOnlySpan<double> coefficients)
    {
        ref double d = ref MemoryMarshal.GetReference(dst);
        ref double s = ref MemoryMarshal.GetReference(src);
        ref double f = ref MemoryMarshal.GetReference(coefficients);
        int n = Math.Min(dst.Length, Math.Min(src.Length, coefficients.Length)), i = 0;
        if (Vector.IsHardwareAccelerated)
            for (; i + Vector<double>.Count <= n; i += Vector<double>.Count)
                Vector.StoreUnsafe(Vector.LoadUnsafe(ref d, (nuint)i) + Vector.LoadUnsafe(ref f, (nuint)i) * Vector.LoadUnsafe(ref s, (nuint)i), ref d, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref d, i) += Unsafe.Add(ref f, i) * Unsafe.Add(ref s, i);
    }

    /// <summary>dst[c] = src[c] + s[c] · dst[c].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ScaleColumnsAdd(Span<double> dst, ReadOnlySpan<double> src, ReadOnlySpan<double> coefficients)
    {
        ref double d = ref MemoryMarshal.GetReference(dst);
        ref double s = ref MemoryMarshal.GetReference(src);
        ref double f = ref MemoryMarshal.GetReference(coefficients);
        int n = Math.Min(dst.Length, Math.Min(src.Length, coefficients.Length)), i = 0;
        if (Vector.IsHardwareAccelerated)
            for (; i + Vector<double>.Count <= n; i += Vector<double>.Count)
                Vector.StoreUnsafe(Vector.LoadUnsafe(ref s, (nuint)i) + Vector.LoadUnsafe(ref f, (nuint)i) * Vector.LoadUnsafe(ref d, (nuint)i), ref d, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref d, i) = Unsafe.Add(ref s, i) + Unsafe.Add(ref f, i) * Unsafe.Add(ref d, i);
    }

    /// <summary>acc[c] += x[c] · y[c].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AccumulateProducts(Span<double> acc, ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        ref double d = ref MemoryMarshal.GetReference(acc);
        ref double a = ref MemoryMarshal.GetReference(x);
        ref double b = ref MemoryMarshal.GetReference(y);
        int n = Math.Min(acc.Length, Math.Min(x.Length, y.Length)), i = 0;
        if (Vector.IsHardwareAccelerated)
            for (; i + Vector<double>.Count <= n; i += Vector<double>.Count)
                Vector.StoreUnsafe(Vector.LoadUnsafe(ref d, (nuint)i) + Vector.LoadUnsafe(ref a, (nuint)i) * Vector.LoadUnsafe(ref b, (nuint)i), ref d, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref d, i) += Unsafe.Add(ref a, i) * Unsafe.Add(ref b, i);
    }
}
