namespace Glmm.Families;

/// <summary>
/// A link function g: η = g(μ), with its inverse and dμ/dη. The implementations reproduce R's
/// <c>make.link</c> numerically, including its clamping of μ away from 0 and 1 and of dμ/dη away
/// from 0, so that iterations follow R's exactly.
/// </summary>
public abstract class Link
{
    /// <summary>R's <c>.Machine$double.eps</c> (2⁻⁵²), the bound R uses when clamping μ and dμ/dη.</summary>
    public const double DoubleEpsilon = 2.220446049250313e-16;

    /// <summary>The logit link log(μ/(1 − μ)), canonical for the binomial family.</summary>
    public static Link Logit => LogitLink.Instance;

    /// <summary>The probit link Φ⁻¹(μ).</summary>
    public static Link Probit => ProbitLink.Instance;

    /// <summary>The cauchit link tan(π(μ − ½)).</summary>
    public static Link Cauchit => CauchitLink.Instance;

    /// <summary>The complementary log-log link log(−log(1 − μ)).</summary>
    public static Link Cloglog => CloglogLink.Instance;

    /// <summary>The identity link.</summary>
    public static Link Identity => IdentityLink.Instance;

    /// <summary>The log link, canonical for the Poisson family.</summary>
    public static Link Log => LogLink.Instance;

    /// <summary>The square-root link.</summary>
    public static Link Sqrt => SqrtLink.Instance;

    /// <summary>The inverse link η = 1/μ (Gamma's canonical link).</summary>
    public static Link InverseMu => Families.InverseLink.Instance;

    /// <summary>The names accepted by <see cref="FromName"/>, in R's order.</summary>
    public static IReadOnlyList<string> Names { get; } =
        ["logit", "probit", "cauchit", "cloglog", "identity", "log", "sqrt", "inverse"];

    /// <summary>R's name for the link ("logit", "probit", "cloglog", "cauchit", "log", "sqrt", "identity").</summary>
    public abstract string Name { get; }

    /// <summary>η = g(μ).</summary>
    public abstract double Apply(double mu);

    /// <summary>μ = g⁻¹(η).</summary>
    public abstract double Inverse(double eta);

    /// <summary>dμ/dη at η.</summary>
    public abstract double MuEta(double eta);

    /// <summary>
    /// d²μ/dη² at η: with <see cref="MuEta"/> it gives the observed information of a non-canonical
    /// link, which the exact Laplace approximation (glmmTMB's) uses in place of the IRLS weights.
    /// </summary>
    public abstract double MuEtaDerivative(double eta);

    /// <summary>
    /// d³μ/dη³ at η, for the derivative of the observed information in η (the analytic Laplace gradient of a
    /// non-canonical link); the links of the families with a dispersion parameter have it.
    /// </summary>
    internal virtual double MuEtaSecondDerivative(double eta) =>
        throw new NotSupportedException($"the third derivative of the {Name} link is not available");

    /// <summary>R's <c>valideta</c> for one value: false only for η that the link cannot map (sqrt: η ≤ 0 or not finite).</summary>
    public virtual bool IsValidEta(double eta) => true;

    /// <summary>
    /// Bulk form used by the fitting engine: μᵢ = g⁻¹(ηᵢ) and (dμ/dη)ᵢ for every i. The spans must have
    /// equal lengths. Sealed links override this with a loop the JIT can devirtualise.
    /// </summary>
    public virtual void InverseAndMuEta(ReadOnlySpan<double> eta, Span<double> mu, Span<double> muEta)
    {
        CheckLengths(eta.Length, mu.Length, muEta.Length);
        for (int i = 0; i < eta.Length; i++)
        {
            mu[i] = Inverse(eta[i]);
            muEta[i] = MuEta(eta[i]);
        }
    }

    /// <summary>The link named <paramref name="name"/> (R's spelling; letter case is ignored).</summary>
    /// <exception cref="GlmmInputException">The name is not one of <see cref="Names"/>.</exception>
    public static Link FromName(string name) => name.Trim().ToLowerInvariant() switch
    {
        "logit" => LogitLink.Instance,
        "probit" => ProbitLink.Instance,
        "cauchit" => CauchitLink.Instance,
        "cloglog" => CloglogLink.Instance,
        "identity" => IdentityLink.Instance,
        "log" => LogLink.Instance,
        "sqrt" => SqrtLink.Instance,
        "inverse" => Families.InverseLink.Instance,
        _ => throw new GlmmInputException(
            $"unknown link '{name}'; valid links are: {string.Join(", ", Names)}"),
    };

    /// <inheritdoc/>
    public override string ToString() => Name;

    /// <summary>Throws when the bulk spans differ in length.</summary>
    protected static void CheckLengths(int n, int a, int b)
    {
        if (a != n || b != n)
            throw new ArgumentException("eta, mu and muEta must have the same length");
    }
}
