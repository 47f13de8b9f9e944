namespace Glmm.Families;

/// <summary>The square-root link η = √μ: μ = η², dμ/dη = 2η; only η &gt; 0 is valid (R's <c>valideta</c>).</summary>
internal sealed class SqrtLink : Link
{
    /// <summary>The single instance.</summary>
    public static SqrtLink Instance { get; } = new();

    private SqrtLink() { }

    /// <inheritdoc/>
    public override string Name => "sqrt";

    /// <inheritdoc/>
    public override double Apply(double mu) => Math.Sqrt(mu);

    /// <inheritdoc/>
    public override double Inverse(double eta) => eta * eta;

    /// <inheritdoc/>
    public override double MuEta(double eta) => 2.0 * eta;

    /// <summary>2.</summary>
    public override double MuEtaDerivative(double eta) => 2.0;

    /// <summary>0.</summary>
    internal override double MuEtaSecondDerivative(double eta) => 0.0;

    /// <inheritdoc/>
    public override bool IsValidEta(double eta) => double.IsFinite(eta) && eta > 0;

    /// <inheritdoc/>
    public override void InverseAndMuEta(ReadOnlySpan<double> eta, Span<double> mu, Span<double> muEta)
    {
        CheckLengths(eta.Length, mu.Length, muEta.Length);
        for (int i = 0; i < eta.Length; i++)
        {
            mu[i] = eta[i] * eta[i];
            muEta[i] = 2.0 * eta[i];
        }
    }
}
