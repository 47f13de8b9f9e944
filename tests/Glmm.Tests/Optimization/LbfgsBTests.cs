using Glmm.Optimization;

namespace Glmm.Tests.Optimization;

public class LbfgsBTests
{
    private static readonly LbfgsBOptions Tight = new() { ProjectedGradientTolerance = 1e-10, FunctionTolerance = 0 };

    private static double RosenbrockWithGradient(double[] x, double[] g)
    {
        Array.Clear(g);
        for (int i = 0; i + 1 < x.Length; i++)
        {
            double a = x[i + 1] - x[i] * x[i];
            g[i] += -400 * x[i] * a - 2 * (1 - x[i]);
            g[i + 1] += 200 * a;
        }
        return TestProblems.Rosenbrock(x);
    }

    [Fact]
    public void InitialPairsFromTheHessiansColumnsSaveIterations()
    {
        // A badly scaled 4-D quadratic ½x'Ax − b'x: with the pairs (eⱼ, Aeⱼ) for three of the coordinates, the
        // limited-memory matrix knows most of A from the start and the minimum takes fewer evaluations.
        double[,] a = { { 40, 3, 1, 0.5 }, { 3, 8, 0.5, 0.2 }, { 1, 0.5, 2, 0.1 }, { 0.5, 0.2, 0.1, 1 } };
        double[] b = [1, -2, 0.5, 3];
        double Fg(double[] x, double[] g)
        {
            double f = 0;
            for (int i = 0; i < 4; i++)
            {
                double ax = 0;
                for (int j = 0; j < 4; j++) ax += a[i, j] * x[j];
                g[i] = ax - b[i];
                f += 0.5 * x[i] * ax - b[i] * x[i];
            }
            return f;
        }
        var pairs = Enumerable.Range(0, 3).Select(j =>
        {
            var s = new double[4];
            s[j] = 1e-3;
            var y = Enumerable.Range(0, 4).Select(i => a[i, j] * 1e-3).ToArray();
            return (s, y);
        }).ToList();
        pairs.Add((new double[4], new double[4])); // no curvature: skipped
        double inf = double.PositiveInfinity;
        var plain = new LbfgsB().Minimize(Fg, new double[4], [-inf, -inf, -inf, -inf], [inf, inf, inf, inf], Tight);
        var seeded = new LbfgsB().Minimize(Fg, new double[4], [-inf, -inf, -inf, -inf], [inf, inf, inf, inf], Tight with { InitialPairs = pairs });
        Assert.True(plain.Converged && seeded.Converged);
        for (int j = 0; j < 4; j++) Assert.Equal(plain.X[j], seeded.X[j], 6);
        Assert.True(seeded.Evaluations < plain.Evaluations, $"{seeded.Evaluations} vs {plain.Evaluations} evaluations");
    }

    [Fact]
    public void RosenbrockUnbounded()
    {
        var inf = double.PositiveInfinity;
        var r = new LbfgsB().Minimize(RosenbrockWithGradient, [-1.2, 1.0], [-inf, -inf], [inf, inf], Tight);
        Assert.True(r.Converged, r.Message);
        Assert.Equal(1.0, r.X[0], 6);
        Assert.Equal(1.0, r.X[1], 6);
        Assert.True(r.Evaluations < 150, $"{r.Evaluations} evaluations");
    }

    [Fact]
    public void RosenbrockTenDimensionsWithAnActiveUpperBound()
    {
        // Upper bound 0.5 on x0: the constrained optimum has x0 = 0.5 (f is then minimised over the rest).
        int n = 10;
        var lower = Enumerable.Repeat(-5.0, n).ToArray();
        var upper = Enumerable.Repeat(5.0, n).ToArray();
        upper[0] = 0.5;
        var x0 = Enumerable.Repeat(-1.0, n).ToArray();
        var r = new LbfgsB().Minimize(RosenbrockWithGradient, x0, lower, upper, Tight);
        Assert.True(r.Converged, r.Message);
        Assert.Equal(0.5, r.X[0]);
        // Check against a projected-gradient condition: at the optimum the free gradient vanishes and ∂f/∂x0 ≤ 0.
        var g = new double[n];
        RosenbrockWithGradient(r.X, g);
        Assert.True(g[0] < 0);
        for (int i = 1; i < n; i++) Assert.True(Math.Abs(g[i]) < 1e-7, $"g[{i}] = {g[i]}");
    }

