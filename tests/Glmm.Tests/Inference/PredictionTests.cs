using Glmm.Data;
using Glmm.Inference;
using Glmm.Results;

namespace Glmm.Tests.Inference;

/// <summary>Prediction on new data: encoding, new levels, missing values and columns, delta-method SEs, coef().</summary>
public class PredictionTests
{
    private static readonly PredictionFixture Cbpp = PredictionFixture.Load("cbpp");

    private static GlmmFit CbppFit() => Cbpp.Fit;

    private static DataTable NewData(double[] herd, string[] period) => new(new Column[]
    {
        new NumericColumn("herd", herd),
        CategoricalColumn.FromStrings("period", period),
    });

    [Fact]
    public void FactorLevelsAreTheFittedOnesWhateverTheNewDataHold()
    {
        // New data with only periods 3 and 2 (in that order): factor(period) must still code them as the fit did.
        var fit = CbppFit();
        var p = Prediction.Predict(fit, NewData(new[] { 1.0, 1.0 }, new[] { "3", "2" }));
        double b0 = fit.Beta[0], b1 = fit.ConditionalModes.Single(m => m.Level == "1").Mode;
        Assert.Equal(b0 + fit.Beta[2] + b1, p.Values[0], 12);
        Assert.Equal(b0 + fit.Beta[1] + b1, p.Values[1], 12);
    }

    [Fact]
    public void NewLevelIsAnErrorNamingLevelAndFactor()
    {
        var fit = CbppFit();
        var e = Assert.Throws<GlmmInputException>(() => Prediction.Predict(fit, NewData(new[] { 1.0, 99.0 }, new[] { "1", "1" })));
        Assert.Contains("'99'", e.Message);
        Assert.Contains("'herd'", e.Message);
        Assert.Contains("row 2", e.Message);
        Assert.Contains("--allow-new-levels", e.Message);
    }

    [Fact]
    public void NewLevelAllowedGetsZeroRandomEffect()
    {
        var fit = CbppFit();
        var data = NewData(new[] { 1.0, 99.0 }, new[] { "1", "4" });
        var p = Prediction.Predict(fit, data, new PredictionOptions { AllowNewLevels = true });
        var pop = Prediction.Predict(fit, data, new PredictionOptions { IncludeRandom = false });
        Assert.Equal(1, p.NewLevelRows);
        Assert.Equal(pop.Values[1], p.Values[1], 14);
        Assert.Equal(fit.Beta[0] + fit.Beta[3], p.Values[1], 12);
        Assert.NotEqual(pop.Values[0], p.Values[0]);
        // Without random effects the grouping column is not needed at all (lme4's re.form = NA).
        var noHerd = new DataTable(new Column[] { CategoricalColumn.FromStrings("period", new[] { "2" }) });
        Assert.Equal(fit.Beta[0] + fit.Beta[1], Prediction.Predict(fit, noHerd, new PredictionOptions { IncludeRandom = false }).Values[0], 12);
    }

    [Fact]
    public void NewFixedFactorLevelIsAnError()
    {
        var e = Assert.Throws<GlmmInputException>(() => Prediction.Predict(CbppFit(), NewData(new[] { 1.0 }, new[] { "5" })));
        Assert.Contains("factor(period)", e.Message);
        Assert.Contains("'5'", e.Message);
    }

    [Fact]
    public void MissingColumnIsAnErrorNamingIt()
    {
        var data = new DataTable(new Column[] { new NumericColumn("herd", new[] { 1.0 }) });
        var e = Assert.Throws<GlmmInputException>(() => Prediction.Predict(CbppFit(), data));
        Assert.Contains("no column 'period'", e.Message);
    }

    [Fact]
    public void MissingValuesGiveNaNAndAreListed()
    {
        var fit = CbppFit();
        var data = new DataTable(new Column[]
        {
            new NumericColumn("herd", new[] { 1.0, 2.0, 3.0 }, new[] { false, true, false }),
            CategoricalColumn.FromStrings("period", new[] { "1", "2", null }),
        });
        var p = Prediction.Predict(fit, data);
        Assert.True(double.IsFinite(p.Values[0]));
        Assert.True(double.IsNaN(p.Values[1]));
        Assert.True(double.IsNaN(p.Values[2]));
        Assert.Equal(new[] { 1, 2 }, p.MissingRows.Select(m => m.Row));
        Assert.Equal("factor(period)", p.MissingRows[1].Variable);
        Assert.Equal("2 rows have missing values and are predicted as null (first: row 2, 'herd')", Prediction.DescribeMissing(p));
    }

    [Fact]
    public void PopulationStandardErrorsAreTheDeltaMethod()
    {
        var fit = CbppFit();
        var v = fit.FixedEffectsCovariance;
        var data = NewData(new[] { 1.0, 1.0 }, new[] { "1", "3" });
        var link = Prediction.Predict(fit, data, new PredictionOptions { IncludeRandom = false });
        Assert.Equal(fit.FixedEffects[0].StdError, link.StdErrors![0], 12);
        Assert.Equal(Math.Sqrt(v[0, 0] + v[2, 2] + 2 * v[0, 2]), link.StdErrors[1], 12);
        // lme4's SE of the intercept (period 1's population prediction) within 2%.
        double lme4Se = Math.Sqrt(Cbpp.Vcov[0, 0]);
        Assert.Equal(lme4Se, link.StdErrors[0], 0.02 * lme4Se);
        var response = Prediction.Predict(fit, data, new PredictionOptions { IncludeRandom = false, Scale = PredictionScale.Response });
        for (int i = 0; i < 2; i++)
        {
            double mu = response.Values[i];
            Assert.Equal(mu * (1 - mu) * link.StdErrors[i], response.StdErrors![i], 12);
        }
        Assert.Null(Prediction.Predict(fit, data).StdErrors);
    }

