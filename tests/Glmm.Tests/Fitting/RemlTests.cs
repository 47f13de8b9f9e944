using Glmm.Families;
using Glmm.Fitting;
using Glmm.Model;
using Glmm.Tests.Reference;
using MathNet.Numerics.LinearAlgebra;

namespace Glmm.Tests.Fitting;

/// <summary>Issue 5: the REML variants against glmmTMB and against independent dense computations.</summary>
public class RemlTests
{
    private static ModelStructure Small()
    {
        var rng = new Random(11);
        int clusters = 8, size = 6, n = clusters * size;
        var y = new double[n]; var x = new double[n]; var g = new string[n];
        for (int c = 0, i = 0; c < clusters; c++)
        {
            double b0 = rng.NextDouble() * 2 - 1, b1 = rng.NextDouble() - 0.5;
            for (int j = 0; j < size; j++, i++)
            {
                x[i] = rng.NextDouble() * 2 - 1;
                y[i] = rng.NextDouble() < 1 / (1 + Math.Exp(-(0.3 + x[i] + b0 + b1 * x[i]))) ? 1 : 0;
                g[i] = "g" + c;
            }
        }
        return ModelBuilder.Build("y ~ x + (1 + x | g)", DataTable.FromColumns(("y", y), ("x", x), ("g", g)));
    }

    /// <summary>Dense A = ZΛ (n × Q) for the single term of <see cref="Small"/>.</summary>
    private static Matrix<double> DenseZLambda(ModelStructure m, double[] theta)
    {
        var term = m.Random.Terms[0];
        int q = term.Q, n = m.N;
        var t = new double[q * q];
        m.Random.FillFactor(theta, 0, t);
        var a = Matrix<double>.Build.Dense(n, q * term.LevelCount);
        for (int i = 0; i < n; i++)
            for (int c = 0; c < q; c++)
                for (int r = c; r < q; r++)
                    a[i, term.Codes[i] * q + c] += term.Covariates[i * q + r] * t[r * q + c];
        return a;
    }

    private static Matrix<double> DenseX(ModelStructure m) =>
        Matrix<double>.Build.Dense(m.N, m.X.Columns, (i, j) => m.X[i, j]);

    [Theory]
    [InlineData("cbpp_reml_tmb")]
    [InlineData("contraception_reml_tmb")]
    public void LaplaceCriterionIsGlmmTmbsRemlObjectiveAtItsEstimates(string name)
    {
        // glmmTMB's REML integrates β out with the random effects by one joint Laplace approximation: at its θ̂
        // our criterion is −2 × its restricted logLik, and the joint mode β̃ its reported β (scalar and 2×2 terms).
        var f = ReferenceFixture.Load(name);
        var r = f.GlmmTmb!;
        Assert.True(r.Reml);
        var m = ModelBuilder.Build(f.Formula, CsvTableReader.Read(f.DataPath));
        var joint = new RemlLaplaceCriterion(new EngineLayout(m, Family.Create(f.Family, f.Link)), threads: 0, observedInformation: true, startBeta: new double[m.X.Columns]);
        double ours = joint.Evaluate(r.Theta!.ToArray());
        Assert.True(Math.Abs(ours + 2 * r.RestrictedLogLik!.Value) < 1e-8, $"{ours:R} vs glmmTMB {-2 * r.RestrictedLogLik.Value:R}");
        for (int j = 0; j < r.Fixef.Count; j++)
            Assert.True(Math.Abs(joint.Pirls.Beta[j] - r.Fixef[j].Estimate) < 1e-9 * Math.Max(1, Math.Abs(r.Fixef[j].Estimate)), r.Fixef[j].Name);
    }

    [Fact]
    public void ProfileCriterionMatchesAnIndependentMaximisationOverBeta()
    {
        var m = Small();
        var theta = new[] { 0.9, 0.3, 0.5 };
        var data = new EngineLayout(m, Family.Create("binomial"));
        var joint = new ProfiledLaplaceCriterion(data, threads: 0, observedInformation: true, startBeta: new double[m.X.Columns]);
        var marginal = new LaplaceCriterion(data, threads: 0, observedInformation: true, withGradient: false);
        double ours = new RemlProfileCriterion(joint, marginal, newtonSteps: 2, startBeta: new double[m.X.Columns]).Evaluate(theta, out var betaHat, out _);

        // β̂ by BOBYQA on the Laplace deviance, J by a finite-difference Hessian with another step.
        var check = new LaplaceCriterion(data, threads: 0, observedInformation: true, withGradient: false);
        Func<double[], double> h = b => check.Evaluate(theta.Concat(b).ToArray());
        var opt = new Glmm.Optimization.Bobyqa().Minimize(h, new[] { 0.0, 0.0 }, new[] { double.NegativeInfinity, double.NegativeInfinity },
            new[] { double.PositiveInfinity, double.PositiveInfinity }, new Glmm.Optimization.OptimizerOptions { FinalTrustRadius = 1e-9 });
        var (_, hess) = Glmm.Optimization.FiniteDifferences.GradientAndHessian(h, opt.X, delta: 1e-3);
        var j = Matrix<double>.Build.DenseOfArray(hess) * 0.5;
        double det = j.Determinant();
        Assert.True(det > 0);
        double independent = opt.Value + Math.Log(det) - 2 * Math.Log(2 * Math.PI);
        Assert.Equal(opt.X[0], betaHat[0], 5);
        Assert.Equal(opt.X[1], betaHat[1], 5);
        Assert.Equal(independent, ours, 5);
    }

