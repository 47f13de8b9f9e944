using Glmm.Inference;
using Glmm.Plots;

namespace Glmm.Cli.Commands;

/// <summary>
/// <c>glmm plot caterpillar|residuals|profile|quadrature</c>: fits the model and draws one diagnostic figure as PNG or SVG
/// (the extension of --out decides). The kind is the first argument (rewritten to --kind by <see cref="Rewrite"/>).
/// </summary>
internal sealed class PlotCommand : Command
{
    private static readonly string[] Kinds = ["caterpillar", "residuals", "profile", "quadrature"];

    private static readonly OptionSpec Kind = new("kind", "KIND",
        "what to draw (also the first argument): caterpillar (conditional modes +- 1.96 conditional SD, lme4's dotplot(ranef)), residuals (DHARMa's QQ and residual-vs-predicted panels), profile (zeta plots, lme4's xyplot(profile)) or quadrature (log-likelihood against the AGQ points K)")
    { Required = true, Allowed = Kinds };

    private static readonly OptionSpec Out = new("out", "FILE", "the image to write: FILE.png or FILE.svg") { Required = true, Alias = "o" };

    private static readonly OptionSpec NAgq = new("nagq", "K", "0: PIRLS only; 1: Laplace approximation; K > 1: adaptive Gauss-Hermite quadrature (not for quadrature plots)") { Default = "1" };

    private static readonly OptionSpec NSim = new("nsim", "N", "simulations per observation for residuals") { Default = "250" };

    private static readonly OptionSpec Seed = new("seed", "S", "random seed for residuals (same seed, same picture; the default is glmm check's)") { Default = "123" };

    private static readonly OptionSpec MaxNagq = new("max-nagq", "K", "largest K of the quadrature plot's refits (1, 3, 5, ... until the log-likelihood settles)") { Default = "15" };

    public override string Name => "plot";

    public override string Summary => "draw a diagnostic plot (caterpillar, residuals, profile, quadrature) as PNG or SVG";

    public override string Description =>
        "glmm plot KIND --data F --formula \"...\" --out FILE.png|FILE.svg fits the model and draws KIND. Titles and\n" +
        "axes are labelled with the model's own names (terms, grouping factors, parameters).";

    public override IReadOnlyList<OptionSpec> Options { get; } =
        CommonOptions.Model.Concat(new[] { Kind, Out, CommonOptions.Family, CommonOptions.Link, NAgq, CommonOptions.Threads, NSim, Seed, MaxNagq }).ToArray();

    /// <summary>Moves a leading kind (<c>plot caterpillar --data …</c>) into <c>--kind</c>; other arguments unchanged.</summary>
    public static string[] Rewrite(string[] rest) =>
        rest.Length > 0 && !rest[0].StartsWith('-') ? ["--kind", rest[0], .. rest[1..]] : rest;

    public override int Execute(ParsedOptions options, TextWriter stdout, TextWriter stderr)
    {
        string kind = options.Require(Kind);
        string path = options.Require(Out);
        string ext = Path.GetExtension(path).ToLowerInvariant();
        if (ext != ".png" && ext != ".svg") throw new GlmmInputException($"--out must name a .png or .svg file, not '{path}'");
        int threads = CommonOptions.ReadThreads(options);
        int nsim = options.GetInt(NSim, 250);
        if (nsim < 2) throw new GlmmInputException($"--nsim must be at least 2, not {options.Get(NSim)}");
        int maxNagq = options.GetInt(MaxNagq, 15);
        if (maxNagq < 3) throw new GlmmInputException($"--max-nagq must be at least 3, not {options.Get(MaxNagq)}");
        var data = CommonOptions.ReadData(options, stderr);
        string formula = options.Require(CommonOptions.Formula);
        var fitOptions = CommonOptions.FitOptions(options, options.GetInt(NAgq, 1), threads);
        PlotFigure figure;
        if (kind == "quadrature")
        {
            // The quadrature adequacy check of glmm check --quadrature: refits at K = 1, 3, 5, ... until logLik settles.
            var laplace = GlmmModel.Fit(formula, data, fitOptions with { NAgq = 1 });
            var check = QuadratureCheck.Run(laplace, new QuadratureCheckOptions { MaxNagq = maxNagq, Threads = threads });
            figure = QuadraturePlot.Build(check.Rows.Select(r => new QuadratureRow(r.NAgq, r.LogLik)).ToList(), formula);
        }
        else
        {
            var fit = GlmmModel.Fit(formula, data, fitOptions);
            foreach (var warning in fit.Warnings) stderr.WriteLine("glmm: warning: " + warning);
            switch (kind)
            {
                case "caterpillar":
                    figure = CaterpillarPlot.Build(fit);
                    break;
                case "residuals":
                {
                    // glmm check's quantile residuals and tests (DHARMa's), against the population-level prediction.
                    var check = QuantileResiduals.Check(fit, new ResidualCheckOptions { Simulations = nsim, Seed = options.GetInt(Seed, 123), Threads = threads });
                    var tests = check.Tests.Select(t => (t.Name, t.Statistic, t.P)).ToList();
                    figure = ResidualPlot.Build(check.Residuals.ToArray(), check.PredictedResponse.ToArray(), tests, formula);
                    break;
                }
                default:
                {
                    var traces = ProfileTraces.Compute(fit, threads: threads);
                    var se = fit.FixedEffects.ToDictionary(f => f.Name, f => f.StdError);
                    figure = ProfilePlot.Build(traces, formula, se);
                    break;
                }
            }
        }
        PlotRenderer.Save(figure, path);
        stdout.WriteLine($"wrote {path} ({kind}: {figure.Panels.Count} panel{(figure.Panels.Count == 1 ? "" : "s")}, {figure.Width}x{figure.Height})");
        return 0;
    }
}
