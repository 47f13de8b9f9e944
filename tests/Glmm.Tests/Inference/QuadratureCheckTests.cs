using Glmm.Families;
using Glmm.Inference;
using Glmm.Tests.Reference;
using Dist = MathNet.Numerics.Distributions;

namespace Glmm.Tests.Inference;

/// <summary>The quadrature adequacy check: consistent with lme4's AGQ fixtures, stops where logLik is stable, refuses what it cannot do.</summary>
public class QuadratureCheckTests
{
    private static double LogLikFull(string fixture)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(ReferenceFixture.Directory, fixture + ".json")));
        return doc.RootElement.GetProperty("lme4").GetProperty("logLikFull").GetDouble();
    }

    [Fact]
    public void CbppAgreesWithLme4sAdaptiveQuadrature()
    {
        var fx = ReferenceFixture.Load("cbpp");
        var fit = GlmmModel.Fit(fx.Formula, CsvTableReader.Read(fx.DataPath), new GlmmOptions());
        var check = fit.CheckQuadrature();
        Assert.True(check.Stabilised, check.StopReason);
        Assert.Equal(new[] { 1, 3, 5 }, check.Rows.Take(3).Select(r => r.NAgq));
        Assert.Equal(fit.LogLik, check.Rows[0].LogLik);
        var k5 = check.Rows.Single(r => r.NAgq == 5);
        Assert.Equal(LogLikFull("cbpp_agq5"), k5.LogLik, 1e-3);
        // The recommended K's logLik is lme4's nAGQ = 25 value (the converged integral) to the tolerance.
        var rec = check.Rows.Single(r => r.NAgq == check.RecommendedNagq);
        Assert.True(Math.Abs(rec.LogLik - LogLikFull("cbpp_agq25")) < 2e-3, $"K = {rec.NAgq}: {rec.LogLik}");
        // Laplace is 0.04 off here: not adequate at 1e-3.
        Assert.True(check.RecommendedNagq > 1);
        Assert.StartsWith($"use --nagq {check.RecommendedNagq}:", check.Verdict());
        Assert.Equal(4, check.FixedEffectNames.Count);
        Assert.Equal(["herd.(Intercept)"], check.RandomEffectNames);
        // A loose tolerance: Laplace adequate.
        var loose = fit.CheckQuadrature(new QuadratureCheckOptions { Tolerance = 0.1 });
        Assert.Equal(1, loose.RecommendedNagq);
        Assert.StartsWith("Laplace adequate", loose.Verdict());
        Assert.Equal(2, loose.Rows.Count);
    }

    [Fact]
    public void ContraceptionRandomSlopeStabilises()
    {
        var fx = ReferenceFixture.Load("contraception");
        var fit = GlmmModel.Fit(fx.Formula, CsvTableReader.Read(fx.DataPath), new GlmmOptions());
        var check = fit.CheckQuadrature();
        Assert.Equal(2, check.EffectsPerCluster);
        Assert.True(check.Stabilised, check.StopReason);
        var last = check.Rows[^1];
        var rec = check.Rows.Single(r => r.NAgq == check.RecommendedNagq);
        Assert.True(Math.Abs(rec.LogLik - last.LogLik) < check.Tolerance);
        Assert.True(Math.Abs(check.Rows[^2].LogLik - last.LogLik) < check.Tolerance);
        foreach (var r in check.Rows.Where(r => r.NAgq < check.RecommendedNagq))
            Assert.True(Math.Abs(r.LogLik - last.LogLik) >= check.Tolerance);
        Assert.All(check.Rows, r => Assert.Equal(1, r.NAgq % 2));
        Assert.Equal(["district.(Intercept)", "district.urbanY"], check.RandomEffectNames);
    }

    [Fact]
    public void ThreeRandomEffectsPerClusterStayWithinTheBudget()
    {
        var rng = new Random(42);
        const int clusters = 60, size = 10;
        int n = clusters * size;
        var y = new double[n];
        var x1 = new double[n];
        var x2 = new double[n];
        var g = new string[n];
        for (int c = 0; c < clusters; c++)
        {
            double b0 = 1.0 * Dist.Normal.Sample(rng, 0, 1), b1 = 0.6 * Dist.Normal.Sample(rng, 0, 1), b2 = 0.5 * Dist.Normal.Sample(rng, 0, 1);
            for (int k = 0; k < size; k++)
            {
                int i = c * size + k;
                x1[i] = Dist.Normal.Sample(rng, 0, 1);
                x2[i] = rng.NextDouble() < 0.5 ? 0 : 1;
                g[i] = "c" + c.ToString(System.Globalization.CultureInfo.InvariantCulture);
                double eta = -0.3 + 0.5 * x1[i] - 0.4 * x2[i] + b0 + b1 * x1[i] + b2 * x2[i];
                y[i] = rng.NextDouble() < 1 / (1 + Math.Exp(-eta)) ? 1 : 0;
            }
        }
        var table = DataTable.FromColumns(("y", y), ("x1", x1), ("x2", x2), ("g", g));
        var fit = GlmmModel.Fit("y ~ x1 + x2 + (1 + x1 + x2 | g)", table, new GlmmOptions());
        var check = fit.CheckQuadrature(new QuadratureCheckOptions { Tolerance = 1e-2, MaxNagq = 9 });
        Assert.Equal(3, check.EffectsPerCluster);
        Assert.Equal(3, check.RandomEffectNames.Count);
        Assert.True(check.Rows.Count >= 2);
        Assert.All(check.Rows, r => Assert.Equal(3, r.RandomEffectSDs.Count));
        if (check.Stabilised)
            Assert.True(Math.Abs(check.Rows[^1].LogLik - check.Rows[^2].LogLik) < 1e-2);
        // A budget that admits K = 3 (27 nodes) but not K = 5 (125 nodes): the check stops there with the reason, not an error.
        double evals = Glmm.Fitting.CriterionFactory.ExpectedQuadratureEvaluations(fit.Theta.Count + fit.Beta.Count);
        var small = fit.CheckQuadrature(new QuadratureCheckOptions { Tolerance = 1e-9, MaxQuadratureWork = 60 * n * evals });
        Assert.Equal(new[] { 1, 3 }, small.Rows.Select(r => r.NAgq));
        Assert.False(small.Stabilised);
        Assert.Contains("budget", small.StopReason);
        Assert.Equal(3, small.RecommendedNagq);
        Assert.DoesNotContain("NaN", small.Format());
    }

    [Fact]
    public void WhatTheCheckCannotDoIsRefusedWithOneLine()
    {
        var grouse = CsvTableReader.Read(Path.Combine(ReferenceFixture.DataDirectory, "grouseticks.csv"));
        var crossed = GlmmModel.Fit("TICKS ~ cHEIGHT + (1 | BROOD) + (1 | LOCATION)", grouse, new GlmmOptions { Family = new Poisson() });
        var e = Assert.Throws<GlmmInputException>(() => crossed.CheckQuadrature());
        Assert.Contains("one grouping factor", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        var nb = GlmmModel.Fit("TICKS ~ cHEIGHT + (1 | BROOD)", grouse, new GlmmOptions { Family = new NegativeBinomial2() });
        Assert.Throws<GlmmInputException>(() => nb.CheckQuadrature());
        var sleep = CsvTableReader.Read(Path.Combine(ReferenceFixture.DataDirectory, "sleepstudy.csv"));
        var lmm = GlmmModel.Fit("Reaction ~ Days + (Days | Subject)", sleep, new GlmmOptions { Family = new Gaussian() });
        Assert.Throws<GlmmInputException>(() => lmm.CheckQuadrature());
    }
}
