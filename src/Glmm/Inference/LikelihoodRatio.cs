using System.Globalization;
using System.Text;
using Glmm.Results;

namespace Glmm.Inference;

/// <summary>One row of an anova table (R's <c>anova(fit0, fit1)</c> for merMod fits).</summary>
/// <param name="Model">Row label (<c>fit0</c>, <c>fit1</c>).</param>
/// <param name="Formula">The model's formula.</param>
/// <param name="NPar">Number of parameters (β and θ).</param>
/// <param name="AIC">AIC.</param>
/// <param name="BIC">BIC.</param>
/// <param name="LogLik">Maximised log-likelihood.</param>
/// <param name="Deviance">−2 logLik.</param>
/// <param name="Chisq">Likelihood-ratio statistic against the previous row (NaN on the first row).</param>
/// <param name="Df">Difference in parameters against the previous row (0 on the first row).</param>
/// <param name="P">Pr(&gt;Chisq) (NaN on the first row).</param>
public sealed record AnovaRow(string Model, string Formula, int NPar, double AIC, double BIC, double LogLik, double Deviance, double Chisq, int Df, double P);

/// <summary>
/// Likelihood-ratio test of nested GLMM fits on the same data, as lme4's <c>anova(fit0, fit1)</c>: rows ordered by
/// the number of parameters, Chisq = 2·max(0, ΔlogLik), Df = Δnpar, p from the χ² upper tail.
/// </summary>
public static class LikelihoodRatio
{
    /// <summary>
    /// Compares two fits (in either order). Throws <see cref="GlmmInputException"/> when they are not on the same
    /// data (rows, response), not nested (fixed-effect columns and random terms of the smaller inside the larger,
    /// fewer parameters), or either is a REML fit.
    /// </summary>
    public static IReadOnlyList<AnovaRow> Compare(GlmmFit fit0, GlmmFit fit1) => Compare([fit0, fit1]);

    /// <summary>
    /// Compares two or more fits as lme4's <c>anova(m1, m2, …)</c>: ordered by their number of parameters (named fit0, fit1, …
    /// in that order), each tested against the one before it (Chisq = 2·max(0, ΔlogLik), Df = Δnpar). Throws
    /// <see cref="GlmmInputException"/> when they are not all on the same data, when one is not nested in the next (fixed-effect
    /// columns and random terms inside, fewer parameters), or when one is a REML or penalized fit.
    /// </summary>
    public static IReadOnlyList<AnovaRow> Compare(IReadOnlyList<GlmmFit> fits)
    {
        ArgumentNullException.ThrowIfNull(fits);
        if (fits.Count < 2) throw new GlmmInputException($"a likelihood-ratio comparison needs two or more models, not {fits.Count}");
        foreach (var f in fits)
        {
            if (f.Reml is not null)
                throw new GlmmInputException($"'{f.Formula}' is a REML fit: likelihood-ratio tests need maximum-likelihood fits (refit without --reml)");
            if (f.FixedEffectsPrior is not null)
                throw new GlmmInputException($"'{f.Formula}' is a penalized fit (a prior on the fixed effects): likelihood-ratio tests need maximum-likelihood fits");
        }
        var ordered = fits.OrderBy(f => f.ParameterCount).ToArray(); // stable: equal counts keep their order (and are refused below)
        for (int i = 1; i < ordered.Length; i++)
        {
            CheckSameData(ordered[0], ordered[i]);
            CheckNested(ordered[i - 1], ordered[i]);
        }
        var rows = new List<AnovaRow> { Row("fit0", ordered[0], double.NaN, 0, double.NaN) };
        for (int i = 1; i < ordered.Length; i++)
        {
            double chisq = 2 * Math.Max(0.0, ordered[i].LogLik - ordered[i - 1].LogLik);
            int df = ordered[i].ParameterCount - ordered[i - 1].ParameterCount;
            rows.Add(Row("fit" + i.ToString(CultureInfo.InvariantCulture), ordered[i], chisq, df, Distributions.ChiSquaredUpperTail(chisq, df)));
        }
        return rows;
    }

    private static AnovaRow Row(string name, GlmmFit f, double chisq, int df, double p) =>
        new(name, f.Formula, f.ParameterCount, f.AIC, f.BIC, f.LogLik, f.Deviance, chisq, df, p);

    private static void CheckSameData(GlmmFit a, GlmmFit b)
    {
        if (a.Nobs != b.Nobs || !a.Model.RowIndex.AsSpan().SequenceEqual(b.Model.RowIndex))
            throw new GlmmInputException($"the models were not fitted to the same rows ({a.Nobs} and {b.Nobs} observations): compare fits on the same data without missing-value differences");
        if (!a.Family.Equals(b.Family))
            throw new GlmmInputException($"the models have different families ({a.Family.Name}/{a.Family.Link.Name} and {b.Family.Name}/{b.Family.Link.Name})");
        if (!a.Model.Y.AsSpan().SequenceEqual(b.Model.Y) || !a.Model.Weights.AsSpan().SequenceEqual(b.Model.Weights))
            throw new GlmmInputException($"the models have different responses ('{a.Model.ResponseName}' and '{b.Model.ResponseName}')");
    }

