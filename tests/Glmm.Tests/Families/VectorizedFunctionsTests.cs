using System.Runtime.Intrinsics;
using Glmm.Families;

namespace Glmm.Tests.Families;

public class VectorizedFunctionsTests
{
    private static double RelativeError(double got, double want) => Math.Abs(got - want) / Math.Abs(want);

    /// <summary>IrlsRows and DevianceRows against IrlsRow row by row (μ and weight relative, score absolute in wt, sums relative).</summary>
    private static void AssertRowsMatchScalar(Family family, double[] y, double[] wt, double[] eta, double rowTolerance, double sumTolerance)
    {
        int n = y.Length;
        var mu = new double[n];
        var w = new double[n];
        var r = new double[n];
        double dev = family.IrlsRows(y, wt, eta, mu, w, r);
        double devOnly = family.DevianceRows(y, wt, eta);
        double want = 0;
        for (int i = 0; i < n; i++)
        {
            family.IrlsRow(y[i], wt[i], eta[i], out double m, out double wi, out double ri, out double d);
            want += d;
            Assert.True(RelativeError(mu[i], m) < rowTolerance, $"mu row {i}");
            Assert.True(Math.Abs(w[i] - wi) <= rowTolerance * Math.Max(wi, 1e-300), $"weight row {i}");
            Assert.True(Math.Abs(r[i] - ri) <= rowTolerance * wt[i] * Math.Max(1.0, Math.Abs(y[i])), $"score row {i}");
        }
        Assert.True(RelativeError(dev, want) < sumTolerance, $"{dev} vs {want}");
        Assert.True(RelativeError(devOnly, want) < sumTolerance, $"{devOnly} vs {want}");
    }

    [Fact]
    public void ExpMatchesMathExpToAFewUlpsOverItsRange()
    {
        if (!VectorizedFunctions.IsSupported) return;
        var rng = new Random(7);
        double worst = 0;
        for (int n = 0; n < 20000; n++)
        {
            // Half over the whole range, half over [-30, 30] where the logit kernel uses it.
            double span = n % 2 == 0 ? VectorizedFunctions.ExpMax : 30.0;
            var x = Vector256.Create(span * (2 * rng.NextDouble() - 1), span * (2 * rng.NextDouble() - 1),
                -span * rng.NextDouble(), span * rng.NextDouble());
            var e = VectorizedFunctions.Exp(x);
            for (int j = 0; j < 4; j++) worst = Math.Max(worst, RelativeError(e[j], Math.Exp(x[j])));
        }
        Assert.True(worst < 1e-15, $"worst relative error {worst:G3}");
        var ends = VectorizedFunctions.Exp(Vector256.Create(VectorizedFunctions.ExpMin, VectorizedFunctions.ExpMax, 0.0, -1e-300));
        Assert.True(RelativeError(ends[0], Math.Exp(VectorizedFunctions.ExpMin)) < 1e-15);
        Assert.True(RelativeError(ends[1], Math.Exp(VectorizedFunctions.ExpMax)) < 1e-15);
        Assert.Equal(1.0, ends[2]);
        Assert.Equal(1.0, ends[3]);
    }

    [Fact]
    public void Log1PUnitKeepsRelativePrecisionDownToTinyArguments()
    {
        if (!VectorizedFunctions.IsSupported) return;
        var rng = new Random(11);
        double worst = 0;
        for (int n = 0; n < 20000; n++)
        {
            var x = Vector256.Create(rng.NextDouble(), Math.Pow(10, -16 * rng.NextDouble()), Math.Pow(10, -300 * rng.NextDouble()), 1.0 - 1e-3 * rng.NextDouble());
            var l = VectorizedFunctions.Log1PUnit(x);
            for (int j = 0; j < 4; j++) worst = Math.Max(worst, RelativeError(l[j], NumericalFunctions.Log1P(x[j])));
        }
        Assert.True(worst < 1e-15, $"worst relative error {worst:G3}");
        Assert.Equal(0.0, VectorizedFunctions.Log1PUnit(Vector256<double>.Zero)[0]);
        Assert.True(RelativeError(VectorizedFunctions.Log1PUnit(Vector256<double>.One)[0], Math.Log(2.0)) < 1e-15);
    }

