using Glmm.Quadrature;

namespace Glmm.Tests.Quadrature;

public class GaussHermiteTests
{
    /// <summary>E[z^n] under N(0, 1): 0 for odd n, (n − 1)!! for even n.</summary>
    internal static double NormalMoment(int n)
    {
        if (n % 2 == 1) return 0;
        double r = 1;
        for (int i = n - 1; i > 1; i -= 2) r *= i;
        return r;
    }

    internal static double Moment(QuadratureRule rule, int n)
    {
        double s = 0;
        for (int k = 0; k < rule.Count; k++) s += rule.Weights[k] * Math.Pow(rule.Nodes[k], n);
        return s;
    }

    [Fact]
    public void SmallRulesMatchClosedForms()
    {
        var r1 = GaussHermite.Rule(1);
        Assert.Equal(new[] { 0.0 }, r1.Nodes.ToArray());
        Assert.Equal(new[] { 1.0 }, r1.Weights.ToArray());

        var r2 = GaussHermite.Rule(2);
        Assert.Equal(-1.0, r2.Nodes[0], 15);
        Assert.Equal(1.0, r2.Nodes[1], 15);
        Assert.Equal(0.5, r2.Weights[0], 15);

        var r3 = GaussHermite.Rule(3);
        Assert.Equal(0.0, r3.Nodes[1]);
        Assert.Equal(Math.Sqrt(3), r3.Nodes[2], 1e-15);
        Assert.Equal(2.0 / 3.0, r3.Weights[1], 15);
        Assert.Equal(1.0 / 6.0, r3.Weights[2], 15);

        // K = 4: nodes ±sqrt(3 ± sqrt 6), weights 1/(4(3 ∓ sqrt 6)).
        var r4 = GaussHermite.Rule(4);
        Assert.Equal(Math.Sqrt(3 - Math.Sqrt(6)), r4.Nodes[2], 15);
        Assert.Equal(Math.Sqrt(3 + Math.Sqrt(6)), r4.Nodes[3], 14);
        Assert.Equal(1 / (4 * (3 - Math.Sqrt(6))), r4.Weights[2], 1e-15);
        Assert.Equal(1 / (4 * (3 + Math.Sqrt(6))), r4.Weights[3], 1e-15);
    }

    [Fact]
    public void PublishedPhysicistsValuesScaleToOurs()
    {
        // Abramowitz & Stegun 25.10 (weight exp(−x²)), K = 20: largest node 5.387480890011233,
        // weight 2.229393645534151e-13; our z = √2 x, w = w_phys / √π.
        var r = GaussHermite.Rule(20);
        Assert.Equal(Math.Sqrt(2) * 5.387480890011233, r.Nodes[19], 13);
        Assert.Equal(2.229393645534151e-13 / Math.Sqrt(Math.PI), r.Weights[19], 1e-25);
        Assert.Equal(Math.Sqrt(2) * 0.2453407083009012, r.Nodes[10], 14);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(10)]
    [InlineData(20)]
    [InlineData(25)]
    [InlineData(50)]
    [InlineData(100)]
    public void WeightsSumToOneAndRuleIsSymmetric(int k)
    {
        var r = GaussHermite.Rule(k);
        Assert.Equal(k, r.Count);
        double s = 0;
        for (int i = 0; i < k; i++) s += r.Weights[i];
        Assert.True(Math.Abs(s - 1) < 1e-14, $"sum of weights − 1 = {s - 1:E3}");
        for (int i = 0; i < k; i++)
        {
            Assert.Equal(r.Nodes[i], -r.Nodes[k - 1 - i]); // exact
            Assert.Equal(r.Weights[i], r.Weights[k - 1 - i]);
            if (i > 0) Assert.True(r.Nodes[i] > r.Nodes[i - 1]);
            Assert.True(r.Weights[i] > 0);
            Assert.Equal(Math.Log(r.Weights[i]), r.LogAbsWeights[i], 1e-12 * Math.Max(1, Math.Abs(r.LogAbsWeights[i])));
        }
        Assert.False(r.HasNegativeWeights);
        Assert.Equal(2 * k - 1, r.Precision);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(15)]
    [InlineData(25)]
    [InlineData(40)]
    [InlineData(100)]
    public void EvenMomentsAreExactUpToDegree2KMinus1(int k)
    {
        var r = GaussHermite.Rule(k);
        double worst = 0;
        for (int n = 0; n <= 2 * k - 1; n++)
        {
            double m = Moment(r, n);
            double exact = NormalMoment(n);
            // Odd moments: compare with the scale of the terms.
            double err = n % 2 == 0 ? Math.Abs(m / exact - 1) : Math.Abs(m) / NormalMoment(n + 1);
            worst = Math.Max(worst, err);
        }
        Assert.True(worst < 1e-12, $"K = {k}: worst relative moment error {worst:E3}");
        // Degree 2K is not exact: the rule misses E z^{2K} by exactly ∫ He_K(z)² φ(z) dz = K!.
        double factorial = 1;
        for (int i = 2; i <= k; i++) factorial *= i;
        // (Checked where K! is not lost in the rounding of E z^{2K}.)
        if (factorial / NormalMoment(2 * k) > 1e-6)
            Assert.Equal(1.0, (NormalMoment(2 * k) - Moment(r, 2 * k)) / factorial, 6);
    }

