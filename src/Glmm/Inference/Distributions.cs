namespace Glmm.Inference;

/// <summary>Tail probabilities used for tests and intervals.</summary>
internal static class Distributions
{
    /// <summary>P(Z &gt; z) for a standard normal Z, accurate in the far tail.</summary>
    public static double NormalUpperTail(double z) => Families.NormalDistribution.UpperTail(z);

    /// <summary>P(X &gt; x) for a chi-squared X with <paramref name="df"/> degrees of freedom.</summary>
    public static double ChiSquaredUpperTail(double x, double df) =>
        x <= 0 ? 1.0 : MathNet.Numerics.SpecialFunctions.GammaUpperRegularized(df / 2.0, x / 2.0);
}
