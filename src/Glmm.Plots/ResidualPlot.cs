namespace Glmm.Plots;

/// <summary>
/// DHARMa's two main residual panels: the QQ plot of the simulation-based quantile residuals against the uniform
/// distribution (the tests' names, statistics and p values in the legend), and the residuals against the rank-transformed
/// prediction with dashed lines at 0.25, 0.5, 0.75 and the residuals' empirical quartiles in ten bins of the prediction
/// (DHARMa fits quantile regressions; binned quantiles show the same departure without a smoother).
/// </summary>
public static class ResidualPlot
{
    /// <summary>At most this many points are drawn per panel (evenly spaced quantiles / every k-th row in rank order).</summary>
    public const int MaxPoints = 4000;

    /// <summary>Number of bins of the prediction for the quantile curves.</summary>
    public const int Bins = 10;

    /// <summary>The figure of quantile residuals (in (0, 1)), the predictions of the same rows, and test results.</summary>
    public static PlotFigure Build(ReadOnlySpan<double> quantileResiduals, ReadOnlySpan<double> predicted,
        IReadOnlyList<(string Name, double Statistic, double P)> tests, string title)
    {
        ArgumentNullException.ThrowIfNull(tests);
        int n = quantileResiduals.Length;
        if (n == 0) throw new GlmmInputException("there are no residuals to plot");
        if (predicted.Length != n) throw new ArgumentException("one prediction per residual is needed", nameof(predicted));
        var r = quantileResiduals.ToArray();
        var sorted = (double[])r.Clone();
        Array.Sort(sorted);
        int step = Math.Max(1, n / MaxPoints);
        var qx = new List<double>();
        var qy = new List<double>();
        for (int i = 0; i < n; i += step)
        {
            qx.Add((i + 0.5) / n);
            qy.Add(sorted[i]);
        }
        var notes = tests.Select(t => $"{t.Name}: statistic {PlotRenderer.Number(t.Statistic)}, p = {FormatP(t.P)}").ToList();
        var qq = new PlotPanel("QQ plot of the quantile residuals", "expected (uniform)", "observed quantile residual",
        [
            new(SeriesKind.DashedLine, [0.0, 1.0], [0.0, 1.0]) { Color = "#d62728" },
            new(SeriesKind.Points, qx, qy) { Color = "#1f77b4" },
        ])
        { Notes = notes, XRange = (0, 1), YRange = (0, 1) };

        // Rank-transformed predictions: (rank − 0.5)/n, ties by row order (a stable sort).
        var order = Enumerable.Range(0, n).ToArray();
        var keys = predicted.ToArray();
        Array.Sort((double[])keys.Clone(), order);
        var px = new List<double>();
        var py = new List<double>();
        for (int k = 0; k < n; k += step)
        {
            px.Add((k + 0.5) / n);
            py.Add(r[order[k]]);
        }
        var series = new List<PlotSeries> { new(SeriesKind.Points, px, py) { Color = "#7f7f7f" } };
        foreach (double q in new[] { 0.25, 0.5, 0.75 })
            series.Add(new(SeriesKind.DashedLine, [0.0, 1.0], [q, q]) { Color = "#808080" });
        int bins = Math.Min(Bins, Math.Max(1, n / 20));
        var centres = new double[bins];
        var curves = new double[3][];
        for (int c = 0; c < 3; c++) curves[c] = new double[bins];
        for (int b = 0; b < bins; b++)
        {
            int lo = b * n / bins, hi = (b + 1) * n / bins;
            var slice = new double[hi - lo];
            for (int k = lo; k < hi; k++) slice[k - lo] = r[order[k]];
            Array.Sort(slice);
            centres[b] = (lo + hi) / 2.0 / n;
            curves[0][b] = Quantile(slice, 0.25);
            curves[1][b] = Quantile(slice, 0.5);
            curves[2][b] = Quantile(slice, 0.75);
        }
        series.Add(new(SeriesKind.Line, centres, curves[0]) { Color = "#d62728", Label = "binned quartiles of the residuals" });
        series.Add(new(SeriesKind.Line, centres, curves[1]) { Color = "#d62728" });
        series.Add(new(SeriesKind.Line, centres, curves[2]) { Color = "#d62728" });
        var vsPredicted = new PlotPanel("Residuals against the predicted value", "predicted value (rank transformed)", "quantile residual", series)
        { XRange = (0, 1), YRange = (0, 1) };
        return new PlotFigure("residuals", "Simulated quantile residuals: " + title, [qq, vsPredicted]) { Columns = 2 };
    }

    /// <summary>Builds the figure and writes it to <paramref name="path"/> (.png or .svg).</summary>
    public static PlotFigure Render(ReadOnlySpan<double> quantileResiduals, ReadOnlySpan<double> predicted,
        IReadOnlyList<(string Name, double Statistic, double P)> tests, string title, string path)
    {
        var figure = Build(quantileResiduals, predicted, tests, title);
        PlotRenderer.Save(figure, path);
        return figure;
    }

    private static string FormatP(double p) => p < 0.001 ? "< 0.001" : PlotRenderer.Number(p);

    /// <summary>R's type-7 quantile of sorted values.</summary>
    private static double Quantile(double[] sorted, double q)
    {
        if (sorted.Length == 0) return double.NaN;
        double h = (sorted.Length - 1) * q;
        int lo = (int)Math.Floor(h);
        int hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }
}
