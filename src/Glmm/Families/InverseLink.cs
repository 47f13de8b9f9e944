namespace Glmm.Families;

/// <summary>The inverse link η = 1/μ (Gamma's canonical link): μ = 1/η, dμ/dη = −1/η²; η = 0 is invalid (R's <c>valideta</c>).</summary>
internal sealed class InverseLink : Link
{
    /// <summary>The single instance.</summary>
    public static InverseLink Instance { get; } = new();

    private InverseLink() { }

    /// <inheritdoc/>
    public override string Name => "inverse";

    /// <inheritdoc/>
    public override double Apply(double mu) => 1.0 / mu;

    /// <inheritdoc/>
    public override double Inverse(double eta) => 1.0 / eta;

    /// <inheritdoc/>
    public override double MuEta(double eta) => -1.0 / (eta * eta);

    /// <summary>2/η³.</summary>
    public override double MuEtaDerivative(double eta) => 2.0 / (eta * eta * eta);

    /// <summary>−6/η⁴.</summary>
    internal override double MuEtaSecondDerivative(double eta) => -6.0 / (eta * eta * eta * eta);

    /// <inheritdoc/>
    public override bool IsValidEta(double eta) => double.IsFinite(eta) && eta != 0;
}
