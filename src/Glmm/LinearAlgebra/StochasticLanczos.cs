namespace Glmm.LinearAlgebra;

/// <summary>
/// Stochastic Lanczos quadrature (Ubaru, Chen &amp; Saad 2017): for a probe z and the Lanczos tridiagonal T of an
/// operator A started at z/‖z‖, z' f(A) z ≈ ‖z‖² e₁' f(T) e₁ = ‖z‖² Σᵢ τᵢ² f(λᵢ) (Gauss quadrature with the eigenvalues
/// λᵢ of T as nodes and the squared first components τᵢ² of its eigenvectors as weights); averaged over probes with
/// E[zz'] = I it estimates tr f(A). Also the Rademacher probes themselves, from a seed and the probe's index alone.
/// </summary>
internal static class StochasticLanczos
{
    /// <summary>
    /// e₁' log(T) e₁ for the symmetric tridiagonal T (diagonal <paramref name="diagonal"/>, off-diagonal
    /// <paramref name="offDiagonal"/>, both overwritten); NaN when T is not positive definite.
    /// </summary>
    public static double FirstLogQuadrature(Span<double> diagonal, Span<double> offDiagonal, Span<double> firstRow) =>
        FirstLogQuadrature(diagonal, offDiagonal, firstRow, out _);

    /// <summary>
    /// As <see cref="FirstLogQuadrature(Span{double}, Span{double}, Span{double})"/>, and also e₁' g(T) e₁ for the even part
    /// g(λ) = ½ log(λ(2 − λ)) of log λ about 1 (NaN when a node is not inside (0, 2)): for an operator I + E whose E has a
    /// spectrum symmetric about 0 (a bipartite coupling) tr g = tr log, with the odd part's noise left out.
    /// </summary>
    public static double FirstLogQuadrature(Span<double> diagonal, Span<double> offDiagonal, Span<double> firstRow, out double even)
    {
        int n = diagonal.Length;
        even = 0.0;
        if (n == 0) return 0.0;
        if (!Eigen(diagonal, offDiagonal, firstRow)) { even = double.NaN; return double.NaN; }
        double s = 0;
        for (int i = 0; i < n; i++)
        {
            double l = diagonal[i], t = firstRow[i] * firstRow[i];
            if (!(l > 0)) { even = double.NaN; return double.NaN; }
            s += t * Math.Log(l);
            even += l < 2 ? t * 0.5 * Math.Log(l * (2 - l)) : double.NaN;
        }
        return s;
    }

    /// <summary>
    /// Eigenvalues (into <paramref name="d"/>) and first components of the eigenvectors (into <paramref name="z0"/>) of the
    /// symmetric tridiagonal matrix with diagonal d and off-diagonal e (e[i] couples i and i + 1; e[n−1] ignored), by
    /// the implicit QL method with Wilkinson shifts; false when it does not converge.
    /// </summary>
    public static bool Eigen(Span<double> d, Span<double> e, Span<double> z0)
    {
        int n = d.Length;
        z0.Clear();
        z0[0] = 1.0;
        if (n == 1) return true;
        e[n - 1] = 0.0;
        for (int l = 0; l < n; l++)
        {
            int iter = 0;
            while (true)
            {
                int mm;
                for (mm = l; mm < n - 1; mm++)
                {
                    double dd = Math.Abs(d[mm]) + Math.Abs(d[mm + 1]);
                    if (Math.Abs(e[mm]) <= 1e-16 * dd) break;
                }
                if (mm == l) break;
                if (iter++ == 100) return false;
                double g = (d[l + 1] - d[l]) / (2.0 * e[l]);
                double r = Hypot(g, 1.0);
                g = d[mm] - d[l] + e[l] / (g + (g >= 0 ? Math.Abs(r) : -Math.Abs(r)));
                double s = 1.0, c = 1.0, p = 0.0;
                int i;
                bool underflow = false;
                for (i = mm - 1; i >= l; i--)
                {
                    double f = s * e[i], b = c * e[i];
                    e[i + 1] = r = Hypot(f, g);
                    if (r == 0.0)
                    {
                        d[i + 1] -= p;
                        e[mm] = 0.0;
                        underflow = true;
                        break;
                    }
                    s = f / r;
                    c = g / r;
                    g = d[i + 1] - p;
                    r = (d[i] - g) * s + 2.0 * c * b;
                    p = s * r;
                    d[i + 1] = g + p;
                    g = c * r - b;
                    double fz = z0[i + 1];
                    z0[i + 1] = s * z0[i] + c * fz;
                    z0[i] = c * z0[i] - s * fz;
                }
                if (underflow && i >= l) continue;
                d[l] -= p;
                e[l] = g;
                e[mm] = 0.0;
            }
        }
        return true;
    }

    private static double Hypot(double a, double b)
    {
        double x = Math.Abs(a), y = Math.Abs(b);
        if (x < y) (x, y) = (y, x);
        if (x == 0) return 0;
        double t = y / x;
        return x * Math.Sqrt(1 + t * t);
    }

    /// <summary>Fills <paramref name="z"/> with probe <paramref name="index"/>'s Rademacher signs (±1) for <paramref name="seed"/>: a function of the two alone.</summary>
    public static void Rademacher(ulong seed, int index, Span<double> z)
    {
        ulong state = seed * 0x9E3779B97F4A7C15UL ^ ((ulong)(uint)index + 1) * 0xD1B54A32D192ED03UL;
        int i = 0;
        while (i < z.Length)
        {
            ulong bits = SplitMix(ref state);
            for (int b = 0; b < 64 && i < z.Length; b++, i++) z[i] = ((bits >> b) & 1) == 0 ? 1.0 : -1.0;
        }
    }

    private static ulong SplitMix(ref ulong state)
    {
        ulong x = state += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
