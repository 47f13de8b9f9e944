using System.Text;

namespace Glmm.Results;

public static partial class SummaryWriter
{
    /// <summary>A linear mixed model's summary as lmerTest's <c>summary(lmer(...))</c> prints it: the REML criterion or the
    /// information criteria, a <c>Residual</c> row under the random effects, and t tests with Satterthwaite's df.</summary>
    private static string WriteLinearMixedModel(GlmmFit fit)
    {
        var sb = new StringBuilder();
        bool reml = fit.Reml is not null;
        sb.AppendLine($"Linear mixed model fit by {(reml ? "REML" : "maximum likelihood")}. t-tests use {(fit.Ddf == DenominatorDf.KenwardRoger ? "Kenward-Roger's" : "Satterthwaite's")} method");
        sb.AppendLine($"Formula: {fit.Formula}");
        if (fit.DataName.Length > 0) sb.AppendLine($"   Data: {fit.DataName}");
        if (fit.DroppedRows > 0) sb.AppendLine($"Rows dropped: {fit.DroppedRows} ({fit.DroppedReason})");
        var droppedColumns = fit.Model.X.DroppedColumns;
        if (droppedColumns.Count > 0)
            sb.AppendLine($"fixed-effect model matrix is rank deficient so dropping {droppedColumns.Count} column{(droppedColumns.Count == 1 ? "" : "s")}: {string.Join(", ", droppedColumns)}");
        sb.AppendLine();
        if (reml)
            sb.AppendLine($"REML criterion at convergence: {F(fit.RemlCriterion, 1)}");
        else
            AppendTable(sb, null, new[] { "AIC", "BIC", "logLik", "deviance", "df.resid" },
                new[] { new[] { F(fit.AIC, 1), F(fit.BIC, 1), F(fit.LogLik, 1), F(fit.Deviance, 1), fit.DfResidual.ToString(Inv) } }, null);
        sb.AppendLine();
        AppendResidualsAndRandomEffects(sb, fit, residualRow: true);
        sb.AppendLine();

        sb.AppendLine("Fixed effects:");
        string estFmt = ColumnFormat(fit.FixedEffects.Select(f => f.Estimate));
        string seFmt = ColumnFormat(fit.FixedEffects.Select(f => f.StdError));
        string dfFmt = ColumnFormat(fit.FixedEffects.Select(f => f.Df));
        var feRows = fit.FixedEffects.Select(f => new[]
        {
            f.Name, Fmt(f.Estimate, estFmt), Fmt(f.StdError, seFmt), Fmt(f.Df, dfFmt), Fmt(f.Z, "0.000"), FormatP(f.P), Stars(f.P),
        }).ToArray();
        AppendTable(sb, "", new[] { "Estimate", "Std. Error", "df", "t value", "Pr(>|t|)", "" }, feRows, null, rowNames: true);
        sb.AppendLine("---");
        sb.AppendLine("Signif. codes:  0 '***' 0.001 '**' 0.01 '*' 0.05 '.' 0.1 ' ' 1");

        AppendCorrelationAndStatus(sb, fit, "criterion");
        return sb.ToString();
    }
}
