using System.Globalization;
using System.Text;

namespace Glmm.Bench;

/// <summary>
/// Writes the simulated benchmark data sets with a self-contained generator (SplitMix64 + Box–Muller),
/// so the files are byte-identical on every machine and .NET version.
/// </summary>
internal static class SimulatedData
{
    private sealed class Rng(ulong seed)
    {
        private ulong _state = seed;
        private double? _spare;

        public ulong Next()
        {
            ulong z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        public double Uniform() => ((Next() >> 11) + 0.5) * (1.0 / (1UL << 53));

        public double Normal()
        {
            if (_spare is { } s) { _spare = null; return s; }
            double u = Uniform(), v = Uniform();
            double r = Math.Sqrt(-2.0 * Math.Log(u));
            _spare = r * Math.Sin(2 * Math.PI * v);
            return r * Math.Cos(2 * Math.PI * v);
        }
    }

    /// <summary>A cluster's intercept and slope effects: SDs sd0 and sd1, correlation rho.</summary>
    private static (double B0, double B1) CorrelatedEffects(Rng rng, double sd0, double sd1, double rho)
    {
        double e0 = rng.Normal(), e1 = rng.Normal();
        return (sd0 * e0, sd1 * (rho * e0 + Math.Sqrt(1 - rho * rho) * e1));
    }

    /// <summary>
    /// Binary y ~ x + z + (1 + x | g): clusters × size rows; β = (−0.5, 1, 0.5); random intercept SD 1,
    /// slope SD 0.5, correlation 0.3.
    /// </summary>
    public static void RandomSlopes(string path, int clusters, int size, ulong seed)
    {
        var rng = new Rng(seed);
        using var w = new StreamWriter(path, false, new UTF8Encoding(false));
        w.Write("y,x,z,g\n");
        const double sd0 = 1.0, sd1 = 0.5, rho = 0.3;
        for (int g = 0; g < clusters; g++)
        {
            var (b0, b1) = CorrelatedEffects(rng, sd0, sd1, rho);
            for (int i = 0; i < size; i++)
            {
                double x = rng.Normal(), z = rng.Normal();
                double eta = -0.5 + x + 0.5 * z + b0 + b1 * x;
                int y = rng.Uniform() < 1.0 / (1.0 + Math.Exp(-eta)) ? 1 : 0;
                w.Write(string.Create(CultureInfo.InvariantCulture, $"{y},{x:R},{z:R},g{g}\n"));
            }
        }
    }

    /// <summary>Binary y ~ x + (1 | a) + (1 | b) with crossed factors: rows spread at random over a×b cells.</summary>
    public static void Crossed(string path, int rows, int levelsA, int levelsB, ulong seed)
    {
        var rng = new Rng(seed);
        var ua = new double[levelsA];
        var ub = new double[levelsB];
        for (int i = 0; i < levelsA; i++) ua[i] = 0.8 * rng.Normal();
        for (int i = 0; i < levelsB; i++) ub[i] = 0.5 * rng.Normal();
        using var w = new StreamWriter(path, false, new UTF8Encoding(false));
        w.Write("y,x,a,b\n");
        for (int r = 0; r < rows; r++)
        {
            int a = r % levelsA;
            int b = (int)(rng.Next() % (ulong)levelsB);
            double x = rng.Normal();
            double eta = -0.3 + 0.7 * x + ua[a] + ub[b];
            int y = rng.Uniform() < 1.0 / (1.0 + Math.Exp(-eta)) ? 1 : 0;
            w.Write(string.Create(CultureInfo.InvariantCulture, $"{y},{x:R},a{a},b{b}\n"));
        }
    }

    /// <summary>
    /// Counts y ~ x + z + (1 + x | g), Poisson with the log link: clusters × size rows; β = (0.5, 0.3, −0.2); random
    /// intercept SD 0.5, slope SD 0.3, correlation 0.3; y drawn by Knuth's product of uniforms.
    /// </summary>
    public static void PoissonSlopes(string path, int clusters, int size, ulong seed)
    {
        var rng = new Rng(seed);
        using var w = new StreamWriter(path, false, new UTF8Encoding(false));
        w.Write("y,x,z,g\n");
        const double sd0 = 0.5, sd1 = 0.3, rho = 0.3;
        for (int g = 0; g < clusters; g++)
        {
            var (b0, b1) = CorrelatedEffects(rng, sd0, sd1, rho);
            for (int i = 0; i < size; i++)
            {
                double x = rng.Normal(), z = rng.Normal();
                double limit = Math.Exp(-Math.Exp(0.5 + 0.3 * x - 0.2 * z + b0 + b1 * x));
                int y = 0;
                for (double prod = rng.Uniform(); prod > limit; prod *= rng.Uniform()) y++;
                w.Write(string.Create(CultureInfo.InvariantCulture, $"{y},{x:R},{z:R},g{g}\n"));
            }
        }
    }
}
