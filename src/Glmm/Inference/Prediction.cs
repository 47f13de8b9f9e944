using System.Globalization;
using Glmm.Families;
using Glmm.Model;
using Glmm.Results;

namespace Glmm.Inference;

/// <summary>The scale of predictions (lme4's <c>type</c>).</summary>
public enum PredictionScale
{
    /// <summary>The linear predictor η.</summary>
    Link,
    /// <summary>The mean μ = g⁻¹(η).</summary>
    Response,
    /// <summary>The population-averaged mean E[g⁻¹(η)] over the random-effects distribution (see <see cref="MarginalEffects"/>).</summary>
    Marginal,
}

/// <summary>How to predict (lme4's <c>predict.merMod</c> arguments).</summary>
public sealed record PredictionOptions
{
    /// <summary>Link (η, the default as in lme4), response (μ) or marginal (population-averaged μ) scale.</summary>
    public PredictionScale Scale { get; init; } = PredictionScale.Link;

    /// <summary>Include the random effects (conditional modes); false is lme4's <c>re.form = NA</c>.</summary>
    public bool IncludeRandom { get; init; } = true;

    /// <summary>Levels of a grouping factor that the fit did not see get a random effect of 0 instead of being an error.</summary>
    public bool AllowNewLevels { get; init; }
}

/// <summary>A row of new data that could not be predicted because a variable is missing there.</summary>
/// <param name="Row">0-based row of the new data.</param>
/// <param name="Variable">The first model variable (or column) missing in that row.</param>
public sealed record MissingPredictor(int Row, string Variable);

/// <summary>Predictions for the rows of new data, in order.</summary>
public sealed class PredictionResult
{
    /// <summary>The scale of <see cref="Values"/>.</summary>
    public required PredictionScale Scale { get; init; }

    /// <summary>True when the random effects are included.</summary>
    public required bool IncludeRandom { get; init; }

    /// <summary>One prediction per row of the data; NaN for rows with missing values (see <see cref="MissingRows"/>).</summary>
    public required IReadOnlyList<double> Values { get; init; }

    /// <summary>
    /// Delta-method standard errors of the population-level predictions (sqrt(x'V(β̂)x) on the link scale,
    /// times |dμ/dη| on the response scale), one per row; null when the random effects are included
    /// (the uncertainty of the conditional modes is not part of it).
    /// </summary>
    public IReadOnlyList<double>? StdErrors { get; init; }

    /// <summary>Rows with a missing value in a variable the prediction needs; their predictions are NaN.</summary>
    public required IReadOnlyList<MissingPredictor> MissingRows { get; init; }

    /// <summary>Rows predicted with a random effect of 0 because their level was not in the fitted data.</summary>
    public int NewLevelRows { get; init; }
}

/// <summary>
/// Prediction from a fitted (or saved) model as lme4's <c>predict.merMod</c>: η = Xβ̂ + offset + Zb̃
/// on new data encoded as the fitted data (factor levels, scale() parameters), with or without the
/// random effects, on the link or response scale.
/// </summary>
public static class Prediction
{
    /// <summary>Predicts for the rows of <paramref name="data"/> from a fit.</summary>
    public static PredictionResult Predict(GlmmFit fit, DataTable data, PredictionOptions? options = null) =>
        Predict(SavedModel.FromFit(fit), data, options);