    [Fact]
    public void BinomialRowKernelsEqualTheScalarRowsIncludingTheFallbacks()
    {
        var family = new Binomial();
        var rng = new Random(3);
        int n = 1003;
        var y = new double[n];
        var wt = new double[n];
        var eta = new double[n];
        for (int i = 0; i < n; i++)
        {
            eta[i] = i % 97 == 0 ? 40 * (2 * rng.NextDouble() - 1) : 8 * (2 * rng.NextDouble() - 1);
            y[i] = i % 113 == 0 ? 0.3 : rng.Next(2);
            wt[i] = i % 7 == 0 ? 3.0 : 1.0;
        }
        AssertRowsMatchScalar(family, y, wt, eta, 1e-14, 1e-13);
    }

    [Theory]
    [InlineData(1.0, 1.0)]
    [InlineData(0.0, 2.5)]
    [InlineData(0.4, 5.0)]
    public void BinomialMultiNodeKernelEqualsTheScalarDeviance(double y, double wt)
    {
        var family = new Binomial();
        var rng = new Random(5);
        var eta = new double[51];
        for (int k = 0; k < eta.Length; k++) eta[k] = k % 13 == 0 ? 35.0 * (2 * rng.NextDouble() - 1) : 6.0 * (2 * rng.NextDouble() - 1);
        var dev = new double[eta.Length];
        family.DeviancesAt(y, wt, eta, dev);
        for (int k = 0; k < eta.Length; k++)
        {
            double want = family.DevianceAt(y, wt, eta[k]);
            Assert.True(Math.Abs(dev[k] - want) <= 1e-14 * Math.Max(1.0, Math.Abs(want)), $"node {k}: {dev[k]:R} vs {want:R}");
        }
    }

    [Fact]
    public void LogMatchesMathLogToAFewUlpsOverTheNormalRange()
    {
        if (!VectorizedFunctions.IsSupported) return;
        var rng = new Random(13);
        double worst = 0;
        for (int n = 0; n < 20000; n++)
        {
            var x = Vector256.Create(Math.Pow(10, 600 * rng.NextDouble() - 300), 0.5 + rng.NextDouble(), 1.0 + 1e-6 * rng.NextDouble(), rng.Next(1, 1000));
            var l = VectorizedFunctions.Log(x);
            for (int j = 0; j < 4; j++)
            {
                double want = Math.Log(x[j]);
                // Near x = 1 the result is small: judge it against 1 there (absolute), relatively elsewhere.
                worst = Math.Max(worst, Math.Abs(l[j] - want) / Math.Max(1.0, Math.Abs(want)));
            }
        }
        Assert.True(worst < 1e-15, $"worst error {worst:G3}");
        var exact = VectorizedFunctions.Log(Vector256.Create(1.0, 2.0, 0.5, 1024.0));
        Assert.Equal(0.0, exact[0]);
        Assert.True(Math.Abs(exact[1] - Math.Log(2.0)) < 1e-16);
        Assert.True(Math.Abs(exact[2] + Math.Log(2.0)) < 1e-16);
        Assert.True(Math.Abs(exact[3] - Math.Log(1024.0)) < 1e-15 * Math.Log(1024.0));
    }

    [Fact]
    public void PoissonRowKernelsEqualTheScalarRowsIncludingTheFallbacks()
    {
        var family = new Poisson();
        var rng = new Random(17);
        int n = 1001;
        var y = new double[n];
        var wt = new double[n];
        var eta = new double[n];
        for (int i = 0; i < n; i++)
        {
            eta[i] = i % 89 == 0 ? -40.0 : 4 * (2 * rng.NextDouble() - 1);
            y[i] = i % 5 == 0 ? 0.0 : i % 101 == 0 ? 2.5 : rng.Next(0, 30);
            wt[i] = i % 7 == 0 ? 2.0 : 1.0;
        }
        AssertRowsMatchScalar(family, y, wt, eta, 1e-13, 1e-12);
        var nodes = new double[23];
        for (int k = 0; k < nodes.Length; k++) nodes[k] = k == 3 ? -50.0 : 3 * (2 * rng.NextDouble() - 1);
        var each = new double[nodes.Length];
        foreach (double yy in new[] { 0.0, 1.0, 7.0 })
        {
            family.DeviancesAt(yy, 1.5, nodes, each);
            for (int k = 0; k < nodes.Length; k++)
            {
                double d = family.DevianceAt(yy, 1.5, nodes[k]);
                Assert.True(Math.Abs(each[k] - d) <= 1e-12 * Math.Max(1.0, Math.Abs(d)), $"y {yy} node {k}: {each[k]:R} vs {d:R}");
            }
        }
    }
}
