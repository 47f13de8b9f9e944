namespace Glmm.Families;

/// <summary>
/// expm1 and log1p with full relative accuracy near 0 (.NET's <c>double.ExpM1</c> and
/// <c>double.LogP1</c> are computed as <c>Exp(x) − 1</c> and <c>Log(1 + x)</c>, which lose it).
/// </summary>
internal static class NumericalFunctions
{
    /// <summary>eˣ − 1 (Kahan's correction: (u − 1)·x / log u with u = eˣ).</summary>
    public static double ExpM1(double x)
    {
        if (!(Math.Abs(x) < 1.0)) return Math.Exp(x) - 1.0;
        double u = Math.Exp(x);
        if (u == 1.0) return x;
        double um1 = u - 1.0;
        if (um1 == -1.0) return -1.0;
        return um1 * x / Math.Log(u);
    }

    /// <summary>log(1 + x) (Goldberg's correction: log u · x / (u − 1) with u = 1 + x).</summary>
    public static double Log1P(double x)
    {
        double u = 1.0 + x;
        if (u == 1.0) return x;
        if (double.IsInfinity(u) || u <= 0) return Math.Log(u);
        return Math.Log(u) * x / (u - 1.0);
    }
}