    [Fact]
    public void ScaleUsesTheFittedCentreAndScale()
    {
        var data = Cbpp.Data;
        var fit = GlmmModel.Fit("cbind(incidence, size - incidence) ~ scale(size) + (1 | herd)", data);
        var sizes = ((NumericColumn)data["size"]).Values;
        double mean = sizes.Average(), sd = Math.Sqrt(sizes.Sum(s => (s - mean) * (s - mean)) / (sizes.Length - 1));
        var sc = fit.Model.Encoding.Scales["scale(size)"];
        Assert.Equal(mean, sc.Center, 12);
        Assert.Equal(sd, sc.Scale, 12);
        // Two rows alone would have a different mean and SD; the prediction must not notice.
        var two = new DataTable(new Column[] { new NumericColumn("size", new[] { sizes[0], sizes[5] }), new NumericColumn("herd", new[] { 1.0, 2.0 }) });
        var p = Prediction.Predict(fit, two);
        Assert.Equal(fit.LinearPredictor[0], p.Values[0], 10);
        Assert.Equal(fit.LinearPredictor[5], p.Values[1], 10);
        Assert.Equal(fit.Beta[0] + fit.Beta[1] * (sizes[0] - mean) / sd, Prediction.Predict(fit, two, new PredictionOptions { IncludeRandom = false }).Values[0], 12);
    }

    [Fact]
    public void CoefAddsFixedAndRandomPerLevel()
    {
        var fit = CbppFit();
        var table = Assert.Single(RandomEffectTable.Coefficients(fit));
        Assert.Equal("herd", table.Group);
        Assert.Equal(fit.FixedEffects.Select(f => f.Name), table.Columns);
        Assert.Equal(15, table.Levels.Count);
        for (int l = 0; l < 15; l++)
        {
            var mode = fit.ConditionalModes.Single(m => m.Level == table.Levels[l]).Mode;
            Assert.Equal(fit.Beta[0] + mode, table.Values[l, 0], 14);
            Assert.Equal(fit.Beta[2], table.Values[l, 2], 14);
        }
        // At lme4's numbers: coef(fit)$herd["1", ] = fixef + ranef.
        var atLme4 = RandomEffectTable.Coefficients(Cbpp.AtLme4Estimates())[0];
        Assert.Equal(-1.39834286447115 + 0.589629436492113, atLme4.Values[0, 0], 14);
        Assert.Equal(Cbpp.Fixef[1], atLme4.Values[0, 1], 14);
    }

    [Fact]
    public void CoefPutsRandomOnlyTermsFirst()
    {
        var model = SavedModel.FromFit(CbppFit()) with
        {
            FixedEffectNames = new[] { "(Intercept)" },
            Beta = new[] { 0.5 },
            RandomTerms = new[] { new SavedRandomTerm("g", new[] { "(Intercept)", "x" }, new[] { "a", "b" }, new[] { 0.1, 0.2, 0.3, 0.4 }, new double[4]) },
        };
        var t = RandomEffectTable.Coefficients(model)[0];
        Assert.Equal(new[] { "x", "(Intercept)" }, t.Columns);
        Assert.Equal(0.2, t.Values[0, 0]);
        Assert.Equal(0.6, t.Values[0, 1], 14);
        Assert.Equal(0.4, t.Values[1, 0]);
        Assert.Equal(0.8, t.Values[1, 1], 14);
    }

    [Fact]
    public void RanefCsvHasTheColumnsAndFullPrecision()
    {
        var modes = new[]
        {
            new RandomEffectPrediction("herd", "1", "(Intercept)", 0.694043315227843, 0.4098887820647),
            new RandomEffectPrediction("a:b", "x,y", "urbanY", -1e-20, double.NaN),
        };
        Assert.Equal(
            "group,level,term,mode,condSD\nherd,1,(Intercept),0.694043315227843,0.4098887820647\na:b,\"x,y\",urbanY,-1E-20,NA\n",
            RandomEffectTable.ToCsv(modes));
    }

    [Fact]
    public void OffsetAndRandomSlopesEnterNewDataPredictions()
    {
        var data = CsvTableReader.Read(Path.Combine(AppContext.BaseDirectory, "fixtures", "data", "poisson_offset.csv"));
        var fit = GlmmModel.Fit("y ~ x + offset(log(t)) + (1 + x | g)", data, new GlmmOptions { Family = new Glmm.Families.Poisson() });
        var link = Prediction.Predict(fit, data);
        for (int i = 0; i < fit.Nobs; i++) Assert.Equal(fit.LinearPredictor[i], link.Values[fit.Model.RowIndex[i]], 9);
        // One row by hand: β0 + β1 x + log t + b0[g] + b1[g] x.
        var x = ((NumericColumn)data["x"]).Values[7];
        var t = ((NumericColumn)data["t"]).Values[7];
        var g = ((CategoricalColumn)data["g"]);
        string level = g.Levels[g.Codes[7]];
        double b0 = fit.ConditionalModes.Single(m => m.Level == level && m.Term == "(Intercept)").Mode;
        double b1 = fit.ConditionalModes.Single(m => m.Level == level && m.Term == "x").Mode;
        Assert.Equal(fit.Beta[0] + fit.Beta[1] * x + Math.Log(t) + b0 + b1 * x, link.Values[7], 12);
        var noT = new DataTable(new Column[] { new NumericColumn("x", new[] { x }), CategoricalColumn.FromStrings("g", new[] { level }) });
        var e = Assert.Throws<GlmmInputException>(() => Prediction.Predict(fit, noT));
        Assert.Contains("no column 't'", e.Message);
    }
}
