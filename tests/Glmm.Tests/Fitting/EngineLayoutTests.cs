using Glmm.Families;
using Glmm.Fitting;
using Glmm.Model;

namespace Glmm.Tests.Fitting;

public class EngineLayoutTests
{
    private static EngineLayout Layout(string file, string formula)
    {
        var table = CsvTableReader.Read(Path.Combine(AppContext.BaseDirectory, "fixtures", "data", file));
        return new EngineLayout(ModelBuilder.Build(formula, table), Family.Create("binomial"));
    }

    /// <summary>Every cell's rows lie in one cluster of the first factor and share every other term's level; cells are maximal.</summary>
    private static void CheckCells(EngineLayout d)
    {
        int cells = d.CellStart.Length - 1;
        Assert.Equal(d.N, d.CellStart[cells]);
        Assert.Equal(cells, d.LevelCellStart[d.Levels[0]]);
        var seen = new HashSet<(int, string)>();
        for (int l = 0; l < d.Levels[0]; l++)
        {
            Assert.Equal(d.ClusterStart[l], d.CellStart[d.LevelCellStart[l]]);
            for (int c = d.LevelCellStart[l]; c < d.LevelCellStart[l + 1]; c++)
            {
                int from = d.CellStart[c], to = d.CellStart[c + 1];
                Assert.True(to > from);
                string Key(int i) => string.Join(",", Enumerable.Range(d.BlockTerms, d.K - d.BlockTerms).Select(k => d.Codes(k)[i]));
                string key = Key(from);
                for (int i = from; i < to; i++) Assert.Equal(key, Key(i));
                Assert.True(seen.Add((l, key)), "a cluster's rows with the same other levels must form one cell");
                // The cell's dense indices are its rows' effects of the other terms.
                for (int k = d.BlockTerms, e = 0; k < d.K; k++)
                    for (int j = 0; j < d.Q[k]; j++, e++)
                        Assert.Equal(d.DenseOffset[k] + d.Codes(k)[from] * d.Q[k] + j, d.CellDense[c * d.QRest + e]);
            }
        }
        // The packed covariates repeat the layout's z and x.
        for (int i = 0; i < d.N; i += 17)
        {
            var v = d.Covariates.Slice(i * d.CovariateWidth, d.CovariateWidth);
            for (int j = 0; j < d.QBlock; j++) Assert.Equal(d.ZBlock[i * d.QBlock + j], v[j]);
            for (int j = 0; j < d.P; j++) Assert.Equal(d.X[i * d.P + j], v[d.QBlock + d.QRest + j]);
        }
    }

    [Fact]
    public void NestedFactorsGiveOneCellPerCluster()
    {
        var d = Layout("nested2.csv", "y ~ x + (1 | school/class)");
        CheckCells(d);
        Assert.Equal(d.Levels[0], d.CellStart.Length - 1);
    }

    [Fact]
    public void PartiallyCrossedFactorsGiveOneCellPerPair()
    {
        var d = Layout("hospital_doctor.csv", "y ~ x + (1 | hospital) + (1 | hospital:ward) + (1 | doctor)");
        CheckCells(d);
        Assert.True(d.CellStart.Length - 1 > d.Levels[0]);
    }

    [Fact]
    public void CrossedSlopesHaveCellsToo()
    {
        var d = Layout("crossed_slopes.csv", "y ~ x + (1 + x | a) + (1 + x | b)");
        CheckCells(d);
    }

    [Fact]
    public void ASingleFactorNeedsNoCells()
    {
        var d = Layout("nested2.csv", "y ~ x + (1 | school)");
        Assert.True(d.IsBlockDiagonal);
        Assert.Equal(0, d.CovariateWidth);
        Assert.True(d.Covariates.IsEmpty);
    }
}
