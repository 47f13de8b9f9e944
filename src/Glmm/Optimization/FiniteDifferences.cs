namespace Glmm.Optimization;

/// <summary>
/// Finite-difference gradient and Hessian, as lme4's <c>deriv12</c>: with step <c>delta</c> (default 1e-4),
/// <c>g_j = (f(x + δe_j) − f(x − δe_j)) / 2δ</c>, <c>H_jj = (f(x + δe_j) − 2f(x) + f(x − δe_j)) / δ²</c> and, for
/// <c>i ≠ j</c>, the four-point scheme <c>H_ij = (f(++) − f(+−) − f(−+) + f(−−)) / 4δ²</c> with <c>±δ</c> steps in
/// coordinates i and j (<c>1 + 2n²</c> evaluations in all).
/// </summary>
/// <remarks>
/// <para>Bounds: where <c>x_j − δ</c> would fall below <c>lower[j]</c> (for example a variance parameter at 0) the
/// difference in coordinate j is one-sided forward instead: <c>g_j = (−3f(x) + 4f(x + δe_j) − f(x + 2δe_j)) / 2δ</c>
/// (second order), <c>H_jj = (f(x) − 2f(x + δe_j) + f(x + 2δe_j)) / δ²</c>, and the cross terms use the four-point
/// scheme centred at <c>x + δe_j</c> (offsets 0 and 2δ), which is first-order accurate. Symmetrically, a backward
/// scheme is used at an upper bound. lme4 instead shortens the step to the bound, which breaks down at the bound
/// itself. A coordinate whose range <c>upper − lower</c> is below 2δ is rejected.</para>
/// <para>The function receives arrays that it must not keep. With <c>parallel: true</c> the evaluations run
/// concurrently (the function must then be thread-safe; each call gets its own array); the results are bitwise
/// identical to the sequential ones, since every value is computed at the same point and combined in the same order.</para>
/// </remarks>
internal static class FiniteDifferences
{
    /// <summary>Gradient and Hessian of <paramref name="f"/> at <paramref name="x"/> by central differences.</summary>
    /// <param name="f">The function; must not keep the array it receives.</param>
    /// <param name="x">The point (not modified).</param>
    /// <param name="lower">Optional lower bounds (entries may be −∞); one-sided differences where <c>x − δ</c> is below.</param>
    /// <param name="delta">The step δ.</param>
    /// <param name="parallel">Evaluate concurrently (the function must be thread-safe).</param>
    /// <param name="upper">Optional upper bounds (entries may be +∞); one-sided differences where <c>x + δ</c> is above.</param>
    /// <param name="fx">The value f(x) when already known (saves one evaluation).</param>
    /// <returns>The gradient and the symmetric Hessian.</returns>
    public static (double[] Gradient, double[,] Hessian) GradientAndHessian(Func<double[], double> f, double[] x, double[]? lower = null,
        double delta = 1e-4, bool parallel = false, double[]? upper = null, double? fx = null)
    {
        int n = x.Length;
        var centre = Centres(x, lower, upper, delta);
        // Points: 0 = x; 1 + 2j, 2 + 2j = the two points of coordinate j; then 4 per pair (i < j).
        int nPairs = n * (n - 1) / 2;
        int m = 1 + 2 * n + 4 * nPairs;
        var pi = new int[m]; var pj = new int[m];
        var si = new double[m]; var sj = new double[m];
        pi[0] = pj[0] = -1;
        for (int j = 0; j < n; j++)
        {
            var (a, b) = DiagonalOffsets(centre[j], delta);
            pi[1 + 2 * j] = j; si[1 + 2 * j] = a; pj[1 + 2 * j] = -1;
            pi[2 + 2 * j] = j; si[2 + 2 * j] = b; pj[2 + 2 * j] = -1;
        }
        int idx = 1 + 2 * n;
        for (int j = 1; j < n; j++)
            for (int i = 0; i < j; i++)
                for (int q = 0; q < 4; q++)
                {
                    pi[idx] = i; pj[idx] = j;
                    si[idx] = centre[i] + ((q & 2) == 0 ? delta : -delta);
                    sj[idx] = centre[j] + ((q & 1) == 0 ? delta : -delta);
                    idx++;
                }
        var values = EvaluateAll(f, x, pi, si, pj, sj, parallel, fx.HasValue);
        if (fx.HasValue) values[0] = fx.Value;
        double f0 = values[0];
        var g = new double[n];
        var h = new double[n, n];
        for (int j = 0; j < n; j++)
        {
            double fa = values[1 + 2 * j], fb = values[2 + 2 * j];
            (g[j], h[j, j]) = Diagonal(centre[j], f0, fa, fb, delta);
        }
        idx = 1 + 2 * n;
        double den = 4.0 * delta * delta;
        for (int j = 1; j < n; j++)
            for (int i = 0; i < j; i++)
            {
                double v = (values[idx] - values[idx + 1] - values[idx + 2] + values[idx + 3]) / den;
                h[i, j] = h[j, i] = v;
                idx += 4;
            }
        return (g, h);
    }

