using System.Globalization;
using System.Text;

namespace Glmm.Results;

/// <summary>Writes a fit as lme4's <c>summary(glmer(...))</c> prints it.</summary>
public static partial class SummaryWriter
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The lme4-style summary as text.</summary>
    public static string Write(GlmmFit fit)
    {
        if (fit.Family is Families.Gaussian { IsLinearMixedModel: true }) return WriteLinearMixedModel(fit);
        var sb = new StringBuilder();
        string title = fit.Reml is not null ? RemlTitle(fit) : fit.Method switch
        {
            FitMethod.PirlsOnly => "Generalized linear mixed model fit by maximum likelihood (nAGQ = 0: fixed effects estimated within PIRLS)",
            FitMethod.Laplace => "Generalized linear mixed model fit by maximum likelihood (Laplace Approximation)",
            FitMethod.AdaptiveQuadrature or FitMethod.Reml or FitMethod.MaximumLikelihood => $"Generalized linear mixed model fit by maximum likelihood (Adaptive Gauss-Hermite quadrature, nAGQ = {fit.NAgq}; {fit.Grid?.Name()} grid, {fit.NodesPerCluster} nodes per cluster)",
        };
        sb.AppendLine(fit.FixedEffectsPrior is null ? title : title.Replace("fit by maximum likelihood", "fit by penalized maximum likelihood", StringComparison.Ordinal));
        sb.AppendLine($" Family: {fit.Family.Name}  ( {fit.Family.Link.Name} )");
        sb.AppendLine($"Formula: {fit.Formula}");
        if (fit.DataName.Length > 0) sb.AppendLine($"   Data: {fit.DataName}");
        if (fit.FixedEffectsPrior is { } prior)
            sb.AppendLine($"  Prior: {prior.Describe()}; the estimates maximise the penalized likelihood (penalized deviance {F(fit.PenalizedDeviance, 1)}), logLik below is unpenalized");
        if (fit.DroppedRows > 0) sb.AppendLine($"Rows dropped: {fit.DroppedRows} ({fit.DroppedReason})");
        var droppedColumns = fit.Model.X.DroppedColumns;
        if (droppedColumns.Count > 0)
            sb.AppendLine($"fixed-effect model matrix is rank deficient so dropping {droppedColumns.Count} column{(droppedColumns.Count == 1 ? "" : "s")}: {string.Join(", ", droppedColumns)}");
        sb.AppendLine();
        if (fit.Reml is not null)
            sb.AppendLine(string.Create(Inv, $"REML criterion (restricted logLik): {F(fit.RestrictedLogLik, 4)}; the logLik below is the marginal likelihood at these estimates (not for likelihood-ratio tests)"));
        AppendTable(sb, null, new[] { "AIC", "BIC", "logLik", "deviance", "df.resid" },
            new[] { new[] { F(fit.AIC, 1), F(fit.BIC, 1), F(fit.LogLik, 1), F(fit.Deviance, 1), fit.DfResidual.ToString(Inv) } }, null);
        sb.AppendLine();
        AppendResidualsAndRandomEffects(sb, fit, residualRow: false);
        if (fit.Iterative is { } it)
            sb.AppendLine(string.Create(Inv,
                $"Solver: iterative ({it.Reason}): conjugate gradients ({it.Preconditioner} preconditioner, tolerance {it.Tolerance:G2}, {it.MeanIterations:0.#} iterations per solve), log-determinant by stochastic Lanczos quadrature with {it.Probes} probes (seed {it.Seed}){(it.LogLikProbes > it.Probes ? $", logLik on {it.LogLikProbes}" : "")}; Monte Carlo error of logLik {it.LogLikMonteCarloError:G2}"));
        sb.AppendLine();
        if (fit.Family.HasDispersion)
        {
            // As glmmTMB's summary: 3 significant digits (Gamma, gaussian: sigma^2, nbinom2: theta).
            double shown = fit.Family is Families.Gamma or Families.Gaussian ? fit.Sigma * fit.Sigma : fit.Sigma;
            sb.AppendLine($"{fit.Family.DispersionLabel}: {shown.ToString("G3", CultureInfo.InvariantCulture)} ");
            sb.AppendLine();
        }

        sb.AppendLine("Fixed effects:");
        // As R's printCoefmat: each column with a common number of decimals, enough for 4 significant digits
        // of its smallest entry.
        string estFmt = ColumnFormat(fit.FixedEffects.Select(f => f.Estimate));
        string seFmt = ColumnFormat(fit.FixedEffects.Select(f => f.StdError));
        var feRows = fit.FixedEffects.Select(f => new[]
        {
            f.Name, Fmt(f.Estimate, estFmt), Fmt(f.StdError, seFmt), Fmt(f.Z, "0.000"), FormatP(f.P), Stars(f.P),
        }).ToArray();
        AppendTable(sb, "", new[] { "Estimate", "Std. Error", "z value", "Pr(>|z|)", "" }, feRows, null, rowNames: true);
        sb.AppendLine("---");
        sb.AppendLine("Signif. codes:  0 '***' 0.001 '**' 0.01 '*' 0.05 '.' 0.1 ' ' 1");

        AppendCorrelationAndStatus(sb, fit, "deviance");
        return sb.ToString();
    }

    /// <summary>
    /// lme4's "Scaled residuals" quantiles, the "Random effects" table (with lmer's <c>Residual</c> row when
    /// <paramref name="residualRow"/>) and the "Number of obs" line, shared by the GLMM and LMM summaries.
    /// </summary>
    private static void AppendResidualsAndRandomEffects(StringBuilder sb, GlmmFit fit, bool residualRow)
    {
        sb.AppendLine("Scaled residuals: ");
        AppendTable(sb, null, new[] { "Min", "1Q", "Median", "3Q", "Max" },
            new[] { fit.ScaledResidualQuantiles.Select(v => F(v, 4)).ToArray() }, null);
        sb.AppendLine();

        sb.AppendLine("Random effects:");
        int maxQ = fit.RandomEffects.Max(r => r.Terms.Count);
        var reHeader = new List<string> { "Groups", "Name", "Variance", "Std.Dev." };
        if (maxQ > 1) reHeader.Add("Corr");
        var reRows = new List<string[]>();
        foreach (var r in fit.RandomEffects)
        {
            for (int i = 0; i < r.Terms.Count; i++)
            {
                var row = new List<string> { i == 0 ? r.Group : "", r.Terms[i], G4(r.StdDev[i] * r.StdDev[i]), G4(r.StdDev[i]) };
                if (maxQ > 1)
                    row.Add(string.Join(" ", Enumerable.Range(0, i).Select(j => Fmt(r.Correlation[i, j], "0.00").PadLeft(5))));
                reRows.Add(row.ToArray());
            }
        }
        if (residualRow)
        {
            // The linear mixed model's residual standard deviation, as lmer's summary.
            var residual = new List<string> { "Residual", "", G4(fit.Sigma * fit.Sigma), G4(fit.Sigma) };
            if (maxQ > 1) residual.Add("");
            reRows.Add(residual.ToArray());
        }
        AppendTable(sb, null, reHeader.ToArray(), reRows.ToArray(), leftAligned: new[] { true, true, false, false, true });
        sb.AppendLine($"Number of obs: {fit.Nobs}, groups:  " +
            string.Join("; ", fit.RandomEffects.GroupBy(r => r.Group).Select(g => $"{g.Key}, {g.First().Levels}")));
    }

    private static string RemlTitle(GlmmFit fit) => fit.Reml switch
    {
        RemlVariant.Laplace => "Generalized linear mixed model fit by restricted maximum likelihood (REML variant 'laplace': beta integrated out with the random effects by one Laplace approximation)",
        RemlVariant.Profile => $"Generalized linear mixed model fit by restricted maximum likelihood (REML variant 'profile': Cox-Reid adjusted profile likelihood, {(fit.NAgq > 1 ? $"adaptive Gauss-Hermite quadrature, nAGQ = {fit.NAgq}" : "Laplace approximation")})",
        RemlVariant.Pql => "Generalized linear mixed model fit by restricted maximum likelihood (REML variant 'pql': REML of the working linear mixed model, penalized quasi-likelihood)",
        null => throw new ArgumentException("not a REML fit", nameof(fit)),
    };

    private static string F(double v, int digits) => Fmt(v, "F" + digits.ToString(Inv));

    /// <summary>A number in <paramref name="format"/>; "NA" (as R prints a missing value) when it is not finite, so that
    /// no "Infinity" or "NaN" ever reaches the text.</summary>
    private static string Fmt(double v, string format) => double.IsFinite(v) ? v.ToString(format, Inv) : "NA";

    /// <summary>
    /// lme4's <c>ranef(fit)</c> as R prints it — for each grouping factor <c>$group</c> and a table of the conditional modes,
    /// levels by rows and terms by columns — with the conditional SDs (R's <c>condVar</c>) in further columns.
    /// </summary>
    public static string WriteRanef(GlmmFit fit)
    {
        ArgumentNullException.ThrowIfNull(fit);
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append("\nConditional modes of the random effects (ranef), with conditional SDs:\n");
        foreach (var group in fit.ConditionalModes.GroupBy(m => m.Group))
        {
            var terms = group.Select(m => m.Term).Distinct().ToArray();
            var levels = group.Select(m => m.Level).Distinct().ToArray();
            var header = terms.Concat(terms.Select(t => "sd " + t)).ToArray();
            var cells = new Dictionary<(string, string), RandomEffectPrediction>();
            foreach (var m in group) cells[(m.Level, m.Term)] = m;
            var rows = levels.Select(l => terms.Select(t => Cell(cells[(l, t)].Mode))
                .Concat(terms.Select(t => Cell(cells[(l, t)].ConditionalSD))).ToArray()).ToArray();
            int nameWidth = Math.Max(1, levels.Max(l => l.Length));
            var widths = header.Select((h, j) => Math.Max(h.Length, rows.Length == 0 ? 0 : rows.Max(r => r[j].Length))).ToArray();
            sb.Append('$').Append(group.Key).Append('\n');
            sb.Append(new string(' ', nameWidth));
            for (int j = 0; j < header.Length; j++) sb.Append(' ').Append(header[j].PadLeft(widths[j]));
            sb.Append('\n');
            for (int r = 0; r < levels.Length; r++)
            {
                sb.Append(levels[r].PadRight(nameWidth));
                for (int j = 0; j < header.Length; j++) sb.Append(' ').Append(rows[r][j].PadLeft(widths[j]));
                sb.Append('\n');
            }
        }
        return sb.ToString();

        string Cell(double v) => double.IsFinite(v) ? v.ToString("G7", ci) : "NA";
    }

    /// <summary>The correlation of the fixed effects, the singular-fit note, the warnings and the convergence line (lme4's summary tail).</summary>
    private static void AppendCorrelationAndStatus(StringBuilder sb, GlmmFit fit, string evaluated)
    {
        int p = fit.FixedEffects.Count;
        if (p > 1)
        {
            sb.AppendLine();
            sb.AppendLine("Correlation of Fixed Effects:");
            var corr = fit.FixedEffectsCorrelation;
            var names = fit.FixedEffects.Select(f => Abbreviate(f.Name)).ToArray();
            var rows = new List<string[]>();
            for (int i = 1; i < p; i++)
            {
                var row = new string[p];
                row[0] = fit.FixedEffects[i].Name;
                for (int j = 0; j < p - 1; j++) row[j + 1] = j < i ? Fmt(corr[i, j], "0.000") : "";
                rows.Add(row);
            }
            AppendTable(sb, "", names[..^1], rows.ToArray(), null, rowNames: true);
        }
        if (fit.Singular) sb.AppendLine("boundary (singular) fit: see the random-effects variances");
        foreach (var w in fit.Warnings) sb.AppendLine($"Warning: {w}");
        if (fit.Converged && double.IsFinite(fit.LogLik))
            sb.AppendLine(string.Create(Inv, $"Converged in {fit.Evaluations} {evaluated} evaluations ({fit.Seconds:0.000} s)."));
    }

    private static string ColumnFormat(IEnumerable<double> values)
    {
        var finite = values.Where(v => double.IsFinite(v) && v != 0).Select(Math.Abs).ToArray();
        if (finite.Length == 0) return "F4";
        // Beyond what fixed notation can show (a covariate on a scale of 1e-10 or 1e20): scientific, 4 significant digits.
        if (finite.Max() >= 1e6 || finite.Min() < 1e-6) return "0.000e+00";
        int decimals = Math.Clamp(3 - (int)Math.Floor(Math.Log10(finite.Min())), 0, 8);
        return "F" + decimals.ToString(Inv);
    }

    private static string G4(double v)
    {
        if (!double.IsFinite(v)) return "NA";
        if (v == 0) return "0";
        double a = Math.Abs(v);
        if (a >= 1e-4 && a < 1e6)
        {
            int decimals = Math.Max(0, 3 - (int)Math.Floor(Math.Log10(a)));
            return v.ToString("F" + decimals.ToString(Inv), Inv);
        }
        return v.ToString("0.000e+00", Inv);
    }

    private static string FormatP(double p) => !double.IsFinite(p) ? "NA" : p < 2e-16 ? "< 2e-16" : p < 1e-4 ? p.ToString("0.00e+00", Inv) : p.ToString("0.000000", Inv);

    private static string Stars(double p) => p < 0.001 ? "***" : p < 0.01 ? "**" : p < 0.05 ? "*" : p < 0.1 ? "." : "";

    private static string Abbreviate(string name)
    {
        // As R's abbreviate(minlength = 6) for column headers: drop lower-case vowels from the end until short enough.
        if (name.Length <= 6) return name;
        var chars = name.Replace("(", "").Replace(")", "").ToList();
        for (int i = chars.Count - 1; i > 0 && chars.Count > 6; i--)
            if ("aeiou".Contains(chars[i]) && char.IsLower(chars[i])) chars.RemoveAt(i);
        for (int i = chars.Count - 1; i > 0 && chars.Count > 6; i--)
            if (char.IsLower(chars[i])) chars.RemoveAt(i);
        var s = new string(chars.ToArray());
        return s.Length > 6 ? s[..6] : s;
    }

    private static void AppendTable(StringBuilder sb, string? corner, string[] header, string[][] rows, bool[]? leftAligned, bool rowNames = false)
    {
        int cols = header.Length + (rowNames ? 1 : 0);
        var all = new List<string[]>();
        all.Add(rowNames ? new[] { corner ?? "" }.Concat(header).ToArray() : header);
        all.AddRange(rows);
        var width = new int[cols];
        foreach (var r in all)
            for (int c = 0; c < cols && c < r.Length; c++) width[c] = Math.Max(width[c], r[c].Length);
        foreach (var r in all)
        {
            var line = new StringBuilder(" ");
            for (int c = 0; c < cols; c++)
            {
                string cell = c < r.Length ? r[c] : "";
                bool left = rowNames ? c == 0 : leftAligned is not null && leftAligned[c];
                line.Append(left ? cell.PadRight(width[c]) : cell.PadLeft(width[c]));
                if (c < cols - 1) line.Append(' ');
            }
            sb.AppendLine(line.ToString().TrimEnd());
        }
    }
}
