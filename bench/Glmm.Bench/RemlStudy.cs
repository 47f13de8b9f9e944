using System.Globalization;
using System.Text;

namespace Glmm.Bench;

/// <summary>
/// Simulation study of the REML variants (issue 5): binary responses in small clusters, random intercept and
/// slope with known covariance; bias and RMSE of each variance component for ML (Laplace and AGQ) and each REML
/// variant. Seeded per replicate (so the numbers do not depend on the number of threads) and parallel.
/// </summary>
internal static class RemlStudy
{
    private const double Sd0 = 1.0, Sd1 = 0.5, Rho = 0.3;
    private static readonly (string Name, GlmmOptions Options)[] Methods =
    [
        ("ML Laplace", new GlmmOptions { Threads = 1 }),
        ("ML AGQ (K = 5)", new GlmmOptions { NAgq = 5, Threads = 1 }),
        ("REML laplace", new GlmmOptions { Reml = RemlVariant.Laplace, Threads = 1 }),
        ("REML profile", new GlmmOptions { Reml = RemlVariant.Profile, Threads = 1 }),
        ("REML pql", new GlmmOptions { Reml = RemlVariant.Pql, Threads = 1 }),
    ];

    private static DataTable Simulate(int clusters, int size, ulong seed)
    {
        var rng = new SplitMix(seed);
        int n = clusters * size;
        var y = new double[n]; var x = new double[n]; var g = new string[n];
        for (int c = 0, i = 0; c < clusters; c++)
        {
            double e0 = rng.Normal(), e1 = rng.Normal();
            double b0 = Sd0 * e0, b1 = Sd1 * (Rho * e0 + Math.Sqrt(1 - Rho * Rho) * e1);
            for (int j = 0; j < size; j++, i++)
            {
                x[i] = rng.Normal();
                double eta = -0.5 + 1.0 * x[i] + b0 + b1 * x[i];
                y[i] = rng.Uniform() < 1 / (1 + Math.Exp(-eta)) ? 1 : 0;
                g[i] = "c" + c.ToString(CultureInfo.InvariantCulture);
            }
        }
        return DataTable.FromColumns(("y", y), ("x", x), ("g", g));
    }

    public static void Run(string output, int replicates, ulong seed)
    {
        var settings = new[] { (Clusters: 50, Size: 5), (Clusters: 100, Size: 10) };
        var truth = new[] { Sd0 * Sd0, Sd1 * Sd1, Rho * Sd0 * Sd1 };
        var names = new[] { "var(intercept)", "var(slope)", "cov(intercept, slope)" };
        var sb = new StringBuilder();
        sb.AppendLine("# REML variants for GLMMs: a simulation study");
        sb.AppendLine();
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"Binary y, logit link, `y ~ x + (1 + x | g)` with β = (−0.5, 1), x ~ N(0, 1), random intercept SD {Sd0}, slope SD {Sd1}, correlation {Rho} (true variances {truth[0]}, {truth[1]}, covariance {truth[2]}). {replicates} replicates per setting, seed {seed} (replicate r uses seed + r). Made by `dotnet run --project bench/Glmm.Bench -c Release -- reml-study docs/reml-simulation.md {replicates}`."));
        sb.AppendLine();
        sb.AppendLine("Fits that failed (an error) are left out and counted; singular fits are kept (their variance estimates are 0 or on the boundary).");
        foreach (var (clusters, size) in settings)
        {
            var estimates = new double[Methods.Length][][];
            for (int m = 0; m < Methods.Length; m++) estimates[m] = new double[replicates][];
            var clock = System.Diagnostics.Stopwatch.StartNew();
            int done = 0;
            Parallel.For(0, replicates, r =>
            {
                var data = Simulate(clusters, size, seed + (ulong)r);
                for (int m = 0; m < Methods.Length; m++)
                {
                    try
                    {
                        var fit = GlmmModel.Fit("y ~ x + (1 + x | g)", data, Methods[m].Options);
                        var re = fit.RandomEffects[0];
                        estimates[m][r] = [re.StdDev[0] * re.StdDev[0], re.StdDev[1] * re.StdDev[1], re.Correlation[1, 0] * re.StdDev[0] * re.StdDev[1]];
                        if (estimates[m][r].Any(double.IsNaN)) estimates[m][r][2] = 0; // a zero SD: covariance 0
                    }
                    catch (GlmmInputException)
                    {
                        estimates[m][r] = null!;
                    }
                }
                int d = Interlocked.Increment(ref done);
                if (d % 20 == 0) Console.Error.Write($"\r{clusters}x{size}: {d}/{replicates} replicates");
            });
            Console.Error.WriteLine();
            sb.AppendLine();
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"## {clusters} clusters × {size} observations ({clock.Elapsed.TotalSeconds:F0} s on this machine)"));
            sb.AppendLine();
            sb.AppendLine("| method | fits | " + string.Join(" | ", names.Select(n => $"bias {n}")) + " | " + string.Join(" | ", names.Select(n => $"RMSE {n}")) + " |");
            sb.AppendLine("|---|---|" + string.Concat(Enumerable.Repeat("---|", 2 * names.Length)));
            for (int m = 0; m < Methods.Length; m++)
            {
                var ok = estimates[m].Where(e => e is not null).ToArray();
                var bias = new double[3];
                var rmse = new double[3];
                for (int k = 0; k < 3; k++)
                {
                    bias[k] = ok.Average(e => e[k] - truth[k]);
                    rmse[k] = Math.Sqrt(ok.Average(e => (e[k] - truth[k]) * (e[k] - truth[k])));
                }
                sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {Methods[m].Name} | {ok.Length}/{replicates} | {string.Join(" | ", bias.Select(b => b.ToString("+0.000;-0.000", CultureInfo.InvariantCulture)))} | {string.Join(" | ", rmse.Select(b => b.ToString("0.000", CultureInfo.InvariantCulture)))} |"));
            }
        }
        File.WriteAllText(output, sb.ToString());
        Console.Write(sb.ToString());
    }

    private sealed class SplitMix(ulong seed)
    {
        private ulong _state = seed * 0x9E3779B97F4A7C15UL + 1;

        private ulong Next()
        {
            ulong z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        public double Uniform() => ((Next() >> 11) + 0.5) * (1.0 / (1UL << 53));

        public double Normal() => Math.Sqrt(-2.0 * Math.Log(Uniform())) * Math.Cos(2 * Math.PI * Uniform());
    }
}
