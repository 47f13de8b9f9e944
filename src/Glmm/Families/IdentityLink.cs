namespace Glmm.Families;

/// <summary>The identity link η = μ, dμ/dη = 1.</summary>
internal sealed class IdentityLink : Link
{
    /// <summary>The single instance.</summary>
    public static IdentityLink Instance { get; } = new();

    private IdentityLink() { }

    /// <inheritdoc/>
    public override string Name => "identity";

    /// <inheritdoc/>
    public override double Apply(double mu) => mu;

    /// <inheritdoc/>
    public override double Inverse(double eta) => eta;

    /// <inheritdoc/>
    public override double MuEta(double eta) => 1.0;

    /// <summary>0.</summary>
    public override double MuEtaDerivative(double eta) => 0.0;

    /// <summary>0.</summary>
    internal override double MuEtaSecondDerivative(double eta) => 0.0;

    /// <inheritdoc/>
    public override void InverseAndMuEta(ReadOnlySpan<double> eta, Span<double> mu, Span<double> muEta)
    {
        CheckLengths(eta.Length, mu.Length, muEta.Length);
        eta.CopyTo(mu);
        muEta.Fill(1.0);
    }
}