    [Fact]
    public void BoundedQuadraticWithActiveBounds()
    {
        // 0.5 x'Ax − b'x with A = [[4,1,0],[1,3,1],[0,1,2]], b = (1, −8, 2) on [0, 10]^3. The unconstrained minimiser has
        // x1 < 0; with x1 = 0: minimise 2x0² − x0 + x2² − 2x2 → x0 = 0.25, x2 = 1 (then ∂f/∂x1 = x0 + x2 + 8 > 0: KKT holds).
        double Fg(double[] x, double[] g)
        {
            double[,] a = { { 4, 1, 0 }, { 1, 3, 1 }, { 0, 1, 2 } };
            double[] b = [1, -8, 2];
            for (int i = 0; i < 3; i++) { g[i] = -b[i]; for (int j = 0; j < 3; j++) g[i] += a[i, j] * x[j]; }
            return TestProblems.Quadratic3(x);
        }
        var r = new LbfgsB().Minimize(Fg, [5.0, 5.0, 5.0], [0, 0, 0], [10, 10, 10], Tight);
        Assert.True(r.Converged, r.Message);
        Assert.Equal(0.25, r.X[0], 9);
        Assert.Equal(0.0, r.X[1]);
        Assert.Equal(1.0, r.X[2], 9);
        Assert.Equal(2 * 0.0625 - 0.25 + 1 - 2, r.Value, 12);
    }

    [Fact]
    public void OptimumOnTheZeroBound()
    {
        // f = (x0 + 1)² + (x1 − 2)² + x0 x1 / 4 with x0 ≥ 0: optimum at x0 = 0, x1 = 2.
        double Fg(double[] x, double[] g)
        {
            g[0] = 2 * (x[0] + 1) + x[1] / 4;
            g[1] = 2 * (x[1] - 2) + x[0] / 4;
            return Math.Pow(x[0] + 1, 2) + Math.Pow(x[1] - 2, 2) + x[0] * x[1] / 4;
        }
        var r = new LbfgsB().Minimize(Fg, [3.0, -1.0], [0, double.NegativeInfinity], [double.PositiveInfinity, double.PositiveInfinity], Tight);
        Assert.True(r.Converged, r.Message);
        Assert.Equal(0.0, r.X[0]);
        Assert.Equal(2.0, r.X[1], 9);
        Assert.Equal(1.0, r.Value, 12);
    }

    [Fact]
    public void InfiniteValuesArePassedBy()
    {
        // f = x − log x·3 + (y − 1)², defined for x > 0 only (+∞ elsewhere); the minimiser x = 3 is reached from x = 30
        // although the first steps overshoot into x ≤ 0.
        int infinite = 0;
        double Fg(double[] x, double[] g)
        {
            if (x[0] <= 0) { infinite++; return double.PositiveInfinity; }
            g[0] = 1 - 3 / x[0];
            g[1] = 2 * (x[1] - 1);
            return x[0] - 3 * Math.Log(x[0]) + Math.Pow(x[1] - 1, 2);
        }
        var inf = double.PositiveInfinity;
        var r = new LbfgsB().Minimize(Fg, [30.0, 1.0], [-inf, -inf], [inf, inf], Tight);
        Assert.True(infinite > 0);
        Assert.True(r.Converged, r.Message);
        Assert.Equal(3.0, r.X[0], 7);
        Assert.Equal(1.0, r.X[1], 7);
        Assert.Equal(3 - 3 * Math.Log(3), r.Value, 12);
    }
}
