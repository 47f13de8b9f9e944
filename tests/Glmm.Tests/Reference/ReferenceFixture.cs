using System.Text.Json;
using System.Text.Json.Serialization;

namespace Glmm.Tests.Reference;

/// <summary>
/// One golden-value file from tests/Glmm.Tests/fixtures/reference (made by tools/fit_fixtures.R,
/// tools/extension_fixtures.R, tools/anova_fixture.R and tools/design_fixtures.R): the model, and what lme4 / glmmTMB report for it.
/// Keys that a file does not have are null. Unknown keys are an error, so the schema cannot drift silently.
/// </summary>
internal sealed record ReferenceFixture
{
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("data")] public required string Data { get; init; }
    [JsonPropertyName("formula")] public required string Formula { get; init; }
    [JsonPropertyName("family")] public required string Family { get; init; }
    [JsonPropertyName("link")] public required string Link { get; init; }
    [JsonPropertyName("weights")] public string? Weights { get; init; }
    /// <summary>Non-default glmerControl used for the lme4 fit, as R code (contraception_after).</summary>
    [JsonPropertyName("lme4Control")] public string? Lme4Control { get; init; }

    /// <summary>lme4's glmer fit (nAGQ as in <see cref="ReferenceFit.NAgq"/>); for *_after files the fit the post-fit values come from.</summary>
    [JsonPropertyName("lme4")] public ReferenceFit? Lme4 { get; init; }
    /// <summary>lme4's nAGQ = 0 fit (cbpp, contraception).</summary>
    [JsonPropertyName("lme4_nAGQ0")] public ReferenceFit? Lme4NAgq0 { get; init; }
    /// <summary>glmmTMB's fit (ML, or REML in *_reml_tmb files).</summary>
    [JsonPropertyName("glmmTMB")] public ReferenceFit? GlmmTmb { get; init; }
    /// <summary>glmmTMB's ML fit, alongside a REML fit (*_reml_tmb files).</summary>
    [JsonPropertyName("glmmTMB_ML")] public ReferenceFit? GlmmTmbMl { get; init; }
    /// <summary>Binomial constants and the full log-likelihood of the AGQ fits (cbpp_agq*).</summary>
    [JsonPropertyName("constants")] public AgqConstants? Constants { get; init; }
    /// <summary>Each package's Laplace objective at the other's estimates (scalar random terms only).</summary>
    [JsonPropertyName("crossCheck")] public ObjectiveCrossCheck? CrossCheck { get; init; }
    [JsonPropertyName("versions")] public IReadOnlyDictionary<string, string>? Versions { get; init; }

    private static readonly JsonSerializerOptions Options = new()
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Disallow,
    };

    /// <summary>Directory holding the reference JSON files in the test output.</summary>
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "fixtures", "reference");

    /// <summary>Directory holding the data CSV files in the test output.</summary>
    public static string DataDirectory => Path.Combine(AppContext.BaseDirectory, "fixtures", "data");

    /// <summary>Full path of this fixture's data CSV.</summary>
    public string DataPath => Path.Combine(DataDirectory, Data);

    /// <summary>Names (file names without .json) of all reference fixtures, sorted ordinally.</summary>
    public static IReadOnlyList<string> Names() =>
        System.IO.Directory.EnumerateFiles(Directory, "*.json")
            .Select(p => Path.GetFileNameWithoutExtension(p)!)
            .OrderBy(n => n, StringComparer.Ordinal)
            .ToArray();

    /// <summary>Loads fixture <paramref name="name"/> (e.g. "cbpp", "cbpp_agq25", "contraception_after").</summary>
    public static ReferenceFixture Load(string name)
    {
        var path = Path.Combine(Directory, name + ".json");
        using var stream = File.OpenRead(path);
        return JsonSerializer.Deserialize<ReferenceFixture>(stream, Options)
            ?? throw new InvalidDataException($"{path}: empty JSON");
    }
}
