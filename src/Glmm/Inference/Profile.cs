using Glmm.Fitting;
using Glmm.Optimization;

namespace Glmm.Inference;

/// <summary>
/// Profile-likelihood intervals, as lme4's <c>confint(fit, method = "profile")</c>: each parameter (the SDs
/// and correlations of the random effects, then each β) is held fixed while BOBYQA re-optimises all the
/// others (SDs/correlations in their own scale, β in units of its standard error, warm-started from the
/// previous point); the interval ends are where the signed square root of the deviance increase,
/// ζ = sign(v − v̂)·√(dev(v) − dev̂), equals ∓z_{(1+level)/2}. The ends are found by stepping outwards
/// (extrapolating ζ linearly) until ζ passes z and then by a safeguarded secant search. An SD whose profile
/// does not reach z before 0 gets the lower limit 0 (as lme4); a correlation whose profile does not reach
/// z before ±1 gets ±1. Parameters and directions are profiled in parallel, each on its own single-threaded
/// copy of the criterion, so the results do not depend on the number of threads.
/// </summary>
public static class Profile
{
    /// <summary>
    /// Intervals at <paramref name="level"/>, named and ordered as lme4's (SDs/correlations, then β). <paramref name="progress"/>, if
    /// given, receives the number of interval limits found (of twice the number of parameters), from worker threads;
    /// <paramref name="cancellationToken"/> stops the search between limits (the limits under way finish) with an
    /// <see cref="OperationCanceledException"/>.
    /// </summary>
    public static IReadOnlyList<ConfidenceInterval> Intervals(GlmmFit fit, double level = 0.95, int threads = 0, IProgress<int>? progress = null,
        CancellationToken cancellationToken = default)
    {
        Wald.CheckLevel(level);
        Refits.CheckFit(fit, "the profile likelihood");
        var re = fit.Model.Random;
        var data = new EngineLayout(fit.Model, fit.Family);
        int nth = re.ThetaLength, p = fit.Beta.Count, m = nth + p;
        var names = CovarianceParameterization.Names(re).Concat(fit.FixedEffects.Select(b => b.Name)).ToArray();
        var xhat = CovarianceParameterization.FromTheta(re, fit.Theta.ToArray()).Concat(fit.Beta).ToArray();
        var scale = new double[m];
        var lower = new double[m];
        var upper = new double[m];
        var lb = CovarianceParameterization.LowerBounds(re);
        var ub = CovarianceParameterization.UpperBounds(re);
        var betaScale = Refits.BetaScale(fit);
        for (int k = 0; k < m; k++)
        {
            scale[k] = k < nth ? 1.0 : betaScale[k - nth];
            lower[k] = k < nth ? lb[k] : double.NegativeInfinity;
            upper[k] = k < nth ? ub[k] : double.PositiveInfinity;
        }
        double dev0;
        {
            var c = Refits.Criterion(data, fit.Options);
            dev0 = Deviance(c, re, xhat, nth);
        }
        double z = Wald.NormalQuantile(0.5 + level / 2);
        var limits = new double[2 * m];
        var po = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : -1, CancellationToken = cancellationToken };
        int done = 0;
        Parallel.For(0, 2 * m, po, t =>
        {
            cancellationToken.ThrowIfCancellationRequested();
            int k = t / 2;
            int dir = t % 2 == 0 ? -1 : 1;
            var side = new Side(Refits.Criterion(data, fit.Options), re, nth, k, xhat, scale, lower, upper, dev0, fit.Options);
            limits[t] = side.Limit(dir, z);
            progress?.Report(Interlocked.Increment(ref done));
        });
        var result = new ConfidenceInterval[m];
        for (int k = 0; k < m; k++) result[k] = new ConfidenceInterval(names[k], xhat[k], limits[2 * k], limits[2 * k + 1]);
        return result;
    }

    internal static double Deviance(Func<double[], double> c, Model.RandomEffectsStructure re, double[] x, int nth)
    {
        var full = new double[x.Length];
        CovarianceParameterization.ToTheta(re, x.AsSpan(0, nth), full.AsSpan(0, nth));
        Array.Copy(x, nth, full, nth, x.Length - nth);
        return c(full);
    }

    /// <summary>One end of one parameter's interval.</summary>
    internal sealed class Side
    {
        private readonly Func<double[], double> _c;
        private readonly Model.RandomEffectsStructure _re;
        private readonly int _nth, _k;
        private readonly double[] _xhat, _scale, _lower, _upper;
        private readonly double _dev0;
        private readonly GlmmOptions _options;
        private readonly double[] _current; // warm start: the optimum at the last evaluated point
        private readonly int[] _free;

        public Side(Func<double[], double> c, Model.RandomEffectsStructure re, int nth, int k, double[] xhat, double[] scale,
            double[] lower, double[] upper, double dev0, GlmmOptions options)
        {
            _c = c; _re = re; _nth = nth; _k = k; _xhat = xhat; _scale = scale; _lower = lower; _upper = upper; _dev0 = dev0; _options = options;
            _current = (double[])xhat.Clone();
            _free = Enumerable.Range(0, xhat.Length).Where(i => i != k).ToArray();
        }

        /// <summary>|ζ| at parameter value v (the others re-optimised).</summary>
        internal double Zeta(double v)
        {
            var x = (double[])_current.Clone();
            x[_k] = v;
            int nf = _free.Length;
            var start = new double[nf];
            var lo = new double[nf];
            var hi = new double[nf];
            for (int a = 0; a < nf; a++)
            {
                int i = _free[a];
                // z = (x_i − current_i)/scale_i, so the start is 0.
                lo[a] = (_lower[i] - _current[i]) / _scale[i];
                hi[a] = (_upper[i] - _current[i]) / _scale[i];
                lo[a] = Math.Min(lo[a], 0);
                hi[a] = Math.Max(hi[a], 0);
            }
            var baseX = (double[])_current.Clone();
            baseX[_k] = v;
            Func<double[], double> f = zz =>
            {
                for (int a = 0; a < nf; a++) x[_free[a]] = baseX[_free[a]] + _scale[_free[a]] * zz[a];
                return Deviance(_c, _re, x, _nth);
            };
            var opt = new Bobyqa().Minimize(f, start, lo, hi,
                new OptimizerOptions { InitialTrustRadius = 0.05, FinalTrustRadius = Math.Min(_options.Tolerance, 1e-5), MaxEvaluations = _options.MaxEvaluations });
            double dev = opt.Value;
            for (int a = 0; a < nf; a++) _current[_free[a]] = baseX[_free[a]] + _scale[_free[a]] * opt.X[a];
            _current[_k] = v;
            return Math.Sqrt(Math.Max(0.0, dev - _dev0));
        }

        public double Limit(int dir, double target)
        {
            double v0 = _xhat[_k];
            double bound = dir < 0 ? _lower[_k] : _upper[_k];
            if (v0 == bound) return bound;
            // First step: half a standard error for β; for SDs and correlations a fraction of the estimate.
            double h = _k >= _nth ? 0.5 * _scale[_k]
                : _re.IsDiagonal(_k) ? Math.Max(0.15 * Math.Abs(v0), 0.02) : 0.1;
            double vPrev = v0, zPrev = 0.0;
            for (int iter = 0; iter < 60; iter++)
            {
                double v = v0 + dir * (Math.Abs(vPrev - v0) + h);
                bool atBound = false;
                if (dir < 0 ? v <= bound : v >= bound) { v = bound; atBound = true; }
                double zv = Zeta(v);
                if (zv >= target) return Root(vPrev, zPrev, v, zv, target);
                if (atBound) return bound;
                double slope = (zv - zPrev) / Math.Abs(v - vPrev);
                double hNew = slope > 0 ? 1.1 * (target - zv) / slope : 2 * h;
                h = Math.Clamp(hNew, 0.25 * h, 4 * h);
                vPrev = v; zPrev = zv;
            }
            return double.NaN;
        }

        /// <summary>Illinois-safeguarded regula falsi for |ζ(v)| = target between a (below) and b (above).</summary>
        private double Root(double a, double za, double b, double zb, double target)
        {
            double fa = za - target, fb = zb - target;
            double tol = 1e-6 * Math.Max(Math.Abs(b - a), 1e-12) + 1e-9;
            int side = 0;
            double c = b;
            for (int iter = 0; iter < 40; iter++)
            {
                c = b - fb * (b - a) / (fb - fa);
                if (!double.IsFinite(c) || (c - Math.Min(a, b)) * (c - Math.Max(a, b)) > 0) c = 0.5 * (a + b);
                double fc = Zeta(c) - target;
                if (Math.Abs(fc) < 1e-6 || Math.Abs(b - a) < tol) return c;
                if (fc > 0)
                {
                    b = c; fb = fc;
                    if (side == 1) fa *= 0.5;
                    side = 1;
                }
                else
                {
                    a = c; fa = fc;
                    if (side == -1) fb *= 0.5;
                    side = -1;
                }
            }
            return c;
        }
    }
}
