using Glmm.Inference;

namespace Glmm.Plots;

/// <summary>
/// Interim glue for <c>glmm plot residuals</c> and <c>glmm plot quadrature</c>: the simplest correct computation of their
/// data from public library calls, to be replaced by the library's residual checks (DHARMa's tests) and quadrature
/// adequacy check when those land. Nothing else depends on it.
/// </summary>
public static class InterimDiagnostics
{
    /// <summary>
    /// Randomized PIT residuals as DHARMa's: <paramref name="nsim"/> responses simulated per row from the fitted model (new
    /// random effects), r = (#{s &lt; y} + U·#{s = y}) / nsim with U uniform (continuous responses have no ties). Seeded: the
    /// simulations are <see cref="Simulation.Simulate"/>'s for the seed, U from the stream (seed, nsim).
    /// </summary>
    public static double[] QuantileResiduals(GlmmFit fit, int nsim, long seed)
    {
        ArgumentNullException.ThrowIfNull(fit);
        if (nsim < 2) throw new GlmmInputException($"the number of simulations must be at least 2, not {nsim}");
        var sims = Simulation.Simulate(fit, nsim, seed);
        var observed = fit.Model.Y;
        int n = fit.Nobs;
        var rng = new SeededRandom(seed, nsim);
        var r = new double[n];
        for (int i = 0; i < n; i++)
        {
            double y = observed[i];
            double tol = 1e-9 * Math.Max(1.0, Math.Abs(y));
            int below = 0, equal = 0;
            for (int s = 0; s < nsim; s++)
            {
                double v = sims[s][i];
                if (v < y - tol) below++;
                else if (v <= y + tol) equal++;
            }
            r[i] = (below + rng.NextDouble() * equal) / nsim;
        }
        return r;
    }

    /// <summary>The Kolmogorov–Smirnov test of the residuals against U(0, 1): (D, asymptotic p with Stephens' correction).</summary>
    public static (string Name, double Statistic, double P) Uniformity(ReadOnlySpan<double> residuals)
    {
        var x = residuals.ToArray();
        Array.Sort(x);
        int n = x.Length;
        double d = 0;
        for (int i = 0; i < n; i++) d = Math.Max(d, Math.Max((i + 1.0) / n - x[i], x[i] - (double)i / n));
        double sn = Math.Sqrt(n);
        double lambda = (sn + 0.12 + 0.11 / sn) * d;
        double p = 0;
        for (int j = 1; j <= 100; j++)
        {
            double term = 2 * Math.Pow(-1, j - 1) * Math.Exp(-2 * j * j * lambda * lambda);
            p += term;
            if (Math.Abs(term) < 1e-12) break;
        }
        return ("uniformity (KS)", d, Math.Clamp(lambda < 0.3 ? 1.0 : p, 0, 1));
    }

    /// <summary>
    /// Refits with K = 1, 3, 5, … points per random effect until the log-likelihood changes by less than
    /// <paramref name="tolerance"/> from one K to the next, or K passes <paramref name="maxNagq"/> (one grouping factor only, as AGQ).
    /// </summary>
    public static IReadOnlyList<QuadratureRow> QuadratureRows(string formula, DataTable data, GlmmOptions options, int maxNagq = 15, double tolerance = 1e-3)
    {
        ArgumentNullException.ThrowIfNull(options);
        var rows = new List<QuadratureRow>();
        for (int k = 1; k <= maxNagq; k += 2)
        {
            var fit = GlmmModel.Fit(formula, data, options with { NAgq = k });
            rows.Add(new QuadratureRow(k, fit.LogLik));
            if (rows.Count >= 3 && Math.Abs(rows[^1].LogLik - rows[^2].LogLik) < tolerance) break;
        }
        return rows;
    }
}
