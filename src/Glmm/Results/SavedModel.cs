using System.Globalization;
using System.Text;
using System.Text.Json;
using Glmm.Model;

namespace Glmm.Results;

/// <summary>One random-effects term of a saved model: its grouping factor, columns, levels and conditional modes.</summary>
/// <param name="Group">Grouping factor as lme4 names it (<c>herd</c>, <c>a:b</c>).</param>
/// <param name="Terms">Column names of the term (<c>(Intercept)</c>, <c>urbanY</c>).</param>
/// <param name="Levels">Levels of the grouping factor in the fitted data.</param>
/// <param name="Modes">Conditional modes b̃ (scale of b = Λu), level-major: level l, column j at l·q + j.</param>
/// <param name="ConditionalSD">Conditional SDs in the same layout.</param>
public sealed record SavedRandomTerm(string Group, IReadOnlyList<string> Terms, IReadOnlyList<string> Levels,
    IReadOnlyList<double> Modes, IReadOnlyList<double> ConditionalSD);

/// <summary>
/// Everything prediction needs from a fit, without the data: formula, family and link, β̂ and its
/// covariance, θ, the random-effects terms with their levels and conditional modes, and the encoding of
/// the data (factor levels, numeric variables, scale() parameters). Written to and read from a versioned
/// JSON file (<see cref="FormatVersion"/>), so that <c>glmm predict --model</c> works without refitting.
/// A record, so that a model can be built from another package's numbers with <c>with</c>.
/// </summary>
public sealed record SavedModel
{
    /// <summary>The format version this library writes and reads.</summary>
    public const int CurrentFormatVersion = 1;

    /// <summary>The value of the file's <c>format</c> key, identifying a glmm model file.</summary>
    public const string FormatName = "glmm-model";

    /// <summary>The format version of the file.</summary>
    public int FormatVersion { get; init; } = CurrentFormatVersion;

    /// <summary>The model formula.</summary>
    public required string Formula { get; init; }

    /// <summary>Family name (binomial, poisson).</summary>
    public required string Family { get; init; }

    /// <summary>Link name.</summary>
    public required string Link { get; init; }

    /// <summary>The response as written in the formula.</summary>
    public string ResponseName { get; init; } = "";

    /// <summary>Prior-weights column of the fit, if any (not needed to predict).</summary>
    public string? WeightsColumn { get; init; }

    /// <summary>Fitting method ("Laplace", "AGQ", …).</summary>
    public string Method { get; init; } = "";

    /// <summary>Observations used by the fit.</summary>
    public int Nobs { get; init; }

    /// <summary>Maximised log-likelihood of the fit.</summary>
    public double LogLik { get; init; } = double.NaN;

    /// <summary>The family's dispersion parameter on its natural scale (Gamma: φ = 1/shape; nbinom2: θ); NaN for families without one.</summary>
    public double Dispersion { get; init; } = double.NaN;

    /// <summary>Names of the fixed-effects columns (R's model.matrix names, dependent columns dropped).</summary>
    public required IReadOnlyList<string> FixedEffectNames { get; init; }

    /// <summary>β̂ in the order of <see cref="FixedEffectNames"/>.</summary>
    public required IReadOnlyList<double> Beta { get; init; }

    /// <summary>Covariance of β̂ (p×p).</summary>
    public required double[,] BetaCovariance { get; init; }

    /// <summary>θ at the optimum.</summary>
    public required IReadOnlyList<double> Theta { get; init; }

    /// <summary>Random-effects terms in lme4's order.</summary>
    public required IReadOnlyList<SavedRandomTerm> RandomTerms { get; init; }

    /// <summary>How the fitted data were encoded (factor levels, numeric variables, scale() parameters).</summary>
    public required ModelEncoding Encoding { get; init; }

