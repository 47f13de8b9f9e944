using Glmm.Results;

namespace Glmm.Tests.Fitting;

/// <summary>Results must not depend on the number of threads (issue 7): the work is split in fixed chunks.</summary>
public class DeterminismTests
{
    private static DataTable Simulated(int clusters, int size)
    {
        var rng = new Random(5);
        int n = clusters * size;
        var y = new double[n]; var x = new double[n]; var g = new string[n];
        for (int c = 0, i = 0; c < clusters; c++)
        {
            double b0 = rng.NextDouble() * 2 - 1, b1 = rng.NextDouble() - 0.5;
            for (int j = 0; j < size; j++, i++)
            {
                x[i] = rng.NextDouble() * 2 - 1;
                y[i] = rng.NextDouble() < 1 / (1 + Math.Exp(-(x[i] + b0 + b1 * x[i]))) ? 1 : 0;
                g[i] = "g" + c;
            }
        }
        var h = new string[n];
        for (int i = 0; i < n; i++) h[i] = "h" + (i * 7 % 31);
        return DataTable.FromColumns(("y", y), ("x", x), ("g", g), ("h", h));
    }

    [Theory]
    [InlineData("y ~ x + (1 + x | g)", 1)]
    [InlineData("y ~ x + (1 + x | g)", 7)]
    [InlineData("y ~ x + (1 | g) + (1 | h)", 1)] // crossed: per-chunk dense buffers reduced in chunk order
    public void OneAndTwoThreadsGiveIdenticalFits(string formula, int nagq)
    {
        // 24,000 rows: several chunks, so the parallel paths are taken.
        var data = Simulated(600, 40);
        string Fit(int threads)
        {
            var fit = GlmmModel.Fit(formula, data, new GlmmOptions { Threads = threads, NAgq = nagq });
            return JsonWriter.Write(fit, includeRanef: true).Split('\n').Where(l => !l.Contains("\"seconds\"")).Aggregate((a, b) => a + "\n" + b);
        }
        Assert.Equal(Fit(1), Fit(2));
    }
}
