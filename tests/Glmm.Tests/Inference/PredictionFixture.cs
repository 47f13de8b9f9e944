using System.Text.Json;
using Glmm.Results;

namespace Glmm.Tests.Inference;

/// <summary>
/// lme4's numbers for prediction, ranef/coef and residuals (fixtures/prediction/*.json, made by
/// tools/prediction_fixtures.R right after glmer() returns), and our fit of the same model (cached).
/// </summary>
internal sealed class PredictionFixture
{
    private static readonly Dictionary<string, PredictionFixture> Cache = new();

    public required string Name { get; init; }
    public required string Formula { get; init; }
    public required string Family { get; init; }
    public required string Link { get; init; }
    public required DataTable Data { get; init; }
    public required DataTable NewData { get; init; }
    public required string[] FixefNames { get; init; }
    public required double[] Fixef { get; init; }
    public required double[,] Vcov { get; init; }
    public required (string Group, string Level, string Term, double Mode, double CondSD)[] Ranef { get; init; }
    public required (string Group, string[] Columns, string[] Levels, double[][] Values)[] Coef { get; init; }
    public required Dictionary<string, double[]> Fitted { get; init; }
    public required Dictionary<string, double[]> Residuals { get; init; }
    public required Dictionary<string, double[]> NewDataPredictions { get; init; }
    /// <summary>lme4's deviance(): Σ squared deviance residuals (null in fixtures made before it was written).</summary>
    public double? ConditionalDeviance { get; init; }
    /// <summary>quantile(residuals(fit, "pearson", scaled = TRUE)), summary()'s "Scaled residuals" (or null).</summary>
    public double[]? ScaledResidualQuantiles { get; init; }
    public required GlmmFit Fit { get; init; }

    public static string Directory => Path.Combine(AppContext.BaseDirectory, "fixtures", "prediction");

    public static PredictionFixture Load(string name)
    {
        lock (Cache)
        {
            if (Cache.TryGetValue(name, out var cached)) return cached;
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, name + ".json")));
            var r = doc.RootElement;
            double[] Nums(JsonElement e) => e.EnumerateArray().Select(x => x.GetDouble()).ToArray();
            string[] Strs(JsonElement e) => e.EnumerateArray().Select(x => x.GetString()!).ToArray();
            Dictionary<string, double[]> Dict(JsonElement e) => e.EnumerateObject().ToDictionary(p => p.Name, p => Nums(p.Value));
            var vrows = r.GetProperty("vcov").EnumerateArray().Select(Nums).ToArray();
            var vcov = new double[vrows.Length, vrows.Length];
            for (int i = 0; i < vrows.Length; i++) for (int j = 0; j < vrows.Length; j++) vcov[i, j] = vrows[i][j];
            var data = CsvTableReader.Read(Path.Combine(AppContext.BaseDirectory, "fixtures", "data", r.GetProperty("data").GetString()!));
            string formula = r.GetProperty("formula").GetString()!;
            var f = new PredictionFixture
            {
                Name = name,
                Formula = formula,
                Family = r.GetProperty("family").GetString()!,
                Link = r.GetProperty("link").GetString()!,
                Data = data,
                NewData = CsvTableReader.Read(Path.Combine(Directory, r.GetProperty("newdata").GetString()!)),
                FixefNames = Strs(r.GetProperty("fixefNames")),
                Fixef = Nums(r.GetProperty("fixef")),
                Vcov = vcov,
                Ranef = r.GetProperty("ranef").EnumerateArray().Select(x => (x.GetProperty("group").GetString()!, x.GetProperty("level").GetString()!,
                    x.GetProperty("term").GetString()!, x.GetProperty("mode").GetDouble(), x.GetProperty("condSD").GetDouble())).ToArray(),
                Coef = r.GetProperty("coef").EnumerateArray().Select(x => (x.GetProperty("group").GetString()!, Strs(x.GetProperty("columns")),
                    Strs(x.GetProperty("levels")), x.GetProperty("values").EnumerateArray().Select(Nums).ToArray())).ToArray(),
                Fitted = Dict(r.GetProperty("fitted")),
                Residuals = Dict(r.GetProperty("residuals")),
                NewDataPredictions = Dict(r.GetProperty("newdataPredictions")),
                ConditionalDeviance = r.TryGetProperty("conditionalDeviance", out var cd) ? cd.GetDouble() : null,
                ScaledResidualQuantiles = r.TryGetProperty("scaledResidualQuantiles", out var sq) ? Nums(sq) : null,
                Fit = GlmmModel.Fit(formula, data, new GlmmOptions { Family = Glmm.Families.Family.Create(r.GetProperty("family").GetString()!, r.GetProperty("link").GetString()) }),
            };
            Cache[name] = f;
            return f;
        }
    }

    /// <summary>Our fit's saved state with lme4's β̂, V(β̂) and conditional modes put in.</summary>
    public SavedModel AtLme4Estimates()
    {
        var model = SavedModel.FromFit(Fit);
        Assert.Equal(FixefNames, model.FixedEffectNames);
        var terms = model.RandomTerms.Select(t =>
        {
            int q = t.Terms.Count;
            var modes = new double[t.Modes.Count];
            for (int l = 0; l < t.Levels.Count; l++)
                for (int a = 0; a < q; a++)
                    modes[l * q + a] = Ranef.Single(x => x.Group == t.Group && x.Level == t.Levels[l] && x.Term == t.Terms[a]).Mode;
            return t with { Modes = modes };
        }).ToArray();
        return model with { Beta = Fixef, BetaCovariance = Vcov, RandomTerms = terms };
    }

    public static double MaxRelative(IReadOnlyList<double> ours, IReadOnlyList<double> theirs)
    {
        Assert.Equal(theirs.Count, ours.Count);
        double worst = 0;
        for (int i = 0; i < theirs.Count; i++)
            worst = Math.Max(worst, Math.Abs(ours[i] - theirs[i]) / Math.Max(Math.Abs(theirs[i]), 1e-300));
        return worst;
    }

    public static double MaxAbsolute(IReadOnlyList<double> ours, IReadOnlyList<double> theirs)
    {
        Assert.Equal(theirs.Count, ours.Count);
        double worst = 0;
        for (int i = 0; i < theirs.Count; i++) worst = Math.Max(worst, Math.Abs(ours[i] - theirs[i]));
        return worst;
    }
}