    /// <summary>The state of a fit that prediction needs.</summary>
    public static SavedModel FromFit(GlmmFit fit)
    {
        var terms = new List<SavedRandomTerm>();
        var re = fit.Model.Random;
        int pos = 0;
        for (int s = 0; s < re.Terms.Count; s++)
        {
            var t = re.Terms[s];
            int count = t.Q * t.LevelCount;
            var sd = new double[count];
            // ConditionalModes are listed term by term, level-major, as RandomEffectModes.
            for (int k = 0; k < count; k++) sd[k] = fit.ConditionalModes[pos + k].ConditionalSD;
            pos += count;
            terms.Add(new SavedRandomTerm(t.GroupName, t.TermNames, t.Levels, fit.RandomEffectModes[s], sd));
        }
        return new SavedModel
        {
            Formula = fit.Formula,
            Family = fit.Family.Name,
            Link = fit.Family.Link.Name,
            ResponseName = fit.Model.ResponseName,
            WeightsColumn = fit.Options.WeightsColumn,
            Method = fit.Method.Name(),
            Nobs = fit.Nobs,
            LogLik = fit.LogLik,
            Dispersion = fit.Dispersion,
            FixedEffectNames = fit.FixedEffects.Select(f => f.Name).ToArray(),
            Beta = fit.Beta.ToArray(),
            BetaCovariance = fit.FixedEffectsCovariance.ToArray(),
            Theta = fit.Theta.ToArray(),
            RandomTerms = terms,
            Encoding = fit.Model.Encoding,
        };
    }

