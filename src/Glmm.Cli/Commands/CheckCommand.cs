using System.Text;
using System.Text.Json;
using Glmm.Inference;

namespace Glmm.Cli.Commands;

/// <summary>
/// <c>glmm check</c>: fits the model, then DHARMa's simulation-based residual tests (uniformity, dispersion,
/// zero-inflation, outliers) and, with --quadrature, the quadrature adequacy check ("is Laplace enough?").
/// </summary>
internal sealed class CheckCommand : Command
{
    private static readonly OptionSpec NSim = new("nsim", "N", "simulated responses per observation (DHARMa's default)") { Default = "250" };

    private static readonly OptionSpec Seed = new("seed", "S", "random seed (same seed, same residuals and p values, whatever --threads)") { Default = "123" };

    private static readonly OptionSpec Conditional = new("conditional", null,
        "simulate given the conditional modes of the random effects (lme4's re.form = NULL) instead of new random effects (re.form = NA, DHARMa's default)");

    private static readonly OptionSpec Outliers = new("outliers", "TYPE",
        "the outlier test: exchangeable (each simulation ranked among the others and the data; exact for discrete responses), binomial (exact for continuous ones), bootstrap (DHARMa's resampling; flags too often), default: exchangeable for discrete responses, binomial otherwise")
    { Default = "default", Allowed = new[] { "default", "binomial", "bootstrap", "exchangeable" } };

    private static readonly OptionSpec OutlierReplicates = new("outlier-replicates", "N", "--outliers bootstrap: bootstrap replicates (DHARMa's nBoot; at most --nsim)") { Default = "100" };

    private static readonly OptionSpec NAgq = new("nagq", "K", "the fit checked: 0: PIRLS only; 1: Laplace approximation; K > 1: adaptive Gauss-Hermite quadrature") { Default = "1" };

    private static readonly OptionSpec Quadrature = new("quadrature", null,
        "also refit with K = 1, 3, 5, ... quadrature points until the log-likelihood changes by less than --tolerance, and recommend a K (random effects on one grouping factor; binomial or poisson)");

    private static readonly OptionSpec Tolerance = new("tolerance", "T", "--quadrature: the log-likelihood change between successive K taken as stable") { Default = "1e-3" };

    private static readonly OptionSpec MaxNagq = new("max-nagq", "K", "--quadrature: the largest K tried") { Default = "25" };

    private static readonly OptionSpec MaxQuadratureWork = new("max-quadrature-work", "N",
        "--quadrature: cost budget of each refit (nodes per cluster x rows x expected deviance evaluations); the check stops before the first K above it; 0: no limit")
    { Default = "1e9" };

    private static readonly OptionSpec NoResiduals = new("no-residuals", null, "with --quadrature: skip the residual tests");

    public override string Name => "check";

    public override string Summary => "is the model right? DHARMa's residual tests and the quadrature adequacy check";

    public override string Description =>
        "Fits the formula to the data, simulates --nsim responses per observation from the fitted model (new random\n" +
        "effects, or the conditional modes with --conditional) and computes DHARMa's scaled residuals: the position of\n" +
        "each observation among its simulations (randomized for discrete responses), uniform on (0, 1) when the model is\n" +
        "right. Then DHARMa's tests, each with its statistic, two-sided p value and a one-line verdict: uniformity\n" +
        "(Kolmogorov-Smirnov), dispersion (observed vs simulated variance around the population-level fitted values),\n" +
        "zeroInflation (observed vs simulated zeros; discrete responses) and outliers (observations outside the\n" +
        "simulation envelope, against the frequency the simulations themselves give, or the binomial 2/(nsim + 1)). With --quadrature, also the table of logLik, fixed effects and SDs against K\n" +
        "and the verdict \"Laplace adequate\" or \"use --nagq K\".";

    public override IReadOnlyList<OptionSpec> Options { get; } =
        CommonOptions.Model.Concat(new[] { CommonOptions.Family, CommonOptions.Link, NAgq, CommonOptions.Threads, NSim, Seed, Conditional,
            Outliers, OutlierReplicates, Quadrature, Tolerance, MaxNagq, MaxQuadratureWork, NoResiduals, CommonOptions.Format }).ToArray();