    private static void CheckNested(GlmmFit small, GlmmFit large)
    {
        if (small.ParameterCount == large.ParameterCount)
            throw new GlmmInputException($"the models have the same number of parameters ({small.ParameterCount}): a likelihood-ratio test needs nested models");
        var bigFixed = new HashSet<string>(large.FixedEffects.Select(f => f.Name), StringComparer.Ordinal);
        foreach (var f in small.FixedEffects)
            if (!bigFixed.Contains(f.Name))
                throw new GlmmInputException($"the models are not nested: fixed effect '{f.Name}' of '{small.Formula}' is not in '{large.Formula}'");
        var smallTerms = small.Model.Random.Terms;
        var bigTerms = large.Model.Random.Terms;
        foreach (var t in smallTerms)
        {
            // Each term of the smaller model must lie inside a term of the larger one on the same factor
            // (its columns a subset), or be covered by the larger model's terms on that factor together (||).
            var cover = bigTerms.Where(u => u.GroupName == t.GroupName).SelectMany(u => u.TermNames).ToHashSet(StringComparer.Ordinal);
            if (!t.TermNames.All(cover.Contains))
                throw new GlmmInputException($"the models are not nested: random term ({string.Join(" + ", t.TermNames)} | {t.GroupName}) of '{small.Formula}' is not in '{large.Formula}'");
        }
    }

    /// <summary>The table as R prints it (<c>Data</c>, <c>Models</c>, then the columns with significance stars).</summary>
    public static string Format(IReadOnlyList<AnovaRow> rows, string dataName = "")
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append("Data: ").Append(dataName).Append('\n').Append("Models:\n");
        foreach (var r in rows) sb.Append(r.Model).Append(": ").Append(r.Formula).Append('\n');
        string[] headers = { "npar", "AIC", "BIC", "logLik", "deviance", "Chisq", "Df", "Pr(>Chisq)" };
        var cells = rows.Select(r => new[]
        {
            r.NPar.ToString(ci), Sig(r.AIC), Sig(r.BIC), Sig(r.LogLik), Sig(r.Deviance),
            double.IsNaN(r.Chisq) ? "" : Sig(r.Chisq), double.IsNaN(r.P) ? "" : r.Df.ToString(ci),
            double.IsNaN(r.P) ? "" : PValue(r.P),
        }).ToArray();
        int nameWidth = rows.Max(r => r.Model.Length);
        var widths = headers.Select((h, j) => Math.Max(h.Length, cells.Max(c => c[j].Length))).ToArray();
        sb.Append(new string(' ', nameWidth));
        for (int j = 0; j < headers.Length; j++) sb.Append(' ').Append(headers[j].PadLeft(widths[j]));
        sb.Append('\n');
        for (int i = 0; i < rows.Count; i++)
        {
            sb.Append(rows[i].Model.PadRight(nameWidth));
            for (int j = 0; j < headers.Length; j++) sb.Append(' ').Append(cells[i][j].PadLeft(widths[j]));
            if (!double.IsNaN(rows[i].P)) sb.Append(' ').Append(Stars(rows[i].P));
            sb.Append('\n');
        }
        sb.Append("---\nSignif. codes:  0 '***' 0.001 '**' 0.01 '*' 0.05 '.' 0.1 ' ' 1\n");
        return sb.ToString();

        static string Sig(double v)
        {
            if (!double.IsFinite(v)) return "NA";
            int digits = v == 0 ? 1 : (int)Math.Floor(Math.Log10(Math.Abs(v))) + 1;
            int decimals = Math.Clamp(5 - digits, 0, 10);
            return v.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        }
        static string PValue(double p) => p < 2.2e-16 ? "< 2.2e-16" : p < 1e-4 ? p.ToString("0.000e-00", CultureInfo.InvariantCulture) : p.ToString("G4", CultureInfo.InvariantCulture);
        static string Stars(double p) => p < 0.001 ? "***" : p < 0.01 ? "**" : p < 0.05 ? "*" : p < 0.1 ? "." : " ";
    }

    /// <summary>Writes the JSON key <c>anova</c>: one object per row (null where R prints nothing).</summary>
    public static void WriteJson(System.Text.Json.Utf8JsonWriter w, IReadOnlyList<AnovaRow> rows)
    {
        w.WriteStartArray("anova");
        foreach (var r in rows)
        {
            w.WriteStartObject();
            w.WriteString("model", r.Model);
            w.WriteString("formula", r.Formula);
            w.WriteNumber("npar", r.NPar);
            JsonWriter.Number(w, "AIC", r.AIC);
            JsonWriter.Number(w, "BIC", r.BIC);
            JsonWriter.Number(w, "logLik", r.LogLik);
            JsonWriter.Number(w, "deviance", r.Deviance);
            JsonWriter.Number(w, "Chisq", r.Chisq);
            if (double.IsNaN(r.P)) w.WriteNull("Df"); else w.WriteNumber("Df", r.Df);
            JsonWriter.Number(w, "p", r.P);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }
}
