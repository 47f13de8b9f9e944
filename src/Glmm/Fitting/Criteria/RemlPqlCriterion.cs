namespace Glmm.Fitting;

/// <summary>
/// REML of the working linear mixed model of penalized quasi-likelihood (Schall 1991; Breslow &amp; Clayton 1993): for
/// the working response z and weights w (a <see cref="Families.WorkingGaussian"/> layout: residual variances 1/w
/// known), up to −Σ log w and constants,
/// <code>−2ℓ_R(θ) = min over (u, β) of Σ w(z − η)² + ‖u‖²  +  log|L_u|² + log|R_X|²</code>
/// i.e. log|V| + log|X'V⁻¹X| + r'V⁻¹r. PIRLS on a Gaussian response is penalized weighted least squares, solved in
/// one Newton step. The PQL rounds that update z and w are in <see cref="RemlFitter"/>.
/// </summary>
internal sealed class RemlPqlCriterion : PirlsCriterion
{
    public RemlPqlCriterion(EngineLayout workingLayout, int threads)
        : base(new Pirls(workingLayout, withFixed: true, threads), includesBeta: false)
    {
    }

    /// <summary>β̃ of the last evaluation.</summary>
    public double[] Beta => Pirls.Beta;

    public override double Evaluate(ReadOnlySpan<double> x)
    {
        Evaluations++;
        if (!double.IsFinite(SolvePirls(x)))
        {
            FitMonitor.Observe("REML (PQL)", ThetaLength, includesBeta: false, withDispersion: false, x, Pirls.Beta, double.PositiveInfinity);
            return double.PositiveInfinity;
        }
        var factor = Pirls.Factor;
        double f = Pirls.Deviance + Pirls.SquaredLengthU + factor.LogDeterminant(factor.DenseSize);
        FitMonitor.Observe("REML (PQL)", ThetaLength, includesBeta: false, withDispersion: false, x, Pirls.Beta, f);
        return f;
    }
}