    /// <summary>The model as an indented JSON object (numbers round-trip exactly; non-finite numbers as null).</summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("format", FormatName);
            w.WriteNumber("formatVersion", FormatVersion);
            w.WriteString("formula", Formula);
            w.WriteString("family", Family);
            w.WriteString("link", Link);
            w.WriteString("response", ResponseName);
            if (WeightsColumn is null) w.WriteNull("weights"); else w.WriteString("weights", WeightsColumn);
            w.WriteString("method", Method);
            w.WriteNumber("nobs", Nobs);
            JsonWriter.Number(w, "logLik", LogLik);
            if (!double.IsNaN(Dispersion)) JsonWriter.Number(w, "dispersion", Dispersion);
            Strings(w, "fixedEffectNames", FixedEffectNames);
            Numbers(w, "beta", Beta);
            int p = Beta.Count;
            w.WriteStartArray("betaCovariance");
            for (int i = 0; i < p; i++)
            {
                w.WriteStartArray();
                for (int j = 0; j < p; j++) JsonWriter.Value(w, BetaCovariance[i, j]);
                w.WriteEndArray();
            }
            w.WriteEndArray();
            Numbers(w, "theta", Theta);
            w.WriteStartArray("randomTerms");
            foreach (var t in RandomTerms)
            {
                w.WriteStartObject();
                w.WriteString("group", t.Group);
                Strings(w, "terms", t.Terms);
                Strings(w, "levels", t.Levels);
                Numbers(w, "modes", t.Modes);
                Numbers(w, "condSD", t.ConditionalSD);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartObject("encoding");
            w.WriteStartObject("factorLevels");
            foreach (var (name, levels) in Encoding.FactorLevels) Strings(w, name, levels);
            w.WriteEndObject();
            Strings(w, "numericVariables", Encoding.NumericVariables);
            w.WriteStartObject("scales");
            foreach (var (name, sc) in Encoding.Scales)
            {
                w.WriteStartObject(name);
                JsonWriter.Number(w, "center", sc.Center);
                JsonWriter.Number(w, "scale", sc.Scale);
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding_.GetString(stream.ToArray());
    }

    private static readonly Encoding Encoding_ = new UTF8Encoding(false);

    /// <summary>Writes the model to <paramref name="path"/>.</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, ToJson() + "\n");

    /// <summary>
    /// Reads a model file. A file that is not a glmm model, is of another format version, or is
    /// malformed is a <see cref="GlmmInputException"/> with one line naming the file.
    /// </summary>
    public static SavedModel Load(string path)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new GlmmInputException($"cannot read model file '{path}': {e.Message}");
        }
        return FromJson(text, path);
    }

    /// <summary>Parses a model from JSON; <paramref name="source"/> names it in error messages.</summary>
    public static SavedModel FromJson(string json, string source = "model")
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json); }
        catch (JsonException e)
        {
            throw new GlmmInputException($"'{source}' is not a glmm model file (not valid JSON: {e.Message.Split('.')[0]})");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("format", out var fmt) || fmt.ValueKind != JsonValueKind.String || fmt.GetString() != FormatName)
                throw new GlmmInputException($"'{source}' is not a glmm model file (no \"format\": \"{FormatName}\"); write one with 'glmm fit ... --save FILE'");
            if (!root.TryGetProperty("formatVersion", out var ver) || ver.ValueKind != JsonValueKind.Number || !ver.TryGetInt32(out int version))
                throw new GlmmInputException($"model file '{source}' has no format version");
            if (version != CurrentFormatVersion)
                throw new GlmmInputException(
                    $"model file '{source}' has format version {version.ToString(CultureInfo.InvariantCulture)}, but this glmm reads version {CurrentFormatVersion.ToString(CultureInfo.InvariantCulture)}; refit the model and save it again");
            try
            {
                var names = StringList(root.GetProperty("fixedEffectNames"));
                var beta = NumberList(root.GetProperty("beta"));
                int p = beta.Length;
                if (names.Length != p) throw new FormatException("fixedEffectNames and beta differ in length");
                var covRows = root.GetProperty("betaCovariance").EnumerateArray().Select(NumberList).ToArray();
                if (covRows.Length != p || covRows.Any(r => r.Length != p)) throw new FormatException("betaCovariance is not p × p");
                var cov = new double[p, p];
                for (int i = 0; i < p; i++) for (int j = 0; j < p; j++) cov[i, j] = covRows[i][j];
                var terms = new List<SavedRandomTerm>();
                foreach (var t in root.GetProperty("randomTerms").EnumerateArray())
                {
                    var termNames = StringList(t.GetProperty("terms"));
                    var levels = StringList(t.GetProperty("levels"));
                    var modes = NumberList(t.GetProperty("modes"));
                    var sd = NumberList(t.GetProperty("condSD"));
                    if (modes.Length != termNames.Length * levels.Length || sd.Length != modes.Length)
                        throw new FormatException("a random term's modes do not match its terms × levels");
                    terms.Add(new SavedRandomTerm(t.GetProperty("group").GetString()!, termNames, levels, modes, sd));
                }
                var enc = root.GetProperty("encoding");
                var factorLevels = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
                foreach (var fl in enc.GetProperty("factorLevels").EnumerateObject()) factorLevels[fl.Name] = StringList(fl.Value);
                var scales = new Dictionary<string, ScaleParameters>(StringComparer.Ordinal);
                foreach (var sc in enc.GetProperty("scales").EnumerateObject())
                    scales[sc.Name] = new ScaleParameters(Num(sc.Value.GetProperty("center")), Num(sc.Value.GetProperty("scale")));
                var model = new SavedModel
                {
                    FormatVersion = version,
                    Formula = root.GetProperty("formula").GetString()!,
                    Family = root.GetProperty("family").GetString()!,
                    Link = root.GetProperty("link").GetString()!,
                    ResponseName = root.TryGetProperty("response", out var r) ? r.GetString() ?? "" : "",
                    WeightsColumn = root.TryGetProperty("weights", out var wc) && wc.ValueKind == JsonValueKind.String ? wc.GetString() : null,
                    Method = root.TryGetProperty("method", out var m) ? m.GetString() ?? "" : "",
                    Nobs = root.TryGetProperty("nobs", out var n) ? n.GetInt32() : 0,
                    LogLik = root.TryGetProperty("logLik", out var ll) ? Num(ll) : double.NaN,
                    Dispersion = root.TryGetProperty("dispersion", out var disp) ? Num(disp) : double.NaN,
                    FixedEffectNames = names,
                    Beta = beta,
                    BetaCovariance = cov,
                    Theta = NumberList(root.GetProperty("theta")),
                    RandomTerms = terms,
                    Encoding = new ModelEncoding(factorLevels, StringList(enc.GetProperty("numericVariables")), scales),
                };
                Validate(model, source);
                return model;
            }
            catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new GlmmInputException($"model file '{source}' is damaged: {e.Message.ReplaceLineEndings(" ")}");
            }
        }
    }

    /// <summary>Largest magnitude accepted for β, θ and the modes: beyond it η overflows for any covariate of unit order.</summary>
    public const double MaxAbsEstimate = 1e100;

    /// <summary>
    /// The checks of a model file's content (one line naming the file when one fails): the family and link known and
    /// allowed together (as 'glmm fit' allows them), β, θ, the modes and the scale() parameters finite and below
    /// <see cref="MaxAbsEstimate"/>, conditional SDs and scales non-negative, V(β) finite, symmetric and positive
    /// semi-definite.
    /// </summary>
    private static void Validate(SavedModel m, string source)
    {
        string Damaged(string what) => $"model file '{source}' is damaged: {what}";
        try
        {
            Families.Family.Create(m.Family, m.Link);
        }
        catch (GlmmInputException e)
        {
            throw new GlmmInputException(Damaged(e.Message));
        }
        static bool Ok(double v) => double.IsFinite(v) && Math.Abs(v) <= MaxAbsEstimate;
        string Num_(double v) => double.IsFinite(v) ? v.ToString("G6", CultureInfo.InvariantCulture) : "null or not finite";
        for (int j = 0; j < m.Beta.Count; j++)
            if (!Ok(m.Beta[j])) throw new GlmmInputException(Damaged($"beta of '{m.FixedEffectNames[j]}' is {Num_(m.Beta[j])} (expected a finite estimate below 1e100 in magnitude)"));
        for (int j = 0; j < m.Theta.Count; j++)
            if (!Ok(m.Theta[j])) throw new GlmmInputException(Damaged($"theta[{j + 1}] is {Num_(m.Theta[j])}"));
        foreach (var t in m.RandomTerms)
        {
            for (int i = 0; i < t.Modes.Count; i++)
                if (!Ok(t.Modes[i])) throw new GlmmInputException(Damaged($"a mode of the random term of '{t.Group}' is {Num_(t.Modes[i])}"));
            for (int i = 0; i < t.ConditionalSD.Count; i++)
                if (!(Ok(t.ConditionalSD[i]) && t.ConditionalSD[i] >= 0)) throw new GlmmInputException(Damaged($"a conditional SD of the random term of '{t.Group}' is {Num_(t.ConditionalSD[i])}"));
        }
        foreach (var (name, sc) in m.Encoding.Scales)
            if (!Ok(sc.Center) || !(Ok(sc.Scale) && sc.Scale > 0)) throw new GlmmInputException(Damaged($"the scale() parameters of '{name}' are not a finite centre and a positive scale"));
        var v = m.BetaCovariance;
        int p = v.GetLength(0);
        double maxDiag = 0;
        for (int i = 0; i < p; i++)
        {
            for (int j = 0; j < p; j++)
                if (!double.IsFinite(v[i, j])) throw new GlmmInputException(Damaged($"betaCovariance[{i + 1}][{j + 1}] is {Num_(v[i, j])}"));
            maxDiag = Math.Max(maxDiag, Math.Abs(v[i, i]));
        }
        for (int i = 0; i < p; i++)
            for (int j = 0; j < i; j++)
                if (Math.Abs(v[i, j] - v[j, i]) > 1e-8 * Math.Max(Math.Max(Math.Abs(v[i, j]), Math.Abs(v[j, i])), Math.Sqrt(Math.Abs(v[i, i] * v[j, j]))))
                    throw new GlmmInputException(Damaged($"betaCovariance is not symmetric (entries [{i + 1}][{j + 1}] and [{j + 1}][{i + 1}] differ)"));
        if (!IsPositiveSemidefinite(v, p, maxDiag)) throw new GlmmInputException(Damaged("betaCovariance is not positive semi-definite (it is not a covariance matrix)"));
    }

    /// <summary>Cholesky with pivots allowed down to −1e-10 × the largest diagonal entry (semi-definite within rounding).</summary>
    private static bool IsPositiveSemidefinite(double[,] v, int p, double maxDiag)
    {
        var l = new double[p, p];
        double tol = 1e-10 * maxDiag;
        for (int j = 0; j < p; j++)
        {
            double d = v[j, j];
            for (int k = 0; k < j; k++) d -= l[j, k] * l[j, k];
            if (d < -tol) return false;
            double root = d > tol ? Math.Sqrt(d) : 0;
            l[j, j] = root;
            for (int i = j + 1; i < p; i++)
            {
                double s = v[i, j];
                for (int k = 0; k < j; k++) s -= l[i, k] * l[j, k];
                if (root == 0)
                {
                    if (Math.Abs(s) > Math.Sqrt(tol) * Math.Sqrt(Math.Abs(v[i, i])) + tol) return false;
                    l[i, j] = 0;
                }
                else l[i, j] = s / root;
            }
        }
        return true;
    }

    private static double Num(JsonElement e) => e.ValueKind == JsonValueKind.Null ? double.NaN : e.GetDouble();

    private static double[] NumberList(JsonElement e) => e.EnumerateArray().Select(Num).ToArray();

    private static string[] StringList(JsonElement e) => e.EnumerateArray().Select(x => x.GetString() ?? throw new FormatException("expected a string")).ToArray();

    private static void Strings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteStringValue(v);
        w.WriteEndArray();
    }

    private static void Numbers(Utf8JsonWriter w, string name, IEnumerable<double> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) JsonWriter.Value(w, v);
        w.WriteEndArray();
    }
}
