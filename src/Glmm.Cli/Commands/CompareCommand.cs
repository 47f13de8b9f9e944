using System.Text;
using System.Text.Json;
using Glmm.Inference;

namespace Glmm.Cli.Commands;

/// <summary>
/// <c>glmm compare</c>: fits two or more nested models to the same data by maximum likelihood and prints the
/// likelihood-ratio test as R's <c>anova(fit0, fit1)</c> table.
/// </summary>
internal sealed class CompareCommand : Command
{
    private static readonly OptionSpec Formulas = new("formula", "FORMULA", "a model formula; give it two or more times (nested models, in any order)")
    { Required = true, Alias = "f", Repeatable = true };

    private static readonly OptionSpec NAgq = new("nagq", "K", "1: Laplace approximation; K > 1: adaptive Gauss-Hermite quadrature (both models)")
    { Default = "1" };

    public override string Name => "compare";

    public override string Summary => "likelihood-ratio tests of nested models (R's anova table)";

    public override string Description =>
        "Fits both formulas to the data by maximum likelihood and prints R's anova(fit0, fit1) table: npar, AIC,\n" +
        "BIC, logLik, deviance, Chisq, Df, Pr(>Chisq). The models must be fitted to the same rows and response and\n" +
        "be nested (fixed-effect columns and random terms of the smaller inside the larger).";

    public override IReadOnlyList<OptionSpec> Options { get; } =
        new[] { CommonOptions.Data, Formulas, CommonOptions.Weights, CommonOptions.FormatIn, CommonOptions.Separator, CommonOptions.Family, CommonOptions.Link, NAgq, CommonOptions.Threads, CommonOptions.Format };

    public override int Execute(ParsedOptions options, TextWriter stdout, TextWriter stderr)
    {
        string path = options.Require(CommonOptions.Data);
        var formulas = options.GetAll(Formulas);
        if (formulas.Count < 2)
            throw new GlmmInputException($"'compare' needs --formula two or more times (nested models), not {formulas.Count} time{(formulas.Count == 1 ? "" : "s")}");
        int nagq = options.GetInt(NAgq, 1);
        if (nagq < 1) throw new GlmmInputException($"'compare' needs --nagq 1 or more (a likelihood), not {nagq}");
        int threads = CommonOptions.ReadThreads(options);
        var data = CommonOptions.ReadData(options, stderr, formulas);
        var fitOptions = CommonOptions.FitOptions(options, nagq, threads);
        var fits = formulas.Select(f => GlmmModel.Fit(f, data, fitOptions)).ToArray();
        var rows = LikelihoodRatio.Compare(fits);
        if (CommonOptions.IsJson(options))
        {
            using var stream = new MemoryStream();
            using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            {
                w.WriteStartObject();
                Glmm.Results.JsonWriter.WriteSchemaVersion(w);
                w.WriteString("data", Path.GetFileName(path));
                LikelihoodRatio.WriteJson(w, rows);
                w.WriteEndObject();
            }
            stdout.WriteLine(Encoding.UTF8.GetString(stream.ToArray()));
        }
        else stdout.Write(LikelihoodRatio.Format(rows, Path.GetFileName(path)));
        foreach (var f in fits)
            foreach (var warning in f.Warnings) stderr.WriteLine($"glmm: warning: {f.Formula}: {warning}");
        return 0;
    }
}
