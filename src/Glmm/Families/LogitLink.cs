using System.Runtime.CompilerServices;
namespace Glmm.Families;

/// <summary>
/// The logit link η = log(μ/(1−μ)), as R's C code (<c>logit_link</c>, <c>logit_linkinv</c>,
/// <c>logit_mu_eta</c>): for |η| &gt; 30 the inverse uses e^η = ε or 1/ε, keeping μ strictly inside
/// (0, 1), and dμ/dη is ε there.
/// </summary>
internal sealed class LogitLink : Link
{
    private const double Threshold = 30.0;

    /// <summary>The single instance.</summary>
    public static LogitLink Instance { get; } = new();

    private LogitLink() { }

    /// <inheritdoc/>
    public override string Name => "logit";

    /// <inheritdoc/>
    public override double Apply(double mu) => Math.Log(mu / (1.0 - mu));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override double Inverse(double eta)
    {
        double t = eta < -Threshold ? DoubleEpsilon : eta > Threshold ? 1.0 / DoubleEpsilon : Math.Exp(eta);
        return t / (1.0 + t);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override double MuEta(double eta)
    {
        if (eta > Threshold || eta < -Threshold) return DoubleEpsilon;
        double e = Math.Exp(eta);
        double opexp = 1.0 + e;
        return e / (opexp * opexp);
    }

    /// <summary>μ(1 − μ)(1 − 2μ); 0 beyond the thresholds where μ is clamped.</summary>
    public override double MuEtaDerivative(double eta)
    {
        if (eta > Threshold || eta < -Threshold) return 0.0;
        double mu = Inverse(eta);
        return mu * (1.0 - mu) * (1.0 - 2.0 * mu);
    }

    /// <summary>μ(1 − μ)(1 − 6μ(1 − μ)); 0 beyond the thresholds where μ is clamped.</summary>
    internal override double MuEtaSecondDerivative(double eta)
    {
        if (eta > Threshold || eta < -Threshold) return 0.0;
        double mu = Inverse(eta), v = mu * (1.0 - mu);
        return v * (1.0 - 6.0 * v);
    }

    /// <inheritdoc/>
    public override void InverseAndMuEta(ReadOnlySpan<double> eta, Span<double> mu, Span<double> muEta)
    {
        CheckLengths(eta.Length, mu.Length, muEta.Length);
        for (int i = 0; i < eta.Length; i++)
        {
            double e = eta[i];
            if (e > Threshold || e < -Threshold)
            {
                double t = e < 0 ? DoubleEpsilon : 1.0 / DoubleEpsilon;
                mu[i] = t / (1.0 + t);
                muEta[i] = DoubleEpsilon;
            }
            else
            {
                double t = Math.Exp(e);
                double opexp = 1.0 + t;
                mu[i] = t / opexp;
                muEta[i] = t / (opexp * opexp);
            }
        }
    }
}
