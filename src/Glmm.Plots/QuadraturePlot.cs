using System.Globalization;

namespace Glmm.Plots;

/// <summary>One refit of the quadrature adequacy check: the number of quadrature points per random effect and its log-likelihood.</summary>
/// <param name="Nagq">K (1 = the Laplace approximation).</param>
/// <param name="LogLik">The maximised log-likelihood with K points.</param>
public sealed record QuadratureRow(int Nagq, double LogLik);

/// <summary>
/// The quadrature adequacy curve: the log-likelihood against K (1 = Laplace), relative to the largest K's (a dashed line at 0), and the
/// change from each K to the next on a log10 scale (below the tolerance the approximation has settled).
/// </summary>
public static class QuadraturePlot
{
    /// <summary>The figure of the rows (in increasing K); <paramref name="tolerance"/> marks the change taken as settled.</summary>
    public static PlotFigure Build(IReadOnlyList<QuadratureRow> rows, string title, double tolerance = 1e-3)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0) throw new GlmmInputException("there are no quadrature refits to plot");
        var k = rows.Select(r => (double)r.Nagq).ToArray();
        var ll = rows.Select(r => r.LogLik).ToArray();
        double last = ll[^1];
        // Drawn relative to the largest K's log-likelihood, so the axis shows the differences (not 7 equal leading digits).
        var rel = ll.Select(v => v - last).ToArray();
        var ticks = rows.Select(r => new PlotTick(r.Nagq, r.Nagq.ToString(CultureInfo.InvariantCulture))).ToArray();
        var curve = new PlotPanel("log-likelihood against quadrature points", "K (points per random effect; 1 = Laplace)",
            string.Create(CultureInfo.InvariantCulture, $"logLik(K) − logLik(K = {rows[^1].Nagq})"),
        [
            new(SeriesKind.DashedLine, [k[0], k[^1]], [0.0, 0.0]) { Color = "#808080", Label = string.Create(CultureInfo.InvariantCulture, $"logLik(K = {rows[^1].Nagq}) = {last:F4}") },
            new(SeriesKind.Line, k, rel) { Color = "#1f77b4" },
            new(SeriesKind.Points, k, rel) { Color = "#1f77b4" },
        ])
        { XTicks = ticks };
        var panels = new List<PlotPanel> { curve };
        if (rows.Count > 1)
        {
            var kx = new double[rows.Count - 1];
            var d = new double[rows.Count - 1];
            for (int i = 1; i < rows.Count; i++)
            {
                kx[i - 1] = rows[i].Nagq;
                d[i - 1] = Math.Log10(Math.Max(Math.Abs(ll[i] - ll[i - 1]), 1e-12));
            }
            double lt = Math.Log10(tolerance);
            panels.Add(new PlotPanel("change from the previous K", "K (points per random effect)", "log10 |logLik(K) − logLik(previous K)|",
            [
                new(SeriesKind.DashedLine, [k[0], k[^1]], [lt, lt]) { Color = "#d62728", Label = "tolerance " + tolerance.ToString("G3", CultureInfo.InvariantCulture) },
                new(SeriesKind.Line, kx, d) { Color = "#1f77b4" },
                new(SeriesKind.Points, kx, d) { Color = "#1f77b4" },
            ])
            { XTicks = ticks });
        }
        return new PlotFigure("quadrature", "Quadrature adequacy: " + title, panels) { Columns = panels.Count };
    }

    /// <summary>Builds the figure and writes it to <paramref name="path"/> (.png or .svg).</summary>
    public static PlotFigure Render(IReadOnlyList<QuadratureRow> rows, string title, string path)
    {
        var figure = Build(rows, title);
        PlotRenderer.Save(figure, path);
        return figure;
    }
}
