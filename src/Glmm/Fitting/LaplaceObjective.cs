namespace Glmm.Fitting;

/// <summary>
/// The Laplace approximation to the deviance as a function the optimiser can call:
/// −2 log L(β, θ) ≈ −2 log p(y | ṽ) + ‖ṽ‖² + log|L|², with ṽ from <see cref="Pirls"/>.
/// Stage 1 (lme4's nAGQ = 0) is a function of θ alone, β being solved for inside PIRLS; stage 2 is a
/// function of (θ, β). Counts evaluations.
/// </summary>
internal sealed class LaplaceObjective
{
    private readonly EngineLayout _data;
    private readonly Pirls _pirls;
    private readonly int _thetaLength;

    public LaplaceObjective(EngineLayout data, bool betaInside, int threads = 0, bool observedInformation = true)
    {
        _data = data;
        BetaInside = betaInside;
        _pirls = new Pirls(data, betaInside, threads, observedInformation);
        _thetaLength = data.Random.ThetaLength;
    }

    /// <summary>True for stage 1 (β solved inside PIRLS).</summary>
    public bool BetaInside { get; }

    /// <summary>The PIRLS state after the last evaluation.</summary>
    public Pirls Pirls => _pirls;

    /// <summary>Number of evaluations so far.</summary>
    public int Evaluations { get; private set; }

    /// <summary>Length of the parameter vector: θ, or (θ, β).</summary>
    public int Dimension => BetaInside ? _thetaLength : _thetaLength + _data.P;

    /// <summary>Deviance at parameters x = θ (stage 1) or (θ, β) (stage 2).</summary>
    public double Evaluate(ReadOnlySpan<double> x)
    {
        Evaluations++;
        double value = BetaInside
            ? _pirls.Solve(x)
            : _pirls.Solve(x[.._thetaLength], x[_thetaLength..]);
        return double.IsNaN(value) ? double.PositiveInfinity : value;
    }
}