    [Fact]
    public void WorkingLmmCriterionMatchesDenseRemlOfTheLinearMixedModel()
    {
        var m = Small();
        var family = Family.Create("binomial");
        var theta = new[] { 0.8, -0.2, 0.4 };
        // Working response and weights at some η (here that of a GLM fit plus a wiggle).
        var glm = GlmIrls.Fit(family, m.X, m.Y, m.Weights, m.Offset);
        var eta = Enumerable.Range(0, m.N).Select(i => glm.LinearPredictor[i] + 0.1 * Math.Sin(i)).ToArray();
        var lmm = RemlFitter.WorkingModel(m, family, eta);
        var reml = new RemlPqlCriterion(new EngineLayout(lmm, new WorkingGaussian()), threads: 0);
        double ours = reml.Evaluate(theta);

        var a = DenseZLambda(m, theta);
        var x = DenseX(m);
        var z = Vector<double>.Build.DenseOfArray(lmm.Y);
        var v = a.TransposeAndMultiply(a) + Matrix<double>.Build.DenseOfDiagonalArray(lmm.Weights.Select(w => 1 / w).ToArray());
        var vi = v.Inverse();
        var xtvx = x.TransposeThisAndMultiply(vi * x);
        var betaGls = xtvx.Solve(x.TransposeThisAndMultiply(vi * z));
        var r = z - x * betaGls;
        double dense = v.Cholesky().DeterminantLn + xtvx.Cholesky().DeterminantLn + r.DotProduct(vi * r);
        Assert.Equal(dense + lmm.Weights.Sum(Math.Log), ours, 8);
    }

    [Theory]
    [InlineData("cbpp_reml_tmb")]
    [InlineData("contraception_reml_tmb")]
    public void LaplaceVariantEqualsGlmmTmbReml(string name)
    {
        var f = ReferenceFixture.Load(name);
        var fit = LaplaceReferenceTests.FitFixture(f, new GlmmOptions { Reml = RemlVariant.Laplace });
        var r = f.GlmmTmb!;
        Assert.Equal(RemlVariant.Laplace, fit.Reml);
        Assert.True(Math.Abs(fit.RestrictedLogLik - r.LogLik) < 1e-3, $"restricted {fit.RestrictedLogLik:R} vs glmmTMB {r.LogLik:R}");
        var ours = fit.RandomEffects[0];
        var theirs = r.RandomEffects![0];
        for (int i = 0; i < ours.StdDev.Count; i++) Assert.True(Math.Abs(ours.StdDev[i] - theirs.StdDev[i]) < 1e-3, $"SD {ours.StdDev[i]} vs {theirs.StdDev[i]}");
        if (ours.StdDev.Count > 1) Assert.True(Math.Abs(ours.Correlation[1, 0] - theirs.Correlation[1][0]) < 1e-3);
        Assert.True(Math.Abs(fit.FixedEffects[0].Estimate - r.Fixef[0].Estimate) < 1e-3, "intercept");
    }

    [Theory]
    [InlineData("cbpp", "laplace")]
    [InlineData("cbpp", "profile")]
    [InlineData("cbpp", "pql")]
    [InlineData("contraception", "laplace")]
    [InlineData("contraception", "profile")]
    public void RemlStandardDeviationsAreAtLeastTheMlOnes(string name, string variant)
    {
        // REML corrects the downward bias of ML variance components. (PQL is itself biased downwards for
        // binary data — Breslow & Lin 1995 — and on Contraception its SDs fall below ML's; not asserted there.)
        var f = ReferenceFixture.Load(name);
        var ml = LaplaceReferenceTests.FitFixture(f);
        var reml = LaplaceReferenceTests.FitFixture(f, new GlmmOptions { Reml = FitNames.ParseReml(variant) });
        for (int k = 0; k < ml.RandomEffects.Count; k++)
            for (int i = 0; i < ml.RandomEffects[k].StdDev.Count; i++)
                Assert.True(reml.RandomEffects[k].StdDev[i] >= ml.RandomEffects[k].StdDev[i],
                    $"{variant} SD {reml.RandomEffects[k].StdDev[i]} < ML {ml.RandomEffects[k].StdDev[i]}");
    }

    [Fact]
    public void ProfileVariantTakesQuadrature()
    {
        var f = ReferenceFixture.Load("cbpp");
        var fit = LaplaceReferenceTests.FitFixture(f, new GlmmOptions { Reml = RemlVariant.Profile, NAgq = 9 });
        var laplace = LaplaceReferenceTests.FitFixture(f, new GlmmOptions { Reml = RemlVariant.Profile });
        Assert.Equal(RemlVariant.Profile, fit.Reml);
        Assert.Equal(9, fit.NodesPerCluster);
        Assert.NotEqual(laplace.RestrictedLogLik, fit.RestrictedLogLik);
        Assert.True(Math.Abs(fit.RandomEffects[0].StdDev[0] - laplace.RandomEffects[0].StdDev[0]) < 0.02);
    }

    [Fact]
    public void RemlOptionsAreChecked()
    {
        var f = ReferenceFixture.Load("cbpp");
        Assert.Throws<GlmmInputException>(() => FitNames.ParseReml("bogus"));
        Assert.Throws<GlmmInputException>(() => LaplaceReferenceTests.FitFixture(f, new GlmmOptions { Reml = RemlVariant.Pql, NAgq = 5 }));
        Assert.Throws<GlmmInputException>(() => LaplaceReferenceTests.FitFixture(f, new GlmmOptions { Reml = RemlVariant.Laplace, NAgq = 0 }));
    }
}
