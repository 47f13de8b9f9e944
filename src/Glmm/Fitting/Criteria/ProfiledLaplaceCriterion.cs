namespace Glmm.Fitting;

/// <summary>
/// The Laplace deviance profiled over β by PIRLS (stage 1, lme4's nAGQ = 0): a function of θ alone,
/// <code>−2 log L(θ) ≈ −2 log p(y | ũ, β̃) + ‖ũ‖² + log|L_u|²</code>
/// with (ũ, β̃) the joint mode of the penalized deviance over (u, β) and L_u the random-effects part of the
/// bordered factor of [Λ'Z'WZΛ + I, Λ'Z'WX; X'WZΛ, X'WX].
/// </summary>
internal sealed class ProfiledLaplaceCriterion : PirlsCriterion
{
    public ProfiledLaplaceCriterion(EngineLayout layout, int threads, bool observedInformation, ReadOnlySpan<double> startBeta)
        : base(new Pirls(layout, withFixed: true, threads, observedInformation), includesBeta: false)
    {
        Pirls.SetBeta(startBeta);
    }

    /// <summary>β̃ of the last evaluation.</summary>
    public double[] Beta => Pirls.Beta;

    /// <summary>The PIRLS tolerance (relative Newton decrement); see <see cref="Fitting.Pirls.Tolerance"/>.</summary>
    public double PirlsTolerance { get => Pirls.Tolerance; set => Pirls.Tolerance = value; }

    /// <summary>−2 log p(y | ũ, β̃) + ‖ũ‖² + log|L_u|² at x = θ.</summary>
    public override double Evaluate(ReadOnlySpan<double> x)
    {
        Evaluations++;
        double f = SolvePirls(x);
        FitMonitor.Observe("stage 1 (beta in PIRLS)", ThetaLength, includesBeta: false, withDispersion: false, x, Pirls.Beta, f);
        return f;
    }
}
