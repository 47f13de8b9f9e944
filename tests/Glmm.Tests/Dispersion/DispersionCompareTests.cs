using System.Text.Json;
using Glmm.Families;
using Glmm.Inference;

namespace Glmm.Tests.Dispersion;

/// <summary>
/// The likelihood-ratio test between nested fits of a family with a dispersion parameter against glmmTMB's anova
/// (tools/dispersion_fixtures.R): the dispersion counted in each model's parameters, logLik at least glmmTMB's − 1e-3.
/// </summary>
public class DispersionCompareTests
{
    [Fact]
    public void NestedNegativeBinomialFitsMatchGlmmTmbAnova()
    {
        var r = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "reference", "dispersion",
            "dispersion_grouseticks_anova.json"))).RootElement;
        var data = CsvTableReader.Read(Path.Combine(AppContext.BaseDirectory, "fixtures", "data", r.GetProperty("data").GetString()!));
        var options = new GlmmOptions { Family = Family.Create(r.GetProperty("family").GetString()!, r.GetProperty("link").GetString()) };
        var formulas = r.GetProperty("formulas").EnumerateArray().Select(e => e.GetString()!).ToArray();
        var fits = formulas.Select(f => GlmmModel.Fit(f, data, options)).ToArray();
        // In the larger-first order too: the rows are sorted by the number of parameters.
        var rows = LikelihoodRatio.Compare(fits[1], fits[0]);
        var npar = r.GetProperty("npar").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var logLik = r.GetProperty("logLik").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        for (int k = 0; k < 2; k++)
        {
            Assert.Equal(formulas[k], rows[k].Formula);
            Assert.Equal(npar[k], rows[k].NPar);
            Assert.True(rows[k].LogLik >= logLik[k] - 1e-3 && rows[k].LogLik <= logLik[k] + 1e-2, $"logLik {k}: {rows[k].LogLik} vs {logLik[k]}");
        }
        Assert.Equal(r.GetProperty("df").GetInt32(), rows[1].Df);
        Assert.Equal(r.GetProperty("chisq").GetDouble(), rows[1].Chisq, 2e-3);
        Assert.Equal(r.GetProperty("p").GetDouble(), rows[1].P, 1e-3);
    }
}
