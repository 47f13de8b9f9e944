using System.Globalization;

namespace Glmm;

/// <summary>
/// A weak independent normal prior on the fixed effects, β ~ N(0, diag(σ²)), the standard remedy for separation:
/// the fit maximises the penalized likelihood log L(θ, β) − Σ βⱼ²/(2σⱼ²), as <c>blme::bglmer(fixef.prior = normal)</c>
/// does, whose default is σ = 10 for the intercept and 2.5 for every other coefficient (the defaults here). The
/// estimates are then finite however the data separate; their standard errors come from the Hessian of the penalized
/// deviance (posterior-mode SEs, as blme reports them).
/// </summary>
/// <param name="InterceptSd">σ of the column named <c>(Intercept)</c>.</param>
/// <param name="Sd">σ of every other column.</param>
public sealed record NormalPrior(double InterceptSd = 10.0, double Sd = 2.5)
{
    /// <summary>σⱼ of each fixed-effects column.</summary>
    public double[] StandardDeviations(IReadOnlyList<string> names) =>
        names.Select(n => n == "(Intercept)" ? InterceptSd : Sd).ToArray();

    /// <summary>Parses the command line's <c>normal</c> or <c>normal:SD_INTERCEPT,SD</c>.</summary>
    /// <exception cref="GlmmInputException">Another spelling, or SDs that are not positive finite numbers.</exception>
    public static NormalPrior Parse(string text)
    {
        var t = text.Trim();
        if (t == "normal") return new NormalPrior();
        if (t.StartsWith("normal:", StringComparison.Ordinal))
        {
            var parts = t["normal:".Length..].Split(',');
            if (parts.Length == 2
                && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double a) && a > 0 && double.IsFinite(a)
                && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double b) && b > 0 && double.IsFinite(b))
                return new NormalPrior(a, b);
        }
        throw new GlmmInputException($"--fixef-prior must be 'normal' or 'normal:SD_INTERCEPT,SD' with positive SDs (e.g. normal:10,2.5), not '{text}'");
    }

    /// <summary>The prior as the summary names it.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"fixed effects ~ N(0, {InterceptSd:G4}^2) for (Intercept), N(0, {Sd:G4}^2) for the others (blme's fixef.prior = normal)");
}
