using System.Globalization;
using System.Text;
using Glmm.Families;
using Glmm.Fitting;
using Glmm.Model;
using Xunit.Abstractions;

namespace Glmm.Tests.Fitting;

/// <summary>
/// PIRLS with an expensive factor (a dense block of a crossed design) reuses each factorisation for chord steps; it must
/// reach the same modes and Laplace deviance as plain Newton steps, with fewer factorisations, for every design shape
/// that takes it (β inside and outside, intercepts and slopes, a start far from the mode).
/// </summary>
public class ChordStepTests(ITestOutputHelper output)
{
    /// <summary>A crossed binary design whose second factor leaves a dense block of <paramref name="bLevels"/> after elimination.</summary>
    private static DataTable Crossed(int rows, int aLevels, int bLevels, int seed)
    {
        var rng = new Random(seed);
        var ua = Enumerable.Range(0, aLevels).Select(_ => 0.8 * Normal(rng)).ToArray();
        var ub = Enumerable.Range(0, bLevels).Select(_ => 0.5 * Normal(rng)).ToArray();
        var sb = new StringBuilder("y,x,a,b\n");
        for (int i = 0; i < rows; i++)
        {
            int a = rng.Next(aLevels), b = rng.Next(bLevels);
            double x = Normal(rng), eta = -0.3 + 0.6 * x + ua[a] + ub[b] * (1 + 0.3 * x);
            int y = rng.NextDouble() < 1 / (1 + Math.Exp(-eta)) ? 1 : 0;
            sb.Append(CultureInfo.InvariantCulture, $"{y},{x:R},a{a},b{b}\n");
        }
        return CsvTableReader.Read(new StringReader(sb.ToString()), "crossed.csv");
    }

    private static double Normal(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    [Theory]
    [InlineData("y ~ x + (1 | a) + (1 | b)", false)]
    [InlineData("y ~ x + (1 | a) + (1 | b)", true)]
    [InlineData("y ~ x + (1 | a) + (1 + x | b)", false)]
    public void ChordStepsReachTheNewtonModes(string formula, bool withFixed)
    {
        var data = new EngineLayout(ModelBuilder.Build(formula, Crossed(20_000, 2_000, 450, 7)), Family.Create("binomial"));
        var newton = new Pirls(data, withFixed, 1, reuseFactor: false);
        var chord = new Pirls(data, withFixed, 1);
        Assert.True(chord.System.FactorIsExpensive, $"flops {chord.Factor.FactorFlops:G3} for {data.N} rows");
        var beta = new[] { -0.3, 0.6 };
        // A path as an optimiser takes it: a cold start, long moves, then small ones (finite differences).
        int nTheta = data.Random.ThetaLength;
        var path = new List<double[]>();
        foreach (double s in new[] { 1.0, 0.6, 0.9, 0.8, 0.8001, 0.79995 })
            path.Add(Enumerable.Range(0, nTheta).Select(j => data.Random.IsDiagonal(j) ? s * (j == 0 ? 1 : 0.7) : 0.1 * s).ToArray());
        foreach (var theta in path)
        {
            double dn = withFixed ? newton.Solve(theta) : newton.Solve(theta, beta);
            double dc = withFixed ? chord.Solve(theta) : chord.Solve(theta, beta);
            output.WriteLine($"θ {string.Join(" ", theta.Select(t => t.ToString("G5", CultureInfo.InvariantCulture)))}: {dn:R} vs {dc:R} ({dc - dn:G3}); sweeps {newton.Sweeps} vs {chord.Sweeps}, chord passes {chord.System.GradientPasses}");
            Assert.True(newton.Converged && chord.Converged);
            Assert.True(Math.Abs(dc - dn) <= 1e-9 * Math.Abs(dn), $"Laplace deviance {dc:R} vs {dn:R}");
            for (int j = 0; j < data.TotalRandom; j++) Assert.True(Math.Abs(chord.U[j] - newton.U[j]) <= 1e-7, $"u[{j}] {chord.U[j]:R} vs {newton.U[j]:R}");
            for (int j = 0; j < beta.Length; j++) Assert.True(Math.Abs(chord.Beta[j] - newton.Beta[j]) <= 1e-8, $"β[{j}]");
        }
        Assert.True(chord.System.GradientPasses > 0);
        Assert.True(chord.Sweeps < newton.Sweeps, $"{chord.Sweeps} factorisations vs {newton.Sweeps}");
    }

    [Fact]
    public void SmallDesignsKeepNewtonSteps()
    {
        var data = new EngineLayout(ModelBuilder.Build("y ~ x + (1 | a) + (1 | b)", Crossed(5_000, 200, 40, 3)), Family.Create("binomial"));
        var pirls = new Pirls(data, withFixed: false, 1);
        Assert.False(pirls.System.FactorIsExpensive);
        pirls.Solve([0.8, 0.5], [-0.3, 0.6]);
        pirls.Solve([0.7, 0.5], [-0.3, 0.6]);
        Assert.Equal(0, pirls.System.GradientPasses);
    }
}
