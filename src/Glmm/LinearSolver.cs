namespace Glmm;

/// <summary>
/// How the Laplace approximation handles the penalized system Λ'Z'WZΛ + I: by its exact (blocked Cholesky) factor,
/// or by iterative (Krylov) methods for crossed designs whose exact factor fills in.
/// </summary>
public enum LinearSolver
{
    /// <summary>Chosen from the predicted cost of the exact factor (its dense block's memory and flops); the choice is reported.</summary>
    Auto,

    /// <summary>The exact factor: PIRLS by Cholesky steps, log-determinant and gradient exact.</summary>
    Cholesky,

    /// <summary>
    /// Preconditioned conjugate gradients for the modes, stochastic Lanczos quadrature with fixed seeded probes for the
    /// log-determinant, stochastic trace estimates for the gradient: memory O(non-zeros of Z), no dense block.
    /// </summary>
    Iterative,
}

/// <summary>Defaults of the iterative solver.</summary>
public static class IterativeDefaults
{
    /// <summary>Probe vectors by default.</summary>
    public const int Probes = 64;
}

/// <summary>What the iterative solver did and how accurate its stochastic estimates are.</summary>
/// <param name="Probes">Probe vectors (Rademacher, fixed for the fit).</param>
/// <param name="Seed">Their seed.</param>
/// <param name="Preconditioner">The preconditioner's name.</param>
/// <param name="Tolerance">Relative residual at which the conjugate-gradient solves stop.</param>
/// <param name="LogLikMonteCarloError">Standard error of the log-likelihood from the probes' spread (stochastic Lanczos quadrature).</param>
/// <param name="MeanIterations">Mean conjugate-gradient iterations per solve at the estimates.</param>
/// <param name="Reason">Why this solver was used (the user's choice, or auto's prediction).</param>
/// <param name="LogLikProbes">Probes of the log-likelihood at the estimate: <paramref name="Probes"/>, or more where their
/// Monte Carlo error was above 0.02.</param>
public sealed record IterativeSolverReport(int Probes, ulong Seed, string Preconditioner, double Tolerance,
    double LogLikMonteCarloError, double MeanIterations, string Reason, int LogLikProbes);
