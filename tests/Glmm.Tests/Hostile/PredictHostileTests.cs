using System.Text.Json.Nodes;

namespace Glmm.Tests.Hostile;

/// <summary>predict with hostile new data and edited model files (issue 13).</summary>
public class PredictHostileTests : IDisposable
{
    private readonly CliRunner _cli = new();
    private readonly string _model;

    public PredictHostileTests()
    {
        _model = _cli.PathOf("model.json");
        var (code, _, err) = CliRunner.Run("fit", "-d", Path.Combine(CliRunner.DataDir, "Contraception.csv"), "-f", "use ~ age + urban + (1 | district)", "--save", _model);
        Assert.Equal("", err);
        Assert.Equal(0, code);
    }

    public void Dispose() => _cli.Dispose();

    [Theory]
    [InlineData("Inf", "row 1 of the new data: the fixed-effects column 'age' is +Inf (a covariate is Inf or overflows); predictions need finite values")]
    [InlineData("-Inf", "row 1 of the new data: the fixed-effects column 'age' is -Inf (a covariate is Inf or overflows); predictions need finite values")]
    public void InfInNewDataIsAnErrorNamingRowAndColumn(string value, string message)
    {
        var nd = _cli.File("nd.csv", $"age,urban,district\n{value},Y,1\n3,N,2\n");
        Assert.Equal(message, CliRunner.Refused("predict", "-m", _model, "-d", nd));
        Assert.Equal(message, CliRunner.Refused("predict", "-m", _model, "-d", nd, "--no-random", "--type", "response"));
    }

    [Fact]
    public void MissingValuesAreStillPredictedAsNullWithAWarning()
    {
        var nd = _cli.File("nd.csv", "age,urban,district\nNA,Y,1\n3,N,2\n");
        var (code, output, err) = CliRunner.Run("predict", "-m", _model, "-d", nd);
        Assert.Equal(0, code);
        Assert.Equal("glmm: warning: nd.csv: 1 row has missing values and is predicted as null (first: row 1, 'age')\n", err);
        Assert.StartsWith("row,prediction\n1,NA\n2,", output);
    }

    private string Edited(Action<JsonObject> edit)
    {
        var node = JsonNode.Parse(File.ReadAllText(_model))!.AsObject();
        edit(node);
        return _cli.File("edited.json", node.ToJsonString());
    }

    [Fact]
    public void EditedModelFilesAreRefusedWithOneLine()
    {
        var nd = _cli.File("nd.csv", "age,urban,district\n3,Y,1\n");
        string Damaged(string what) => $"model file '{_cli.PathOf("edited.json")}' is damaged: {what}";
        Assert.Equal(Damaged("link 'logit' is not available for the poisson family; valid links are: log, identity, sqrt"),
            CliRunner.Refused("predict", "-m", Edited(m => m["family"] = "poisson"), "-d", nd));
        Assert.Equal(Damaged("link 'sqrt' is not available for the binomial family; valid links are: logit, probit, cloglog, cauchit, log"),
            CliRunner.Refused("predict", "-m", Edited(m => m["link"] = "sqrt"), "-d", nd));
        Assert.Equal(Damaged("unknown family 'tweedie'; valid families are: binomial, poisson, Gamma, nbinom2, nbinom1, gaussian"),
            CliRunner.Refused("predict", "-m", Edited(m => m["family"] = "tweedie"), "-d", nd));
        Assert.Equal(Damaged("beta of '(Intercept)' is 1E+308 (expected a finite estimate below 1e100 in magnitude)"),
            CliRunner.Refused("predict", "-m", Edited(m => m["beta"]![0] = 1e308), "-d", nd));
        Assert.Equal(Damaged("beta of 'age' is null or not finite (expected a finite estimate below 1e100 in magnitude)"),
            CliRunner.Refused("predict", "-m", Edited(m => m["beta"]![1] = null), "-d", nd));
        Assert.Equal(Damaged("betaCovariance is not positive semi-definite (it is not a covariance matrix)"),
            CliRunner.Refused("predict", "-m", Edited(m => m["betaCovariance"]![0]![0] = -1.0), "-d", nd));
        Assert.Equal(Damaged("betaCovariance is not symmetric (entries [2][1] and [1][2] differ)"),
            CliRunner.Refused("predict", "-m", Edited(m => m["betaCovariance"]![0]![1] = 5.0), "-d", nd));
        Assert.Equal(Damaged("a conditional SD of the random term of 'district' is -1"),
            CliRunner.Refused("predict", "-m", Edited(m => m["randomTerms"]![0]!["condSD"]![0] = -1.0), "-d", nd));
    }
}
