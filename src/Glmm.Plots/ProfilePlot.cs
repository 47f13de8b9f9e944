using Glmm.Inference;

namespace Glmm.Plots;

/// <summary>
/// Profile zeta plots, as lme4's <c>xyplot(profile(fit))</c>: one panel per parameter, ζ against the parameter's value,
/// dashed lines at ζ = 0 and ±1.96 (where the curve crosses them are the 95% profile interval's limits) and the straight
/// line of the Wald approximation through the estimate for comparison when the parameter is a fixed effect.
/// </summary>
public static class ProfilePlot
{
    /// <summary>The figure of the traces (from <see cref="ProfileTraces.Compute"/>); Wald lines from <paramref name="standardErrors"/> when given (name → SE).</summary>
    public static PlotFigure Build(IReadOnlyList<ProfileTrace> traces, string title, IReadOnlyDictionary<string, double>? standardErrors = null)
    {
        ArgumentNullException.ThrowIfNull(traces);
        if (traces.Count == 0) throw new GlmmInputException("there are no parameters to profile");
        var panels = new List<PlotPanel>();
        foreach (var t in traces)
        {
            double lo = t.Values.Min(), hi = t.Values.Max();
            if (!(hi > lo)) { lo = t.Estimate - 1; hi = t.Estimate + 1; }
            var series = new List<PlotSeries>
            {
                new(SeriesKind.DashedLine, [lo, hi], [0.0, 0.0]) { Color = "#808080" },
                new(SeriesKind.DashedLine, [lo, hi], [1.96, 1.96]) { Color = "#808080" },
                new(SeriesKind.DashedLine, [lo, hi], [-1.96, -1.96]) { Color = "#808080" },
            };
            if (standardErrors is not null && standardErrors.TryGetValue(t.Name, out double se) && se > 0 && double.IsFinite(se))
                series.Add(new(SeriesKind.DashedLine, [lo, hi], [(lo - t.Estimate) / se, (hi - t.Estimate) / se]) { Color = "#2ca02c", Label = "Wald" });
            series.Add(new(SeriesKind.Line, t.Values, t.Zeta) { Color = "#1f77b4", Label = standardErrors is null ? null : "profile" });
            series.Add(new(SeriesKind.Points, t.Values, t.Zeta) { Color = "#1f77b4" });
            double zmax = Math.Max(2.5, t.Zeta.Select(Math.Abs).DefaultIfEmpty(0).Max() + 0.2);
            panels.Add(new PlotPanel(t.Name, t.Name, "ζ", series) { XRange = (lo, hi), YRange = (-zmax, zmax) });
        }
        return new PlotFigure("profile", "Profile zeta: " + title, panels) { Columns = Math.Min(3, panels.Count), PanelWidth = 420, PanelHeight = 340 };
    }
}
