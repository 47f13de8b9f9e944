namespace Glmm.Plots;

/// <summary>
/// The caterpillar plot of a fit's conditional modes, as lme4's <c>dotplot(ranef(fit, condVar = TRUE))</c>: one panel per
/// random-effects term (grouping factor and column), each level's mode with a bar of ±1.96 conditional SDs, the levels
/// sorted by the mode of the group's first column (lme4's order, the same in all panels of a group), a dashed line at 0.
/// </summary>
public static class CaterpillarPlot
{
    /// <summary>Levels above this get every k-th name on the axis only (the others stay unlabelled, the bars all drawn).</summary>
    public const int MaxLabelledLevels = 40;

    /// <summary>The figure of <paramref name="fit"/>'s conditional modes.</summary>
    public static PlotFigure Build(GlmmFit fit)
    {
        ArgumentNullException.ThrowIfNull(fit);
        return Build(fit.ConditionalModes, fit.Formula);
    }

    /// <summary>The figure of given conditional modes (as <see cref="GlmmFit.ConditionalModes"/>: group, level, term, mode, SD).</summary>
    public static PlotFigure Build(IReadOnlyList<RandomEffectPrediction> modes, string title)
    {
        ArgumentNullException.ThrowIfNull(modes);
        if (modes.Count == 0) throw new GlmmInputException("the model has no random effects to plot");
        var panels = new List<PlotPanel>();
        int maxLevels = 0;
        foreach (var group in modes.GroupBy(m => m.Group))
        {
            var terms = group.Select(m => m.Term).Distinct().ToArray();
            var first = group.Where(m => m.Term == terms[0]).ToArray();
            // Sorted by the first column's mode (ties by level name, so the order is fixed).
            var order = first.OrderBy(m => m.Mode).ThenBy(m => m.Level, StringComparer.Ordinal).Select(m => m.Level).ToArray();
            var rank = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int i = 0; i < order.Length; i++) rank[order[i]] = i;
            maxLevels = Math.Max(maxLevels, order.Length);
            int every = order.Length <= MaxLabelledLevels ? 1 : (order.Length + MaxLabelledLevels - 1) / MaxLabelledLevels;
            var ticks = new List<PlotTick>();
            for (int i = 0; i < order.Length; i += every) ticks.Add(new PlotTick(i + 1, order[i]));
            foreach (var term in terms)
            {
                var rows = group.Where(m => m.Term == term).OrderBy(m => rank[m.Level]).ToArray();
                var y = rows.Select(m => (double)(rank[m.Level] + 1)).ToArray();
                var x = rows.Select(m => m.Mode).ToArray();
                var low = rows.Select(m => m.Mode - 1.96 * m.ConditionalSD).ToArray();
                var high = rows.Select(m => m.Mode + 1.96 * m.ConditionalSD).ToArray();
                var series = new List<PlotSeries>
                {
                    new(SeriesKind.DashedLine, [0.0, 0.0], [0.0, order.Length + 1.0]) { Color = "#808080" },
                    new(SeriesKind.HorizontalIntervals, x, y) { Low = low, High = high, Color = "#1f77b4" },
                };
                panels.Add(new PlotPanel($"{group.Key}: {term}", $"conditional mode of {term} ± 1.96 conditional SD", $"{group.Key} (sorted)", series)
                {
                    YTicks = ticks,
                    YRange = (0, order.Length + 1),
                });
            }
        }
        int columns = Math.Min(3, panels.Count);
        return new PlotFigure("caterpillar", "Conditional modes: " + title, panels)
        {
            Columns = columns,
            PanelWidth = 480,
            PanelHeight = Math.Clamp(14 * Math.Min(maxLevels, 3 * MaxLabelledLevels) + 110, 320, 900),
        };
    }
}
