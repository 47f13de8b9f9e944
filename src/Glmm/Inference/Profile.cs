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
/// <para>A family with a dispersion parameter (Gamma, nbinom2, nbinom1, gaussian with a non-identity link) profiles its
/// log φ as well, and reports a <c>sigma</c> row (glmmTMB's <c>sigma()</c>, a monotone function of φ) after the
/// random-effect rows. The linear mixed model is profiled as lme4's <c>profile.merMod</c> does: the ML deviance in the
/// random-effect SDs on the response scale (σ times θ's), the correlations, σ (the <c>sigma</c> row) and β; a REML fit as
/// lme4 profiles it, by the ML deviance of its ML refit.</para>
/// </summary>
public static class Profile
{
    /// <summary>
    /// Intervals at <paramref name="level"/>, named and ordered as lme4's (SDs/correlations, sigma when the model has one, then β). <paramref name="progress"/>, if
    /// given, receives the number of interval limits found (of twice the number of parameters), from worker threads;
    /// <paramref name="cancellationToken"/> stops the search between limits (the limits under way finish) with an
    /// <see cref="OperationCanceledException"/>.
    /// </summary>
    public static IReadOnlyList<ConfidenceInterval> Intervals(GlmmFit fit, double level = 0.95, int threads = 0, IProgress<int>? progress = null,
        CancellationToken cancellationToken = default)
    {
        Wald.CheckLevel(level);
        if (fit.Reml is not null && fit.Family is Families.Gaussian { IsLinearMixedModel: true })
            return OfMaximumLikelihoodRefit(fit, level, threads, progress, cancellationToken);
        var setup = Prepare(fit);
        var re = fit.Model.Random;
        int nth = setup.Nth, p = setup.P, m = setup.Xhat.Length;
        bool dispersion = setup.Dispersion, lmm = setup.Lmm;
        var names = setup.Names;
        var xhat = setup.Xhat;
        var scale = setup.Scale;
        var lower = setup.Lower;
        var upper = setup.Upper;
        Func<double[], double> NewCriterion() => setup.NewCriterion();
        double dev0 = setup.Dev0;
        double z = Wald.NormalQuantile(0.5 + level / 2);
        var limits = new double[2 * m];
        var po = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : -1, CancellationToken = cancellationToken };
        int done = 0;
        Parallel.For(0, 2 * m, po, t =>
        {
            cancellationToken.ThrowIfCancellationRequested();
            int k = t / 2;
            int dir = t % 2 == 0 ? -1 : 1;
            var side = new Side(NewCriterion(), re, nth, k, xhat, scale, lower, upper, dev0, fit.Options);
            limits[t] = side.Limit(dir, z);
            progress?.Report(Interlocked.Increment(ref done));
        });
        var result = new List<ConfidenceInterval>(m);
        for (int k = 0; k < nth; k++) result.Add(new ConfidenceInterval(names[k], xhat[k], limits[2 * k], limits[2 * k + 1]));
        if (dispersion)
        {
            // sigma is a monotone function of φ: its limits are those of log φ carried over (swapped if it decreases).
            double a = SigmaAt(fit, lmm, limits[2 * (m - 1)]), b = SigmaAt(fit, lmm, limits[2 * (m - 1) + 1]);
            result.Add(new ConfidenceInterval("sigma", fit.Sigma, Math.Min(a, b), Math.Max(a, b)));
        }
        for (int k = nth; k < nth + p; k++) result.Add(new ConfidenceInterval(names[k], xhat[k], limits[2 * k], limits[2 * k + 1]));
        return result;
    }

    /// <summary>
    /// What a profile needs: the parameters' names (SDs and correlations, then β), the estimates in the profile's
    /// coordinates (with log φ last when the model has a dispersion parameter), their scales and bounds, the deviance at
    /// the estimates and a factory of single-threaded criteria (each side gets its own).
    /// </summary>
    internal sealed record Setup(string[] Names, double[] Xhat, double[] Scale, double[] Lower, double[] Upper, int Nth, int P,
        bool Dispersion, bool Lmm, double Dev0, Func<Func<double[], double>> NewCriterion);

    /// <summary>The profile's setup for a maximum-likelihood fit (see <see cref="Setup"/>).</summary>
    internal static Setup Prepare(GlmmFit fit)
    {
        Refits.CheckFit(fit, "the profile likelihood", carriesDispersion: true);
        var re = fit.Model.Random;
        // A family with a dispersion parameter profiles log φ too (sigma's interval); the linear mixed model is profiled
        // as lme4 does, in the SDs on the response scale (σ times θ's) and σ, through the GLMM path with σ² as φ.
        bool lmm = fit.Family is Families.Gaussian { IsLinearMixedModel: true };
        bool dispersion = lmm || fit.Family.HasDispersion;
        int nth = re.ThetaLength, p = fit.Beta.Count, nd = dispersion ? 1 : 0, m = nth + p + nd;
        double logDispersion = !dispersion ? double.NaN : lmm ? 2 * Math.Log(fit.Sigma) : Math.Log(fit.Dispersion);
        var sdcor = CovarianceParameterization.FromTheta(re, fit.Theta.ToArray());
        if (lmm)
            for (int k = 0; k < nth; k++)
                if (CovarianceParameterization.IsStandardDeviation(re, k)) sdcor[k] *= fit.Sigma;
        var names = CovarianceParameterization.Names(re).Concat(fit.FixedEffects.Select(b => b.Name)).ToArray();
        var xhat = sdcor.Concat(fit.Beta).Concat(dispersion ? [logDispersion] : []).ToArray();
        var scale = new double[m];
        var lower = new double[m];
        var upper = new double[m];
        var lb = CovarianceParameterization.LowerBounds(re);
        var ub = CovarianceParameterization.UpperBounds(re);
        var betaScale = Refits.BetaScale(fit);
        for (int k = 0; k < nth + p; k++)
        {
            scale[k] = k < nth ? 1.0 : betaScale[k - nth];
            lower[k] = k < nth ? lb[k] : double.NegativeInfinity;
            upper[k] = k < nth ? ub[k] : double.PositiveInfinity;
        }
        if (dispersion)
        {
            // log φ in units of its standard error (from sigma's), within the dispersion criterion's range.
            double se = fit.SigmaStdError / fit.Family.SigmaLogDerivative(Math.Exp(logDispersion));
            scale[m - 1] = se > 0 && double.IsFinite(se) ? se : 0.1;
            lower[m - 1] = -DispersionCriterion.MaxAbsLogDispersion;
            upper[m - 1] = DispersionCriterion.MaxAbsLogDispersion;
        }
        // Each side gets its own criterion (and, with a dispersion parameter, its own copy of the family).
        Func<double[], double> NewCriterion()
        {
            if (!dispersion) return Refits.Criterion(new EngineLayout(fit.Model, fit.Family), fit.Options);
            var family = lmm ? ((Families.Gaussian)fit.Family).ThroughGlmmPath(fit.Sigma) : fit.Family.ForFit();
            var layout = new EngineLayout(fit.Model, family);
            var criterion = CriterionFactory.ForRefits(layout, fit.Options with { Family = family }).MarginalWithDispersion();
            return x =>
            {
                double d = criterion.Evaluate(x);
                return double.IsFinite(d) ? d : double.PositiveInfinity;
            };
        }
        double dev0 = Deviance(NewCriterion(), re, xhat, nth);
        return new Setup(names, xhat, scale, lower, upper, nth, p, dispersion, lmm, dev0, NewCriterion);
    }

    /// <summary>
    /// A REML linear mixed model's intervals as lme4's <c>confint(profile(fit))</c> gives them: lme4's profile refits a REML
    /// fit by maximum likelihood (its devfun2 calls refitML) and profiles the ML deviance, so the limits are those of the ML
    /// refit's profile; each row's estimate stays the REML fit's (its SDs and correlations, σ and β̂).
    /// </summary>
    private static IReadOnlyList<ConfidenceInterval> OfMaximumLikelihoodRefit(GlmmFit fit, double level, int threads, IProgress<int>? progress,
        CancellationToken cancellationToken)
    {
        var ml = LmmFitter.Fit(fit.Model, fit.Options with { Reml = null, Ddf = DenominatorDf.Satterthwaite });
        var intervals = Intervals(ml, level, threads, progress, cancellationToken);
        var re = fit.Model.Random;
        int nth = re.ThetaLength;
        var sdcor = CovarianceParameterization.FromTheta(re, fit.Theta.ToArray());
        for (int k = 0; k < nth; k++)
            if (CovarianceParameterization.IsStandardDeviation(re, k)) sdcor[k] *= fit.Sigma;
        var estimates = sdcor.Append(fit.Sigma).Concat(fit.Beta).ToArray();
        return intervals.Select((c, i) => c with { Estimate = estimates[i] }).ToArray();
    }

    /// <summary>sigma at log φ = <paramref name="logDispersion"/> (σ = √φ for the linear mixed model); NaN stays NaN.</summary>
    internal static double SigmaAt(GlmmFit fit, bool lmm, double logDispersion) =>
        double.IsNaN(logDispersion) ? double.NaN : lmm ? Math.Exp(0.5 * logDispersion) : fit.Family.SigmaOf(Math.Exp(logDispersion));

    /// <summary>
    /// The criterion at the profile's parameters (SDs and correlations, β, then log φ when the family has one): the
    /// criterion's (θ, β, log φ). (The GLMM path's θ is on the response scale, so the linear mixed model's SDs, σ times
    /// its relative θ's, map as the others'.)
    /// </summary>
    internal static double Deviance(Func<double[], double> c, Model.RandomEffectsStructure re, double[] x, int nth)
    {
        var full = (double[])x.Clone();
        CovarianceParameterization.ToTheta(re, x.AsSpan(0, nth), full.AsSpan(0, nth));
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