    /// <summary>Gradient of <paramref name="f"/> at <paramref name="x"/> by central differences (one-sided at bounds).</summary>
    /// <param name="f">The function; must not keep the array it receives.</param>
    /// <param name="x">The point (not modified).</param>
    /// <param name="lower">Optional lower bounds (entries may be −∞).</param>
    /// <param name="delta">The step δ.</param>
    /// <param name="parallel">Evaluate concurrently (the function must be thread-safe).</param>
    /// <param name="upper">Optional upper bounds (entries may be +∞).</param>
    /// <param name="fx">The value f(x) when already known; only needed where a one-sided difference is used.</param>
    /// <returns>The gradient.</returns>
    public static double[] Gradient(Func<double[], double> f, double[] x, double[]? lower = null, double delta = 1e-4,
        bool parallel = false, double[]? upper = null, double? fx = null)
    {
        int n = x.Length;
        var centre = Centres(x, lower, upper, delta);
        bool needF0 = centre.Any(c => c != 0);
        int m = 1 + 2 * n;
        var pi = new int[m]; var pj = new int[m];
        var si = new double[m]; var sj = new double[m];
        pi[0] = pj[0] = -1;
        for (int j = 0; j < n; j++)
        {
            var (a, b) = DiagonalOffsets(centre[j], delta);
            pi[1 + 2 * j] = j; si[1 + 2 * j] = a; pj[1 + 2 * j] = -1;
            pi[2 + 2 * j] = j; si[2 + 2 * j] = b; pj[2 + 2 * j] = -1;
        }
        var values = EvaluateAll(f, x, pi, si, pj, sj, parallel, fx.HasValue || !needF0);
        if (fx.HasValue) values[0] = fx.Value;
        var g = new double[n];
        for (int j = 0; j < n; j++)
            g[j] = Diagonal(centre[j], values[0], values[1 + 2 * j], values[2 + 2 * j], delta).G;
        return g;
    }

    /// <summary>Centre shift per coordinate: 0 (central), +δ (forward, at a lower bound) or −δ (backward).</summary>
    private static double[] Centres(double[] x, double[]? lower, double[]? upper, double delta)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (!(delta > 0)) throw new ArgumentOutOfRangeException(nameof(delta), "delta must be positive.");
        int n = x.Length;
        if (lower != null && lower.Length != n) throw new ArgumentException("lower must have the length of x.", nameof(lower));
        if (upper != null && upper.Length != n) throw new ArgumentException("upper must have the length of x.", nameof(upper));
        var c = new double[n];
        for (int j = 0; j < n; j++)
        {
            bool lowOk = lower == null || x[j] - delta >= lower[j];
            bool upOk = upper == null || x[j] + delta <= upper[j];
            if (lowOk && upOk) continue;
            if (!lowOk && !upOk) throw new ArgumentException($"The bounds of coordinate {j} are narrower than 2 * delta.");
            double shift = lowOk ? -delta : delta;
            double far = x[j] + 2 * shift;
            if ((lower != null && far < lower[j]) || (upper != null && far > upper[j]))
                throw new ArgumentException($"The bounds of coordinate {j} are narrower than 2 * delta.");
            c[j] = shift;
        }
        return c;
    }

    private static (double A, double B) DiagonalOffsets(double centre, double delta) =>
        centre == 0 ? (delta, -delta) : (centre, 2 * centre);

    private static (double G, double H) Diagonal(double centre, double f0, double fa, double fb, double delta)
    {
        if (centre == 0) return ((fa - fb) / (2 * delta), (fa - 2 * f0 + fb) / (delta * delta));
        double s = Math.Sign(centre);
        return (s * (-3 * f0 + 4 * fa - fb) / (2 * delta), (f0 - 2 * fa + fb) / (delta * delta));
    }

    /// <summary>Evaluates f at x + si e_pi + sj e_pj for every job (index 0 is x itself unless skipped).</summary>
    private static double[] EvaluateAll(Func<double[], double> f, double[] x, int[] pi, double[] si, int[] pj, double[] sj, bool parallel, bool skipFirst)
    {
        int m = pi.Length, n = x.Length;
        var values = new double[m];
        int start = skipFirst ? 1 : 0;
        void Fill(double[] buf, int k)
        {
            Array.Copy(x, buf, n);
            if (pi[k] >= 0) buf[pi[k]] = x[pi[k]] + si[k];
            if (pj[k] >= 0) buf[pj[k]] = x[pj[k]] + sj[k];
        }
        if (!parallel)
        {
            var buf = new double[n];
            for (int k = start; k < m; k++)
            {
                Fill(buf, k);
                values[k] = f(buf);
            }
        }
        else
        {
            Parallel.For(start, m, () => new double[n], (k, _, buf) =>
            {
                Fill(buf, k);
                values[k] = f(buf);
                return buf;
            }, _ => { });
        }
        return values;
    }
}
