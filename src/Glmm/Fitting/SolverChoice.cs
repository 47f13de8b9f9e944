using System.Globalization;

namespace Glmm.Fitting;

/// <summary>
/// Which solver of the penalized system a fit uses (<see cref="LinearSolver"/>): the options' checks (what the iterative
/// solver does not support is refused with one line), and <see cref="LinearSolver.Auto"/>'s prediction from the exact
/// factor's cost. For crossed factors the exact factor eliminates the first factor's blocks and keeps a dense
/// Schur complement of size m (the other terms' random effects): 8m² bytes and about m³/3 multiply-adds per
/// factorisation, refactored at every PIRLS step, while an iterative evaluation costs passes over the non-zeros of Z.
/// Auto takes the iterative solver when m³/3 is at least <see cref="AutoCostRatio"/> times the non-zeros of Z (where it
/// is measured faster) or the dense block would not fit in memory.
/// </summary>
internal static class SolverChoice
{
    /// <summary>
    /// The ratio of the exact factorisation's multiply-adds (m³/3) to the non-zeros of Z (rows × random effects per row)
    /// from which auto chooses the iterative solver. Measured (docs/benchmarks.md, "Issue 17" and "Issue 12, stop 25";
    /// native tool, idle machine, after the iterative Newton finish and the exact path's stage shortcuts): at 200,000 rows
    /// with 20,000 × 2,000 crossed levels (ratio 6,700) the iterative fit takes 4.7–4.9 s against the exact 10.6–12.4 s;
    /// at 30,000 rows with 3,000 × 600 (1,200) the two tie (0.60–0.64 s against 0.65–0.79 s); InstEval binary (2,250, a
    /// third factor the iterative path also carries) and crossed200k (104) stay exact. The crossing lies between 1,200
    /// and 6,700: 3,000.
    /// </summary>
    public const double AutoCostRatio = 3000;

    /// <summary>Bytes of the dense block above which the exact factor is never chosen by auto.</summary>
    public const double AutoMemoryLimit = 2e9;

    /// <summary>The options alone: probes, and with --solver iterative what it does not support.</summary>
    public static void CheckOptions(GlmmOptions options)
    {
        if (options.Probes < 2) throw new GlmmInputException($"--probes must be at least 2 (the Monte Carlo error needs two), not {options.Probes}");
        if (options.Solver == LinearSolver.Iterative && Unsupported(options) is { } why)
            throw new GlmmInputException($"--solver iterative {why}");
    }

    /// <summary>Why the iterative solver cannot fit with these options (null when it can).</summary>
    private static string? Unsupported(GlmmOptions options)
    {
        var family = options.Family;
        if (family is Families.Gaussian { IsLinearMixedModel: true })
            return "is not available for the linear mixed model (gaussian, identity link): use --solver cholesky";
        if (options.NAgq != 1)
            return $"is the Laplace approximation only (--nagq 1), not --nagq {options.NAgq}";
        if (options.Reml is not null) return "does not support --reml (maximum likelihood by Laplace only)";
        if (options.FixedEffectsPrior is not null) return "does not support --fixef-prior";
        if (family.HasDispersion) return $"does not support the {family.Name} family (its dispersion parameter): use binomial or poisson with their canonical links";
        if (!family.IsCanonical) return $"needs the canonical link of the {family.Name} family (its gradient is for canonical links), not {family.Link.Name}";
        return null;
    }

    /// <summary>Why the model itself does not suit the iterative solver (null when it does).</summary>
    private static string? UnsupportedModel(EngineLayout layout)
    {
        for (int k = 0; k < layout.K; k++)
            if (layout.Q[k] > IterativePenalizedSystem.MaxTermSize)
                return string.Create(CultureInfo.InvariantCulture, $"supports at most {IterativePenalizedSystem.MaxTermSize} random effects per term, not {layout.Q[k]}");
        return null;
    }

    /// <summary>The solver for this model and options, and the reason reported with it.</summary>
    public static (LinearSolver Solver, string Reason) Choose(EngineLayout layout, GlmmOptions options)
    {
        switch (options.Solver)
        {
            case LinearSolver.Cholesky: return (LinearSolver.Cholesky, "asked for");
            case LinearSolver.Iterative:
                if (UnsupportedModel(layout) is { } why) throw new GlmmInputException($"--solver iterative {why}");
                return (LinearSolver.Iterative, "asked for");
        }
        long m = layout.DenseRandom;
        double bytes = 8.0 * m * m, flops = m * (double)m * m / 3.0;
        long perRow = 0;
        for (int k = 0; k < layout.K; k++) perRow += layout.Q[k];
        double nonZeros = Math.Max(1.0, (double)layout.N * perRow), ratio = flops / nonZeros;
        string cost = string.Create(CultureInfo.InvariantCulture,
            $"the exact factor's dense block is {m} x {m} ({bytes / 1e6:0.#} MB, {flops:0.##e0} multiply-adds per factorisation, {ratio:0.#} per non-zero of Z)");
        if (Unsupported(options) is not null || UnsupportedModel(layout) is not null) return (LinearSolver.Cholesky, $"auto: {cost}; the iterative solver does not support this model or these options");
        if (ratio >= AutoCostRatio || bytes > AutoMemoryLimit)
            return (LinearSolver.Iterative, string.Create(CultureInfo.InvariantCulture, $"auto: {cost}, at least {AutoCostRatio}"));
        return (LinearSolver.Cholesky, string.Create(CultureInfo.InvariantCulture, $"auto: {cost}, below {AutoCostRatio}"));
    }
}
