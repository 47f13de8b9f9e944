using System.Globalization;

namespace Glmm.Optimization;

/// <summary>
/// Nelder–Mead simplex minimisation with bounds enforced by projecting every trial point onto the box, as an
/// alternative to <see cref="Bobyqa"/> (lme4's <c>Nelder_Mead</c>). Reflection 1, expansion 2, contraction 1/2,
/// shrink 1/2. Convergence, as lme4: the spread of function values over the simplex is at most
/// <see cref="FunctionToleranceAbsolute"/> or <see cref="FunctionToleranceRelative"/> times |f|, or the simplex size
/// in every coordinate is at most <see cref="ParameterToleranceRelative"/> times <c>max(|x_i|, 1)</c>. Because a
/// projected simplex can collapse onto a face of the box, on convergence the simplex is rebuilt around the best point
/// (at most <see cref="MaxRestarts"/> times) and the search continues while that still improves f by more than the
/// function tolerance.
/// </summary>
public sealed class BoundedNelderMead : IBoundedOptimizer
{
    /// <summary>Absolute tolerance on the spread of f over the simplex (lme4's <c>FtolAbs</c>, 1e-5).</summary>
    public double FunctionToleranceAbsolute { get; init; } = 1e-5;

    /// <summary>Relative tolerance on the spread of f over the simplex (lme4's <c>FtolRel</c>, 1e-15).</summary>
    public double FunctionToleranceRelative { get; init; } = 1e-15;

    /// <summary>Relative tolerance on the simplex size (lme4's <c>XtolRel</c>, 1e-7).</summary>
    public double ParameterToleranceRelative { get; init; } = 1e-7;

    /// <summary>
    /// Initial simplex edge along each coordinate; <c>null</c> uses <see cref="OptimizerOptions.InitialTrustRadius"/>.
    /// lme4 uses 0.02.
    /// </summary>
    public double? InitialStep { get; init; }

    /// <summary>How many times the simplex may be rebuilt around the best point after converging (default 2).</summary>
    public int MaxRestarts { get; init; } = 2;

