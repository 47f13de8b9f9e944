using Glmm.Quadrature;
using Xunit.Abstractions;
using static Glmm.Tests.Quadrature.GridTestHelpers;

namespace Glmm.Tests.Quadrature;

public class SparseGridTests
{
    private readonly ITestOutputHelper _output;

    public SparseGridTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void SmallGridsMatchHandConstruction()
    {
        // q = 2, K = 2: −V1⊗V1 + V1⊗V2 + V2⊗V1 → (0,0) with weight −1 and (0,±1), (±1,0) with 1/2.
        var g = SparseGrid.Create(2, 2);
        Assert.Equal(5, g.Count);
        Assert.True(g.HasNegativeWeights);
        for (int k = 0; k < g.Count; k++)
        {
            var z = g.Node(k);
            if (z[0] == 0 && z[1] == 0) Assert.Equal(-1.0, g.Weights[k], 1e-15);
            else
            {
                Assert.Equal(1.0, Math.Abs(z[0]) + Math.Abs(z[1]), 1e-15);
                Assert.Equal(0.5, g.Weights[k], 1e-15);
            }
        }
        // q = 2, K = 3: 13 distinct nodes, origin weight 2/3 + 2/3 − 0 = 4/3 minus the (1,2),(2,1) terms (no origin there).
        var g3 = SparseGrid.Create(2, 3);
        Assert.Equal(13, g3.Count);
        for (int k = 0; k < g3.Count; k++)
            if (g3.Node(k)[0] == 0 && g3.Node(k)[1] == 0) Assert.Equal(4.0 / 3.0, g3.Weights[k], 1e-15);
        // q = 1: the 1-D rule itself.
        var g1 = SparseGrid.Create(1, 6);
        Assert.Equal(6, g1.Count);
        Assert.Equal(GaussHermite.Rule(6).Nodes[5], g1.Nodes.ToArray().Max());
    }

    [Theory]
    [InlineData(2, 1)]
    [InlineData(2, 4)]
    [InlineData(2, 8)]
    [InlineData(3, 3)]
    [InlineData(3, 5)]
    [InlineData(3, 7)]
    [InlineData(5, 2)]
    [InlineData(5, 4)]
    [InlineData(5, 5)]
    public void GaussHermiteSparseGridIsExactForTotalDegree2KMinus1(int q, int level)
    {
        var g = SparseGrid.Create(q, level);
        Assert.Equal(2 * level - 1, g.Precision);
        double worst = WorstMonomialError(g, TotalDegreeAtMost(q, 2 * level - 1));
        _output.WriteLine($"GH sparse q={q} K={level}: {g.Count} nodes (product {Math.Pow(level, q)}), worst monomial error {worst:E2}");
        Assert.True(worst < 1e-12, $"worst error {worst:E3}");
        // Degree 2K is not exact (z_1^{2K}).
        var alpha = new int[q];
        alpha[0] = 2 * level;
        Assert.True(Math.Abs(Monomial(g, alpha).Value - ExactMonomial(alpha)) > 0.5);
    }

    [Theory]
    [InlineData(2, 3)]
    [InlineData(2, 8)]
    [InlineData(3, 4)]
    [InlineData(3, 7)]
    [InlineData(5, 4)]
    [InlineData(5, 5)]
    public void GenzKeisterSparseGridIsExactForTotalDegree2KMinus1(int q, int level)
    {
        var g = SparseGrid.Create(q, level, SparseGridBase.GenzKeister);
        double worst = WorstMonomialError(g, TotalDegreeAtMost(q, 2 * level - 1));
        _output.WriteLine($"GK sparse q={q} K={level}: {g.Count} nodes, worst monomial error {worst:E2}");
        Assert.True(worst < 1e-12, $"worst error {worst:E3}");
    }

