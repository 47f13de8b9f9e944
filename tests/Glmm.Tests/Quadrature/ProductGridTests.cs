using Glmm.Quadrature;
using Xunit.Abstractions;
using static Glmm.Tests.Quadrature.GridTestHelpers;

namespace Glmm.Tests.Quadrature;

public class ProductGridTests
{
    private readonly ITestOutputHelper _output;

    public ProductGridTests(ITestOutputHelper output) => _output = output;

    [Theory]
    [InlineData(1, 6)]
    [InlineData(2, 5)]
    [InlineData(3, 4)]
    [InlineData(4, 3)]
    public void ExactForDegree2KMinus1InEachCoordinate(int q, int k)
    {
        var rule = ProductGrid.Create(q, k);
        Assert.Equal((int)Math.Pow(k, q), rule.Count);
        Assert.Equal(q, rule.Dimension);
        Assert.Equal(2 * k - 1, rule.Precision);
        Assert.False(rule.HasNegativeWeights);
        double worst = WorstMonomialError(rule, EachAtMost(q, 2 * k - 1));
        Assert.True(worst < 1e-13, $"worst error {worst:E3}");
        // Not exact for z_1^{2K}.
        var alpha = new int[q];
        alpha[0] = 2 * k;
        Assert.True(Math.Abs(Monomial(rule, alpha).Value - ExactMonomial(alpha)) > 0.5);
    }

    [Fact]
    public void NodesAreRowMajorWithLastCoordinateFastest()
    {
        // The 3-point rule in closed form: nodes −√3, 0, √3 with weights 1/6, 2/3, 1/6 (for N(0, 1)).
        var rule = ProductGrid.Create(2, 3);
        Assert.Equal(-Math.Sqrt(3), rule.Node(0)[0], 1e-15);
        Assert.Equal(-Math.Sqrt(3), rule.Node(0)[1], 1e-15);
        Assert.Equal(-Math.Sqrt(3), rule.Node(1)[0], 1e-15);
        Assert.Equal(0.0, rule.Node(1)[1], 1e-15);
        Assert.Equal(0.0, rule.Node(3)[0], 1e-15);
        Assert.Equal(Math.Sqrt(3), rule.Node(8)[1], 1e-15);
        Assert.Equal(1.0 / 6 * (2.0 / 3), rule.Weights[1], 1e-16);
        Assert.Equal(4.0 / 9, rule.Weights[4], 1e-15);
        Assert.Equal(Math.Log(1.0 / 9), rule.LogAbsWeights[1], 1e-14);
        Assert.Same(rule, ProductGrid.Create(2, 3));
    }

    [Fact]
    public void ExponentialMomentConvergesWithK()
    {
        // E[exp(a'z)] = exp(‖a‖²/2), q = 3.
        var a = new[] { 0.8, -0.5, 1.1 };
        double exact = Math.Exp(0.5 * (0.64 + 0.25 + 1.21));
        double previous = double.PositiveInfinity;
        foreach (var k in new[] { 3, 5, 7, 10, 15 })
        {
            double v = Integrate(ProductGrid.Create(3, k), z => Math.Exp(a[0] * z[0] + a[1] * z[1] + a[2] * z[2]));
            double err = Math.Abs(v / exact - 1);
            _output.WriteLine($"product q=3 K={k}: relative error {err:E2}");
            Assert.True(err < previous || err < 1e-14);
            previous = err;
        }
        Assert.True(previous < 1e-14);
    }

    [Fact]
    public void PruningDropsCornersAndKeepsAccuracy()
    {
        // q = 3, K = 15 (3375 nodes); E[exp(a'z)] and the total weight with pruning thresholds.
        var a = new[] { 0.5, 0.3, -0.4 };
        double exact = Math.Exp(0.5 * (0.25 + 0.09 + 0.16));
        var full = ProductGrid.Create(3, 15);
        Assert.Equal(3375, full.Count);
        int previousCount = full.Count;
        foreach (var tau in new[] { 1e-16, 1e-12, 1e-8, 1e-4 })
        {
            var pruned = ProductGrid.Create(3, 15, tau);
            double mass = 0;
            for (int i = 0; i < pruned.Count; i++) mass += pruned.Weights[i];
            double err = Math.Abs(Integrate(pruned, z => Math.Exp(a[0] * z[0] + a[1] * z[1] + a[2] * z[2])) / exact - 1);
            _output.WriteLine($"pruned q=3 K=15 tau={tau:E0}: {pruned.Count} nodes, dropped mass {1 - mass:E2}, exp-moment error {err:E2}");
            Assert.True(pruned.Count < previousCount);
            Assert.Equal(-1, pruned.Precision);
            // Everything kept is at least tau × the largest weight.
            double maxW = 0, minW = double.PositiveInfinity;
            for (int i = 0; i < pruned.Count; i++) { maxW = Math.Max(maxW, pruned.Weights[i]); minW = Math.Min(minW, pruned.Weights[i]); }
            Assert.True(minW >= tau * maxW * (1 - 1e-12));
            // Dropped mass is at most (dropped count) × tau × max weight.
            Assert.InRange(1 - mass, -1e-13, (3375 - pruned.Count) * tau * maxW + 1e-13);
            previousCount = pruned.Count;
        }
        // tau = 1e-12 drops a quarter of the nodes (3375 → 2483) and keeps exp(a'z) — which grows in
        // the tails, a hard case — to ~6e-11; tau = 1e-8 halves the nodes at ~3e-7.
        var p12 = ProductGrid.Create(3, 15, 1e-12);
        Assert.Equal(2483, p12.Count);
        double e12 = Math.Abs(Integrate(p12, z => Math.Exp(a[0] * z[0] + a[1] * z[1] + a[2] * z[2])) / exact - 1);
        Assert.True(e12 < 1e-10, $"{e12:E2}");
        // For an integrand close to a constant (the AGQ case after adaptation) the error is the dropped mass.
        double nearConstant = Integrate(p12, z => 1 + 0.01 * Math.Tanh(z[0] + z[1] - z[2]));
        Assert.Equal(1.0, nearConstant, 1e-11);
    }

    [Fact]
    public void RejectsBadArguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ProductGrid.Create(0, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => ProductGrid.Create(2, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ProductGrid.Create(2, 3, 1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ProductGrid.Create(10, 20));
    }
}
