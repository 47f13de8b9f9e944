namespace Glmm.Fitting;

/// <summary>
/// REML variant 'laplace' (glmmTMB's REML = TRUE): β gets a flat prior and is integrated out with u by one Laplace
/// approximation over (u, β). As <see cref="ProfiledLaplaceCriterion"/> but with the log-determinant of the whole
/// bordered factor — the β block adds log|R_X|² — and the flat prior's constant:
/// <code>−2ℓ_R(θ) = −2 log p(y | ũ, β̃) + ‖ũ‖² + log|L_u|² + log|R_X|² − p log 2π</code>
/// Its β is β̃(θ̂), with covariance (R_X'R_X)⁻¹.
/// </summary>
internal sealed class RemlLaplaceCriterion : PirlsCriterion
{
    public RemlLaplaceCriterion(EngineLayout layout, int threads, bool observedInformation, ReadOnlySpan<double> startBeta)
        : base(new Pirls(layout, withFixed: true, threads, observedInformation), includesBeta: false)
    {
        Pirls.SetBeta(startBeta);
    }

    /// <summary>β̃ of the last evaluation.</summary>
    public double[] Beta => Pirls.Beta;

    public override double Evaluate(ReadOnlySpan<double> x)
    {
        Evaluations++;
        if (!double.IsFinite(SolvePirls(x)))
        {
            FitMonitor.Observe("REML (Laplace)", ThetaLength, includesBeta: false, withDispersion: false, x, Pirls.Beta, double.PositiveInfinity);
            return double.PositiveInfinity;
        }
        var factor = Pirls.Factor;
        int p = Pirls.Beta.Length;
        double f = Pirls.MinusTwoLogLikConditional + Pirls.SquaredLengthU + factor.LogDeterminant(factor.DenseSize) - p * Math.Log(2 * Math.PI);
        FitMonitor.Observe("REML (Laplace)", ThetaLength, includesBeta: false, withDispersion: false, x, Pirls.Beta, f);
        return f;
    }
}