    [Fact]
    public void NodeCountsAgainstProductGrid()
    {
        // Sparse grids grow polynomially in q; the product grid as K^q.
        _output.WriteLine("q  K  product  sparseGH  sparseGK");
        foreach (var (q, k) in new[] { (2, 5), (2, 10), (3, 5), (3, 7), (3, 10), (4, 7), (5, 5), (5, 7), (6, 5) })
        {
            int gh = SparseGrid.Create(q, k).Count;
            int gk = SparseGrid.Create(q, k, SparseGridBase.GenzKeister).Count;
            _output.WriteLine($"{q}  {k}  {Math.Pow(k, q)}  {gh}  {gk}");
            // Non-nested Gauss-Hermite sparse grids only pay off for q ≥ 4 or so (q = 3, K = 7: 681 vs 343);
            // the nested Genz-Keister grid is always smaller than the Gauss-Hermite one.
            if (q >= 5) Assert.True(gh < Math.Pow(k, q) / 2);
            Assert.True(gk < gh);
        }
        // Nested grid, q = 3, level 3 (1-D levels 2 and 3 both use the 3-point rule {0, ±√3}): by hand,
        // the union of the three coordinate planes' 3×3 grids = 1 + 6 + 12 = 19 nodes, with
        // origin weight 2 + 4/3 − 4 + 1 = 1/3 and axis-node weight 1/6 + 2/9 − 1/3 = 1/18.
        var g19 = SparseGrid.Create(3, 3, SparseGridBase.GenzKeister);
        Assert.Equal(19, g19.Count);
        for (int i = 0; i < g19.Count; i++)
        {
            var z = g19.Node(i);
            int nonzero = (z[0] != 0 ? 1 : 0) + (z[1] != 0 ? 1 : 0) + (z[2] != 0 ? 1 : 0);
            double expected = nonzero == 0 ? 1.0 / 3.0 : nonzero == 1 ? 1.0 / 18.0 : 1.0 / 36.0;
            Assert.Equal(expected, g19.Weights[i], 1e-15);
        }
    }

    [Fact]
    public void SmoothIntegrandsConverge()
    {
        // E[exp(a'z)] = exp(‖a‖²/2) in q = 3, and E[logistic(1 + b'z)] = E[logistic(1 + ‖b‖ u)] (1-D reference).
        var a = new[] { 0.6, -0.4, 0.5 };
        double exact = Math.Exp(0.5 * (0.36 + 0.16 + 0.25));
        var b = new[] { 1.0, 0.7, -0.5 };
        double nb = Math.Sqrt(1 + 0.49 + 0.25);
        double Logis(double t) => 1 / (1 + Math.Exp(-t));
        double reference = Integrate(GaussHermite.Rule(200), u => Logis(1 + nb * u[0]));
        double prevExp = double.PositiveInfinity;
        foreach (var level in new[] { 2, 4, 6, 8, 10 })
        {
            var g = SparseGrid.Create(3, level);
            double eExp = Math.Abs(Integrate(g, z => Math.Exp(a[0] * z[0] + a[1] * z[1] + a[2] * z[2])) / exact - 1);
            double eLog = Math.Abs(Integrate(g, z => Logis(1 + b[0] * z[0] + b[1] * z[1] + b[2] * z[2])) - reference);
            var gk = SparseGrid.Create(3, level, SparseGridBase.GenzKeister);
            double eLogGk = Math.Abs(Integrate(gk, z => Logis(1 + b[0] * z[0] + b[1] * z[1] + b[2] * z[2])) - reference);
            _output.WriteLine($"q=3 level {level}: GH {g.Count} nodes exp err {eExp:E2} logistic err {eLog:E2}; GK {gk.Count} nodes logistic err {eLogGk:E2}");
            Assert.True(eExp < prevExp);
            prevExp = eExp;
        }
        Assert.True(prevExp < 1e-10, $"{prevExp:E2}");
        double final = Math.Abs(Integrate(SparseGrid.Create(3, 10), z => Logis(1 + b[0] * z[0] + b[1] * z[1] + b[2] * z[2])) - reference);
        Assert.True(final < 1e-4, $"{final:E2}");
        double finalGk = Math.Abs(Integrate(SparseGrid.Create(3, 10, SparseGridBase.GenzKeister), z => Logis(1 + b[0] * z[0] + b[1] * z[1] + b[2] * z[2])) - reference);
        Assert.True(finalGk < 1e-6, $"{finalGk:E2}");
    }

    [Fact]
    public void WeightsSumToOneAndAreCached()
    {
        foreach (var (q, k) in new[] { (2, 6), (3, 7), (5, 5) })
        {
            foreach (var b in new[] { SparseGridBase.GaussHermite, SparseGridBase.GenzKeister })
            {
                var g = SparseGrid.Create(q, k, b);
                double s = 0;
                for (int i = 0; i < g.Count; i++) s += g.Weights[i];
                Assert.Equal(1.0, s, 1e-12);
                Assert.Same(g, SparseGrid.Create(q, k, b));
                for (int i = 0; i < g.Count; i++) Assert.Equal(Math.Log(Math.Abs(g.Weights[i])), g.LogAbsWeights[i], 1e-12);
            }
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => SparseGrid.Create(3, 27, SparseGridBase.GenzKeister));
        Assert.Throws<ArgumentOutOfRangeException>(() => SparseGrid.Create(0, 3));
    }
}
