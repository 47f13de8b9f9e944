namespace Glmm.Inference;

/// <summary>
/// One parameter's profile, as lme4's <c>profile()</c> gives it: values of the parameter on both sides of the estimate and the
/// signed square root of the rise in deviance there, ζ = sign(v − v̂)·√(d(v) − d̂), the other parameters re-optimised
/// (lme4's <c>xyplot(profile)</c> plots ζ against v; a straight line means the Wald interval is exact).
/// </summary>
/// <param name="Name">The parameter as lme4's confint names it (<c>sd_(Intercept)|herd</c>, <c>cor_…</c>, a fixed effect).</param>
/// <param name="Estimate">Its estimate.</param>
/// <param name="Values">The parameter's values, increasing (the estimate included, with ζ = 0).</param>
/// <param name="Zeta">ζ at each value.</param>
public sealed record ProfileTrace(string Name, double Estimate, IReadOnlyList<double> Values, IReadOnlyList<double> Zeta);

/// <summary>
/// Profile traces of every parameter of a fit (the SDs and correlations of the random effects, then <c>sigma</c> when the
/// model has a dispersion parameter or is a linear mixed model, then β), on the coordinates of
/// <see cref="Profile.Intervals"/>: a linear mixed model's SDs on the response scale and a REML fit's profile that of its
/// maximum-likelihood refit, as lme4's <c>profile()</c>; sigma profiled as log φ and reported on sigma's scale.
/// </summary>
public static class ProfileTraces
{
    /// <summary>
    /// The traces, each stepping out from the estimate on both sides until |ζ| reaches <paramref name="maxZeta"/>, a bound
    /// (an SD of 0, a correlation of ±1) or <paramref name="maxSteps"/> steps, steps sized for about 0.4 in ζ each.
    /// Parameters run in parallel (each side on its own criterion); the result does not depend on the thread count.
    /// </summary>
    public static IReadOnlyList<ProfileTrace> Compute(GlmmFit fit, double maxZeta = 2.8, int maxSteps = 12, int threads = 0,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fit);
        // lme4 profiles a REML linear mixed model by the ML deviance of its ML refit.
        if (fit.Reml is not null && fit.Family is Families.Gaussian { IsLinearMixedModel: true })
            fit = Fitting.LmmFitter.Fit(fit.Model, fit.Options with { Reml = null, Ddf = DenominatorDf.Satterthwaite });
        var setup = Profile.Prepare(fit);
        var re = fit.Model.Random;
        int nth = setup.Nth, p = setup.P, m = setup.Xhat.Length;
        var xhat = setup.Xhat;
        var scale = setup.Scale;
        var lower = setup.Lower;
        var upper = setup.Upper;
        var sides = new (double V, double Z)[2 * m][];
        var po = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : -1, CancellationToken = cancellationToken };
        Parallel.For(0, 2 * m, po, t =>
        {
            int k = t / 2, dir = t % 2 == 0 ? -1 : 1;
            var side = new Profile.Side(setup.NewCriterion(), re, nth, k, xhat, scale, lower, upper, setup.Dev0, fit.Options);
            var points = new List<(double, double)>();
            double v0 = xhat[k], bound = dir < 0 ? lower[k] : upper[k];
            double h = k >= nth ? 0.4 * scale[k] : re.IsDiagonal(k) ? Math.Max(0.1 * Math.Abs(v0), 0.02) : 0.08;
            double v = v0, z = 0;
            for (int s = 0; s < maxSteps && v != bound; s++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                double next = v + dir * h;
                if (dir < 0 ? next <= bound : next >= bound) next = bound;
                double zn = side.Zeta(next);
                if (!double.IsFinite(zn)) break;
                points.Add((next, dir * zn));
                if (zn >= maxZeta) break;
                // Next step for about 0.4 in ζ, from the slope so far.
                double slope = (zn - z) / Math.Abs(next - v);
                h = slope > 0 ? Math.Clamp(0.4 / slope, 0.5 * h, 3 * h) : 2 * h;
                v = next;
                z = zn;
            }
            sides[t] = points.ToArray();
        });
        ProfileTrace Trace(int k, string name)
        {
            var all = sides[2 * k].Reverse().Append((xhat[k], 0.0)).Concat(sides[2 * k + 1]).ToArray();
            return new ProfileTrace(name, xhat[k], all.Select(a => a.Item1).ToArray(), all.Select(a => a.Item2).ToArray());
        }
        var result = new List<ProfileTrace>(m);
        for (int k = 0; k < nth; k++) result.Add(Trace(k, setup.Names[k]));
        if (setup.Dispersion)
        {
            // log φ's trace on sigma's scale (a monotone function of φ: decreasing for some families, then the
            // order and the sign of ζ turn round so that ζ still increases with sigma).
            var t = Trace(m - 1, "sigma");
            var sigma = t.Values.Select(v => Profile.SigmaAt(fit, setup.Lmm, v)).ToArray();
            var zeta = t.Zeta.ToArray();
            if (sigma.Length > 1 && sigma[^1] < sigma[0])
            {
                Array.Reverse(sigma);
                Array.Reverse(zeta);
                for (int i = 0; i < zeta.Length; i++) zeta[i] = -zeta[i];
            }
            result.Add(new ProfileTrace("sigma", fit.Sigma, sigma, zeta));
        }
        for (int k = nth; k < nth + p; k++) result.Add(Trace(k, setup.Names[k]));
        return result;
    }
}
