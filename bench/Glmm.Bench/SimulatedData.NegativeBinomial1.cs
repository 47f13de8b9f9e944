using System.Globalization;
using System.Text;

namespace Glmm.Bench;

internal static partial class SimulatedData
{
    /// <summary>
    /// Counts y ~ x + (1 + x | g) from glmmTMB's nbinom1 (Var y = μ(1 + φ)): clusters × size rows, log μ = 0.5 + 0.3x + b0 + b1x
    /// with intercept SD 0.5, slope SD 0.3, correlation 0.3, φ = 1.5; y Poisson given λ ~ Gamma(shape μ/φ, scale φ).
    /// </summary>
    public static void NegativeBinomial1Slopes(string path, int clusters, int size, ulong seed)
    {
        var rng = new Rng(seed);
        using var w = new StreamWriter(path, false, new UTF8Encoding(false));
        w.Write("y,x,g\n");
        const double sd0 = 0.5, sd1 = 0.3, rho = 0.3, phi = 1.5;
        for (int g = 0; g < clusters; g++)
        {
            var (b0, b1) = CorrelatedEffects(rng, sd0, sd1, rho);
            for (int i = 0; i < size; i++)
            {
                double x = rng.Normal();
                double mu = Math.Exp(0.5 + 0.3 * x + b0 + b1 * x);
                double lambda = phi * StandardGamma(rng, mu / phi);
                double limit = Math.Exp(-lambda);
                int y = 0;
                for (double prod = rng.Uniform(); prod > limit; prod *= rng.Uniform()) y++;
                w.Write(string.Create(CultureInfo.InvariantCulture, $"{y},{x:R},g{g}\n"));
            }
        }
    }

    /// <summary>A Gamma(shape, 1) draw: Marsaglia–Tsang, boosted by U^(1/shape) for shape &lt; 1.</summary>
    private static double StandardGamma(Rng rng, double shape)
    {
        double boost = 1.0;
        if (shape < 1.0)
        {
            boost = Math.Pow(rng.Uniform(), 1.0 / shape);
            shape += 1.0;
        }
        double d = shape - 1.0 / 3.0, c = 1.0 / Math.Sqrt(9.0 * d);
        while (true)
        {
            double z = rng.Normal(), v = 1.0 + c * z;
            if (v <= 0) continue;
            v = v * v * v;
            double u = rng.Uniform();
            if (Math.Log(u) < 0.5 * z * z + d - d * v + d * Math.Log(v)) return boost * d * v;
        }
    }
}
