using System.Text.Json;
using Glmm.Cli;

namespace Glmm.Tests.Cli;

/// <summary><c>glmm fit --solver auto|cholesky|iterative [--probes N] [--seed S]</c>: what the JSON and the summary say, and the refusals.</summary>
public class SolverOptionTests
{
    private static readonly string Crossed = Path.Combine(AppContext.BaseDirectory, "fixtures", "data", "crossed_slopes.csv");
    private const string Formula = "y ~ x + (1 | a) + (1 | b)";

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = CommandLine.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    [Fact]
    public void IterativeJsonHasTheSolverAndTheMonteCarloError()
    {
        var (code, output, err) = Run("fit", "--data", Crossed, "--formula", Formula, "--solver", "iterative", "--probes", "16", "--seed", "5", "--format", "json");
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.Equal("iterative", root.GetProperty("solver").GetString());
        double mc = root.GetProperty("logLikMonteCarloError").GetDouble();
        Assert.True(mc > 0 && mc < 0.5, $"Monte Carlo error {mc}");
        Assert.Equal(16, root.GetProperty("iterative").GetProperty("probes").GetInt32());
        Assert.Equal(5, root.GetProperty("iterative").GetProperty("seed").GetInt32());
        // The exact fit's logLik within a few Monte Carlo errors.
        var (c2, exactOut, _) = Run("fit", "--data", Crossed, "--formula", Formula, "--solver", "cholesky", "--format", "json");
        Assert.Equal(0, c2);
        using var exact = JsonDocument.Parse(exactOut);
        Assert.Equal("cholesky", exact.RootElement.GetProperty("solver").GetString());
        Assert.False(exact.RootElement.TryGetProperty("logLikMonteCarloError", out _));
        double diff = root.GetProperty("logLik").GetDouble() - exact.RootElement.GetProperty("logLik").GetDouble();
        Assert.True(Math.Abs(diff) <= 4 * mc, $"logLik differs by {diff}, Monte Carlo error {mc}");
    }

    [Fact]
    public void SummarySaysWhichSolverAndItsSettings()
    {
        var (code, output, err) = Run("fit", "--data", Crossed, "--formula", Formula, "--solver", "iterative", "--probes", "8");
        Assert.True(code == 0, err);
        Assert.Contains("Solver: iterative (asked for): conjugate gradients (block-jacobi preconditioner", output);
        Assert.Contains("with 8 probes (seed 1)", output);
        Assert.Contains("; Monte Carlo error of logLik", output);
        (code, output, _) = Run("fit", "--data", Crossed, "--formula", Formula);
        Assert.Equal(0, code);
        Assert.DoesNotContain("Solver:", output);
    }

    [Theory]
    [InlineData("--nagq", "3", "--solver iterative is the Laplace approximation only (--nagq 1), not --nagq 3")]
    [InlineData("--reml", "laplace", "--solver iterative does not support --reml")]
    [InlineData("--probes", "1", "--probes must be at least 2")]
    public void RefusalsAreOneLine(string option, string value, string message)
    {
        var args = new List<string> { "fit", "--data", Crossed, "--formula", Formula, option, value };
        if (option != "--probes") args.AddRange(["--solver", "iterative"]);
        else args.AddRange(["--solver", "iterative"]);
        var (code, _, err) = Run(args.ToArray());
        Assert.Equal(2, code);
        Assert.Contains(message, err);
        Assert.Single(err.Trim().Split('\n'));
    }

    [Fact]
    public void UnknownSolverIsRefused()
    {
        var (code, _, err) = Run("fit", "--data", Crossed, "--formula", Formula, "--solver", "lanczos");
        Assert.Equal(2, code);
        Assert.Contains("--solver", err);
    }
}
