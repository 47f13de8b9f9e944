using Glmm.LinearAlgebra;

namespace Glmm.Fitting;

/// <summary>
/// The covariance of β̂ from the factor of the PIRLS system bordered by the fixed effects, conditional on θ:
/// with L_ββ = R_X the β block at the end of the bordered factor, Cov(β̂) = (R_X'R_X)⁻¹. (The default in a fit is
/// the β block of twice the inverse Hessian of the deviance in (θ, β) instead; see <see cref="ConvergenceCheck"/>.)
/// </summary>
internal static class FixedEffectsCovariance
{
    /// <summary>(R_X'R_X)⁻¹ from the β block of a bordered system's factor.</summary>
    public static double[,] FromBorderedFactor(PenalizedSystem system)
    {
        if (!system.WithFixed) throw new ArgumentException("the system is not bordered by the fixed effects", nameof(system));
        var factor = system.Factor;
        int p = system.Layout.P, m = factor.DenseSize, off = m - p;
        var dense = factor.Dense;
        var rx = new double[p * p];
        for (int i = 0; i < p; i++)
            for (int j = 0; j <= i; j++) rx[i * p + j] = dense[(off + i) * m + off + j];
        var inv = new double[p * p];
        DenseCholesky.Inverse(rx, p, inv);
        var cov = new double[p, p];
        for (int i = 0; i < p; i++) for (int j = 0; j < p; j++) cov[i, j] = inv[i * p + j];
        return cov;
    }

    /// <summary>(R_X'R_X)⁻¹ at (θ, β): a bordered PIRLS started at β and the modes <paramref name="u"/>.</summary>
    public static double[,] AtEstimates(EngineLayout data, double[] theta, double[] beta, double[] u)
    {
        var pirls = new Pirls(data, withFixed: true);
        pirls.SetBeta(beta);
        pirls.SetModes(u);
        pirls.Solve(theta);
        return FromBorderedFactor(pirls.System);
    }

    /// <summary>The standard errors √diag of a covariance, 1 where that is not a positive finite number.</summary>
    public static double[] StandardErrors(double[,] covariance)
    {
        int p = covariance.GetLength(0);
        var s = new double[p];
        for (int j = 0; j < p; j++)
        {
            double c = covariance[j, j];
            s[j] = c > 0 && double.IsFinite(c) ? Math.Sqrt(c) : 1.0;
        }
        return s;
    }

    /// <summary>
    /// The diagonal of the deviance's Hessian in β at a bordered PIRLS solution: 2S, S the Schur complement of the fixed
    /// effects in the system (the β rows of the dense factor: S = L_ββ L_ββ').
    /// </summary>
    public static double[] BetaHessianDiagonal(PenalizedSystem system)
    {
        var factor = system.Factor;
        int p = system.Layout.P, m = factor.DenseSize, off = m - p;
        var dense = factor.Dense;
        var h = new double[p];
        for (int j = 0; j < p; j++)
        {
            double s = 0;
            for (int k = off; k <= off + j; k++) s += dense[(off + j) * m + k] * dense[(off + j) * m + k];
            h[j] = 2.0 * s;
        }
        return h;
    }
}
