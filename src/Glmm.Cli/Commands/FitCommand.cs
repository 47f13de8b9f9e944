using Glmm.Fitting;
using Glmm.Results;

namespace Glmm.Cli.Commands;

/// <summary>
/// <c>glmm fit</c>: fits a GLMM by maximum likelihood (Laplace approximation by default, adaptive
/// Gauss–Hermite quadrature with --nagq K &gt; 1) and prints an lme4-style summary or JSON.
/// </summary>
internal sealed class FitCommand : Command
{
    private static readonly OptionSpec Family = new("family", "NAME", "response distribution")
    { Default = "binomial", Allowed = new[] { "binomial", "poisson" } };

    private static readonly OptionSpec Link = new("link", "NAME",
        "link function (binomial: logit, probit, cloglog, cauchit; poisson: log, sqrt, identity); default: the canonical link");

    private static readonly OptionSpec NAgq = new("nagq", "K",
        "0: fixed effects inside PIRLS only (fast, approximate); 1: Laplace approximation; K > 1: adaptive Gauss-Hermite quadrature with K points per random effect (one grouping factor)")
    { Default = "1" };

    private static readonly OptionSpec Grid = new("grid", "GRID", "quadrature grid for --nagq > 1: product (K^q nodes) or sparse (Smolyak)")
    { Default = "product", Allowed = new[] { "product", "sparse" } };

    private static readonly OptionSpec Information = new("information", "KIND",
        "curvature of the Laplace approximation for non-canonical links: observed (exact, as glmmTMB) or expected (as lme4)")
    { Default = "observed", Allowed = new[] { "observed", "expected" } };

    private static readonly OptionSpec Reml = new("reml", "VARIANT",
        "restricted maximum likelihood: laplace (beta integrated out by Laplace, as glmmTMB), profile (Cox-Reid adjusted profile likelihood; with --nagq K > 1 based on quadrature) or pql (REML of the working linear mixed model)")
    { Allowed = new[] { "laplace", "profile", "pql" } };

    private static readonly OptionSpec Threads = new("threads", "N", "threads to use (results do not depend on it); default: all cores");

    private static readonly OptionSpec Ranef = new("ranef", null, "add the conditional modes of the random effects (with conditional SDs) to the JSON output");

    public override string Name => "fit";

    public override string Summary => "fit a generalized linear mixed model by maximum likelihood";

    public override string Description =>
        "Fits the formula to the data as lme4's glmer does: PIRLS for the conditional modes, the Laplace\n" +
        "approximation (or adaptive Gauss-Hermite quadrature), BOBYQA over the covariance parameters and\n" +
        "then over (theta, beta) jointly. Prints an lme4-style summary (--format text) or one JSON object.";

    public override IReadOnlyList<OptionSpec> Options { get; } =
        CommonOptions.Model.Concat(new[] { Family, Link, NAgq, Grid, Information, Reml, Threads, CommonOptions.Format, Ranef })
            // After the fit (issue 6): --ranef-out, --predict, --type, --no-random, --allow-new-levels, --residuals, --save.
            .Concat(PredictionOutput.FitOptions)
            .ToArray();

    public override int Execute(ParsedOptions options, TextWriter stdout, TextWriter stderr)
    {
        string path = options.Require(CommonOptions.Data);
        int nagq = options.GetInt(NAgq, 1);
        int threads = options.GetInt(Threads, 0);
        if (threads < 0) throw new GlmmInputException($"--threads must be 0 or more, not {threads}");
        var data = CommonOptions.ReadData(options);
        var fitOptions = new GlmmOptions
        {
            Family = options.Get(Family) ?? "binomial",
            Link = options.Get(Link),
            WeightsColumn = options.Get(CommonOptions.Weights),
            NAgq = nagq,
            Grid = options.Get(Grid) ?? "product",
            ObservedInformation = options.Get(Information) != "expected",
            Reml = options.Get(Reml),
            Threads = threads,
            DataName = Path.GetFileName(path),
        };
        var fit = GlmmModel.Fit(options.Require(CommonOptions.Formula), data, fitOptions);
        // After the fit (issue 6): ranef CSV, predictions, residuals, saved model.
        var (afterJson, afterText) = PredictionOutput.AfterFit(options, fit, stderr);
        if (CommonOptions.IsJson(options)) stdout.WriteLine(JsonWriter.Write(fit, includeRanef: options.Has(Ranef), extra: afterJson));
        else stdout.Write(SummaryWriter.Write(fit) + afterText);
        return 0;
    }
}
