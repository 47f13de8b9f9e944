using Glmm.Inference;
using Glmm.Results;

namespace Glmm.Tests.Inference;

/// <summary>Saved models: the JSON round trip keeps every number, and other versions or files are refused clearly.</summary>
public class SavedModelTests
{
    private static readonly PredictionFixture Cbpp = PredictionFixture.Load("cbpp");

    [Fact]
    public void RoundTripKeepsEveryNumberAndPredictsTheSame()
    {
        var fit = Cbpp.Fit;
        var model = SavedModel.FromFit(fit);
        var json = model.ToJson();
        var back = SavedModel.FromJson(json);
        Assert.Equal(model.Formula, back.Formula);
        Assert.Equal("binomial", back.Family);
        Assert.Equal("logit", back.Link);
        Assert.Equal(model.Beta, back.Beta);
        Assert.Equal(model.Theta, back.Theta);
        Assert.Equal(model.BetaCovariance, back.BetaCovariance);
        Assert.Equal(model.RandomTerms[0].Modes, back.RandomTerms[0].Modes);
        Assert.Equal(model.RandomTerms[0].ConditionalSD, back.RandomTerms[0].ConditionalSD);
        Assert.Equal(model.RandomTerms[0].Levels, back.RandomTerms[0].Levels);
        Assert.Equal(new[] { "1", "2", "3", "4" }, back.Encoding.FactorLevels["factor(period)"]);
        Assert.Equal(json, back.ToJson());

        var data = Cbpp.Data;
        var a = Prediction.Predict(fit, data, new PredictionOptions { Scale = PredictionScale.Response });
        var b = Prediction.Predict(back, data, new PredictionOptions { Scale = PredictionScale.Response });
        Assert.Equal(a.Values, b.Values);
    }

    [Fact]
    public void ScaleParametersAreSaved()
    {
        var data = Cbpp.Data;
        var fit = GlmmModel.Fit("cbind(incidence, size - incidence) ~ scale(size) + (1 | herd)", data);
        var back = SavedModel.FromJson(SavedModel.FromFit(fit).ToJson());
        Assert.Equal(fit.Model.Encoding.Scales["scale(size)"], back.Encoding.Scales["scale(size)"]);
        Assert.Contains("scale(size)", back.Encoding.NumericVariables);
        var p = Prediction.Predict(back, data);
        for (int i = 0; i < fit.Nobs; i++) Assert.Equal(fit.LinearPredictor[i], p.Values[i], 10);
    }

    [Fact]
    public void OtherVersionIsOneClearError()
    {
        var json = SavedModel.FromFit(Cbpp.Fit).ToJson().Replace("\"formatVersion\": 1", "\"formatVersion\": 2");
        var e = Assert.Throws<GlmmInputException>(() => SavedModel.FromJson(json, "m.json"));
        Assert.Equal("model file 'm.json' has format version 2, but this glmm reads version 1; refit the model and save it again", e.Message);
    }

    [Fact]
    public void NotAModelFileIsOneClearError()
    {
        var e = Assert.Throws<GlmmInputException>(() => SavedModel.FromJson("{\"method\": \"Laplace\"}", "fit.json"));
        Assert.StartsWith("'fit.json' is not a glmm model file", e.Message);
        e = Assert.Throws<GlmmInputException>(() => SavedModel.FromJson("herd,period\n1,2", "data.csv"));
        Assert.StartsWith("'data.csv' is not a glmm model file", e.Message);
        var damaged = SavedModel.FromFit(Cbpp.Fit).ToJson().Replace("\"beta\"", "\"betas\"");
        e = Assert.Throws<GlmmInputException>(() => SavedModel.FromJson(damaged, "m.json"));
        Assert.StartsWith("model file 'm.json' is damaged", e.Message);
    }
}
