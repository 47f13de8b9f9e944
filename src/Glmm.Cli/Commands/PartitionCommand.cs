using System.Globalization;
using Glmm.Data;

namespace Glmm.Cli.Commands;

/// <summary>
/// <c>glmm partition</c>: writes a partitioned data set for a distributed fit (<c>glmm fit --cluster</c>): DIR/part-NNNNN.parquet
/// (or .csv), each holding whole top-level clusters of the formula's grouping factor, the same rows for the same input.
/// </summary>
internal sealed class PartitionCommand : Command
{
    private static readonly OptionSpec Parts = new("parts", "N", "number of parts") { Required = true };

    private static readonly OptionSpec Out = new("out", "DIR", "directory to write the parts to (created if needed)") { Required = true };

    private static readonly OptionSpec PartFormat = new("part-format", "FORMAT", "file format of the parts")
    { Default = "parquet", Allowed = new[] { "parquet", "csv" } };

    public override string Name => "partition";

    public override string Summary => "split a data file into parts of whole clusters for a distributed fit";

    public override string Description =>
        "Writes DIR/part-00000.parquet ... (or .csv), every row of the data in exactly one part, each part holding\n" +
        "whole clusters of the grouping factor all random-effect terms share (g in (1 + x | g), a in (1 | a/b)):\n" +
        "the clusters in level order, cut into runs of about equal numbers of rows. Crossed factors are refused.";

    public override IReadOnlyList<OptionSpec> Options { get; } =
        new[] { CommonOptions.Data, CommonOptions.Formula, Parts, Out, PartFormat, CommonOptions.FormatIn, CommonOptions.Separator };

    public override int Execute(ParsedOptions options, TextWriter stdout, TextWriter stderr)
    {
        string formula = options.Require(CommonOptions.Formula);
        int parts = options.GetInt(Parts, 1);
        if (parts < 1 || parts > 99999) throw new GlmmInputException($"--parts must lie between 1 and 99999, not {options.Get(Parts)}");
        string dir = options.Require(Out);
        string ext = options.Get(PartFormat) == "csv" ? ".csv" : ".parquet";
        DataPartitioner.TopFactor(formula);
        var warnings = new List<string>();
        var table = TableReader.Read(options.Require(CommonOptions.Data), CommonOptions.ReadOptions(options), warnings);
        foreach (var w in warnings) stderr.WriteLine("glmm: warning: " + w);
        var p = DataPartitioner.Assign(formula, table, parts);
        try
        {
            Directory.CreateDirectory(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new GlmmInputException($"cannot create the directory '{dir}': {e.Message}");
        }
        foreach (var old in Directory.EnumerateFiles(dir, "part-*.*"))
            if (old.EndsWith(".parquet", StringComparison.Ordinal) || old.EndsWith(".csv", StringComparison.Ordinal))
                throw new GlmmInputException($"the directory '{dir}' already holds parts ({Path.GetFileName(old)}); give an empty or new directory");
        var inv = CultureInfo.InvariantCulture;
        for (int k = 0; k < parts; k++)
        {
            var path = Path.Combine(dir, "part-" + k.ToString("D5", inv) + ext);
            try
            {
                DataPartitioner.WritePart(table, p, k, path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new GlmmInputException($"cannot write '{path}': {e.Message}");
            }
            stdout.WriteLine(string.Create(inv, $"{path}: {p.Rows[k]} rows, {p.Clusters[k]} clusters of {p.TopFactor}"));
        }
        return 0;
    }
}
