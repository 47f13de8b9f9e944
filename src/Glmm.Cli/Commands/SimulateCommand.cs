using System.Globalization;
using System.Text;
using Glmm.Inference;

namespace Glmm.Cli.Commands;

/// <summary><c>glmm simulate</c>: fits the model and writes responses simulated from it as CSV (lme4's <c>simulate</c>).</summary>
internal sealed class SimulateCommand : Command
{
    private static readonly OptionSpec NSim = new("nsim", "N", "number of simulated responses") { Default = "1" };

    private static readonly OptionSpec Seed = new("seed", "S", "random seed (same seed, same numbers)") { Default = "1" };

    private static readonly OptionSpec UseModes = new("use-modes", null,
        "simulate given the conditional modes of the random effects (lme4's re.form = NULL) instead of new random effects (re.form = NA)");

    private static readonly OptionSpec NAgq = new("nagq", "K", "0: PIRLS only; 1: Laplace approximation; K > 1: adaptive Gauss-Hermite quadrature") { Default = "1" };

    public override string Name => "simulate";

    public override string Summary => "simulate responses from a fitted model (lme4's simulate)";

    public override string Description =>
        "Fits the formula to the data, then writes CSV with one row per observation used in the fit (row: its row\n" +
        "in the data file, 1-based) and one column sim_1 .. sim_N per simulation: new random effects drawn from\n" +
        "the fitted covariance (lme4's default) or, with --use-modes, the conditional modes. Binomial responses are\n" +
        "proportions of the trials (as lme4 returns them for weights), counts for Poisson.";

    public override IReadOnlyList<OptionSpec> Options { get; } =
        CommonOptions.Model.Concat(new[] { CommonOptions.Family, CommonOptions.Link, NAgq, CommonOptions.Threads, NSim, Seed, UseModes }).ToArray();

    public override int Execute(ParsedOptions options, TextWriter stdout, TextWriter stderr)
    {
        int nsim = options.GetInt(NSim, 1);
        if (nsim < 1) throw new GlmmInputException($"--nsim must be at least 1, not {options.Get(NSim)}");
        long seed = options.GetInt(Seed, 1);
        int threads = CommonOptions.ReadThreads(options);
        var data = CommonOptions.ReadData(options, stderr);
        var fit = GlmmModel.Fit(options.Require(CommonOptions.Formula), data, CommonOptions.FitOptions(options, options.GetInt(NAgq, 1), threads));
        foreach (var warning in fit.Warnings) stderr.WriteLine("glmm: warning: " + warning);
        var sims = Simulation.Simulate(fit, nsim, seed, options.Has(UseModes));
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append("row");
        for (int k = 1; k <= nsim; k++) sb.Append(",sim_").Append(k.ToString(ci));
        sb.Append('\n');
        var rows = fit.RowsUsed;
        for (int i = 0; i < fit.Nobs; i++)
        {
            sb.Append((rows[i] + 1).ToString(ci));
            for (int k = 0; k < nsim; k++) sb.Append(',').Append(sims[k][i].ToString("R", ci));
            sb.Append('\n');
        }
        stdout.Write(sb.ToString());
        return 0;
    }
}
