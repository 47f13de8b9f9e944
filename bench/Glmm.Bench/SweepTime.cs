using System.Diagnostics;
using System.Globalization;
using Glmm.Fitting;

namespace Glmm.Bench;

/// <summary>
/// The floor of a fit: the time of one PIRLS sweep over the data (μ, weights, the factor) at the estimates, measured as
/// the median of repeated solves started at the converged modes (each is exactly one sweep). bench/run multiplies it by
/// the number of evaluations.
/// </summary>
internal static class SweepTime
{
    public static void Run(string dataPath, string formula, string family, string? link, int repetitions)
    {
        var table = CsvTableReader.Read(dataPath);
        var fit = GlmmModel.Fit(formula, table, new GlmmOptions { Family = Glmm.Families.Family.Create(family, link) });
        var data = new EngineLayout(fit.Model, fit.Family);
        var pirls = new Pirls(data, withFixed: false);
        var theta = fit.Theta.ToArray();
        var beta = fit.Beta.ToArray();
        pirls.Solve(theta, beta);
        var mode = (double[])pirls.U.Clone();
        var times = new double[repetitions];
        for (int r = -3; r < repetitions; r++)
        {
            pirls.SetModes(mode);
            int before = pirls.Sweeps;
            var clock = Stopwatch.StartNew();
            pirls.Solve(theta, beta);
            double ms = clock.Elapsed.TotalMilliseconds / Math.Max(1, pirls.Sweeps - before);
            if (r >= 0) times[r] = ms;
        }
        Array.Sort(times);
        var factor = pirls.Factor;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sweepMs={times[repetitions / 2]:F3} fill={factor.NonZeros} flops={factor.FactorFlops:E2} dense={factor.DenseSize} denseFactor={(factor.Sparsity.IsSparse ? "sparse" : "dense")}"));
    }
}
