namespace Glmm.Optimization;

/// <summary>
/// Bound-constrained limited-memory BFGS (Byrd, Lu, Nocedal and Zhu 1995): each iteration finds the generalized
/// Cauchy point (the first local minimiser of the quadratic model along the projected steepest-descent path,
/// walking the breakpoints where coordinates hit their bounds), minimises the model over the variables that are
/// free there (the direct primal method, the result projected back onto the box as Morales and Nocedal 2011
/// recommend, truncated instead when that is not a descent direction), and searches along the resulting feasible
/// direction with a backtracking line search (sufficient decrease, safeguarded quadratic interpolation, +∞ treated
/// as "too far", and expansion while the slope stays steep). The L-BFGS matrix is held densely (built from the
/// last <see cref="LbfgsBOptions.Memory"/> pairs by BFGS updates of θI), which is exact and cheap for the few
/// dozen variables a mixed model has. Bounds may be infinite.
/// </summary>
internal sealed class LbfgsB
{
    /// <summary>
    /// Minimises f over lower ≤ x ≤ upper. <paramref name="valueAndGradient"/>(x, g) returns f(x) and writes ∇f(x) into g;
    /// it may return +∞ (or NaN) where f is not defined.
    /// </summary>
    public OptimizationResult Minimize(Func<double[], double[], double> valueAndGradient, double[] x0, double[] lower, double[] upper, LbfgsBOptions options)
    {
        int n = x0.Length;
        if (lower.Length != n || upper.Length != n) throw new ArgumentException("bounds must have the length of x0");
        for (int i = 0; i < n; i++)
            if (!(lower[i] <= upper[i])) throw new ArgumentException($"lower bound above upper bound for variable {i}");
        var x = new double[n];
        for (int i = 0; i < n; i++) x[i] = Math.Clamp(x0[i], lower[i], upper[i]);
        var g = new double[n];
        int evaluations = 0;
        double Eval(double[] at, double[] grad)
        {
            evaluations++;
            double v = valueAndGradient(at, grad);
            if (double.IsNaN(v)) return double.PositiveInfinity;
            if (double.IsFinite(v)) for (int i = 0; i < n; i++) if (!double.IsFinite(grad[i])) return double.PositiveInfinity;
            return v;
        }
        double f = Eval(x, g);
        if (!double.IsFinite(f)) return new OptimizationResult(x, f, evaluations, false, "objective not finite at the starting point");

        var sHist = new List<double[]>();
        var yHist = new List<double[]>();
        foreach (var (s0, y0) in options.InitialPairs)
        {
            if (s0.Length != n || y0.Length != n) throw new ArgumentException("initial pairs must have the length of x0");
            AddPair(sHist, yHist, (double[])s0.Clone(), (double[])y0.Clone(), options.Memory);
        }
        var b = new double[n * n];
        var xc = new double[n];
        var xbar = new double[n];
        var d = new double[n];
        var xt = new double[n];
        var gt = new double[n];
        var xBest = new double[n];
        var gBest = new double[n];
        string message = "maximum iterations reached";
        bool converged = false;
        int iterations = 0;
        for (int iter = 0; iter < options.MaxIterations; iter++)
        {
            iterations = iter;
            if (ProjectedGradientNorm(x, g, lower, upper) <= options.ProjectedGradientTolerance * (1.0 + Math.Abs(f)))
            {
                converged = true; message = "projected gradient below tolerance"; break;
            }
            BuildMatrix(b, n, sHist, yHist);
            CauchyPoint(x, g, lower, upper, b, xc);
            SubspaceMinimize(x, g, lower, upper, b, xc, xbar);
            double slope = 0;
            for (int i = 0; i < n; i++) { d[i] = xbar[i] - x[i]; slope += g[i] * d[i]; }
            if (!(slope < 0))
            {
                if (sHist.Count > 0) { sHist.Clear(); yHist.Clear(); iter--; continue; }
                converged = true; message = "no descent direction (at a stationary point)"; break;
            }
            // Largest feasible step along d (≥ 1, as x̄ is in the box).
            double stpMax = double.PositiveInfinity;
            for (int i = 0; i < n; i++)
            {
                if (d[i] > 0 && double.IsFinite(upper[i])) stpMax = Math.Min(stpMax, (upper[i] - x[i]) / d[i]);
                else if (d[i] < 0 && double.IsFinite(lower[i])) stpMax = Math.Min(stpMax, (lower[i] - x[i]) / d[i]);
            }
            double dNorm = Math.Sqrt(Dot(d, d));
            if (dNorm > 0) stpMax = Math.Min(stpMax, options.MaxStepNorm / dNorm);
            double step = sHist.Count == 0 ? Math.Min(1.0 / dNorm, stpMax) : 1.0;
            if (sHist.Count == 0 && iter > 0) step = Math.Min(1.0, stpMax);
            // Backtracking with sufficient decrease; expansion while still steep.
            double fBest = double.PositiveInfinity, stepBest = 0;
            bool found = false;
            for (int trial = 0; trial < 40 && evaluations < options.MaxEvaluations; trial++)
            {
                double ft = Eval(Point(x, d, step, lower, upper, xt), gt);
                if (double.IsFinite(ft) && ft <= f + 1e-4 * step * slope)
                {
                    found = true;
                    fBest = ft; stepBest = step;
                    Array.Copy(xt, xBest, n); Array.Copy(gt, gBest, n);
                    // Expand while the slope is still steep and the step can grow (first iterations' short steps).
                    double slopeT = Dot(gt, d);
                    int expansions = 0;
                    while (slopeT < 0.9 * slope && step < stpMax && expansions++ < 10 && evaluations < options.MaxEvaluations)
                    {
                        double next = Math.Min(4.0 * step, stpMax);
                        double fn = Eval(Point(x, d, next, lower, upper, xt), gt);
                        if (!(double.IsFinite(fn) && fn < fBest && fn <= f + 1e-4 * next * slope)) break;
                        fBest = fn; stepBest = step = next;
                        Array.Copy(xt, xBest, n); Array.Copy(gt, gBest, n);
                        slopeT = Dot(gt, d);
                    }
                    break;
                }
                if (!double.IsFinite(ft)) step *= 0.1;
                else
                {
                    // Minimiser of the quadratic through f, slope and f(step), kept within [0.1, 0.5] × step.
                    double q = -slope * step * step / (2.0 * (ft - f - slope * step));
                    step = Math.Clamp(q, 0.1 * step, 0.5 * step);
                }
                if (step * dNorm < 1e-16 * (1.0 + Math.Sqrt(Dot(x, x)))) break;
            }
            if (!found)
            {
                if (sHist.Count > 0) { sHist.Clear(); yHist.Clear(); iter--; continue; }
                message = evaluations >= options.MaxEvaluations ? "maximum evaluations reached" : "line search could not lower the objective";
                converged = ProjectedGradientNorm(x, g, lower, upper) <= 1e3 * options.ProjectedGradientTolerance * (1.0 + Math.Abs(f));
                break;
            }
            var s = new double[n];
            var y = new double[n];
            for (int i = 0; i < n; i++) { s[i] = xBest[i] - x[i]; y[i] = gBest[i] - g[i]; }
            AddPair(sHist, yHist, s, y, options.Memory);
            double fOld = f;
            f = fBest;
            Array.Copy(xBest, x, n);
            Array.Copy(gBest, g, n);
            if (fOld - f <= options.FunctionTolerance * Math.Max(Math.Max(Math.Abs(fOld), Math.Abs(f)), 1.0))
            {
                converged = true; message = "relative reduction of f below tolerance"; break;
            }
            if (evaluations >= options.MaxEvaluations) { message = "maximum evaluations reached"; break; }
        }
        return new OptimizationResult(x, f, evaluations, converged, $"{message} ({iterations} iterations)");
    }

