using Glmm.Families;

namespace Glmm.Tests.Families;

public class NormalDistributionTests
{
    [Fact]
    public void CdfAndDensityMatchRIncludingTheLowerTail()
    {
        var csv = FixtureCsv.Read("glm", "normal_cdf.csv");
        Assert.True(csv.Rows.Count > 500);
        foreach (var row in csv.Rows)
        {
            double x = csv.Number(row, "x");
            Close.Relative(csv.Number(row, "pnorm"), NormalDistribution.Cdf(x), 1e-14, $"pnorm({x:R})");
            Close.Relative(csv.Number(row, "dnorm"), NormalDistribution.Density(x), 1e-13, $"dnorm({x:R})");
        }
    }

    [Fact]
    public void QuantileMatchesR()
    {
        var csv = FixtureCsv.Read("glm", "normal_quantile.csv");
        foreach (var row in csv.Rows)
        {
            double p = csv.Number(row, "p");
            Close.Relative(csv.Number(row, "qnorm"), NormalDistribution.Quantile(p), 1e-13, $"qnorm({p:R})");
        }
    }
}