    /// <inheritdoc />
    public OptimizationResult Minimize(Func<double[], double> f, double[] x0, double[] lower, double[] upper, OptimizerOptions options)
    {
        var p = BoundedProblem.Create(f, x0, lower, upper, options);
        int n = p.Dimension;
        if (n == 0) return p.SolveTrivial();
        double step = InitialStep ?? options.InitialTrustRadius;
        if (!(step > 0)) throw new ArgumentException("InitialStep must be positive.", nameof(f));
        int maxfun = options.MaxEvaluations;
        double[] lo = p.Lower, hi = p.Upper;

        var simplex = new double[n + 1][];
        var fv = new double[n + 1];
        for (int j = 0; j <= n; j++) simplex[j] = new double[n];
        var centroid = new double[n];
        var xr = new double[n];
        var xe = new double[n];
        var xc = new double[n];
        var best = (double[])p.X0.Clone();
        double fbest = p.Evaluate(best);
        if (!double.IsFinite(fbest))
            return new OptimizationResult(p.Expand(best), fbest, p.Evaluations, false, "objective not finite at the starting point");

        int restarts = 0;
        double fAtRestart = double.PositiveInfinity;
        string message;
        bool converged;
        while (true)
        {
            // Build the simplex around the best point.
            Array.Copy(best, simplex[0], n);
            fv[0] = fbest;
            for (int j = 1; j <= n && p.Evaluations < maxfun; j++)
            {
                var v = simplex[j];
                Array.Copy(best, v, n);
                int i = j - 1;
                double h = step * (restarts == 0 ? 1.0 : Math.Max(1.0, Math.Abs(best[i])) * 0.1);
                h = Math.Min(h, 0.5 * (hi[i] - lo[i]));
                v[i] = best[i] + h <= hi[i] ? best[i] + h : best[i] - h;
                v[i] = Math.Min(Math.Max(v[i], lo[i]), hi[i]);
                fv[j] = p.Evaluate(v);
            }
            if (p.Evaluations >= maxfun) { message = "maximum number of evaluations reached"; converged = false; break; }

            bool done = false;
            message = "";
            while (!done)
            {
                // Order: index of best, worst, second worst.
                int ib = 0, iw = 0;
                for (int j = 1; j <= n; j++)
                {
                    if (fv[j] < fv[ib]) ib = j;
                    if (fv[j] > fv[iw]) iw = j;
                }
                if (iw == ib) iw = ib == 0 ? 1 : 0;
                int isw = -1;
                for (int j = 0; j <= n; j++)
                    if (j != iw && (isw < 0 || fv[j] > fv[isw])) isw = j;

                double spread = fv[iw] - fv[ib];
                if (spread <= FunctionToleranceAbsolute || spread <= FunctionToleranceRelative * Math.Abs(fv[ib]))
                {
                    message = "function values converged to within tolerance";
                    done = true;
                    Array.Copy(simplex[ib], best, n);
                    fbest = fv[ib];
                    break;
                }
                bool small = true;
                for (int i = 0; i < n && small; i++)
                {
                    double tol = ParameterToleranceRelative * Math.Max(Math.Abs(simplex[ib][i]), 1.0);
                    for (int j = 0; j <= n; j++)
                        if (Math.Abs(simplex[j][i] - simplex[ib][i]) > tol) { small = false; break; }
                }
                if (small)
                {
                    message = "parameter values converged to within tolerance";
                    done = true;
                    Array.Copy(simplex[ib], best, n);
                    fbest = fv[ib];
                    break;
                }
                if (p.Evaluations >= maxfun)
                {
                    Array.Copy(simplex[ib], best, n);
                    fbest = fv[ib];
                    break;
                }

                Array.Clear(centroid);
                for (int j = 0; j <= n; j++)
                {
                    if (j == iw) continue;
                    for (int i = 0; i < n; i++) centroid[i] += simplex[j][i];
                }
                for (int i = 0; i < n; i++) centroid[i] /= n;
                var xw = simplex[iw];
                for (int i = 0; i < n; i++) xr[i] = Clamp(centroid[i] + (centroid[i] - xw[i]), i);
                double fr = p.Evaluate(xr);
                if (fr < fv[ib])
                {
                    for (int i = 0; i < n; i++) xe[i] = Clamp(centroid[i] + 2.0 * (centroid[i] - xw[i]), i);
                    double fe = p.Evaluations < maxfun ? p.Evaluate(xe) : double.PositiveInfinity;
                    if (fe < fr) { Array.Copy(xe, xw, n); fv[iw] = fe; }
                    else { Array.Copy(xr, xw, n); fv[iw] = fr; }
                    continue;
                }
                if (fr < fv[isw])
                {
                    Array.Copy(xr, xw, n);
                    fv[iw] = fr;
                    continue;
                }
                // Contraction (outside if the reflected point is better than the worst, else inside).
                bool outside = fr < fv[iw];
                for (int i = 0; i < n; i++)
                    xc[i] = outside ? Clamp(centroid[i] + 0.5 * (xr[i] - centroid[i]), i) : centroid[i] + 0.5 * (xw[i] - centroid[i]);
                if (p.Evaluations >= maxfun) continue;
                double fc = p.Evaluate(xc);
                if (fc < Math.Min(fr, fv[iw]))
                {
                    Array.Copy(xc, xw, n);
                    fv[iw] = fc;
                    continue;
                }
                // Shrink towards the best vertex.
                var xb = simplex[ib];
                for (int j = 0; j <= n && p.Evaluations < maxfun; j++)
                {
                    if (j == ib) continue;
                    for (int i = 0; i < n; i++) simplex[j][i] = xb[i] + 0.5 * (simplex[j][i] - xb[i]);
                    fv[j] = p.Evaluate(simplex[j]);
                }
            }
            if (!done) { message = "maximum number of evaluations reached"; converged = false; break; }
            converged = true;
            // Restart while it still pays.
            double ftol = Math.Max(FunctionToleranceAbsolute, FunctionToleranceRelative * Math.Abs(fbest));
            if (restarts >= MaxRestarts || (restarts > 0 && fAtRestart - fbest <= ftol)) break;
            if (p.Evaluations + n + 1 > maxfun) break;
            fAtRestart = fbest;
            restarts++;
        }
        if (restarts > 0)
            message += string.Create(CultureInfo.InvariantCulture, $" (after {restarts} restart(s))");
        return new OptimizationResult(p.Expand(best), fbest, p.Evaluations, converged, message);

        double Clamp(double v, int i) => Math.Min(Math.Max(v, lo[i]), hi[i]);
    }
}