    private static double[] Point(double[] x, double[] d, double step, double[] lower, double[] upper, double[] into)
    {
        for (int i = 0; i < x.Length; i++) into[i] = Math.Clamp(x[i] + step * d[i], lower[i], upper[i]);
        return into;
    }

    private static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    /// <summary>‖P(x − g) − x‖∞.</summary>
    private static double ProjectedGradientNorm(double[] x, double[] g, double[] lower, double[] upper)
    {
        double m = 0;
        for (int i = 0; i < x.Length; i++) m = Math.Max(m, Math.Abs(Math.Clamp(x[i] - g[i], lower[i], upper[i]) - x[i]));
        return m;
    }

    /// <summary>Keeps the correction pair (s, y) when its curvature s'y is positive (relative to y'y), dropping the oldest beyond <paramref name="memory"/>.</summary>
    private static void AddPair(List<double[]> sHist, List<double[]> yHist, double[] s, double[] y, int memory)
    {
        double sy = Dot(s, y), yy = Dot(y, y);
        if (!(sy > 2.2e-16 * yy && sy > 0 && double.IsFinite(sy) && double.IsFinite(yy))) return;
        sHist.Add(s);
        yHist.Add(y);
        if (sHist.Count > Math.Max(1, memory)) { sHist.RemoveAt(0); yHist.RemoveAt(0); }
    }