    public override int Execute(ParsedOptions options, TextWriter stdout, TextWriter stderr)
    {
        string path = options.Require(CommonOptions.Data);
        int nsim = options.GetInt(NSim, 250);
        if (nsim < 2) throw new GlmmInputException($"--nsim must be at least 2, not {options.Get(NSim)}");
        long seed = options.GetInt(Seed, 123);
        var outliers = (options.Get(Outliers) ?? "default") switch
        {
            "binomial" => OutlierTestType.Binomial,
            "bootstrap" => OutlierTestType.Bootstrap,
            "exchangeable" => OutlierTestType.Exchangeable,
            _ => OutlierTestType.Default,
        };
        int replicates = options.GetInt(OutlierReplicates, OutlierBootstrap.DefaultReplicates);
        if (replicates < 1) throw new GlmmInputException($"--outlier-replicates must be at least 1, not {options.Get(OutlierReplicates)}");
        if (options.Has(OutlierReplicates) && outliers != OutlierTestType.Bootstrap)
            stderr.WriteLine("glmm: warning: --outlier-replicates has no effect without --outliers bootstrap");
        int threads = CommonOptions.ReadThreads(options);
        bool quadrature = options.Has(Quadrature);
        bool residuals = !(quadrature && options.Has(NoResiduals));
        if (!quadrature)
            foreach (var o in new[] { Tolerance, MaxNagq, MaxQuadratureWork, NoResiduals })
                if (options.Has(o)) stderr.WriteLine($"glmm: warning: --{o.Name} has no effect without --quadrature");
        double tolerance = options.GetDouble(Tolerance, 1e-3);
        if (!(tolerance > 0) || double.IsInfinity(tolerance)) throw new GlmmInputException($"--tolerance must be a positive number, not {options.Get(Tolerance)}");
        int maxNagq = options.GetInt(MaxNagq, 25);
        if (maxNagq < 3) throw new GlmmInputException($"--max-nagq must be 3 or more, not {options.Get(MaxNagq)}");
        double budget = options.GetDouble(MaxQuadratureWork, 1e9);
        if (double.IsNaN(budget)) throw new GlmmInputException($"--max-quadrature-work must be a number, not {options.Get(MaxQuadratureWork)}");

        var data = CommonOptions.ReadData(options, stderr);
        var fit = GlmmModel.Fit(options.Require(CommonOptions.Formula), data,
            CommonOptions.FitOptions(options, options.GetInt(NAgq, 1), threads) with { MaxQuadratureWork = budget });
        foreach (var warning in fit.Warnings) stderr.WriteLine("glmm: warning: " + warning);
        var check = residuals
            ? fit.CheckResiduals(new ResidualCheckOptions
            {
                Simulations = nsim, Seed = seed, Conditional = options.Has(Conditional), Threads = threads, Outliers = outliers, OutlierReplicates = replicates,
            })
            : null;
        var quad = quadrature
            ? fit.CheckQuadrature(new QuadratureCheckOptions { Tolerance = tolerance, MaxNagq = maxNagq, MaxQuadratureWork = budget, Threads = threads })
            : null;

        if (CommonOptions.IsJson(options))
        {
            using var stream = new MemoryStream();
            using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            {
                w.WriteStartObject();
                Glmm.Results.JsonWriter.WriteSchemaVersion(w);
                w.WriteString("data", Path.GetFileName(path));
                w.WriteString("formula", fit.Formula);
                w.WriteString("family", fit.Family.Name);
                w.WriteString("link", fit.Family.Link.Name);
                w.WriteNumber("nobs", fit.Nobs);
                w.WriteNumber("nAGQ", fit.NAgq);
                Glmm.Results.JsonWriter.Number(w, "logLik", fit.LogLik);
                if (check is not null) check.WriteJson(w);
                quad?.WriteJson(w);
                w.WriteEndObject();
            }
            stdout.WriteLine(Encoding.UTF8.GetString(stream.ToArray()));
        }
        else
        {
            stdout.Write($"{fit.Family.Name}({fit.Family.Link.Name}) fit of {fit.Formula} to {Path.GetFileName(path)} ({fit.Nobs} observations)\n");
            if (check is not null) stdout.Write(check.Format());
            if (quad is not null)
            {
                if (check is not null) stdout.Write('\n');
                stdout.Write(quad.Format());
            }
        }
        return 0;
    }
}
