using System.Runtime.CompilerServices;
namespace Glmm.LinearAlgebra;

/// <summary>
/// Cholesky factorisation A = LL' of a small dense symmetric positive-definite matrix held row-major in a
/// span (only the lower triangle is read; the factor overwrites it and the strict upper triangle is
/// left alone), with triangular solves. No allocation.
/// </summary>
internal static class DenseCholesky
{
    /// <summary>Factors the n×n matrix in place; returns false when it is not positive definite.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool Factor(Span<double> a, int n)
    {
        for (int j = 0; j < n; j++)
        {
            var rowJ = a.Slice(j * n, n);
            double d = rowJ[j];
            for (int k = 0; k < j; k++) d -= rowJ[k] * rowJ[k];
            if (!(d > 0.0) || !double.IsFinite(d)) return false;
            double ljj = Math.Sqrt(d);
            rowJ[j] = ljj;
            double inv = 1.0 / ljj;
            for (int i = j + 1; i < n; i++)
            {
                var rowI = a.Slice(i * n, n);
                double s = rowI[j];
                s -= Dot(rowI[..j], rowJ[..j]);
                rowI[j] = s * inv;
            }
        }
        return true;
    }

    /// <summary>Solves L x = b in place (forward substitution) with the factor from <see cref="Factor"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SolveLower(ReadOnlySpan<double> l, int n, Span<double> b)
    {
        for (int i = 0; i < n; i++)
        {
            double s = b[i] - Dot(l.Slice(i * n, i), b[..i]);
            b[i] = s / l[i * n + i];
        }
    }

    /// <summary>Solves L' x = b in place (back substitution) with the factor from <see cref="Factor"/>.</summary>
    /// <remarks>Row-oriented: once x_i is known, row i of L updates the entries above it (contiguous access).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SolveUpper(ReadOnlySpan<double> l, int n, Span<double> b)
    {
        for (int i = n - 1; i >= 0; i--)
        {
            double xi = b[i] / l[i * n + i];
            b[i] = xi;
            if (xi != 0.0) Axpy(-xi, l.Slice(i * n, i), b[..i]);
        }
    }

    /// <summary>y += a·x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Axpy(double a, ReadOnlySpan<double> x, Span<double> y)
    {
        int n = x.Length, k = 0;
        if (System.Numerics.Vector.IsHardwareAccelerated && n >= System.Numerics.Vector<double>.Count)
        {
            int w = System.Numerics.Vector<double>.Count;
            var av = new System.Numerics.Vector<double>(a);
            for (; k + w <= n; k += w)
                (new System.Numerics.Vector<double>(y.Slice(k, w)) + av * new System.Numerics.Vector<double>(x.Slice(k, w))).CopyTo(y.Slice(k, w));
        }
        for (; k < n; k++) y[k] += a * x[k];
    }

    /// <summary>Σ log L_jj² over the first <paramref name="count"/> diagonal entries of the factor.</summary>
    public static double LogDeterminant(ReadOnlySpan<double> l, int n, int count)
    {
        double s = 0;
        for (int j = 0; j < count; j++) s += Math.Log(l[j * n + j]);
        return 2.0 * s;
    }

    /// <summary>Inverse of A from its factor: writes (LL')⁻¹ row-major into <paramref name="inverse"/>.</summary>
    /// <remarks>
    /// U = L⁻ᵀ is built row by row in the upper triangle of <paramref name="inverse"/> (row j of U is column j of L⁻¹,
    /// a forward substitution with contiguous dot products); then (A⁻¹)_ij = Σ_k≥j U_ik U_jk for j ≥ i goes to the
    /// lower triangle, row i of U being dead once its pairs are done. About n³/3 multiply-adds, all contiguous.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Inverse(ReadOnlySpan<double> l, int n, Span<double> inverse)
    {
        for (int j = 0; j < n; j++)
        {
            var u = inverse.Slice(j * n, n);
            u[j] = 1.0 / l[j * n + j];
            for (int i = j + 1; i < n; i++)
                u[i] = -Dot(l.Slice(i * n + j, i - j), u.Slice(j, i - j)) / l[i * n + i];
        }
        for (int i = 0; i < n; i++)
        {
            var ui = inverse.Slice(i * n, n);
            for (int j = i + 1; j < n; j++)
                inverse[j * n + i] = Dot(ui[j..], inverse.Slice(j * n + j, n - j));
            inverse[i * n + i] = Dot(ui[i..], ui[i..]);
        }
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++) inverse[j * n + i] = inverse[i * n + j];
    }

    /// <summary>Dot product of two spans of equal length (SIMD for long spans; a fixed summation order).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        int n = x.Length, k = 0;
        double s0 = 0;
        if (System.Numerics.Vector.IsHardwareAccelerated && n >= 4 * System.Numerics.Vector<double>.Count)
        {
            int w = System.Numerics.Vector<double>.Count;
            var acc0 = System.Numerics.Vector<double>.Zero;
            var acc1 = System.Numerics.Vector<double>.Zero;
            for (; k + 2 * w <= n; k += 2 * w)
            {
                acc0 += new System.Numerics.Vector<double>(x.Slice(k, w)) * new System.Numerics.Vector<double>(y.Slice(k, w));
                acc1 += new System.Numerics.Vector<double>(x.Slice(k + w, w)) * new System.Numerics.Vector<double>(y.Slice(k + w, w));
            }
            s0 = System.Numerics.Vector.Dot(acc0 + acc1, System.Numerics.Vector<double>.One);
        }
        return DotTail(x, y, k, s0);
    }

    /// <summary>The scalar part of <see cref="Dot"/>: Σ_{i ≥ k} xᵢyᵢ in four partial sums, the first starting at <paramref name="head"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static double DotTail(ReadOnlySpan<double> x, ReadOnlySpan<double> y, int k, double head)
    {
        int n = x.Length;
        double s0 = head, s1 = 0, s2 = 0, s3 = 0;
        for (; k + 3 < n; k += 4)
        {
            s0 += x[k] * y[k];
            s1 += x[k + 1] * y[k + 1];
            s2 += x[k + 2] * y[k + 2];
            s3 += x[k + 3] * y[k + 3];
        }
        for (; k < n; k++) s0 += x[k] * y[k];
        return (s0 + s1) + (s2 + s3);
    }
}
