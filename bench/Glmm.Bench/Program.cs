using System.Globalization;

namespace Glmm.Bench;

/// <summary>Benchmark helper: <c>generate DIR</c> writes the simulated data sets used by bench/run; <c>reml-study</c> runs the REML
/// simulation study; <c>sweep</c> times one PIRLS sweep at a model's estimates.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        if (args.Length == 2 && args[0] == "generate")
        {
            Directory.CreateDirectory(args[1]);
            SimulatedData.RandomSlopes(Path.Combine(args[1], "sim100k.csv"), 2000, 50, 20261124);
            SimulatedData.RandomSlopes(Path.Combine(args[1], "sim1m.csv"), 20000, 50, 20261125);
            SimulatedData.Crossed(Path.Combine(args[1], "crossed200k.csv"), 200000, 2000, 500, 20261126);
            SimulatedData.PoissonSlopes(Path.Combine(args[1], "pois100k.csv"), 2000, 50, 20261127);
            SimulatedData.Nested(Path.Combine(args[1], "nested1m.csv"), 2000, 10, 50, 20261201);
            SimulatedData.Nested3(Path.Combine(args[1], "nested3_300k.csv"), 300000, 50, 1050, 20261202);
            SimulatedData.PartiallyCrossed(Path.Combine(args[1], "partial200k.csv"), 200000, 100, 1500, 20261203);
            SimulatedData.NegativeBinomialSlopes(Path.Combine(args[1], "nb100k.csv"), 2000, 50, 20261204);
            SimulatedData.GaussianSlopes(Path.Combine(args[1], "lmm1m.csv"), 20000, 50, 20261204);
            return 0;
        }
        if (args.Length == 5 && args[0] == "random-slopes")
        {
            // One binomial (1 + x | g) data set of CLUSTERS x SIZE rows (the distributed-fit check, tools/cluster_fit_check.sh).
            SimulatedData.RandomSlopes(args[1], int.Parse(args[2], CultureInfo.InvariantCulture), int.Parse(args[3], CultureInfo.InvariantCulture),
                ulong.Parse(args[4], CultureInfo.InvariantCulture));
            return 0;
        }
        if (args.Length == 2 && args[0] == "generate-nbinom1")
        {
            // The nbinom1 case (issue 14): 100,000 rows, (1 + x | g), glmmTMB's nbinom1.
            Directory.CreateDirectory(args[1]);
            SimulatedData.NegativeBinomial1Slopes(Path.Combine(args[1], "nb1_100k.csv"), 2000, 50, 20261205);
            return 0;
        }
        if (args.Length == 2 && args[0] == "generate-crossed")
        {
            // The iterative solver's cases (issue 17): large crossed designs, fixed seeds.
            Directory.CreateDirectory(args[1]);
            SimulatedData.Crossed(Path.Combine(args[1], "crossed20k.csv"), 20000, 2000, 200, 20261210);
            SimulatedData.Crossed(Path.Combine(args[1], "crossed200k_wide.csv"), 200000, 20000, 2000, 20261211);
            SimulatedData.Crossed(Path.Combine(args[1], "crossed500k.csv"), 500000, 50000, 10000, 20261212);
            SimulatedData.Crossed(Path.Combine(args[1], "crossed2m.csv"), 2000000, 200000, 50000, 20261213);
            SimulatedData.CrossedSlopes(Path.Combine(args[1], "crossedslopes200k.csv"), 200000, 20000, 2000, 20261214);
            foreach (int levels in new[] { 1000, 3000, 10000, 30000, 100000 })
                SimulatedData.Crossed(Path.Combine(args[1], $"crossed_levels{levels}.csv"), 10 * levels, levels, levels / 5, 20261215);
            return 0;
        }
        if (args.Length >= 2 && args[0] == "reml-study")
        {
            int replicates = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 200;
            RemlStudy.Run(args[1], replicates, 20261124);
            return 0;
        }
        if (args.Length >= 4 && args[0] == "sweep")
        {
            SweepTime.Run(args[1], args[2], args[3], args.Length > 4 && args[4].Length > 0 ? args[4] : null, 21);
            return 0;
        }
        if (args.Length >= 4 && args[0] == "preconditioners")
        {
            var theta = args[3].Split(',').Select(t => double.Parse(t, CultureInfo.InvariantCulture)).ToArray();
            PreconditionerStudy.Run(args[1], args[2], theta, args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 4);
            return 0;
        }
        if (args.Length >= 2 && args[0] == "dense")
        {
            DenseKernelTime.Run(int.Parse(args[1], CultureInfo.InvariantCulture), args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 11);
            return 0;
        }
        if (args.Length == 3 && args[0] == "convert")
        {
            FormatConversion.Convert(args[1], args[2]);
            return 0;
        }
        if (args.Length >= 2 && args[0] == "read-time")
        {
            FormatConversion.ReadTimes(args[1..]);
            return 0;
        }
        Console.Error.WriteLine("usage: Glmm.Bench generate DIR | random-slopes OUT.csv CLUSTERS SIZE SEED | convert IN.csv OUT.{tsv,csv.gz,parquet,arrow} | read-time FILE... | reml-study OUTPUT.md [REPLICATES] | sweep DATA FORMULA FAMILY [LINK] | dense N [REPETITIONS] | preconditioners DATA FORMULA THETA,... [SOLVES]");
        return 2;
    }
}
