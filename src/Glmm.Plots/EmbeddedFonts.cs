using System.Reflection;
using ScottPlot;
using SkiaSharp;

namespace Glmm.Plots;

/// <summary>
/// The plots' typeface, DejaVu Sans (regular and bold, Bitstream Vera licence, Fonts/LICENSE-DejaVu.txt), embedded in the
/// assembly: the Linux Skia build without dependencies finds fonts only in system folders, and on a machine without any
/// font files every label was drawn as nothing; embedded, the text is the same on every machine.
/// </summary>
internal sealed class EmbeddedFonts : IFontResolver
{
    /// <summary>The family name the plots ask ScottPlot for.</summary>
    public const string Name = "DejaVu Sans (Glmm)";

    private static readonly Lazy<SKTypeface> RegularFace = new(() => Load("DejaVuSans.ttf"));
    private static readonly Lazy<SKTypeface> BoldFace = new(() => Load("DejaVuSans-Bold.ttf"));
    private static readonly object Gate = new();
    private static bool _registered;

    /// <summary>The regular typeface.</summary>
    public static SKTypeface Regular => RegularFace.Value;

    /// <summary>Registers the resolver with ScottPlot once per process.</summary>
    public static void Register()
    {
        lock (Gate)
        {
            if (_registered) return;
            Fonts.FontResolvers.Add(new EmbeddedFonts());
            _registered = true;
        }
    }

    private static SKTypeface Load(string file)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Glmm.Plots.Fonts." + file)
            ?? throw new InvalidOperationException($"the embedded font {file} is missing from Glmm.Plots");
        return SKTypeface.FromStream(stream) ?? throw new InvalidOperationException($"the embedded font {file} could not be read");
    }

    /// <inheritdoc />
    public SKTypeface? CreateTypeface(string fontName, FontWeight weight, FontSlant slant, FontSpacing spacing) =>
        fontName == Name ? (weight >= FontWeight.SemiBold ? BoldFace.Value : RegularFace.Value) : null;

    /// <inheritdoc />
    public SKTypeface? CreateTypeface(string fontName, bool bold, bool italic) =>
        fontName == Name ? (bold ? BoldFace.Value : RegularFace.Value) : null;
}
