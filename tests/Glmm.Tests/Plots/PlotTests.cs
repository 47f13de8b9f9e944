using System.Buffers.Binary;
using System.Xml.Linq;
using Glmm.Inference;
using Glmm.Plots;

namespace Glmm.Tests.Plots;

/// <summary>Each plot kind built for two data sets: the plot model's panels and numbers, and valid PNG and SVG files.</summary>
public class PlotTests
{
    private static (string Name, double Statistic, double P) Ks(ReadOnlySpan<double> residuals)
    {
        var t = ResidualTests.Uniformity(residuals);
        return (t.Name, t.Statistic, t.P);
    }

    private static readonly string Data = Path.Combine(AppContext.BaseDirectory, "fixtures", "data");
    private const string Cbpp = "cbind(incidence, size - incidence) ~ period + (1 | herd)";
    private const string Contraception = "use ~ age + urban + (1 + urban | district)";

    private static GlmmFit FitCbpp() => GlmmModel.Fit(Cbpp, CsvTableReader.Read(Path.Combine(Data, "cbpp.csv")));

    private static GlmmFit FitContraception() => GlmmModel.Fit(Contraception, CsvTableReader.Read(Path.Combine(Data, "Contraception.csv")));

    /// <summary>Renders PNG and SVG; checks the PNG signature and IHDR size, and that the SVG parses with every panel title as text.</summary>
    private static void AssertRenders(PlotFigure figure)
    {
        var png = PlotRenderer.Png(figure);
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(png, 12, 4));
        Assert.Equal(figure.Width, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16, 4)));
        Assert.Equal(figure.Height, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20, 4)));
        Assert.True(png.Length > 5000, "an image with content");
        var svg = XDocument.Parse(System.Text.Encoding.UTF8.GetString(PlotRenderer.Svg(figure)));
        Assert.Equal("svg", svg.Root!.Name.LocalName);
        string text = string.Concat(svg.Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value + "\n"));
        foreach (var panel in figure.Panels) Assert.Contains(panel.Title, text);
        // Through a file as the CLI writes it.
        string path = Path.Combine(Path.GetTempPath(), $"glmm-plot-{Guid.NewGuid():N}.png");
        try
        {
            PlotRenderer.Save(figure, path);
            Assert.Equal(png, File.ReadAllBytes(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void CaterpillarHasOnePanelPerTermSortedWithTheIntervals()
    {
        foreach (var fit in new[] { FitCbpp(), FitContraception() })
        {
            var figure = CaterpillarPlot.Build(fit);
            var terms = fit.RandomEffects.SelectMany(r => r.Terms.Select(t => $"{r.Group}: {t}")).ToArray();
            Assert.Equal(terms, figure.Panels.Select(p => p.Title));
            foreach (var panel in figure.Panels)
            {
                var bars = panel.Series.Single(s => s.Kind == SeriesKind.HorizontalIntervals);
                Assert.Equal(fit.RandomEffects[0].Levels, bars.X.Count);
                for (int i = 0; i < bars.X.Count; i++)
                {
                    Assert.Equal(bars.X[i] - bars.Low![i], bars.High![i] - bars.X[i], 1e-12);
                    Assert.True(bars.High[i] > bars.Low[i]);
                }
            }
            // The first panel is sorted by its modes (levels at y = 1, 2, ... upwards).
            var first = figure.Panels[0].Series.Single(s => s.Kind == SeriesKind.HorizontalIntervals);
            for (int i = 1; i < first.X.Count; i++)
            {
                Assert.Equal(i + 1, first.Y[i]);
                Assert.True(first.X[i] >= first.X[i - 1]);
            }
            // Every mode of the fit is drawn, with its own ±1.96 SD bar.
            var modes = fit.ConditionalModes.Where(m => m.Term == fit.RandomEffects[0].Terms[0]).ToDictionary(m => m.Level);
            var labelled = figure.Panels[0].YTicks!;
            foreach (var tick in labelled)
            {
                var m = modes[tick.Label];
                int i = (int)tick.Position - 1;
                Assert.Equal(m.Mode, first.X[i]);
                Assert.Equal(m.Mode + 1.96 * m.ConditionalSD, first.High![i], 1e-12);
            }
            AssertRenders(figure);
        }
    }

    [Fact]
    public void ResidualPanelsFromSyntheticResiduals()
    {
        var rng = new Random(7);
        int n = 2000;
        var uniform = Enumerable.Range(0, n).Select(_ => rng.NextDouble()).ToArray();
        var predicted = Enumerable.Range(0, n).Select(_ => rng.NextDouble() * 10).ToArray();
        var skewed = uniform.Select(u => u * u).ToArray();
        var ksUniform = Ks(uniform);
        var ksSkewed = Ks(skewed);
        Assert.True(ksUniform.P > 0.01, $"uniform: p {ksUniform.P}");
        Assert.True(ksSkewed.P < 1e-6, $"skewed: p {ksSkewed.P}");
        foreach (var (r, test) in new[] { (uniform, ksUniform), (skewed, ksSkewed) })
        {
            var figure = ResidualPlot.Build(r, predicted, [test, ("dispersion", 1.02, 0.8)], "synthetic");
            Assert.Equal(["QQ plot of the quantile residuals", "Residuals against the predicted value"], figure.Panels.Select(p => p.Title));
            Assert.Equal(2, figure.Panels[0].Notes.Count);
            Assert.StartsWith("uniformity: statistic", figure.Panels[0].Notes[0]);
            var qq = figure.Panels[0].Series.Single(s => s.Kind == SeriesKind.Points);
            Assert.Equal(r.Order(), qq.Y.Take(n));
            // The median curve of the residuals against the prediction: near 0.5 for uniform, near 0.25 for squared uniforms.
            var median = figure.Panels[1].Series.Where(s => s.Kind == SeriesKind.Line).ElementAt(1);
            double expected = ReferenceEquals(r, uniform) ? 0.5 : 0.25;
            Assert.All(median.Y, y => Assert.InRange(y, expected - 0.12, expected + 0.12));
            AssertRenders(figure);
        }
    }

    [Fact]
    public void QuantileResidualsOfAFitLieInTheUnitIntervalAndDependOnTheSeed()
    {
        var fit = FitCbpp();
        double[] Residuals(long seed) => QuantileResiduals.Check(fit, new ResidualCheckOptions { Simulations = 100, Seed = seed }).Residuals.ToArray();
        var a = Residuals(3);
        Assert.Equal(fit.Nobs, a.Length);
        Assert.All(a, r => Assert.InRange(r, 0.0, 1.0));
        Assert.Equal(a, Residuals(3));
        Assert.NotEqual(a, Residuals(4));
        AssertRenders(ResidualPlot.Build(a, fit.Fitted.ToArray(), [Ks(a)], fit.Formula));
    }

    /// <summary>The fit's traces; each crosses ±1.96 where its profile interval has its limits (within 2% of the width).</summary>
    private static IReadOnlyList<ProfileTrace> AssertTracesCrossIntervals(GlmmFit fit)
    {
        var traces = ProfileTraces.Compute(fit);
        var intervals = Profile.Intervals(fit);
        Assert.Equal(intervals.Select(i => i.Name), traces.Select(t => t.Name));
        for (int k = 0; k < traces.Count; k++)
        {
            var t = traces[k];
            for (int i = 1; i < t.Values.Count; i++)
            {
                Assert.True(t.Values[i] > t.Values[i - 1]);
                Assert.True(t.Zeta[i] > t.Zeta[i - 1]);
            }
            Assert.Contains(0.0, t.Zeta);
            // Where the trace crosses ±1.96 (linear interpolation between its points) is the profile interval's limit.
            double Cross(double z)
            {
                for (int i = 1; i < t.Values.Count; i++)
                    if ((t.Zeta[i - 1] - z) * (t.Zeta[i] - z) <= 0)
                        return t.Values[i - 1] + (z - t.Zeta[i - 1]) / (t.Zeta[i] - t.Zeta[i - 1]) * (t.Values[i] - t.Values[i - 1]);
                return double.NaN;
            }
            double width = intervals[k].Upper - intervals[k].Lower;
            Assert.Equal(intervals[k].Lower, Cross(-1.96), 0.02 * width);
            Assert.Equal(intervals[k].Upper, Cross(1.96), 0.02 * width);
        }
        return traces;
    }

    /// <summary>
    /// Profile plots of the families with a dispersion parameter and of the linear mixed model (REML: lme4 profiles its
    /// ML refit): a sigma panel after the random-effect panels, every trace crossing its interval limits.
    /// </summary>
    [Theory]
    [InlineData("sleepstudy.csv", "Reaction ~ Days + (Days | Subject)", "gaussian", null)]
    [InlineData("gamma_slope.csv", "y ~ x + (1 | g)", "Gamma", "log")]
    [InlineData("nbinom1_slope.csv", "y ~ x + (1 | g)", "nbinom1", null)]
    public void ProfilePlotsCoverDispersionFamiliesAndTheLinearMixedModel(string file, string formula, string family, string? link)
    {
        var fam = Glmm.Families.Family.Create(family, link);
        var fit = GlmmModel.Fit(formula, CsvTableReader.Read(Path.Combine(Data, file)), new GlmmOptions { Family = fam });
        var traces = AssertTracesCrossIntervals(fit);
        int sigma = traces.Select(t => t.Name).ToList().IndexOf("sigma");
        Assert.Equal(fit.Model.Random.ThetaLength, sigma);
        Assert.InRange(fit.Sigma, traces[sigma].Values.Min(), traces[sigma].Values.Max());
        var figure = ProfilePlot.Build(traces, fit.Formula, fit.FixedEffects.ToDictionary(f => f.Name, f => f.StdError));
        Assert.Equal(traces.Count, figure.Panels.Count);
        Assert.Equal("sigma", figure.Panels[sigma].Title);
        AssertRenders(figure);
    }

    /// <summary>
    /// The plots' text needs no system font: DejaVu Sans is embedded (on a machine without font files the Skia build
    /// without dependencies drew every label as nothing), with the glyphs the plots use, bold for titles.
    /// </summary>
    [Fact]
    public void TheTypefaceIsEmbeddedWithThePlotsGlyphs()
    {
        Assert.Equal("DejaVu Sans", EmbeddedFonts.Regular.FamilyName);
        Assert.True(EmbeddedFonts.Regular.ContainsGlyphs("ζ ± θ σ β̂ (Intercept)|herd −0.5"));
        EmbeddedFonts.Register();
        var bold = ScottPlot.Fonts.GetTypeface(EmbeddedFonts.Name, bold: true, italic: false);
        Assert.Equal("DejaVu Sans", bold.FamilyName);
        Assert.True(bold.FontStyle.Weight >= (int)SkiaSharp.SKFontStyleWeight.Bold);
        Assert.Null(new EmbeddedFonts().CreateTypeface("Some Other Font", false, false));
    }

    [Fact]
    public void ProfileTracesCrossTheirIntervalLimits()
    {
        var fit = FitCbpp();
        var traces = AssertTracesCrossIntervals(fit);
        var figure = ProfilePlot.Build(traces, fit.Formula, fit.FixedEffects.ToDictionary(f => f.Name, f => f.StdError));
        Assert.Equal(traces.Select(t => t.Name), figure.Panels.Select(p => p.Title));
        AssertRenders(figure);
        // A second, synthetic set: a straight (Wald-exact) and a bent trace.
        var synthetic = new[]
        {
            new ProfileTrace("beta", 1.0, [0.0, 0.5, 1.0, 1.5, 2.0], [-2.0, -1.0, 0.0, 1.0, 2.0]),
            new ProfileTrace("sd_(Intercept)|g", 0.8, [0.2, 0.5, 0.8, 1.3, 2.0], [-2.6, -1.2, 0.0, 1.0, 1.9]),
        };
        var second = ProfilePlot.Build(synthetic, "synthetic", new Dictionary<string, double> { ["beta"] = 0.5 });
        Assert.Equal(2, second.Panels.Count);
        var wald = second.Panels[0].Series.Single(s => s.Label == "Wald");
        Assert.Equal(-2.0, wald.Y[0], 1e-12);
        AssertRenders(second);
    }

    [Fact]
    public void QuadratureCurveFromATableAndFromRefits()
    {
        var table = new[] { new QuadratureRow(1, -1242.01), new QuadratureRow(3, -1241.91), new QuadratureRow(5, -1241.905), new QuadratureRow(7, -1241.9049) };
        var figure = QuadraturePlot.Build(table, "synthetic");
        Assert.Equal(["log-likelihood against quadrature points", "change from the previous K"], figure.Panels.Select(p => p.Title));
        var change = figure.Panels[1].Series.Single(s => s.Kind == SeriesKind.Line);
        Assert.Equal(Math.Log10(0.1), change.Y[0], 1e-6);
        Assert.Equal([1.0, 3, 5, 7], figure.Panels[0].XTicks!.Select(t => t.Position));
        AssertRenders(figure);
        var rows = QuadratureCheck.Run(FitCbpp(), new QuadratureCheckOptions { MaxNagq = 15 }).Rows.Select(r => new QuadratureRow(r.NAgq, r.LogLik)).ToList();
        Assert.Equal(1, rows[0].Nagq);
        Assert.Equal(FitCbpp().LogLik, rows[0].LogLik, 1e-9);
        Assert.True(rows.Count >= 3);
        Assert.True(Math.Abs(rows[^1].LogLik - rows[^2].LogLik) < 1e-3 || rows[^1].Nagq == 15);
        AssertRenders(QuadraturePlot.Build(rows, Cbpp));
    }

    [Fact]
    public void PlotCommandWritesEachKindAndRefusesBadInput()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"glmm-plots-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            string cbpp = Path.Combine(Data, "cbpp.csv");
            foreach (var kind in new[] { "caterpillar", "residuals", "profile", "quadrature" })
            {
                string svg = Path.Combine(dir, kind + ".svg");
                var (code, output, err) = Run("plot", kind, "--data", cbpp, "--formula", Cbpp, "--out", svg, "--nsim", "50");
                Assert.True(code == 0, err);
                Assert.StartsWith("wrote " + svg, output);
                XDocument.Load(svg);
            }
            Assert.Equal(2, Run("plot", "caterpillar", "--data", cbpp, "--formula", Cbpp, "--out", Path.Combine(dir, "x.jpg")).Code);
            Assert.Equal(2, Run("plot", "histogram", "--data", cbpp, "--formula", Cbpp, "--out", Path.Combine(dir, "x.png")).Code);
            var missing = Run("plot", "caterpillar", "--data", cbpp, "--formula", Cbpp);
            Assert.Equal(2, missing.Code);
            Assert.Single(missing.Err.TrimEnd('\n').Split('\n'));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Glmm.Cli.CommandLine.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
