using System.Globalization;
using System.Text;
using Glmm.Families;
using Glmm.Fitting;
using Glmm.Model;

namespace Glmm.Tests.Fitting;

/// <summary>
/// The Laplace criterion asked again at its last point, from the modes that evaluation left, returns that evaluation's
/// value and gradient without solving again; from other modes, or at another point, it solves.
/// </summary>
public class LaplaceCriterionCacheTests
{
    private static DataTable Clustered(int clusters, int size, int seed)
    {
        var rng = new Random(seed);
        var sb = new StringBuilder("y,x,g\n");
        for (int c = 0; c < clusters; c++)
        {
            double b = 0.8 * (rng.NextDouble() - 0.5) * 3.4;
            for (int i = 0; i < size; i++)
            {
                double x = rng.NextDouble() - 0.5, eta = -0.2 + 0.9 * x + b;
                sb.Append(CultureInfo.InvariantCulture, $"{(rng.NextDouble() < 1 / (1 + Math.Exp(-eta)) ? 1 : 0)},{x:R},g{c}\n");
            }
        }
        return CsvTableReader.Read(new StringReader(sb.ToString()), "clustered.csv");
    }

    [Fact]
    public void TheLastPointIsNotSolvedAgain()
    {
        var data = new EngineLayout(ModelBuilder.Build("y ~ x + (1 | g)", Clustered(40, 12, 3)), Family.Create("binomial"));
        var laplace = new LaplaceCriterion(data, threads: 1, observedInformation: true, withGradient: true);
        var x = new[] { 0.7, -0.2, 0.9 };
        var g1 = new double[3];
        double f1 = laplace.Evaluate(x, g1);
        int sweeps = laplace.Sweeps, evaluations = laplace.Evaluations;
        var modes = laplace.SaveModes();

        // The same point from the same modes (restored as the convergence check restores them): nothing is solved.
        laplace.RestoreModes(modes);
        var g2 = new double[3];
        Assert.Equal(f1, laplace.Evaluate(x));
        Assert.Equal(f1, laplace.Evaluate(x, g2));
        Assert.Equal(g1, g2);
        Assert.Equal(sweeps, laplace.Sweeps);
        Assert.Equal(evaluations, laplace.Evaluations);

        // Other modes: PIRLS runs again (from them) and finds the same mode.
        laplace.RestoreModes(new double[modes.Length]);
        double f3 = laplace.Evaluate(x, g2);
        Assert.True(laplace.Sweeps > sweeps);
        Assert.Equal(f1, f3, 9);
        for (int j = 0; j < 3; j++) Assert.Equal(g1[j], g2[j], 6);

        // A value-only evaluation elsewhere, then its gradient at the same point: the gradient is computed at that point.
        var y = new[] { 0.5, -0.1, 1.0 };
        double fy = laplace.Evaluate(y);
        sweeps = laplace.Sweeps;
        var gy = new double[3];
        Assert.Equal(fy, laplace.Evaluate(y, gy));
        Assert.Equal(sweeps, laplace.Sweeps);
        var fresh = new LaplaceCriterion(data, threads: 1, observedInformation: true, withGradient: true);
        var gFresh = new double[3];
        Assert.Equal(fy, fresh.Evaluate(y, gFresh), 9);
        for (int j = 0; j < 3; j++) Assert.Equal(gFresh[j], gy[j], 6);
    }

    [Fact]
    public void ANewDispersionIsANewPoint()
    {
        var rng = new Random(5);
        var sb = new StringBuilder("y,x,g\n");
        for (int i = 0; i < 300; i++)
        {
            double x = rng.NextDouble() - 0.5;
            sb.Append(CultureInfo.InvariantCulture, $"{rng.Next(0, 6) + (x > 0 ? 2 : 0)},{x:R},g{i % 25}\n");
        }
        var family = Family.Create("nbinom2");
        var data = new EngineLayout(ModelBuilder.Build("y ~ x + (1 | g)", CsvTableReader.Read(new StringReader(sb.ToString()), "nb.csv")), family);
        var laplace = new LaplaceCriterion(data, threads: 1, observedInformation: true, withGradient: true);
        var criterion = new DispersionCriterion(laplace);
        double f1 = criterion.Evaluate([0.5, 1.2, 0.3, 0.0]);
        laplace.RestoreModes(laplace.SaveModes()); // the same (θ, β) from the same modes, a new dispersion
        double f2 = criterion.Evaluate([0.5, 1.2, 0.3, 0.7]);
        Assert.NotEqual(f1, f2);
        var fresh = new DispersionCriterion(new LaplaceCriterion(data, threads: 1, observedInformation: true, withGradient: true));
        Assert.Equal(fresh.Evaluate([0.5, 1.2, 0.3, 0.7]), f2, 9);
    }
}