    /// <summary>
    /// Predicts for the rows of <paramref name="data"/> from a saved model (or one built from given
    /// β, b and encoding). A missing column, a factor level the fit did not see, or a grouping-factor
    /// level the fit did not see (unless <see cref="PredictionOptions.AllowNewLevels"/>) is a
    /// <see cref="GlmmInputException"/>; rows with missing values give NaN and are listed.
    /// </summary>
    public static PredictionResult Predict(SavedModel model, DataTable data, PredictionOptions? options = null)
    {
        options ??= new PredictionOptions();
        if (options.Scale == PredictionScale.Marginal) return MarginalEffects.Predict(model, data);
        var terms = model.RandomTerms.Select(t => new FittedTerm(t.Group, t.Terms, t.Levels)).ToArray();
        var nd = NewDataBuilder.Build(model.Formula, model.Encoding, model.FixedEffectNames, terms, data, options.IncludeRandom, options.AllowNewLevels);
        var link = Link.FromName(model.Link);
        int n = nd.Rows, p = model.Beta.Count;
        // Inf or -Inf in a covariate (or a value whose transformation overflows) is an error naming row and column, not a
        // silent NA or a prediction of exactly 0 or 1.
        for (int j = 0; j < p; j++)
            for (int i = 0; i < n; i++)
                if (nd.MissingIn[i] is null && !double.IsFinite(nd.X[j * n + i]))
                    throw new GlmmInputException(
                        $"row {(i + 1).ToString(CultureInfo.InvariantCulture)} of the new data: the fixed-effects column '{model.FixedEffectNames[j]}' is {Describe(nd.X[j * n + i])} (a covariate is Inf or overflows); predictions need finite values");
        var eta = new double[n];
        for (int i = 0; i < n; i++) eta[i] = nd.Offset[i];
        for (int j = 0; j < p; j++)
        {
            double b = model.Beta[j];
            var col = nd.X.AsSpan(j * n, n);
            for (int i = 0; i < n; i++) eta[i] += col[i] * b;
        }
        double[]? se = null;
        if (options.IncludeRandom)
        {
            for (int s = 0; s < terms.Length; s++)
            {
                var codes = nd.Codes[s];
                var z = nd.Covariates[s];
                var modes = model.RandomTerms[s].Modes;
                int q = terms[s].Terms.Count;
                for (int i = 0; i < n; i++)
                {
                    int c = codes[i];
                    if (c < 0) continue;
                    double sum = 0;
                    for (int a = 0; a < q; a++) sum += z[i * q + a] * modes[c * q + a];
                    eta[i] += sum;
                }
            }
        }
        else
        {
            se = new double[n];
            var v = model.BetaCovariance;
            var x = new double[p];
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < p; j++) x[j] = nd.X[j * n + i];
                double sum = 0;
                for (int j = 0; j < p; j++)
                {
                    double row = 0;
                    for (int k = 0; k < p; k++) row += v[j, k] * x[k];
                    sum += x[j] * row;
                }
                se[i] = Math.Sqrt(Math.Max(sum, 0));
            }
        }

        var missing = new List<MissingPredictor>();
        var values = new double[n];
        for (int i = 0; i < n; i++)
        {
            if (nd.MissingIn[i] is { } variable)
            {
                missing.Add(new MissingPredictor(i, variable));
                values[i] = double.NaN;
                if (se is not null) se[i] = double.NaN;
                continue;
            }
            if (!double.IsFinite(eta[i]))
                throw new GlmmInputException(
                    $"row {(i + 1).ToString(CultureInfo.InvariantCulture)} of the new data: the linear predictor is {Describe(eta[i])} (a random-effect covariate is Inf or the terms overflow); predictions need finite values");
            if (options.Scale == PredictionScale.Response)
            {
                values[i] = link.Inverse(eta[i]);
                if (se is not null) se[i] *= Math.Abs(link.MuEta(eta[i]));
            }
            else values[i] = eta[i];
        }
        return new PredictionResult
        {
            Scale = options.Scale,
            IncludeRandom = options.IncludeRandom,
            Values = values,
            StdErrors = se,
            MissingRows = missing,
            NewLevelRows = nd.NewLevelRows,
        };
    }

    /// <summary>
    /// The fitted values of a fit on the link or response scale, in the order of the rows used (lme4's
    /// <c>fitted()</c> / <c>predict(fit)</c>).
    /// </summary>
    public static IReadOnlyList<double> Fitted(GlmmFit fit, PredictionScale scale = PredictionScale.Response) =>
        scale == PredictionScale.Link ? fit.LinearPredictor : fit.Fitted;

    private static string Describe(double v) => double.IsNaN(v) ? "not a number" : v > 0 ? "+Inf" : "-Inf";

    /// <summary>Parses "link", "response" or "marginal".</summary>
    public static PredictionScale ParseScale(string name) => name.Trim().ToLowerInvariant() switch
    {
        "link" => PredictionScale.Link,
        "response" => PredictionScale.Response,
        "marginal" => PredictionScale.Marginal,
        _ => throw new GlmmInputException($"unknown prediction type '{name}': use link, response or marginal"),
    };

    /// <summary>
    /// One line describing the rows that could not be predicted, e.g.
    /// <c>2 rows have missing values and are predicted as null (first: row 5, 'age')</c>; empty when there are none.
    /// Rows are numbered from 1 as data rows after the header.
    /// </summary>
    public static string DescribeMissing(PredictionResult result)
    {
        if (result.MissingRows.Count == 0) return "";
        var first = result.MissingRows[0];
        int count = result.MissingRows.Count;
        return $"{count.ToString(CultureInfo.InvariantCulture)} row{(count == 1 ? " has" : "s have")} missing values and {(count == 1 ? "is" : "are")} predicted as null (first: row {(first.Row + 1).ToString(CultureInfo.InvariantCulture)}, '{first.Variable}')";
    }
}
