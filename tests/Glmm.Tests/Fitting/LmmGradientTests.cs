using System.Globalization;
using System.Text;
using Glmm.Families;
using Glmm.Fitting;
using Glmm.Model;

namespace Glmm.Tests.Fitting;

/// <summary>
/// The exact gradient of the linear mixed model's profiled deviance and REML criterion in θ
/// (<see cref="LinearMixedModel.EvaluateWithGradient"/>) against central differences of the criterion, for every design
/// the LMM path has: one grouping factor with a correlated slope (sleepstudy), crossed (Penicillin), nested with prior
/// weights and a vector term in the dense part, partially crossed, three-level nested, crossed slopes, and an
/// InstEval-like crossed design with a grouping nested in another; at the start, at an arbitrary interior point (off-diagonal
/// θ non-zero) and with a θ on its boundary.
/// </summary>
public class LmmGradientTests
{
    private static string Data(string file) => Path.Combine(AppContext.BaseDirectory, "fixtures", "data", file);

    /// <summary>A crossed design like InstEval's (students × lecturers, lecturers nested in departments), written once.</summary>
    private static string InstEvalLike()
    {
        string path = Path.Combine(Path.GetTempPath(), "glmm_lmg_insteval_like.csv");
        var rng = new Random(20261202);
        var sb = new StringBuilder("y,service,s,d,dept\n");
        var ds = new double[40];
        for (int j = 0; j < ds.Length; j++) ds[j] = rng.NextDouble() * 2 - 1;
        for (int s = 0; s < 80; s++)
        {
            double us = rng.NextDouble() - 0.5;
            int rated = 3 + rng.Next(6);
            for (int r = 0; r < rated; r++)
            {
                int d = rng.Next(ds.Length), service = rng.Next(2);
                double y = 3 + 0.2 * service + us + ds[d] + 0.3 * (d % 5) + (rng.NextDouble() - 0.5) * 2;
                sb.Append(string.Create(CultureInfo.InvariantCulture, $"{y:R},{service},s{s},d{d},dep{d % 5}\n"));
            }
        }
        File.WriteAllText(path, sb.ToString());
        return path;
    }

    public static IEnumerable<object[]> Designs()
    {
        string[][] designs =
        [
            ["sleepstudy.csv", "Reaction ~ Days + (Days | Subject)"],
            ["Penicillin.csv", "diameter ~ 1 + (1 | plate) + (1 | sample)"],
            ["lmm_nested_weights.csv", "y ~ x + grp + (1 + x | school) + (1 | school:class)"],
            ["hospital_doctor.csv", "x ~ 1 + (1 | hospital) + (1 | doctor)"],
            ["nested3_slope.csv", "x ~ 1 + (1 | region) + (1 | region:school) + (1 | region:school:class)"],
            ["crossed_slopes.csv", "x ~ y + (1 + y | a) + (1 + y | b)"],
            ["insteval_like", "y ~ service + (1 | s) + (1 | d) + (1 | dept)"],
        ];
        foreach (var d in designs)
            foreach (bool reml in new[] { false, true })
                yield return [d[0], d[1], reml];
    }

    [Theory]
    [MemberData(nameof(Designs))]
    public void GradientIsTheCentralDifference(string file, string formula, bool reml)
    {
        var table = CsvTableReader.Read(file == "insteval_like" ? InstEvalLike() : Data(file));
        var model = ModelBuilder.Build(formula, table, new ModelBuildOptions { WeightsColumn = file == "lmm_nested_weights.csv" ? "w" : null });
        var lmm = new LinearMixedModel(new EngineLayout(model, new Gaussian()), reml, threads: 1);
        var re = model.Random;
        int n = re.ThetaLength;
        var start = (double[])re.InitialTheta.Clone();
        var interior = new double[n];
        for (int j = 0; j < n; j++) interior[j] = re.IsDiagonal(j) ? 0.4 + 0.25 * j : 0.15 - 0.1 * j;
        var boundary = (double[])interior.Clone();
        boundary[0] = 0.0;
        double worst = 0;
        foreach (var theta in new[] { start, interior, boundary })
        {
            var g = new double[n];
            double f = lmm.EvaluateWithGradient(theta, g);
            Assert.True(double.IsFinite(f));
            Assert.Equal(lmm.Evaluate(theta), f, 1e-12 * Math.Abs(f));
            for (int j = 0; j < n; j++)
            {
                const double h = 1e-5;
                var x = (double[])theta.Clone();
                x[j] = theta[j] + h;
                double fp = lmm.Evaluate(x);
                x[j] = theta[j] - h;
                double fm = lmm.Evaluate(x);
                double fd = (fp - fm) / (2 * h);
                double err = Math.Abs(g[j] - fd) / Math.Max(1.0, Math.Abs(fd));
                worst = Math.Max(worst, err);
                Assert.True(err < 1e-5, $"{formula} ({(reml ? "REML" : "ML")}) θ = [{string.Join(", ", theta)}], ∂/∂θ{j}: exact {g[j]:R}, central difference {fd:R}");
            }
        }
        Console.WriteLine($"{formula} {(reml ? "REML" : "ML")}: largest relative error {worst:E2}");
    }

    [Fact]
    public void BobyqaTakesOverWhenTheGradientSearchDoesNotConverge()
    {
        var table = CsvTableReader.Read(Data("sleepstudy.csv"));
        var fit = GlmmModel.Fit("Reaction ~ Days + (Days | Subject)", table, new GlmmOptions { Family = new Gaussian(), MaxEvaluations = 12 });
        Assert.Contains(fit.Warnings, w => w.Contains("BOBYQA after L-BFGS-B", StringComparison.Ordinal));
        var full = GlmmModel.Fit("Reaction ~ Days + (Days | Subject)", table, new GlmmOptions { Family = new Gaussian() });
        Assert.True(full.Converged);
        Assert.DoesNotContain(full.Warnings, w => w.Contains("BOBYQA", StringComparison.Ordinal));
    }
}
