using Glmm.Inference;
using Glmm.Tests.Fitting;
using Glmm.Tests.Reference;

namespace Glmm.Tests.Inference;

/// <summary>Wald intervals against lme4's <c>confint(method = "Wald", oldNames = FALSE)</c> on cbpp.</summary>
public class WaldTests
{
    [Fact]
    public void CbppWaldIntervalsMatchLme4AtOurEstimates()
    {
        var f = ReferenceFixture.Load("cbpp_after");
        var fit = LaplaceReferenceTests.FitFixture(f);
        var ours = Wald.Intervals(fit);
        var lme4 = f.Lme4!.ConfintWald!;
        Assert.Equal(lme4.Select(r => r.Name), ours.Select(r => r.Name));
        // SD rows: lme4 gives NA, we give NaN (null in JSON).
        Assert.Null(lme4[0].Lower);
        Assert.True(double.IsNaN(ours[0].Lower) && double.IsNaN(ours[0].Upper));
        Assert.Equal(0.642069927729179, ours[0].Estimate, 2e-3);
        for (int j = 1; j < ours.Count; j++)
        {
            var b = f.Lme4.Fixef[j - 1];
            // Exact formula at lme4's own estimate and SE.
            double z = 1.959963984540054;
            Assert.Equal(lme4[j].Lower!.Value, b.Estimate - z * b.StdError, 1e-12);
            Assert.Equal(lme4[j].Upper!.Value, b.Estimate + z * b.StdError, 1e-12);
            // At our estimates: within the tiny differences of estimates and SEs.
            double tol = Math.Abs(fit.FixedEffects[j - 1].Estimate - b.Estimate) + z * Math.Abs(fit.FixedEffects[j - 1].StdError - b.StdError) + 1e-9;
            // (Our SEs are within 2% of lme4's: issue 3's tolerance; the Laplace objectives differ slightly.)
            Assert.True(tol < 0.02, $"estimates differ by {tol}");
            // The row's estimate is lme4's within 5% of its SE (issue 3's tolerance), and the bounds lme4's within tol.
            Assert.True(Math.Abs(ours[j].Estimate - b.Estimate) <= 0.05 * b.StdError, $"{ours[j].Name}: {ours[j].Estimate:R} vs {b.Estimate:R}");
            Assert.Equal(lme4[j].Lower!.Value, ours[j].Lower, tol);
            Assert.Equal(lme4[j].Upper!.Value, ours[j].Upper, tol);
        }
    }

    [Fact]
    public void LevelChangesTheQuantile()
    {
        // lme4's 90% interval is its estimate ± qnorm(0.95) SE (its 95% one, in the fixture, is ± qnorm(0.975) SE
        // to 1e-12: CbppWaldIntervalsMatchLme4AtOurEstimates); ours within the gaps in estimate and SE.
        var f = ReferenceFixture.Load("cbpp_after");
        var fit = LaplaceReferenceTests.FitFixture(f);
        var ci90 = Wald.Intervals(fit, 0.90);
        const double z90 = 1.6448536269514722; // qnorm(0.95)
        for (int j = 1; j < ci90.Count; j++)
        {
            var r = f.Lme4!.Fixef[j - 1];
            var b = fit.FixedEffects[j - 1];
            double tol = Math.Abs(b.Estimate - r.Estimate) + z90 * Math.Abs(b.StdError - r.StdError) + 1e-9;
            Assert.True(tol < 0.02, $"estimates differ by {tol}");
            Assert.Equal(r.Estimate - z90 * r.StdError, ci90[j].Lower, tol);
            Assert.Equal(r.Estimate + z90 * r.StdError, ci90[j].Upper, tol);
        }
        Assert.Throws<GlmmInputException>(() => Wald.Intervals(fit, 1.5));
    }

    [Fact]
    public void ContraceptionWaldRowsAndNamesMatchLme4()
    {
        var f = ReferenceFixture.Load("contraception_after");
        var fit = LaplaceReferenceTests.FitFixture(f);
        var ours = Wald.Intervals(fit);
        var lme4 = f.Lme4!.ConfintWald!;
        Assert.Equal(lme4.Select(r => r.Name), ours.Select(r => r.Name)); // incl. cor_urbanY.(Intercept)|district
        for (int i = 0; i < 3; i++) Assert.True(lme4[i].Lower is null && double.IsNaN(ours[i].Lower));
        for (int i = 3; i < ours.Count; i++)
        {
            double width = lme4[i].Upper!.Value - lme4[i].Lower!.Value;
            // Our estimates/SEs differ from lme4's by the small gap between the two Laplace objectives.
            Assert.True(Math.Abs(ours[i].Lower - lme4[i].Lower!.Value) < 0.02 * width, ours[i].Name);
            Assert.True(Math.Abs(ours[i].Upper - lme4[i].Upper!.Value) < 0.02 * width, ours[i].Name);
        }
    }
}
