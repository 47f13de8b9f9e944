namespace Glmm;

/// <summary>
/// How a linear mixed model's fixed-effect t tests get their denominator degrees of freedom (lmerTest's <c>ddf</c>).
/// </summary>
public enum DenominatorDf
{
    /// <summary>Satterthwaite's approximation (lmerTest's default), with the unadjusted covariance of β̂.</summary>
    Satterthwaite,

    /// <summary>
    /// Kenward and Roger's (1997): the small-sample adjusted covariance of β̂ (pbkrtest's <c>vcovAdj</c>) for the standard
    /// errors and t statistics, and its df (pbkrtest's <c>Lb_ddf</c>). REML fits only, as lmerTest.
    /// </summary>
    KenwardRoger,
}

/// <summary>lmerTest's spellings of <see cref="DenominatorDf"/>.</summary>
public static class DenominatorDfNames
{
    /// <summary>The name lmerTest uses: <c>Satterthwaite</c> or <c>Kenward-Roger</c>.</summary>
    public static string Name(this DenominatorDf ddf) => ddf switch
    {
        DenominatorDf.KenwardRoger => "Kenward-Roger",
        _ => "Satterthwaite",
    };

    /// <summary>Parses lmerTest's spelling, in any case (<c>Kenward-Roger</c>, <c>kenward-roger</c>, <c>satterthwaite</c>).</summary>
    /// <exception cref="GlmmInputException">An unknown method.</exception>
    public static DenominatorDf Parse(string name)
    {
        foreach (var v in Enum.GetValues<DenominatorDf>())
            if (string.Equals(v.Name(), name.Trim(), StringComparison.OrdinalIgnoreCase)) return v;
        throw new GlmmInputException($"unknown --ddf '{name}': use Satterthwaite or Kenward-Roger");
    }
}