    /// <summary>B = BFGS updates of θI (θ = y'y / s'y of the newest pair) by the stored pairs, oldest first; I when none.</summary>
    private static void BuildMatrix(double[] b, int n, List<double[]> sHist, List<double[]> yHist)
    {
        Array.Clear(b);
        double theta = 1.0;
        int k = sHist.Count;
        if (k > 0) theta = Dot(yHist[k - 1], yHist[k - 1]) / Dot(sHist[k - 1], yHist[k - 1]);
        for (int i = 0; i < n; i++) b[i * n + i] = theta;
        var bs = new double[n];
        for (int p = 0; p < k; p++)
        {
            var s = sHist[p];
            var y = yHist[p];
            for (int i = 0; i < n; i++)
            {
                double v = 0;
                for (int j = 0; j < n; j++) v += b[i * n + j] * s[j];
                bs[i] = v;
            }
            double sbs = Dot(s, bs), ys = Dot(y, s);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) b[i * n + j] += y[i] * y[j] / ys - bs[i] * bs[j] / sbs;
        }
    }

    /// <summary>Generalized Cauchy point: the first minimiser of g'z + ½z'Bz along the projected path x(t) = P(x − tg).</summary>
    private static void CauchyPoint(double[] x, double[] g, double[] lower, double[] upper, double[] b, double[] xc)
    {
        int n = x.Length;
        var t = new double[n];
        var d = new double[n];
        var z = new double[n];
        var bd = new double[n];
        var order = new List<int>();
        for (int i = 0; i < n; i++)
        {
            if (g[i] < 0) t[i] = double.IsFinite(upper[i]) ? (x[i] - upper[i]) / g[i] : double.PositiveInfinity;
            else if (g[i] > 0) t[i] = double.IsFinite(lower[i]) ? (x[i] - lower[i]) / g[i] : double.PositiveInfinity;
            else t[i] = double.PositiveInfinity;
            d[i] = t[i] > 0 ? -g[i] : 0.0;
            if (t[i] > 0 && double.IsFinite(t[i])) order.Add(i);
        }
        order.Sort((p, q) => t[p].CompareTo(t[q]));
        for (int i = 0; i < n; i++)
        {
            double v = 0;
            for (int j = 0; j < n; j++) v += b[i * n + j] * d[j];
            bd[i] = v;
        }
        double f1 = 0, f2 = 0;
        for (int i = 0; i < n; i++) { f1 += g[i] * d[i]; f2 += d[i] * bd[i]; }
        double tOld = 0;
        int next = 0;
        for (; next < order.Count; next++)
        {
            int bi = order[next];
            double dtMin = f2 > 0 ? -f1 / f2 : double.PositiveInfinity;
            double dt = t[bi] - tOld;
            if (dtMin < dt) break;
            // Move to the breakpoint and fix coordinate bi at its bound.
            for (int i = 0; i < n; i++) z[i] += dt * d[i];
            double db = d[bi];
            z[bi] = (db > 0 ? upper[bi] : lower[bi]) - x[bi];
            d[bi] = 0;
            for (int i = 0; i < n; i++) bd[i] -= b[i * n + bi] * db;
            // f'(t) = g'd + z'Bd and f''= d'Bd on the next segment.
            f1 = 0; f2 = 0;
            for (int i = 0; i < n; i++) { f1 += g[i] * d[i] + z[i] * bd[i]; f2 += d[i] * bd[i]; }
            tOld = t[bi];
        }
        double dtFinal = f2 > 0 ? -f1 / f2 : 0.0;
        if (!(dtFinal > 0)) dtFinal = 0;
        if (next < order.Count) dtFinal = Math.Min(dtFinal, t[order[next]] - tOld);
        for (int i = 0; i < n; i++) xc[i] = Math.Clamp(x[i] + z[i] + dtFinal * d[i], lower[i], upper[i]);
        for (int k = 0; k < next; k++)
        {
            int bi = order[k];
            xc[bi] = g[bi] < 0 ? upper[bi] : lower[bi];
        }
    }

    /// <summary>Minimises the model over the variables free at the Cauchy point; x̄ is projected onto the box.</summary>
    private static void SubspaceMinimize(double[] x, double[] g, double[] lower, double[] upper, double[] b, double[] xc, double[] xbar)
    {
        int n = x.Length;
        Array.Copy(xc, xbar, n);
        var free = new List<int>();
        for (int i = 0; i < n; i++) if (xc[i] > lower[i] && xc[i] < upper[i]) free.Add(i);
        int nf = free.Count;
        if (nf == 0) return;
        var r = new double[nf];
        var m = new double[nf * nf];
        for (int a = 0; a < nf; a++)
        {
            int i = free[a];
            double v = g[i];
            for (int j = 0; j < n; j++) v += b[i * n + j] * (xc[j] - x[j]);
            r[a] = -v;
            for (int c = 0; c < nf; c++) m[a * nf + c] = b[i * n + free[c]];
        }
        if (!Glmm.LinearAlgebra.DenseCholesky.Factor(m, nf)) return;
        Glmm.LinearAlgebra.DenseCholesky.SolveLower(m, nf, r);
        Glmm.LinearAlgebra.DenseCholesky.SolveUpper(m, nf, r);
        // Projection (Morales–Nocedal); if that is not a descent direction, truncate the step at the box instead.
        for (int a = 0; a < nf; a++) { int i = free[a]; xbar[i] = Math.Clamp(xc[i] + r[a], lower[i], upper[i]); }
        double slope = 0;
        for (int i = 0; i < n; i++) slope += g[i] * (xbar[i] - x[i]);
        if (slope < 0) return;
        double alpha = 1.0;
        for (int a = 0; a < nf; a++)
        {
            int i = free[a];
            if (r[a] > 0 && double.IsFinite(upper[i])) alpha = Math.Min(alpha, (upper[i] - xc[i]) / r[a]);
            else if (r[a] < 0 && double.IsFinite(lower[i])) alpha = Math.Min(alpha, (lower[i] - xc[i]) / r[a]);
        }
        for (int a = 0; a < nf; a++) { int i = free[a]; xbar[i] = Math.Clamp(xc[i] + alpha * r[a], lower[i], upper[i]); }
    }
}
