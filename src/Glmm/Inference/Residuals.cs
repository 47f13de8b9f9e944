using Glmm.Families;

namespace Glmm.Inference;

/// <summary>The kinds of residual of R's <c>residuals.glmerMod</c>.</summary>
public enum ResidualType
{
    /// <summary>sign(y − μ)·sqrt(wt·d(y, μ)), R's default.</summary>
    Deviance,
    /// <summary>(y − μ)·sqrt(wt / V(μ)).</summary>
    Pearson,
    /// <summary>(y − μ) / (dμ/dη).</summary>
    Working,
    /// <summary>y − μ (y a proportion for a binomial <c>cbind</c> response).</summary>
    Response,
}

/// <summary>Residuals of a fitted GLMM as lme4 computes them (conditional on the modes: μ includes the random effects).</summary>
public static class Residuals
{
    /// <summary>Residuals of a fit, one per row used, in the order of the rows used.</summary>
    public static double[] Compute(GlmmFit fit, ResidualType type = ResidualType.Deviance) =>
        Compute(fit.Family, fit.Model.Y, fit.Model.Weights, fit.LinearPredictor.ToArray(), type);

    /// <summary>Residuals from the response, prior weights and linear predictor of each row.</summary>
    public static double[] Compute(Family family, ReadOnlySpan<double> y, ReadOnlySpan<double> weights, ReadOnlySpan<double> eta, ResidualType type)
    {
        if (y.Length != weights.Length || y.Length != eta.Length) throw new ArgumentException("y, weights and eta must have the same length");
        var r = new double[y.Length];
        var link = family.Link;
        for (int i = 0; i < r.Length; i++)
        {
            double mu = link.Inverse(eta[i]), d = y[i] - mu;
            r[i] = type switch
            {
                ResidualType.Response => d,
                ResidualType.Pearson => d * Math.Sqrt(weights[i] / family.PearsonVariance(mu)),
                ResidualType.Working => d / link.MuEta(eta[i]),
                ResidualType.Deviance => (y[i] > mu ? 1.0 : -1.0) * Math.Sqrt(Math.Max(family.UnitDevianceResidual(y[i], mu, weights[i]), 0.0)),
                _ => throw new ArgumentOutOfRangeException(nameof(type)),
            };
        }
        return r;
    }

    /// <summary>Parses deviance, pearson, working or response.</summary>
    public static ResidualType ParseType(string name) => name.Trim().ToLowerInvariant() switch
    {
        "deviance" => ResidualType.Deviance,
        "pearson" => ResidualType.Pearson,
        "working" => ResidualType.Working,
        "response" => ResidualType.Response,
        _ => throw new GlmmInputException($"unknown residual type '{name}': use deviance, pearson, working or response"),
    };
}
