using System.Globalization;
using ScottPlot;
using SkiaSharp;

namespace Glmm.Plots;

/// <summary>
/// Draws a <see cref="PlotFigure"/> with ScottPlot 5 (each panel a ScottPlot <see cref="Plot"/> rendered into its cell of one
/// Skia canvas) as PNG (raster) or SVG (Skia's SVG canvas: text stays text, so the titles can be read back).
/// </summary>
public static class PlotRenderer
{
    private static readonly string[] Palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"];

    /// <summary>Writes the figure to <paramref name="path"/>: PNG for .png, SVG for .svg (any other extension is an input error).</summary>
    public static void Save(PlotFigure figure, string path)
    {
        ArgumentNullException.ThrowIfNull(figure);
        string ext = Path.GetExtension(path).ToLowerInvariant();
        if (ext != ".png" && ext != ".svg")
            throw new GlmmInputException($"the plot file '{path}' must end in .png or .svg");
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null && !Directory.Exists(dir))
            throw new GlmmInputException($"the folder of the plot file '{path}' does not exist");
        byte[] bytes = ext == ".png" ? Png(figure) : Svg(figure);
        string tmp = path + ".tmp";
        File.WriteAllBytes(tmp, bytes);
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>The figure as PNG bytes.</summary>
    public static byte[] Png(PlotFigure figure)
    {
        ArgumentNullException.ThrowIfNull(figure);
        using var surface = SKSurface.Create(new SKImageInfo(figure.Width, figure.Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        Draw(figure, surface.Canvas);
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>The figure as SVG bytes (UTF-8).</summary>
    public static byte[] Svg(PlotFigure figure)
    {
        ArgumentNullException.ThrowIfNull(figure);
        using var stream = new MemoryStream();
        using (var wstream = new SKManagedWStream(stream))
        using (var canvas = SKSvgCanvas.Create(new SKRect(0, 0, figure.Width, figure.Height), wstream))
            Draw(figure, canvas);
        return stream.ToArray();
    }

    private static void Draw(PlotFigure figure, SKCanvas canvas)
    {
        canvas.Clear(SKColors.White);
        using (var font = new SKFont(EmbeddedFonts.Regular, 18))
        using (var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true })
        {
            float w = font.MeasureText(figure.Title);
            // A title wider than the figure is drawn smaller (down to 10/18 of its size) rather than cut off.
            float f = w > figure.Width - 12 ? Math.Max(10f / 18, (figure.Width - 12) / w) : 1f;
            canvas.Save();
            canvas.Translate(Math.Max(4, (figure.Width - f * w) / 2), 24);
            canvas.Scale(f);
            canvas.DrawText(figure.Title, 0, 0, SKTextAlign.Left, font, paint);
            canvas.Restore();
        }
        for (int k = 0; k < figure.Panels.Count; k++)
        {
            int row = k / figure.Columns, col = k % figure.Columns;
            float left = col * figure.PanelWidth, top = PlotFigure.TitleHeight + row * figure.PanelHeight;
            var plot = Build(figure.Panels[k]);
            // A plot clears its canvas before drawing: clipped to its cell, the clear stays there.
            canvas.Save();
            canvas.ClipRect(new SKRect(left, top, left + figure.PanelWidth, top + figure.PanelHeight));
            plot.Render(canvas, new PixelRect(left, left + figure.PanelWidth, top + figure.PanelHeight, top));
            canvas.Restore();
        }
    }

    private static Plot Build(PlotPanel panel)
    {
        EmbeddedFonts.Register();
        var plot = new Plot();
        plot.Title(panel.Title, size: 15);
        plot.XLabel(panel.XLabel, size: 13);
        plot.YLabel(panel.YLabel, size: 13);
        // Every text in the embedded typeface (set label by label: Font.Set would also change ScottPlot's process-wide default).
        foreach (var label in new[] { plot.Axes.Title.Label, plot.Axes.Bottom.Label, plot.Axes.Left.Label, plot.Axes.Bottom.TickLabelStyle, plot.Axes.Left.TickLabelStyle })
            label.FontName = EmbeddedFonts.Name;
        plot.Legend.FontName = EmbeddedFonts.Name;
        int colour = 0;
        bool legend = false;
        foreach (var s in panel.Series)
        {
            var color = Color.FromHex(s.Color ?? Palette[colour++ % Palette.Length]);
            var xs = s.X.ToArray();
            var ys = s.Y.ToArray();
            switch (s.Kind)
            {
                case SeriesKind.Points:
                {
                    var p = plot.Add.ScatterPoints(xs, ys, color);
                    p.MarkerSize = xs.Length > 2000 ? 2 : xs.Length > 300 ? 3.5f : 5;
                    if (s.Label is not null) { p.LegendText = s.Label; legend = true; }
                    break;
                }
                case SeriesKind.Line:
                case SeriesKind.DashedLine:
                {
                    var p = plot.Add.ScatterLine(xs, ys, color);
                    p.LineWidth = s.Kind == SeriesKind.Line ? 2 : 1.5f;
                    if (s.Kind == SeriesKind.DashedLine) p.LinePattern = LinePattern.Dashed;
                    if (s.Label is not null) { p.LegendText = s.Label; legend = true; }
                    break;
                }
                case SeriesKind.HorizontalIntervals:
                {
                    var low = s.Low ?? s.X;
                    var high = s.High ?? s.X;
                    for (int i = 0; i < xs.Length; i++)
                    {
                        var line = plot.Add.Line(low[i], ys[i], high[i], ys[i]);
                        line.Color = color.WithAlpha(0.75);
                        line.LineWidth = 1.5f;
                        line.MarkerSize = 0;
                    }
                    var m = plot.Add.ScatterPoints(xs, ys, color);
                    m.MarkerSize = 5;
                    if (s.Label is not null) { m.LegendText = s.Label; legend = true; }
                    break;
                }
            }
        }
        foreach (var note in panel.Notes)
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = note, MarkerShape = MarkerShape.None, LinePattern = LinePattern.Solid, LineWidth = 0 });
            legend = true;
        }
        if (legend)
        {
            plot.ShowLegend(Alignment.UpperLeft);
            plot.Legend.FontSize = 11;
        }
        if (panel.YTicks is { } ticks)
            plot.Axes.Left.SetTicks(ticks.Select(t => t.Position).ToArray(), ticks.Select(t => t.Label).ToArray());
        if (panel.XTicks is { } xticks)
            plot.Axes.Bottom.SetTicks(xticks.Select(t => t.Position).ToArray(), xticks.Select(t => t.Label).ToArray());
        plot.Axes.AutoScale();
        if (panel.XRange is { } xr) plot.Axes.SetLimitsX(xr.Min, xr.Max);
        if (panel.YRange is { } yr) plot.Axes.SetLimitsY(yr.Min, yr.Max);
        return plot;
    }

    /// <summary>A number for a legend or title: invariant culture, 3 significant digits, NA when not finite.</summary>
    internal static string Number(double v) =>
        !double.IsFinite(v) ? "NA" : v.ToString("G3", CultureInfo.InvariantCulture);
}
