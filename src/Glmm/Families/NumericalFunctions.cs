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

    /// <summary>
    /// ψ(x) = d log Γ(x)/dx for x &gt; 0: shifted up to x ≥ 10 by ψ(x) = ψ(x + 1) − 1/x, then the asymptotic series to
    /// the x⁻¹⁴ term (truncation error below 1e-16 there).
    /// </summary>
    public static double Digamma(double x)
    {
        if (!(x > 0)) return double.NaN;
        if (double.IsPositiveInfinity(x)) return double.PositiveInfinity;
        double shift = 0;
        while (x < 10)
        {
            shift -= 1.0 / x;
            x += 1;
        }
        double r = 1.0 / x, r2 = r * r;
        double series = r2 * (-1.0 / 12 + r2 * (1.0 / 120 + r2 * (-1.0 / 252 + r2 * (1.0 / 240 + r2 * (-1.0 / 132 + r2 * (691.0 / 32760 + r2 * (-1.0 / 12)))))));
        return shift + Math.Log(x) - 0.5 * r + series;
    }

    /// <summary>
    /// log Γ(x) for x &gt; 0: shifted up to x ≥ 10 by the recurrence Γ(x + 1) = xΓ(x), then Stirling's series to the
    /// x⁻¹³ term (truncation error below 1e-16 there).
    /// </summary>
    public static double LogGamma(double x)
    {
        if (!(x > 0)) return double.NaN;
        if (double.IsPositiveInfinity(x)) return double.PositiveInfinity;
        double shift = 0;
        if (x < 10)
        {
            double prod = 1;
            while (x < 10)
            {
                prod *= x;
                x += 1;
            }
            shift = -Math.Log(prod);
        }
        double r = 1.0 / x, r2 = r * r;
        double series = r * (1.0 / 12 + r2 * (-1.0 / 360 + r2 * (1.0 / 1260 + r2 * (-1.0 / 1680 + r2 * (1.0 / 1188 + r2 * (-691.0 / 360360 + r2 / 156))))));
        return shift + (x - 0.5) * Math.Log(x) - x + 0.91893853320467274178 + series;
    }
}
