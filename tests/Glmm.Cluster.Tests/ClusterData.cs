using Glmm.Data;

namespace Glmm.Cluster.Tests;

/// <summary>A simulated binomial (1 + x | g) data set with a factor covariate, and its parts on disk.</summary>
internal static class ClusterData
{
    public const string Formula = "y ~ x + f + (1 + x | g)";

    /// <summary>
    /// <paramref name="clusters"/> clusters of <paramref name="rows"/> rows; f has levels a, b and c, but c never occurs in
    /// the last fifth of the clusters (so the last parts lack a level the encoding must still give them).
    /// </summary>
    public static DataTable Table(int clusters, int rows, int seed = 11)
    {
        var rng = new Random(seed);
        int n = clusters * rows;
        var y = new double[n];
        var x = new double[n];
        var g = new string?[n];
        var f = new string?[n];
        for (int c = 0; c < clusters; c++)
        {
            double b0 = Normal(rng), b1 = 0.5 * Normal(rng);
            for (int r = 0; r < rows; r++)
            {
                int i = c * rows + r;
                x[i] = Normal(rng);
                int level = c >= clusters * 4 / 5 ? rng.Next(2) : rng.Next(3);
                f[i] = ((char)('a' + level)).ToString();
                g[i] = "g" + c.ToString("D4", System.Globalization.CultureInfo.InvariantCulture);
                double eta = -0.4 + 0.8 * x[i] + (level == 1 ? 0.3 : level == 2 ? -0.5 : 0) + b0 + b1 * x[i];
                y[i] = rng.NextDouble() < 1 / (1 + Math.Exp(-eta)) ? 1 : 0;
            }
        }
        return new DataTable(new Column[]
        {
            new NumericColumn("y", y), new NumericColumn("x", x), CategoricalColumn.FromStrings("f", f), CategoricalColumn.FromStrings("g", g),
        });
    }

    /// <summary>Writes <paramref name="table"/> in <paramref name="parts"/> parts to a new directory.</summary>
    public static string WriteParts(DataTable table, int parts, string extension = ".parquet")
    {
        var dir = Path.Combine(Path.GetTempPath(), "glmm-parts-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var p = DataPartitioner.Assign(Formula, table, parts);
        for (int k = 0; k < parts; k++)
            DataPartitioner.WritePart(table, p, k, Path.Combine(dir, "part-" + k.ToString("D5", System.Globalization.CultureInfo.InvariantCulture) + extension));
        return dir;
    }

    private static double Normal(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
