namespace Glmm.Optimization;

/// <summary>
/// One-dimensional bounded minimisation: a downhill bracketing search from the start (respecting the bounds,
/// doubling the step) followed by Brent's method (golden section with parabolic interpolation). Used by
/// <see cref="Bobyqa"/> when only one coordinate is free, since BOBYQA needs at least two. If the minimum lies within
/// a few tolerances of a finite bound, the bound itself is evaluated and returned when it is no worse.
/// </summary>
internal static class BoundedBrent
{
    private static readonly double GoldenSection = 0.5 * (3.0 - Math.Sqrt(5.0));
    private const double RelativeTolerance = 1.5e-8;

    public static OptimizationResult Minimize(BoundedProblem problem, double step, double tolerance, int maxEvaluations)
    {
        double lo = problem.Lower[0], hi = problem.Upper[0];
        var buf = new double[1];
        bool budgetHit = false;
        double G(double x)
        {
            if (problem.Evaluations >= maxEvaluations) { budgetHit = true; return double.PositiveInfinity; }
            buf[0] = x;
            return problem.Evaluate(buf);
        }

        double x0 = problem.X0[0];
        double f0 = G(x0);
        if (!double.IsFinite(f0))
            return Finish(problem, x0, f0, false, "objective not finite at the starting point");
        step = Math.Min(step, 0.5 * (hi - lo));

        // Bracket: a < b < c (or a bound), f(b) <= f(a), f(b) <= f(c) unless c is a bound.
        double best = x0, fbest = f0;
        double xa = x0, fa = f0;
        double xb = Math.Min(x0 + step, hi), fb;
        if (xb == x0) xb = Math.Max(x0 - step, lo);
        fb = G(xb);
        double dir = xb > xa ? 1.0 : -1.0;
        double lowEnd, highEnd;
        if (fb > fa)
        {
            // Try the other side of x0.
            double xc = dir > 0 ? Math.Max(x0 - step, lo) : Math.Min(x0 + step, hi);
            double fc = xc == x0 ? double.PositiveInfinity : G(xc);
            if (fc < fa)
            {
                dir = -dir; xa = x0; fa = f0; xb = xc; fb = fc;
                Track(xb, fb);
                (lowEnd, highEnd) = March();
            }
            else
            {
                lowEnd = Math.Min(xb, xc == x0 ? x0 : xc);
                highEnd = Math.Max(xb, xc == x0 ? x0 : xc);
            }
        }
        else
        {
            Track(xb, fb);
            (lowEnd, highEnd) = March();
        }

        (double, double) March()
        {
            double h = Math.Abs(xb - xa);
            while (true)
            {
                double bound = dir > 0 ? hi : lo;
                if (xb == bound) return dir > 0 ? (xa, xb) : (xb, xa);
                h *= 2.0;
                double xc = dir > 0 ? Math.Min(xb + h, hi) : Math.Max(xb - h, lo);
                double fc = G(xc);
                Track(xc, fc);
                if (budgetHit || !(fc < fb)) return dir > 0 ? (xa, xc) : (xc, xa);
                xa = xb; fa = fb; xb = xc; fb = fc;
            }
        }

        void Track(double x, double fx)
        {
            if (fx < fbest) { best = x; fbest = fx; }
        }

        if (budgetHit) return Finish(problem, best, fbest, false, "maximum number of evaluations reached");

        // Brent's method on [lowEnd, highEnd] starting from the best point found.
        double a = lowEnd, b = highEnd;
        double xx = best, fx = fbest, w = best, fw = fbest, v = best, fv = fbest;
        double d = 0, e = 0;
        bool converged = false;
        while (true)
        {
            double m = 0.5 * (a + b);
            double tol = RelativeTolerance * Math.Abs(xx) + tolerance / 3.0;
            double t2 = 2.0 * tol;
            if (Math.Abs(xx - m) <= t2 - 0.5 * (b - a)) { converged = true; break; }
            if (problem.Evaluations >= maxEvaluations) break;
            double p = 0, q = 0, r = 0;
            if (Math.Abs(e) > tol)
            {
                r = (xx - w) * (fx - fv);
                q = (xx - v) * (fx - fw);
                p = (xx - v) * q - (xx - w) * r;
                q = 2.0 * (q - r);
                if (q > 0) p = -p; else q = -q;
                r = e;
                e = d;
            }
            if (double.IsFinite(p) && double.IsFinite(q) && Math.Abs(p) < Math.Abs(0.5 * q * r) && p > q * (a - xx) && p < q * (b - xx))
            {
                d = p / q;
                double u0 = xx + d;
                if (u0 - a < t2 || b - u0 < t2) d = xx < m ? tol : -tol;
            }
            else
            {
                e = (xx < m ? b : a) - xx;
                d = GoldenSection * e;
            }
            double u = xx + (Math.Abs(d) >= tol ? d : (d > 0 ? tol : -tol));
            double fu = G(u);
            if (fu <= fx)
            {
                if (u < xx) b = xx; else a = xx;
                v = w; fv = fw; w = xx; fw = fx; xx = u; fx = fu;
            }
            else
            {
                if (u < xx) a = u; else b = u;
                if (fu <= fw || w == xx) { v = w; fv = fw; w = u; fw = fu; }
                else if (fu <= fv || v == xx || v == w) { v = u; fv = fu; }
            }
        }

        // A minimum next to a finite bound is returned exactly on the bound when that is no worse.
        double near = 4.0 * (RelativeTolerance * Math.Abs(xx) + tolerance);
        foreach (double bound in new[] { lo, hi })
        {
            if (double.IsFinite(bound) && xx != bound && Math.Abs(xx - bound) <= near && problem.Evaluations < maxEvaluations)
            {
                double fbnd = G(bound);
                if (fbnd <= fx) { xx = bound; fx = fbnd; }
            }
        }
        return Finish(problem, xx, fx, converged,
            converged ? "one-dimensional Brent search converged" : "maximum number of evaluations reached");
    }

    private static OptimizationResult Finish(BoundedProblem problem, double x, double fx, bool converged, string message) =>
        new(problem.Expand(new[] { x }), fx, problem.Evaluations, converged, message);
}
