namespace Glmm.Tests.Optimization;

/// <summary>Objective functions shared by the optimiser tests.</summary>
internal static class TestProblems
{
    public static double Rosenbrock(double[] x)
    {
        double s = 0;
        for (int i = 0; i + 1 < x.Length; i++)
            s += 100.0 * Math.Pow(x[i + 1] - x[i] * x[i], 2) + Math.Pow(1.0 - x[i], 2);
        return s;
    }

    /// <summary>Convex quadratic 0.5 x'Ax - b'x with A = [[4,1,0],[1,3,1],[0,1,2]].</summary>
    public static double Quadratic3(double[] x)
    {
        double[,] a = { { 4, 1, 0 }, { 1, 3, 1 }, { 0, 1, 2 } };
        double[] b = { 1, -8, 2 };
        double s = 0;
        for (int i = 0; i < 3; i++)
        {
            s -= b[i] * x[i];
            for (int j = 0; j < 3; j++) s += 0.5 * x[i] * a[i, j] * x[j];
        }
        return s;
    }

    /// <summary>
    /// The test problem of Powell's BOBYQA driver: m = n/2 points P_j = (x[2j], x[2j+1]) in the square [-1,1]^2, the
    /// objective being the sum over pairs of 1/max(|P_i - P_j|^2, 1e-6)^(1/2); start: equally spaced on the unit circle.
    /// </summary>
    public static double PowellPoints(double[] x)
    {
        int m = x.Length / 2;
        double f = 0;
        for (int i = 1; i < m; i++)
            for (int j = 0; j < i; j++)
            {
                double dx = x[2 * i] - x[2 * j], dy = x[2 * i + 1] - x[2 * j + 1];
                f += 1.0 / Math.Sqrt(Math.Max(dx * dx + dy * dy, 1e-6));
            }
        return f;
    }

    public static double[] PowellPointsStart(int n)
    {
        int m = n / 2;
        var x = new double[n];
        double t = 2.0 * Math.PI / m;
        for (int j = 1; j <= m; j++)
        {
            x[2 * j - 2] = Math.Cos(t * j);
            x[2 * j - 1] = Math.Sin(t * j);
        }
        return x;
    }
}
