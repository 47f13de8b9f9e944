using Glmm.Data;

namespace Glmm.Cluster.Tests;

public class PartitionerTests
{
    [Fact]
    public void EveryRowInOnePart_WholeClusters_Deterministic()
    {
        var table = ClusterData.Table(40, 7);
        var a = DataPartitioner.Assign(ClusterData.Formula, table, 5);
        var b = DataPartitioner.Assign(ClusterData.Formula, table, 5);
        Assert.Equal(a.PartOfRow, b.PartOfRow);
        Assert.Equal(table.RowCount, a.Rows.Sum());
        Assert.Equal(40, a.Clusters.Sum());
        Assert.All(a.Clusters, c => Assert.True(c >= 2));
        var g = (CategoricalColumn)table["g"];
        var partOfCluster = new Dictionary<int, int>();
        for (int i = 0; i < table.RowCount; i++)
        {
            if (partOfCluster.TryGetValue(g.Codes[i], out int p)) Assert.Equal(p, a.PartOfRow[i]);
            else partOfCluster[g.Codes[i]] = a.PartOfRow[i];
        }
        // Runs of the levels in order: the parts never go back.
        for (int k = 1; k < 40; k++) Assert.True(partOfCluster[k] >= partOfCluster[k - 1]);
    }

    [Fact]
    public void NestedTermsSplitOnTheTopFactor() =>
        Assert.Equal("a", DataPartitioner.TopFactor("y ~ x + (1 | a/b)"));

    [Fact]
    public void CrossedFactorsAreRefusedWithTheReason()
    {
        var e = Assert.Throws<GlmmInputException>(() => DataPartitioner.TopFactor("y ~ x + (1 | a) + (1 | b)"));
        Assert.Contains("crossed", e.Message);
        Assert.Contains("couple the partitions", e.Message);
    }

    [Fact]
    public void TooManyPartsAreRefused()
    {
        var table = ClusterData.Table(6, 5);
        var e = Assert.Throws<GlmmInputException>(() => DataPartitioner.Assign(ClusterData.Formula, table, 4));
        Assert.Contains("at least two whole clusters", e.Message);
    }

    [Fact]
    public void PartsReadBackAsTheRowsOfTheTable()
    {
        var table = ClusterData.Table(20, 6);
        foreach (var ext in new[] { ".parquet", ".csv" })
        {
            var dir = ClusterData.WriteParts(table, 3, ext);
            try
            {
                var files = ClusterFitter.PartFiles(dir);
                Assert.Equal(3, files.Length);
                var parts = files.Select(f => TableReader.Read(f)).ToArray();
                Assert.Equal(table.RowCount, parts.Sum(t => t.RowCount));
                var y = parts.SelectMany(t => ((NumericColumn)t["y"]).Values).ToArray();
                var x = parts.SelectMany(t => ((NumericColumn)t["x"]).Values).ToArray();
                // Clusters are contiguous in the generated table and the parts keep their order.
                Assert.Equal(((NumericColumn)table["x"]).Values, x);
                Assert.Equal(((NumericColumn)table["y"]).Values, y);
            }
            finally
            {
                Directory.Delete(dir, true);
            }
        }
    }
}