    [Fact]
    public void HundredPointRule()
    {
        var r = GaussHermite.Rule(100);
        // Largest physicists' node for K = 100 is 13.406487338144908 (× √2 here); smallest weight 3.33e-79.
        Assert.Equal(Math.Sqrt(2) * 13.406487338144908, r.Nodes[99], 13);
        Assert.Equal(3.3332703483438381719e-79, r.Weights[99], 1e-92);
        Assert.Equal(1.0, Moment(r, 2), 14);
        Assert.Equal(3.0, Moment(r, 4), 13);
        Assert.Equal(15.0, Moment(r, 6), 12);
    }

    [Fact]
    public void MatchesFortyDigitReference()
    {
        // tools/gauss_hermite_reference.py (mpmath, 40 digits): positive halves for K = 2, 3, 7, 20, 25, 50, 100.
        var path = Path.Combine(AppContext.BaseDirectory, "fixtures", "quadrature", "gauss_hermite_reference.txt");
        double worstNode = 0, worstWeight = 0;
        int rows = 0;
        foreach (var line in File.ReadLines(path))
        {
            if (line.StartsWith('#') || line.Length == 0) continue;
            var f = line.Split(' ');
            var inv = System.Globalization.CultureInfo.InvariantCulture;
            int k = int.Parse(f[0], inv), i = int.Parse(f[1], inv);
            double z = double.Parse(f[2], inv), w = double.Parse(f[3], inv);
            var r = GaussHermite.Rule(k);
            worstNode = Math.Max(worstNode, Math.Abs(r.Nodes[i] - z));
            worstWeight = Math.Max(worstWeight, Math.Abs(r.Weights[i] / w - 1));
            rows++;
        }
        Assert.Equal(105, rows);
        Assert.True(worstNode <= 1e-14, $"worst absolute node error {worstNode:E3}");
        Assert.True(worstWeight <= 1e-14, $"worst relative weight error {worstWeight:E3}");
    }

    [Fact]
    public void LogWeightsStayFiniteWhenWeightsUnderflow()
    {
        var r = GaussHermite.Rule(600);
        Assert.Equal(0.0, r.Weights[599]);
        Assert.True(double.IsFinite(r.LogAbsWeights[599]) && r.LogAbsWeights[599] < -745);
        // log-sum-exp of the log-weights is 0.
        double max = double.NegativeInfinity;
        for (int i = 0; i < r.Count; i++) max = Math.Max(max, r.LogAbsWeights[i]);
        double s = 0;
        for (int i = 0; i < r.Count; i++) s += Math.Exp(r.LogAbsWeights[i] - max);
        Assert.Equal(0.0, max + Math.Log(s), 12);
        Assert.Equal(1.0, Moment(r, 2), 11);
    }

    [Fact]
    public void TridiagonalQlFindsKnownEigenvalues()
    {
        // Matrix with diagonal 2 and off-diagonal −1 (n = 6): eigenvalues 2 − 2cos(jπ/7).
        int n = 6;
        var d = Enumerable.Repeat(2.0, n).ToArray();
        var e = Enumerable.Repeat(-1.0, n).ToArray();
        GaussHermite.TridiagonalEigenvalues(d, e);
        Array.Sort(d);
        for (int j = 1; j <= n; j++) Assert.Equal(2 - 2 * Math.Cos(j * Math.PI / (n + 1)), d[j - 1], 14);
    }

    [Fact]
    public void RulesAreCachedAndThreadSafe()
    {
        var rules = new QuadratureRule[16];
        Parallel.For(0, 16, i => rules[i] = GaussHermite.Rule(33));
        Assert.All(rules, r => Assert.Same(rules[0], r));
        Assert.Throws<ArgumentOutOfRangeException>(() => GaussHermite.Rule(0));
    }

    [Fact]
    public void SmoothIntegrandConvergesWithK()
    {
        // E[exp(a z)] = exp(a²/2); E[logistic(1 + 2z)] against K = 200.
        double a = 1.5;
        double Exp(QuadratureRule r) { double s = 0; for (int i = 0; i < r.Count; i++) s += r.Weights[i] * Math.Exp(a * r.Nodes[i]); return s; }
        double Logis(QuadratureRule r) { double s = 0; for (int i = 0; i < r.Count; i++) s += r.Weights[i] / (1 + Math.Exp(-(1 + 2 * r.Nodes[i]))); return s; }
        double exact = Math.Exp(a * a / 2);
        double e5 = Math.Abs(Exp(GaussHermite.Rule(5)) / exact - 1);
        double e10 = Math.Abs(Exp(GaussHermite.Rule(10)) / exact - 1);
        double e20 = Math.Abs(Exp(GaussHermite.Rule(20)) / exact - 1);
        Assert.True(e5 > e10 && e10 > e20 && e20 < 1e-13, $"{e5:E2} {e10:E2} {e20:E2}");
        double reference = Logis(GaussHermite.Rule(200));
        Assert.Equal(reference, Logis(GaussHermite.Rule(100)), 1e-13);
        double l5 = Math.Abs(Logis(GaussHermite.Rule(5)) - reference);
        double l25 = Math.Abs(Logis(GaussHermite.Rule(25)) - reference);
        Assert.True(l5 > l25 && l25 < 1e-6, $"{l5:E2} {l25:E2}");
    }
}
