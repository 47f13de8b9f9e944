using System.Globalization;
using System.Text;

namespace Glmm.Bench;

/// <summary>
/// Writes the simulated benchmark data sets with a self-contained generator (SplitMix64 + Box–Muller),
/// so the files are byte-identical on every machine and .NET version.
/// </summary>
internal static partial class SimulatedData
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
    /// Binary y ~ x + (1 + x | a) + (1 + x | b), crossed: row r in level r mod A of a and a random level of b; SDs
    /// (0.8, 0.4) with correlation 0.3 for a, (0.5, 0.3) with correlation −0.2 for b; β = (−0.3, 0.7).
    /// </summary>
    public static void CrossedSlopes(string path, int rows, int levelsA, int levelsB, ulong seed)
    {
        var rng = new Rng(seed);
        var a0 = new double[levelsA];
        var a1 = new double[levelsA];
        var b0 = new double[levelsB];
        var b1 = new double[levelsB];
        for (int i = 0; i < levelsA; i++)
        {
            double z0 = rng.Normal(), z1 = rng.Normal();
            a0[i] = 0.8 * z0;
            a1[i] = 0.4 * (0.3 * z0 + Math.Sqrt(1 - 0.09) * z1);
        }
        for (int i = 0; i < levelsB; i++)
        {
            double z0 = rng.Normal(), z1 = rng.Normal();
            b0[i] = 0.5 * z0;
            b1[i] = 0.3 * (-0.2 * z0 + Math.Sqrt(1 - 0.04) * z1);
        }
        using var w = new StreamWriter(path, false, new UTF8Encoding(false));
        w.Write("y,x,a,b\n");
        for (int r = 0; r < rows; r++)
        {
            int a = r % levelsA;
            int b = (int)(rng.Next() % (ulong)levelsB);
            double x = rng.Normal();
            int y = Binary(rng, -0.3 + 0.7 * x + a0[a] + a1[a] * x + b0[b] + b1[b] * x);
            w.Write(string.Create(CultureInfo.InvariantCulture, $"{y},{x:R},a{a},b{b}\n"));
        }
    }

    private static int Binary(Rng rng, double eta) => rng.Uniform() < 1.0 / (1.0 + Math.Exp(-eta)) ? 1 : 0;

    /// <summary>
    /// Binary y ~ x + (1 | school/class): schools × classes × pupils rows; β = (−0.3, 0.7); school intercept SD 0.8,
    /// class-within-school intercept SD 0.5. Class codes (c0, c1, …) repeat in every school, so the classes are
    /// identified only by school:class.
    /// </summary>
    public static void Nested(string path, int schools, int classes, int pupils, ulong seed)
    {
        var rng = new Rng(seed);
        using var w = new StreamWriter(path, false, new UTF8Encoding(false));
        w.Write("y,x,school,class\n");
        for (int s = 0; s < schools; s++)
        {
            double us = 0.8 * rng.Normal();
            for (int c = 0; c < classes; c++)
            {
                double uc = 0.5 * rng.Normal();
                for (int i = 0; i < pupils; i++)
                {
                    double x = rng.Normal();
                    int y = Binary(rng, -0.3 + 0.7 * x + us + uc);
                    w.Write(string.Create(CultureInfo.InvariantCulture, $"{y},{x:R},s{s},c{c}\n"));
                }
            }
        }
    }

    /// <summary>
    /// Binary y ~ x + (1 | region) + (1 | region:school) + (1 + x | region:school:class), unbalanced: 17–25 schools
    /// per region (schools in all), 3–9 classes per school, rows spread over the classes in proportion to weights drawn
    /// from [0.5, 1.5) (about 20–75 pupils a class). β = (−0.2, 0.8); region intercept SD 0.5, school SD 0.4; class
    /// intercept SD 0.6, slope SD 0.3, correlation 0.4. School and class codes repeat across regions and schools.
    /// </summary>
    public static void Nested3(string path, int rows, int regions, int schools, ulong seed)
    {
        var rng = new Rng(seed);
        // Schools per region: 17–25 at random, then moved one at a time until they add up to the total.
        var perRegion = new int[regions];
        for (int r = 0; r < regions; r++) perRegion[r] = 17 + (int)(rng.Next() % 9);
        for (int r = 0, diff = schools - perRegion.Sum(); diff != 0; r = (r + 1) % regions)
        {
            int step = Math.Sign(diff);
            if (perRegion[r] + step is < 17 or > 25) continue;
            perRegion[r] += step;
            diff -= step;
        }
        // A class: its region, school within the region, class within the school, the school's index over all regions
        // (into uSchool), its intercept and slope effects and its share of the rows.
        var classes = new List<(int Region, int School, int Class, int SchoolIndex, double B0, double B1, double Weight)>();
        var uRegion = new double[regions];
        var uSchool = new List<double>();
        for (int r = 0; r < regions; r++)
        {
            uRegion[r] = 0.5 * rng.Normal();
            for (int s = 0; s < perRegion[r]; s++)
            {
                uSchool.Add(0.4 * rng.Normal());
                int k = 3 + (int)(rng.Next() % 7);
                for (int c = 0; c < k; c++)
                {
                    var (b0, b1) = CorrelatedEffects(rng, 0.6, 0.3, 0.4);
                    classes.Add((r, s, c, uSchool.Count - 1, b0, b1, 0.5 + rng.Uniform()));
                }
            }
        }
        double total = classes.Sum(c => c.Weight), cumulative = 0;
        int start = 0;
        using var w = new StreamWriter(path, false, new UTF8Encoding(false));
        w.Write("y,x,region,school,class\n");
        for (int k = 0; k < classes.Count; k++)
        {
            var c = classes[k];
            cumulative += c.Weight;
            int end = k == classes.Count - 1 ? rows : (int)Math.Round(rows * cumulative / total);
            for (int i = start; i < end; i++)
            {
                double x = rng.Normal();
                int y = Binary(rng, -0.2 + 0.8 * x + uRegion[c.Region] + uSchool[c.SchoolIndex] + c.B0 + c.B1 * x);
                w.Write(string.Create(CultureInfo.InvariantCulture, $"{y},{x:R},r{c.Region},s{c.School},c{c.Class}\n"));
            }
            start = end;
        }
    }

    /// <summary>
    /// Binary y ~ x + (1 | hospital) + (1 | doctor), partially crossed: doctor d works in hospitals d mod H and the
    /// next one or two (H is a ring, so a doctor's hospitals are neighbours); each row (a patient) sees a doctor at
    /// random and one of the doctor's hospitals at random. β = (−0.4, 0.6); hospital intercept SD 0.6, doctor SD 0.4.
    /// </summary>
    public static void PartiallyCrossed(string path, int rows, int hospitals, int doctors, ulong seed)
    {
        var rng = new Rng(seed);
        var uh = new double[hospitals];
        var ud = new double[doctors];
        var span = new int[doctors];
        for (int h = 0; h < hospitals; h++) uh[h] = 0.6 * rng.Normal();
        for (int d = 0; d < doctors; d++) { ud[d] = 0.4 * rng.Normal(); span[d] = 2 + (int)(rng.Next() % 2); }
        using var w = new StreamWriter(path, false, new UTF8Encoding(false));
        w.Write("y,x,hospital,doctor\n");
        for (int r = 0; r < rows; r++)
        {
            int d = (int)(rng.Next() % (ulong)doctors);
            int h = (d + (int)(rng.Next() % (ulong)span[d])) % hospitals;
            double x = rng.Normal();
            int y = Binary(rng, -0.4 + 0.6 * x + uh[h] + ud[d]);
            w.Write(string.Create(CultureInfo.InvariantCulture, $"{y},{x:R},h{h},d{d}\n"));
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

    /// <summary>
    /// Gaussian y ~ x + (1 + x | g), the linear mixed model: clusters × size rows; β = (1, 0.5); random intercept SD 1,
    /// slope SD 0.5, correlation 0.3; residual SD 1 (y rounded to 4 decimals, x to 4).
    /// </summary>
    public static void GaussianSlopes(string path, int clusters, int size, ulong seed)
    {
        var rng = new Rng(seed);
        using var w = new StreamWriter(path, false, new UTF8Encoding(false));
        w.Write("y,x,g\n");
        const double sd0 = 1.0, sd1 = 0.5, rho = 0.3;
        for (int g = 0; g < clusters; g++)
        {
            var (b0, b1) = CorrelatedEffects(rng, sd0, sd1, rho);
            for (int i = 0; i < size; i++)
            {
                double x = Math.Round(rng.Normal(), 4);
                double y = Math.Round(1.0 + 0.5 * x + b0 + b1 * x + rng.Normal(), 4);
                w.Write(string.Create(CultureInfo.InvariantCulture, $"{y:R},{x:R},g{g}\n"));
            }
        }
    }

    /// <summary>
    /// Negative-binomial (nbinom2, size 2) counts with y ~ x + (1 + x | g): log μ = 0.5 + 0.3x + b0 + b1·x, y ~ Poisson(λ)
    /// with λ ~ Gamma(shape 2, rate 2/μ) (Marsaglia–Tsang), written as y,x,g.
    /// </summary>
    public static void NegativeBinomialSlopes(string path, int clusters, int size, ulong seed)
    {
        var rng = new Rng(seed);
        using var w = new StreamWriter(path, false, new UTF8Encoding(false));
        w.Write("y,x,g\n");
        const double sd0 = 0.5, sd1 = 0.3, rho = 0.3, shape = 2.0;
        for (int g = 0; g < clusters; g++)
        {
            var (b0, b1) = CorrelatedEffects(rng, sd0, sd1, rho);
            for (int i = 0; i < size; i++)
            {
                double x = rng.Normal();
                double mu = Math.Exp(0.5 + 0.3 * x + b0 + b1 * x);
                // Marsaglia–Tsang for shape ≥ 1.
                double d = shape - 1.0 / 3.0, c = 1.0 / Math.Sqrt(9.0 * d), gamma;
                while (true)
                {
                    double z = rng.Normal(), v = 1.0 + c * z;
                    if (v <= 0) continue;
                    v = v * v * v;
                    double u = rng.Uniform();
                    if (Math.Log(u) < 0.5 * z * z + d - d * v + d * Math.Log(v)) { gamma = d * v; break; }
                }
                double lambda = gamma * mu / shape;
                double limit = Math.Exp(-lambda);
                int y = 0;
                for (double prod = rng.Uniform(); prod > limit; prod *= rng.Uniform()) y++;
                w.Write(string.Create(CultureInfo.InvariantCulture, $"{y},{x:R},g{g}\n"));
            }
        }
    }
}
