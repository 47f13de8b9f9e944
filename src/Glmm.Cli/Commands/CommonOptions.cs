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

    public static readonly OptionSpec Family = new("family", "NAME", "response distribution")
    { Default = "binomial", Allowed = new[] { "binomial", "poisson", "gaussian" } };

    public static readonly OptionSpec Link = new("link", "NAME",
        "link function (binomial: logit, probit, cloglog, cauchit; poisson: log, sqrt, identity; gaussian: identity, log); default: the canonical link");

    public static readonly OptionSpec Threads = new("threads", "N", "threads to use (results do not depend on it); default: all cores");

    /// <summary>The data, formula and weights options, in the order the help lists them.</summary>
    public static readonly IReadOnlyList<OptionSpec> Model = new[] { Data, Formula, Weights };

    /// <summary>Reads the table named by --data; renamed header names (duplicates, empty names) are warnings on <paramref name="stderr"/>.</summary>
    public static DataTable ReadData(ParsedOptions options, TextWriter? stderr = null)
    {
        var warnings = new List<string>();
        var table = CsvTableReader.Read(options.Require(Data), warnings);
        foreach (var w in warnings) stderr?.WriteLine("glmm: warning: " + w);
        return table;
    }

    /// <summary>The --threads value (0 = all cores); a negative number is an input error.</summary>
    public static int ReadThreads(ParsedOptions options)
    {
        int threads = options.GetInt(Threads, 0);
        if (threads < 0) throw new GlmmInputException($"--threads must be 0 or more, not {threads}");
        return threads;
    }

    /// <summary>True when --format json was given.</summary>
    public static bool IsJson(ParsedOptions options) => options.Get(Format) == "json";

    /// <summary>The fit options every fitting command shares: family, link, weights, nAGQ, threads and the data's name.</summary>
    public static GlmmOptions FitOptions(ParsedOptions options, int nagq, int threads) => new()
    {
        Family = Glmm.Families.Family.Create(options.Get(Family) ?? "binomial", options.Get(Link)),
        WeightsColumn = options.Get(Weights),
        NAgq = nagq,
        Threads = threads,
        DataName = Path.GetFileName(options.Require(Data)),
    };
}
