namespace Glmm;

/// <summary>How a fit's criterion was computed and optimised.</summary>
public enum FitMethod
{
    /// <summary>lme4's nAGQ = 0: θ optimised with β solved inside PIRLS (the Laplace deviance profiled over β by PIRLS).</summary>
    PirlsOnly,

    /// <summary>Maximum likelihood on the Laplace approximation (nAGQ = 1).</summary>
    Laplace,

    /// <summary>Maximum likelihood on adaptive Gauss–Hermite quadrature (nAGQ &gt; 1).</summary>
    AdaptiveQuadrature,

    /// <summary>Restricted maximum likelihood (see <see cref="GlmmFit.Reml"/> for the variant).</summary>
    Reml,

    /// <summary>Maximum likelihood of a linear mixed model: the profiled deviance of penalized least squares, exact (lmer's REML = FALSE).</summary>
    MaximumLikelihood,
}

/// <summary>The quadrature grid of adaptive quadrature for vector-valued random effects.</summary>
public enum QuadratureGrid
{
    /// <summary>The tensor product of K-point Gauss–Hermite rules: K^q nodes per cluster.</summary>
    Product,

    /// <summary>A Smolyak sparse grid on nested Genz–Keister rules, exact to total degree 2K − 1.</summary>
    Sparse,
}

/// <summary>The restricted-maximum-likelihood variants (Maestrini, Hui &amp; Welsh 2024).</summary>
public enum RemlVariant
{
    /// <summary>β integrated out with the random effects in one Laplace approximation (glmmTMB's REML).</summary>
    Laplace,

    /// <summary>The Cox–Reid adjusted profile likelihood, on the Laplace or the quadrature likelihood.</summary>
    Profile,

    /// <summary>REML of the working linear mixed model of penalized quasi-likelihood (Breslow &amp; Clayton 1993).</summary>
    Pql,
}

/// <summary>The curvature used in the Laplace approximation (and to scale adaptive quadrature).</summary>
public enum Information
{
    /// <summary>The observed information, the Hessian of the log-likelihood at the mode: the exact Laplace approximation (glmmTMB's).</summary>
    Observed,

    /// <summary>The expected (Fisher) information of the IRLS weights (lme4's). Equal to the observed one for canonical links.</summary>
    Expected,
}

/// <summary>Where the covariance of β̂ in a fit came from.</summary>
public enum CovarianceSource
{
    /// <summary>The β block of twice the inverse Hessian of the deviance in (θ, β) (lme4's default).</summary>
    Hessian,

    /// <summary>The bordered PIRLS system at the optimum: (R_X'R_X)⁻¹, conditional on θ.</summary>
    Pirls,

    /// <summary>The inverse observed information for β at fixed θ (REML variant 'profile').</summary>
    ObservedInformationForBeta,
}

/// <summary>The names the command line and JSON use for the enumerations (R's and lme4's spellings).</summary>
public static class FitNames
{
    /// <summary>"nAGQ=0", "Laplace", "AGQ" or "REML", as the JSON's <c>method</c>.</summary>
    public static string Name(this FitMethod method) => method switch
    {
        FitMethod.PirlsOnly => "nAGQ=0",
        FitMethod.Laplace => "Laplace",
        FitMethod.AdaptiveQuadrature => "AGQ",
        FitMethod.Reml => "REML",
        FitMethod.MaximumLikelihood => "ML",
    };

    /// <summary>"product" or "sparse".</summary>
    public static string Name(this QuadratureGrid grid) => grid switch
    {
        QuadratureGrid.Product => "product",
        QuadratureGrid.Sparse => "sparse",
    };

    /// <summary>"laplace", "profile" or "pql".</summary>
    public static string Name(this RemlVariant variant) => variant switch
    {
        RemlVariant.Laplace => "laplace",
        RemlVariant.Profile => "profile",
        RemlVariant.Pql => "pql",
    };

    /// <summary>"observed" or "expected".</summary>
    public static string Name(this Information information) => information switch
    {
        Information.Observed => "observed",
        Information.Expected => "expected",
    };

    /// <summary>The grid named <paramref name="name"/>; an input error naming the choices otherwise.</summary>
    public static QuadratureGrid ParseGrid(string name) =>
        Parse<QuadratureGrid>(name, "grid", Name);

    /// <summary>The REML variant named <paramref name="name"/>; an input error naming the choices otherwise.</summary>
    public static RemlVariant ParseReml(string name) =>
        Parse<RemlVariant>(name, "REML variant", Name);

    /// <summary>The information named <paramref name="name"/>; an input error naming the choices otherwise.</summary>
    public static Information ParseInformation(string name) =>
        Parse<Information>(name, "information", Name);

    private static T Parse<T>(string name, string what, Func<T, string> nameOf) where T : struct, Enum
    {
        foreach (var v in Enum.GetValues<T>())
            if (string.Equals(nameOf(v), name.Trim(), StringComparison.OrdinalIgnoreCase)) return v;
        throw new GlmmInputException($"unknown {what} '{name}': use {string.Join(", ", Enum.GetValues<T>().Select(nameOf))}");
    }
}
