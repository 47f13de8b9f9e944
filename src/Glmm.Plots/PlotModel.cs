namespace Glmm.Plots;

/// <summary>What a series draws.</summary>
public enum SeriesKind
{
    /// <summary>Markers at (x, y).</summary>
    Points,
    /// <summary>A solid line through (x, y) in order.</summary>
    Line,
    /// <summary>A dashed line through (x, y) in order (reference lines).</summary>
    DashedLine,
    /// <summary>Horizontal intervals [low, high] at height y (the caterpillar's ±1.96 SD bars), with a marker at x.</summary>
    HorizontalIntervals,
}

/// <summary>One series of a panel: points, a line or intervals, with an optional legend label.</summary>
/// <param name="Kind">What it draws.</param>
/// <param name="X">The x values.</param>
/// <param name="Y">The y values (same length).</param>
public sealed record PlotSeries(SeriesKind Kind, IReadOnlyList<double> X, IReadOnlyList<double> Y)
{
    /// <summary>The legend entry (null: none).</summary>
    public string? Label { get; init; }

    /// <summary>Lower ends of <see cref="SeriesKind.HorizontalIntervals"/> (null for other kinds).</summary>
    public IReadOnlyList<double>? Low { get; init; }

    /// <summary>Upper ends of <see cref="SeriesKind.HorizontalIntervals"/>.</summary>
    public IReadOnlyList<double>? High { get; init; }

    /// <summary>Colour as #RRGGBB (null: the renderer's palette).</summary>
    public string? Color { get; init; }
}

/// <summary>A tick at a position with a text label (the level names of a caterpillar plot).</summary>
/// <param name="Position">Where on the axis.</param>
/// <param name="Label">The text.</param>
public sealed record PlotTick(double Position, string Label);

/// <summary>One panel: title, axis labels, series and optional legend notes and tick labels.</summary>
/// <param name="Title">The panel title (names from the model: the term and grouping factor, the parameter).</param>
/// <param name="XLabel">The x-axis label.</param>
/// <param name="YLabel">The y-axis label.</param>
/// <param name="Series">What it draws, in drawing order.</param>
public sealed record PlotPanel(string Title, string XLabel, string YLabel, IReadOnlyList<PlotSeries> Series)
{
    /// <summary>Text-only legend lines (the residual tests with their p values); empty for none.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>Labelled ticks on the y axis instead of numbers (null: numeric ticks).</summary>
    public IReadOnlyList<PlotTick>? YTicks { get; init; }

    /// <summary>Labelled ticks on the x axis instead of numbers (null: numeric ticks).</summary>
    public IReadOnlyList<PlotTick>? XTicks { get; init; }

    /// <summary>Fixed x range (null: fitted to the data).</summary>
    public (double Min, double Max)? XRange { get; init; }

    /// <summary>Fixed y range (null: fitted to the data).</summary>
    public (double Min, double Max)? YRange { get; init; }
}

/// <summary>
/// A figure as data: its kind, title and panels laid out in a grid of <see cref="Columns"/> columns. Built by
/// <see cref="CaterpillarPlot"/>, <see cref="ResidualPlot"/>, <see cref="ProfilePlot"/> and <see cref="QuadraturePlot"/>,
/// drawn by <see cref="PlotRenderer"/>; tests and callers can inspect it without rendering.
/// </summary>
/// <param name="Kind">caterpillar, residuals, profile or quadrature.</param>
/// <param name="Title">What the figure shows (the model's formula).</param>
/// <param name="Panels">The panels, row by row.</param>
public sealed record PlotFigure(string Kind, string Title, IReadOnlyList<PlotPanel> Panels)
{
    /// <summary>Panels per row.</summary>
    public int Columns { get; init; } = 1;

    /// <summary>Width of one panel in pixels.</summary>
    public int PanelWidth { get; init; } = 520;

    /// <summary>Height of one panel in pixels.</summary>
    public int PanelHeight { get; init; } = 420;

    /// <summary>The number of panel rows.</summary>
    public int Rows => (Panels.Count + Columns - 1) / Columns;

    /// <summary>Width of the image in pixels.</summary>
    public int Width => Columns * PanelWidth;

    /// <summary>Height of the image in pixels (the panels and the title band).</summary>
    public int Height => Rows * PanelHeight + TitleHeight;

    /// <summary>Height of the band that holds <see cref="Title"/>.</summary>
    public const int TitleHeight = 36;
}
