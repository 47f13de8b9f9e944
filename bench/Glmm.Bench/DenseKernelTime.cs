using System.Diagnostics;
using System.Globalization;
using Glmm.LinearAlgebra;

namespace Glmm.Bench;

/// <summary>
/// The dense kernels' floor: the median CPU time of <see cref="LargeDenseCholesky.Factor"/> and
/// <see cref="LargeDenseCholesky.Inverse"/> of a random n × n SPD matrix (fixed seed), serially and with every core, and
/// the multiply-adds per second that gives (n³/6 each) — the distance of the dense Schur block's work to the machine's peak.
/// </summary>
internal static class DenseKernelTime
{
    public static void Run(int n, int repetitions)
    {
        var rng = new Random(20261202);
        var a = new double[n * n];
        var g = new double[n * n];
        for (int k = 0; k < g.Length; k++) g[k] = rng.NextDouble() - 0.5;
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++)
            {
                double s = i == j ? n : 0;
                for (int k = 0; k < n; k++) s += g[i * n + k] * g[j * n + k];
                a[i * n + j] = a[j * n + i] = s;
            }
        var work = new double[n * n];
        var panel = new double[LargeDenseCholesky.FactorScratchLength(n)];
        var inverse = new double[n * n];
        var x = new double[LargeDenseCholesky.InverseScratchLength(n)];
        double flops = (double)n * n * n / 6;
        foreach (var parallel in new ParallelOptions?[] { null, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount } })
        {
            var factor = new double[repetitions];
            var inv = new double[repetitions];
            for (int r = -2; r < repetitions; r++)
            {
                a.CopyTo(work, 0);
                // CPU time of the process (on a shared machine the wall clock also counts other processes' turns).
                var process = Process.GetCurrentProcess();
                var t0 = process.TotalProcessorTime;
                if (!LargeDenseCholesky.Factor(work, n, panel, parallel)) throw new InvalidOperationException("not positive definite");
                process.Refresh();
                var t1 = process.TotalProcessorTime;
                LargeDenseCholesky.Inverse(work, n, inverse, x, parallel);
                process.Refresh();
                double f = (t1 - t0).TotalMilliseconds, v = (process.TotalProcessorTime - t1).TotalMilliseconds;
                if (r < 0) continue;
                factor[r] = f;
                inv[r] = v;
            }
            Array.Sort(factor);
            Array.Sort(inv);
            double fm = factor[repetitions / 2], im = inv[repetitions / 2];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"n={n} threads={(parallel is null ? 1 : Environment.ProcessorCount)} factorMs={fm:F2} ({flops / fm / 1e6:F2} GMAD/s) inverseMs={im:F2} ({2 * flops / im / 1e6:F2} GMAD/s)"));
        }
    }
}
