using Glmm.Data;

namespace Glmm.Cli.Commands;

/// <summary>Options shared by the verbs that read a data file and a formula, and the helpers to use them.</summary>
internal static class CommonOptions
{
    public static readonly OptionSpec Data = new("data", "FILE", "CSV file with a header row (RFC 4180; types inferred as R's read.csv)")
    { Required = true, Alias = "d" };

    public static readonly OptionSpec Formula = new("formula", "FORMULA", "lme4 model formula, e.g. \"y ~ x + (1 | g)\"")
    { Required = true, Alias = "f" };

    public static readonly OptionSpec Weights = new("weights", "COLUMN", "numeric column of prior weights");

    public static readonly OptionSpec Format = new("format", "FORMAT", "output format")
    { Default = "text", Allowed = new[] { "text", "json" } };

    /// <summary>The data, formula and weights options, in the order the help lists them.</summary>
    public static readonly IReadOnlyList<OptionSpec> Model = new[] { Data, Formula, Weights };

    /// <summary>Reads the table named by --data.</summary>
    public static DataTable ReadData(ParsedOptions options) => CsvTableReader.Read(options.Require(Data));

    /// <summary>True when --format json was given.</summary>
    public static bool IsJson(ParsedOptions options) => options.Get(Format) == "json";
}
