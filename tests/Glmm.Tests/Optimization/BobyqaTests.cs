using Glmm.Optimization;
using Xunit.Abstractions;

namespace Glmm.Tests.Optimization;

public class BobyqaTests
{
    private readonly ITestOutputHelper _out;

    public BobyqaTests(ITestOutputHelper output) => _out = output;

    private static readonly OptimizerOptions Tight = new() { InitialTrustRadius = 0.5, FinalTrustRadius = 1e-9 };

    private static double[] Fill(int n, double v) => Enumerable.Repeat(v, n).ToArray();

    private OptimizationResult Run(string name, Func<double[], double> f, double[] x0, double[] lo, double[] hi, OptimizerOptions? o = null)
    {
        var r = new Bobyqa().Minimize(f, x0, lo, hi, o ?? Tight);
        _out.WriteLine($"{name}: f={r.Value:R} evals={r.Evaluations} converged={r.Converged} ({r.Message}) x=[{string.Join(", ", r.X.Select(v => v.ToString("R")))}]");
        return r;
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void RosenbrockUnbounded(int n)
    {
        var x0 = Fill(n, -1.2);
        x0[n - 1] = 1.0;
        var r = Run($"rosenbrock{n}", TestProblems.Rosenbrock, x0, Fill(n, double.NegativeInfinity), Fill(n, double.PositiveInfinity));
        Assert.True(r.Converged);
        foreach (var v in r.X) Assert.Equal(1.0, v, 1e-6);
        Assert.True(r.Value < 1e-12);
        Assert.True(r.Evaluations < 1500 * n / 2, $"{r.Evaluations} evaluations");
    }

    [Fact]
    public void RosenbrockWithOtherInterpolationSetSizes()
    {
        // Extended Rosenbrock in 4-D has a local minimum near (-0.776, 0.613, 0.382, 0.146), f = 3.7014; with the
        // smallest interpolation set BOBYQA ends there from this start, which is legitimate.
        foreach (int npt in new[] { 6, 9, 15 })
        {
            var o = Tight with { InterpolationPoints = npt };
            var r = Run($"rosenbrock4 npt={npt}", TestProblems.Rosenbrock, new[] { -1.2, 1.0, -1.2, 1.0 }, Fill(4, double.NegativeInfinity), Fill(4, double.PositiveInfinity), o);
            Assert.True(r.Converged);
            if (r.Value < 1e-6)
                foreach (var v in r.X) Assert.Equal(1.0, v, 1e-5);
            else
                Assert.Equal(3.70143, r.Value, 1e-4);
            var g = FiniteDifferences.Gradient(TestProblems.Rosenbrock, r.X, delta: 1e-6);
            foreach (var gi in g) Assert.True(Math.Abs(gi) < 1e-5, $"npt={npt}: gradient {gi}");
        }
    }

    [Fact]
    public void RosenbrockWithDefaultOptions()
    {
        var r = Run("rosenbrock4 default options", TestProblems.Rosenbrock, new[] { -1.2, 1.0, -1.2, 1.0 }, Fill(4, double.NegativeInfinity), Fill(4, double.PositiveInfinity), new OptimizerOptions());
        Assert.True(r.Converged);
        foreach (var v in r.X) Assert.Equal(1.0, v, 1e-6);
    }

    [Fact]
    public void DistantOptimumNeedsOriginShifts()
    {
        // Ill-conditioned quadratic whose minimum is far from the start, so the model origin is moved many times.
        static double F(double[] x) => Math.Pow(x[0] - 100, 2) + 10 * Math.Pow(x[1] + 50 - 0.1 * (x[0] - 100), 2) + 0.5 * Math.Pow(x[2] - 3, 2);
        var r = Run("distant optimum", F, new[] { 0.0, 0.0, 0.0 }, Fill(3, double.NegativeInfinity), Fill(3, double.PositiveInfinity),
            new OptimizerOptions { InitialTrustRadius = 1.0, FinalTrustRadius = 1e-8 });
        Assert.True(r.Converged);
        Assert.Equal(100.0, r.X[0], 1e-6);
        Assert.Equal(-50.0, r.X[1], 1e-6);
        Assert.Equal(3.0, r.X[2], 1e-6);
    }

    [Fact]
    public void RandomBoundedConvexQuadraticsSatisfyKkt()
    {
        var rng = new Random(12345);
        int totalEvals = 0;
        for (int trial = 0; trial < 40; trial++)
        {
            int n = 2 + trial % 7;
            // A = L L' + 0.1 I, random linear term; bounds: some infinite, some at 0 (variance-like).
            var l = new double[n, n];
            for (int i = 0; i < n; i++)
                for (int j = 0; j <= i; j++) l[i, j] = rng.NextDouble() * 2 - 1;
            var a = new double[n, n];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                {
                    double s = i == j ? 0.1 : 0;
                    for (int k = 0; k < n; k++) s += l[i, k] * l[j, k];
                    a[i, j] = s;
                }
            var b = Enumerable.Range(0, n).Select(_ => rng.NextDouble() * 4 - 2).ToArray();
            var lo = Enumerable.Range(0, n).Select(_ => rng.Next(3) switch { 0 => double.NegativeInfinity, 1 => 0.0, _ => -0.5 }).ToArray();
            var hi = Enumerable.Range(0, n).Select(_ => rng.Next(3) == 0 ? 0.7 : double.PositiveInfinity).ToArray();
            double F(double[] x)
            {
                double s = 0;
                for (int i = 0; i < n; i++)
                {
                    s -= b[i] * x[i];
                    for (int j = 0; j < n; j++) s += 0.5 * x[i] * a[i, j] * x[j];
                }
                return s;
            }
            var x0 = Enumerable.Range(0, n).Select(i => Math.Max(lo[i], 0.0) + 0.3).ToArray();
            var r = new Bobyqa().Minimize(F, x0, lo, hi, new OptimizerOptions { InitialTrustRadius = 0.2, FinalTrustRadius = 1e-8 });
            totalEvals += r.Evaluations;
            Assert.True(r.Converged, $"trial {trial}: {r.Message}");
            for (int i = 0; i < n; i++)
            {
                double g = -b[i];
                for (int j = 0; j < n; j++) g += a[i, j] * r.X[j];
                Assert.InRange(r.X[i], lo[i], hi[i]);
                if (r.X[i] == lo[i]) Assert.True(g > -1e-5, $"trial {trial} coord {i} at lower, g={g}");
                else if (r.X[i] == hi[i]) Assert.True(g < 1e-5, $"trial {trial} coord {i} at upper, g={g}");
                else Assert.True(Math.Abs(g) < 1e-5, $"trial {trial} coord {i} interior, g={g}, x={r.X[i]} lo={lo[i]} hi={hi[i]} evals={r.Evaluations} x=[{string.Join(",", r.X)}] {r.Message}");
            }
        }
        _out.WriteLine($"random quadratics: {totalEvals} evaluations over 40 problems");
    }

    [Fact]
    public void QuadraticWithActiveBound()
    {
        // Unconstrained minimiser of Quadratic3 is A^{-1} b = (1.2, -3.8, 2.9); with x1 >= -1 the solution has
        // x1 = -1 exactly and (x0, x2) solving the reduced system: 4 x0 = 1 + 1 => x0 = 0.5; 2 x2 = 2 + 1 => x2 = 1.5.
        var r = Run("quadratic active bound", TestProblems.Quadratic3, new[] { 0.0, 0.0, 0.0 },
            new[] { double.NegativeInfinity, -1.0, double.NegativeInfinity }, Fill(3, double.PositiveInfinity));
        Assert.True(r.Converged);
        Assert.Equal(-1.0, r.X[1]); // exactly on the bound
        Assert.Equal(0.5, r.X[0], 1e-6);
        Assert.Equal(1.5, r.X[2], 1e-6);
        Assert.Equal(TestProblems.Quadratic3(new[] { 0.5, -1.0, 1.5 }), r.Value, 1e-10);
    }

    [Fact]
    public void VarianceLikeParameterAtZero()
    {
        // f(t, b) = (t + 0.3)^2 + t*b + (b - 1)^2 with t >= 0: optimum at t = 0, b = 1.
        static double F(double[] x) => Math.Pow(x[0] + 0.3, 2) + x[0] * x[1] + Math.Pow(x[1] - 1.0, 2);
        var r = Run("variance at zero", F, new[] { 1.0, 0.0 }, new[] { 0.0, double.NegativeInfinity }, new[] { double.PositiveInfinity, double.PositiveInfinity },
            new OptimizerOptions());
        Assert.True(r.Converged);
        Assert.Equal(0.0, r.X[0]);
        Assert.Equal(1.0, r.X[1], 1e-6);
    }

    [Fact]
    public void StartOutsideBoundsIsProjected()
    {
        static double F(double[] x) => Math.Pow(x[0] - 3, 2) + Math.Pow(x[1] + 1, 2);
        var r = Run("projected start", F, new[] { 10.0, -10.0 }, new[] { 0.0, -2.0 }, new[] { 2.5, 2.0 }, new OptimizerOptions { InitialTrustRadius = 2.0 });
        Assert.Equal(2.5, r.X[0]);
        Assert.Equal(-1.0, r.X[1], 1e-6);
    }

    [Fact]
    public void NarrowBoundsShrinkInitialRadius()
    {
        static double F(double[] x) => Math.Pow(x[0] - 0.05, 2) + Math.Pow(x[1] - 0.7, 2) + x[0] * x[1];
        var r = Run("narrow bounds", F, new[] { 0.0, 0.5 }, new[] { 0.0, 0.0 }, new[] { 0.1, 1.0 }, new OptimizerOptions { InitialTrustRadius = 1.0 });
        // Minimiser: grad = (2(x0-0.05)+x1, 2(x1-0.7)+x0) = 0 => x0 = (0.1 - x1)/2, x1 = 0.7 - x0/2 ...
        // solution x0 = -0.2667 (infeasible) so x0 = 0 on its bound and x1 = 0.7.
        Assert.Equal(0.0, r.X[0]);
        Assert.Equal(0.7, r.X[1], 1e-6);
    }

    [Fact]
    public void OneDimensionalFallback()
    {
        static double F(double[] x) => Math.Cos(x[0]) + 0.1 * x[0];
        var r = Run("1-D", F, new[] { 1.0 }, new[] { double.NegativeInfinity }, new[] { double.PositiveInfinity });
        // Minimum near pi where sin x = 0.1 => x = pi - asin(0.1).
        Assert.Equal(Math.PI - Math.Asin(0.1), r.X[0], 1e-6);
        Assert.True(r.Converged);
        var rb = Run("1-D at bound", x => Math.Pow(x[0] + 1, 2), new[] { 2.0 }, new[] { 0.0 }, new[] { 5.0 });
        Assert.Equal(0.0, rb.X[0]);
        Assert.Equal(1.0, rb.Value);
    }

    [Fact]
    public void FixedCoordinatesAreHeld()
    {
        var r = Run("fixed coordinate", TestProblems.Rosenbrock, new[] { 1.2, 1.0, 0.5 }, new[] { double.NegativeInfinity, double.NegativeInfinity, 0.5 },
            new[] { double.PositiveInfinity, double.PositiveInfinity, 0.5 });
        Assert.True(r.Converged);
        Assert.Equal(0.5, r.X[2]);
        // Stationary in the free coordinates.
        var g = FiniteDifferences.Gradient(TestProblems.Rosenbrock, r.X, delta: 1e-6);
        Assert.True(Math.Abs(g[0]) < 1e-5 && Math.Abs(g[1]) < 1e-5, $"g = {g[0]}, {g[1]}");
    }

    [Fact]
    public void NonFiniteRegionIsAvoided()
    {
        // Undefined (NaN / +Inf) where x0 + x1 > 2.5; minimum of the defined part at (1, 1) on the inside.
        static double F(double[] x)
        {
            if (x[0] + x[1] > 2.5) return x[0] > 2 ? double.NaN : double.PositiveInfinity;
            return Math.Pow(x[0] - 1, 2) + 10 * Math.Pow(x[1] - x[0], 2);
        }
        var r = Run("non-finite region", F, new[] { 0.0, 0.0 }, Fill(2, double.NegativeInfinity), Fill(2, double.PositiveInfinity),
            new OptimizerOptions { InitialTrustRadius = 2.0, FinalTrustRadius = 1e-8 });
        Assert.True(r.Converged);
        Assert.Equal(1.0, r.X[0], 1e-6);
        Assert.Equal(1.0, r.X[1], 1e-6);

        // Minimum of the defined part on the edge of the undefined region: log barrier-like objective.
        static double G(double[] x) => x[0] <= 0 ? double.NaN : -Math.Log(x[0]) + x[0] * x[0] + Math.Pow(x[1] - 2, 2);
        var r2 = Run("non-finite half-plane", G, new[] { 3.0, 0.0 }, Fill(2, double.NegativeInfinity), Fill(2, double.PositiveInfinity),
            new OptimizerOptions { InitialTrustRadius = 2.0, FinalTrustRadius = 1e-8 });
        Assert.Equal(Math.Sqrt(0.5), r2.X[0], 1e-6);
        Assert.Equal(2.0, r2.X[1], 1e-6);
    }

    [Fact]
    public void NonFiniteStartIsReported()
    {
        var r = new Bobyqa().Minimize(_ => double.NaN, new[] { 1.0, 2.0 }, Fill(2, -5), Fill(2, 5), new OptimizerOptions());
        Assert.False(r.Converged);
        Assert.Equal(1, r.Evaluations);
    }

    [Fact]
    public void EvaluationLimitIsRespected()
    {
        var r = new Bobyqa().Minimize(TestProblems.Rosenbrock, new[] { -1.2, 1.0 }, Fill(2, double.NegativeInfinity), Fill(2, double.PositiveInfinity),
            new OptimizerOptions { MaxEvaluations = 30 });
        Assert.False(r.Converged);
        Assert.Equal(30, r.Evaluations);
        Assert.True(r.Value < TestProblems.Rosenbrock(new[] { -1.2, 1.0 }));
    }

    [Theory]
    [InlineData(10, 16)]
    [InlineData(10, 21)]
    [InlineData(20, 26)]
    [InlineData(20, 41)]
    public void PowellPointsProblem(int n, int npt)
    {
        var o = new OptimizerOptions { InitialTrustRadius = 0.1, FinalTrustRadius = 1e-6, MaxEvaluations = 500000, InterpolationPoints = npt };
        var x0 = TestProblems.PowellPointsStart(n);
        var r = Run($"powell points n={n} npt={npt}", TestProblems.PowellPoints, x0, Fill(n, -1), Fill(n, 1), o);
        Assert.True(r.Converged);
        Assert.True(r.Value < TestProblems.PowellPoints(x0) - 1.0);
        // KKT: the projected gradient vanishes at the solution.
        var g = FiniteDifferences.Gradient(TestProblems.PowellPoints, r.X, delta: 1e-6);
        for (int i = 0; i < n; i++)
        {
            Assert.InRange(r.X[i], -1.0, 1.0);
            if (r.X[i] == -1.0) Assert.True(g[i] > -1e-3, $"g[{i}]={g[i]}");
            else if (r.X[i] == 1.0) Assert.True(g[i] < 1e-3, $"g[{i}]={g[i]}");
            else Assert.True(Math.Abs(g[i]) < 1e-3, $"g[{i}]={g[i]}");
        }
    }

    [Fact]
    public void InitialFactorsSatisfyLagrangeConditions()
    {
        foreach (int npt in new[] { 5, 7, 9, 10 })
        {
            var p = BoundedProblem.Create(TestProblems.Rosenbrock, new[] { 0.3, -0.2, 0.0 }, new[] { 0.3, double.NegativeInfinity, -0.1 },
                new[] { 2.0, 0.0, 0.25 }, new OptimizerOptions());
            var e = new Bobyqa.Engine(p, npt, 0.1, 1e-6, 100);
            Assert.True(e.Initialise());
            Assert.True(e.LagrangeError() < 1e-10, $"npt={npt}: {e.LagrangeError()}");
            var (b1, o1) = e.Factors();
            e.Rebuild();
            Assert.True(e.LagrangeError() < 1e-8, $"npt={npt} rebuilt: {e.LagrangeError()}");
            var (b2, o2) = e.Factors();
            for (int i = 0; i < b1.GetLength(0); i++)
                for (int j = 0; j < b1.GetLength(1); j++) Assert.Equal(b1[i, j], b2[i, j], 1e-6);
            for (int i = 0; i < o1.GetLength(0); i++)
                for (int j = 0; j < o1.GetLength(1); j++) Assert.Equal(o1[i, j], o2[i, j], 1e-4);
        }
    }
}
