namespace Glmm.Tests.Families;

/// <summary>Relative-error assertions.</summary>
internal static class Close
{
    /// <summary>|actual − expected| ≤ tol·|expected|; infinities and zeros must match exactly.</summary>
    public static void Relative(double expected, double actual, double tol, string what)
    {
        if (double.IsNaN(expected)) { Assert.True(double.IsNaN(actual), $"{what}: expected NaN, got {actual:R}"); return; }
        if (double.IsInfinity(expected) || expected == 0)
        {
            Assert.True(expected == actual, $"{what}: expected {expected:R}, got {actual:R}");
            return;
        }
        double rel = Math.Abs(actual - expected) / Math.Abs(expected);
        Assert.True(rel <= tol, $"{what}: expected {expected:R}, got {actual:R} (relative error {rel:E2} > {tol:E0})");
    }
}
