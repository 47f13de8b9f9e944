namespace Glmm.Cli.Commands;

/// <summary>Options shared by the verbs that read a data file and a formula, and the helpers to use them.</summary>
internal static class CommonOptions
{
    public static readonly OptionSpec Data = new("data", "FILE",
        "data file: delimited text with a header row (.csv, .tsv, .txt; types inferred as R's read.csv), Parquet (.parquet), " +
        "Arrow IPC/Feather (.arrow, .feather), any of them gzip-compressed (.gz), or - for standard input")
    { Required = true, Alias = "d" };

    public static readonly OptionSpec FormatIn = new("format-in", "FORMAT", "format of the data file; default: from its extension, else its content")
    { Default = "auto", Allowed = new[] { "auto", "csv", "tsv", "parquet", "arrow" } };

    public static readonly OptionSpec Separator = new("sep", "CHAR",
        "field separator of delimited text: a character, or tab, comma, semicolon; default: detected from the header line");

    public static readonly OptionSpec Formula = new("formula", "FORMULA", "lme4 model formula, e.g. \"y ~ x + (1 | g)\"")
    { Required = true, Alias = "f" };

    public static readonly OptionSpec Weights = new("weights", "COLUMN", "numeric column of prior weights");

    public static readonly OptionSpec Format = new("format", "FORMAT", "output format")
    { Default = "text", Allowed = new[] { "text", "json" } };

    public static readonly OptionSpec Family = new("family", "NAME", "response distribution")
    { Default = "binomial", Allowed = new[] { "binomial", "poisson", "Gamma", "gamma", "nbinom2", "nbinom1", "gaussian" } };

    public static readonly OptionSpec Link = new("link", "NAME",
        "link function (binomial: logit, probit, cloglog, cauchit; poisson: log, sqrt, identity; Gamma: inverse, identity, log; nbinom2: log, sqrt, identity; nbinom1: log, sqrt, identity; gaussian: identity, log, inverse); default: the canonical link (nbinom2: log)");

    public static readonly OptionSpec Threads = new("threads", "N", "threads to use (results do not depend on it); default: all cores");

    /// <summary>The data, formula and weights options, in the order the help lists them.</summary>
    public static readonly IReadOnlyList<OptionSpec> Model = new[] { Data, Formula, Weights, FormatIn, Separator };

    /// <summary>
    /// Reads the table named by --data (a file, or - for standard input) in the format --format-in names, of columnar formats
    /// only the columns <paramref name="formulas"/> (default: --formula) and --weights refer to; renamed header names
    /// (duplicates, empty names) are warnings on <paramref name="stderr"/>.
    /// </summary>
    public static DataTable ReadData(ParsedOptions options, TextWriter? stderr = null, IEnumerable<string>? formulas = null)
    {
        var warnings = new List<string>();
        string path = options.Require(Data);
        var read = ReadOptions(options) with { Columns = WantedColumns(formulas ?? (options.Get(Formula) is { } f ? [f] : []), options.Get(Weights)) };
        DataTable table;
        if (path == "-")
        {
            using var stdin = Console.OpenStandardInput();
            table = TableReader.Read(stdin, "standard input", read, warnings);
        }
        else table = TableReader.Read(path, read, warnings);
        foreach (var w in warnings) stderr?.WriteLine("glmm: warning: " + w);
        return table;
    }

    /// <summary>The --format-in and --sep options as table-reading options (all columns).</summary>
    public static TableReadOptions ReadOptions(ParsedOptions options)
    {
        var format = (options.Get(FormatIn) ?? "auto") switch
        {
            "csv" => DataFormat.Csv,
            "tsv" => DataFormat.Tsv,
            "parquet" => DataFormat.Parquet,
            "arrow" => DataFormat.Arrow,
            _ => DataFormat.Auto,
        };
        char? sep = options.Get(Separator) switch
        {
            null => null,
            "tab" or "\\t" => '\t',
            "comma" => ',',
            "semicolon" => ';',
            { Length: 1 } c => c[0],
            var other => throw new GlmmInputException($"--sep needs one character (or tab, comma, semicolon), not '{other}'"),
        };
        return new TableReadOptions { Format = format, Separator = sep };
    }

    /// <summary>The columns the formulas and the weights refer to; null (all columns) when a formula does not parse (its error is reported by the fit).</summary>
    private static IReadOnlyCollection<string>? WantedColumns(IEnumerable<string> formulas, string? weights)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var text in formulas)
        {
            try
            {
                foreach (var n in Glmm.Formulas.Formula.Parse(text).VariableNames) names.Add(n);
            }
            catch (GlmmInputException)
            {
                return null;
            }
        }
        if (names.Count == 0) return null;
        if (weights is not null) names.Add(weights);
        return names;
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
