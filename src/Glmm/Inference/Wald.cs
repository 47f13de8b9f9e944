namespace Glmm.Inference;

/// <summary>
/// Wald intervals, as lme4's <c>confint(fit, method = "Wald")</c>: β̂ ± z·SE for the fixed effects; the
/// random-effect SDs and correlations get no Wald interval (NaN, lme4's NA), but keep their rows. A family with a
/// dispersion parameter adds a <c>sigma</c> row after them (glmmTMB's <c>sigma()</c>), its interval taken on the log scale
/// and transformed back, exp(log σ̂ ± z·SE(σ̂)/σ̂), as glmmTMB's Wald interval of its log-dispersion.
/// </summary>
public static class Wald
{
    /// <summary>Intervals at <paramref name="level"/> (default 0.95): the SD/correlation rows (NaN limits), then β.</summary>
    public static IReadOnlyList<ConfidenceInterval> Intervals(GlmmFit fit, double level = 0.95)
    {
        CheckLevel(level);
        double z = NormalQuantile(0.5 + level / 2);
        var re = fit.Model.Random;
        var names = CovarianceParameterization.Names(re);
        var sdcor = CovarianceParameterization.FromTheta(re, fit.Theta.ToArray());
        var result = new List<ConfidenceInterval>();
        for (int i = 0; i < names.Length; i++) result.Add(new ConfidenceInterval(names[i], sdcor[i], double.NaN, double.NaN));
        if (fit.Family.HasDispersion && double.IsFinite(fit.Sigma) && fit.Sigma > 0)
        {
            double seLog = fit.SigmaStdError / fit.Sigma;
            bool ok = double.IsFinite(seLog) && seLog >= 0;
            result.Add(new ConfidenceInterval("sigma", fit.Sigma,
                ok ? fit.Sigma * Math.Exp(-z * seLog) : double.NaN, ok ? fit.Sigma * Math.Exp(z * seLog) : double.NaN));
        }
        // lme4's confint(method = "Wald"): the unadjusted vcov (the same as each StdError unless --ddf Kenward-Roger adjusted it).
        for (int j = 0; j < fit.FixedEffects.Count; j++)
        {
            var b = fit.FixedEffects[j];
            double se = Math.Sqrt(fit.FixedEffectsCovariance[j, j]);
            result.Add(new ConfidenceInterval(b.Name, b.Estimate, b.Estimate - z * se, b.Estimate + z * se));
        }
        return result;
    }

    /// <summary>The standard normal quantile (as R's qnorm).</summary>
    public static double NormalQuantile(double p) => Families.NormalDistribution.Quantile(p);

    internal static void CheckLevel(double level)
    {
        if (!(level > 0 && level < 1)) throw new GlmmInputException($"the confidence level must lie strictly between 0 and 1, not {level.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
    }
}
