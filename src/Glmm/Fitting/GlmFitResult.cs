namespace Glmm.Fitting;

/// <summary>
/// An ordinary GLM fitted by <see cref="GlmIrls"/>: the estimates and the quantities R's
/// <c>glm</c>/<c>summary.glm</c> report (dispersion fixed at 1, as for binomial and Poisson).
/// </summary>
internal sealed class GlmFitResult
{
    private readonly double[] _coefficients;
    private readonly double[] _covariance;

    internal GlmFitResult(string[] names, double[] coefficients, double[] unscaledCovariance, double deviance,
        double logLikelihood, int iterations, bool converged, bool boundary, double[] mu, double[] eta,
        IReadOnlyList<string> warnings)
    {
        Names = names;
        _coefficients = coefficients;
        _covariance = unscaledCovariance;
        Deviance = deviance;
        LogLikelihood = logLikelihood;
        Iterations = iterations;
        Converged = converged;
        Boundary = boundary;
        FittedMu = mu;
        LinearPredictor = eta;
        Warnings = warnings;
        var se = new double[coefficients.Length];
        for (int j = 0; j < se.Length; j++) se[j] = Math.Sqrt(unscaledCovariance[j * se.Length + j]);
        StandardErrors = se;
    }

    /// <summary>Column names of X, in the order of <see cref="Coefficients"/>.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>β̂.</summary>
    public IReadOnlyList<double> Coefficients => _coefficients;

    /// <summary>Standard errors √diag((X'WX)⁻¹) (dispersion 1).</summary>
    public IReadOnlyList<double> StandardErrors { get; }

    /// <summary>Entry (i, j) of the unscaled covariance (X'WX)⁻¹.</summary>
    public double UnscaledCovariance(int i, int j) => _covariance[i * _coefficients.Length + j];

    /// <summary>A copy of the unscaled covariance (X'WX)⁻¹ as a p×p array.</summary>
    /// <remarks>As in R's <c>summary.glm</c>, W is the working weight matrix of the last IRLS
    /// iteration, i.e. evaluated at the coefficients before the final update.</remarks>
    public double[,] UnscaledCovarianceMatrix()
    {
        int p = _coefficients.Length;
        var m = new double[p, p];
        for (int i = 0; i < p; i++)
            for (int j = 0; j < p; j++) m[i, j] = _covariance[i * p + j];
        return m;
    }

    /// <summary>The deviance Σ dev.resids at β̂.</summary>
    public double Deviance { get; }

    /// <summary>The log-likelihood with all constants (R's <c>logLik</c>).</summary>
    public double LogLikelihood { get; }

    /// <summary>AIC = −2·logLik + 2p.</summary>
    public double Aic => -2.0 * LogLikelihood + 2.0 * _coefficients.Length;

    /// <summary>Number of IRLS iterations (R's <c>iter</c>).</summary>
    public int Iterations { get; }

    /// <summary>Whether the relative change in deviance fell below the tolerance.</summary>
    public bool Converged { get; }

    /// <summary>Whether the last step had to be shortened to keep η and μ valid or the deviance finite (R's <c>boundary</c>).</summary>
    public bool Boundary { get; }

    /// <summary>μ̂ per row.</summary>
    public IReadOnlyList<double> FittedMu { get; }

    /// <summary>η̂ = Xβ̂ + offset per row.</summary>
    public IReadOnlyList<double> LinearPredictor { get; }

    /// <summary>Warnings in R's words (non-convergence, fitted probabilities 0 or 1, step truncation, response warnings).</summary>
    public IReadOnlyList<string> Warnings { get; }
}
