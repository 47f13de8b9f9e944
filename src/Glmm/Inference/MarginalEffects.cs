using System.Globalization;
using Glmm.Families;
using Glmm.Fitting;
using Glmm.LinearAlgebra;
using Glmm.Model;
using Glmm.Optimization;
using Glmm.Quadrature;
using Glmm.Results;

namespace Glmm.Inference;

/// <summary>A population-averaged (marginal) coefficient: its fixed-effects name, estimate and delta-method standard error.</summary>
/// <param name="Name">The name of the fixed effect it corresponds to (as in <see cref="GlmmFit.FixedEffects"/>).</param>
/// <param name="Estimate">The marginal coefficient.</param>
/// <param name="StdError">Its delta-method standard error from the joint covariance of (θ̂, β̂); NaN when that covariance is not available.</param>
public sealed record MarginalCoefficient(string Name, double Estimate, double StdError);

/// <summary>
/// Population-averaged (marginal) means, coefficients and predictions of a GLMM (Hedeker, du Toit, Demirtas &amp;
/// Gibbons 2018, <i>Biometrics</i> 74; GLMMadaptive's <c>marginal_coefs</c>). The marginal mean of observation i is
/// μᵢᵐ = E[g⁻¹(xᵢ'β + oᵢ + zᵢ'b)] over b ~ N(0, Σ(θ)); the marginal coefficients are the least-squares fit of
/// g(μᵐ) − o on X, βᵐ = (X'X)⁻¹X'(g(μᵐ) − o); their standard errors are J V J' with V the joint covariance of
/// (θ̂, β̂) (twice the inverse Hessian of the fit's deviance in (θ, β), by central differences) and J the Jacobian of
/// βᵐ in (θ, β) (central differences).
/// </summary>
/// <remarks>
/// <para>The integral: whatever the number of random effects an observation has (several terms, several grouping
/// factors), zᵢ'b is one normal variable with mean 0 and variance vᵢ = Σ_s zᵢₛ'Σₛzᵢₛ (the terms are independent), so
/// μᵢᵐ = ∫ g⁻¹(ηᵢ + √vᵢ t) φ(t) dt exactly — a one-dimensional integral however many effects there are. It is computed by the
/// <see cref="QuadraturePoints"/>-point Gauss–Hermite rule: exact to the rule, cost n·K evaluations of the inverse link
/// whatever the dimension (a product rule in the dimension of b would cost K^q for the same integral). For the logit link
/// the rule's error is below 1e-12 for √vᵢ up to about 4 on the link scale (the integrand's poles at ±iπ/√vᵢ set the rate)
/// and grows slowly beyond (about 1e-6 at √vᵢ = 10).</para>
/// <para>An identity link has μᵐ = xᵢ'β + oᵢ: the marginal coefficients are β̂ and their standard errors β̂'s.</para>
/// </remarks>
public static class MarginalEffects
{
    /// <summary>The number of Gauss–Hermite points of the integral over each observation's random effects.</summary>
    public const int QuadraturePoints = 100;

    /// <summary>The marginal coefficients of a fit, in the order of <see cref="GlmmFit.FixedEffects"/>, with standard errors when <paramref name="standardErrors"/>.</summary>
    public static IReadOnlyList<MarginalCoefficient> Coefficients(GlmmFit fit, bool standardErrors = true)
    {
        ArgumentNullException.ThrowIfNull(fit);
        var names = fit.FixedEffects.Select(f => f.Name).ToArray();
        var link = fit.Family.Link;
        if (link is IdentityLink)
            return fit.FixedEffects.Select(f => new MarginalCoefficient(f.Name, f.Estimate, standardErrors ? f.StdError : double.NaN)).ToArray();
        var evaluator = new Evaluator(fit.Model, link);
        var theta = fit.Theta.ToArray();
        var beta = fit.Beta.ToArray();
        var estimate = evaluator.Coefficients(theta, beta);
        var se = new double[names.Length];
        Array.Fill(se, double.NaN);
        if (standardErrors)
        {
            CheckForStandardErrors(fit);
            var v = JointCovariance(fit);
            if (v is not null)
            {
                var jac = Jacobian(evaluator, theta, beta);
                int m = theta.Length + beta.Length;
                for (int a = 0; a < names.Length; a++)
                {
                    double s = 0;
                    for (int i = 0; i < m; i++)
                    {
                        double row = 0;
                        for (int j = 0; j < m; j++) row += v[i, j] * jac[a, j];
                        s += jac[a, i] * row;
                    }
                    se[a] = s >= 0 ? Math.Sqrt(s) : double.NaN;
                }
            }
        }
        var result = new MarginalCoefficient[names.Length];
        for (int j = 0; j < names.Length; j++) result[j] = new MarginalCoefficient(names[j], estimate[j], se[j]);
        return result;
    }

    /// <summary>The marginal means μᵢᵐ of the rows the fit used (in their order), on the response scale.</summary>
    public static IReadOnlyList<double> Means(GlmmFit fit)
    {
        ArgumentNullException.ThrowIfNull(fit);
        var mu = new double[fit.Nobs];
        new Evaluator(fit.Model, fit.Family.Link).Means(fit.Theta.ToArray(), fit.Beta.ToArray(), mu);
        return mu;
    }

    /// <summary>
    /// Marginal coefficients from given parameters rather than a fit's estimates (an independent package's θ and β, say):
    /// the model structure and link of <paramref name="fit"/>, θ in its layout (<see cref="GlmmFit.Theta"/>), β in the
    /// order of its fixed effects. No standard errors.
    /// </summary>
    public static IReadOnlyList<double> CoefficientsAt(GlmmFit fit, IReadOnlyList<double> theta, IReadOnlyList<double> beta)
    {
        ArgumentNullException.ThrowIfNull(fit);
        if (theta.Count != fit.Theta.Count || beta.Count != fit.Beta.Count)
            throw new GlmmInputException($"the marginal coefficients need {fit.Theta.Count} theta and {fit.Beta.Count} beta values, not {theta.Count} and {beta.Count}");
        return new Evaluator(fit.Model, fit.Family.Link).Coefficients(theta.ToArray(), beta.ToArray());
    }

    /// <summary>
    /// Population-averaged predictions on the response scale for the rows of <paramref name="data"/> from a saved model: μᵐ =
    /// E[g⁻¹(x'β̂ + o + z'b)], b ~ N(0, Σ(θ̂)), by the same rule as <see cref="Means"/>. The grouping-factor columns must be
    /// present (their levels need not be known: the random effects are integrated out). No standard errors (a saved model
    /// has no covariance of θ̂).
    /// </summary>
    public static PredictionResult Predict(SavedModel model, DataTable data)
    {
        ArgumentNullException.ThrowIfNull(model);
        var terms = model.RandomTerms.Select(t => new FittedTerm(t.Group, t.Terms, t.Levels)).ToArray();
        var nd = NewDataBuilder.Build(model.Formula, model.Encoding, model.FixedEffectNames, terms, data, includeRandom: true, allowNewLevels: true);
        var link = Link.FromName(model.Link);
        int n = nd.Rows, p = model.Beta.Count;
        var eta = new double[n];
        for (int i = 0; i < n; i++) eta[i] = nd.Offset[i];
        for (int j = 0; j < p; j++)
        {
            double b = model.Beta[j];
            var col = nd.X.AsSpan(j * n, n);
            for (int i = 0; i < n; i++) eta[i] += col[i] * b;
        }
        var variance = new double[n];
        var theta = model.Theta.ToArray();
        int pos = 0;
        for (int s = 0; s < terms.Length; s++)
        {
            int q = terms[s].Terms.Count;
            var t = new double[q * q];
            for (int j = 0; j < q; j++)
                for (int i = j; i < q; i++) t[i * q + j] = theta[pos++];
            AddVariance(nd.Covariates[s], q, t, variance);
        }
        var rule = GaussHermite.Rule(QuadraturePoints);
        var missing = new List<MissingPredictor>();
        var values = new double[n];
        for (int i = 0; i < n; i++)
        {
            if (nd.MissingIn[i] is { } variable)
            {
                missing.Add(new MissingPredictor(i, variable));
                values[i] = double.NaN;
                continue;
            }
            if (!double.IsFinite(eta[i]) || !double.IsFinite(variance[i]))
                throw new GlmmInputException(
                    $"row {(i + 1).ToString(CultureInfo.InvariantCulture)} of the new data: the linear predictor or its random-effect variance is not finite (a covariate is Inf or the terms overflow); predictions need finite values");
            values[i] = link is IdentityLink ? eta[i] : MarginalMean(link, rule, eta[i], Math.Sqrt(variance[i]));
        }
        return new PredictionResult
        {
            Scale = PredictionScale.Marginal,
            IncludeRandom = false,
            Values = values,
            StdErrors = null,
            MissingRows = missing,
            NewLevelRows = 0,
        };
    }

    /// <summary>∫ g⁻¹(η + s t) φ(t) dt by the rule.</summary>
    internal static double MarginalMean(Link link, QuadratureRule rule, double eta, double sd)
    {
        if (sd == 0) return link.Inverse(eta);
        var x = rule.Nodes;
        var w = rule.Weights;
        double sum = 0;
        for (int k = 0; k < x.Length; k++) sum += w[k] * link.Inverse(eta + sd * x[k]);
        return sum;
    }

    /// <summary>Adds zᵢ'TT'zᵢ = ‖T'zᵢ‖² for one term (z row-major, q per row; T row-major lower-triangular) to <paramref name="variance"/>.</summary>
    private static void AddVariance(ReadOnlySpan<double> z, int q, ReadOnlySpan<double> t, Span<double> variance)
    {
        int n = variance.Length;
        for (int i = 0; i < n; i++)
        {
            var zi = z.Slice(i * q, q);
            double sum = 0;
            for (int j = 0; j < q; j++)
            {
                double c = 0;
                for (int r = j; r < q; r++) c += t[r * q + j] * zi[r];
                sum += c * c;
            }
            variance[i] += sum;
        }
    }

    /// <summary>The marginal coefficients of one model structure at any (θ, β): X'X factored once, workspace reused.</summary>
    private sealed class Evaluator
    {
        private readonly ModelStructure _model;
        private readonly Link _link;
        private readonly QuadratureRule _rule = GaussHermite.Rule(QuadraturePoints);
        private readonly double[] _xtx;
        private readonly double[] _mu, _variance, _eta;

        public Evaluator(ModelStructure model, Link link)
        {
            _model = model;
            _link = link;
            int n = model.N, p = model.X.Columns;
            _mu = new double[n];
            _variance = new double[n];
            _eta = new double[n];
            _xtx = new double[p * p];
            for (int a = 0; a < p; a++)
            {
                var ca = model.X.Column(a);
                for (int b = 0; b <= a; b++)
                {
                    var cb = model.X.Column(b);
                    double s = 0;
                    for (int i = 0; i < n; i++) s += ca[i] * cb[i];
                    _xtx[a * p + b] = s;
                    _xtx[b * p + a] = s;
                }
            }
            if (!DenseCholesky.Factor(_xtx, p))
                throw new GlmmInputException("the marginal coefficients need a fixed-effects matrix of full column rank");
        }

        public void Means(double[] theta, double[] beta, Span<double> mu)
        {
            var model = _model;
            int n = model.N;
            var eta = _eta;
            var variance = _variance;
            Array.Copy(model.Offset, eta, n);
            for (int j = 0; j < beta.Length; j++)
            {
                double b = beta[j];
                var col = model.X.Column(j);
                for (int i = 0; i < n; i++) eta[i] += col[i] * b;
            }
            Array.Clear(variance);
            var re = model.Random;
            for (int s = 0; s < re.Terms.Count; s++)
            {
                int q = re.Terms[s].Q;
                var t = new double[q * q];
                re.FillFactor(theta, s, t);
                AddVariance(re.Terms[s].Covariates, q, t, variance);
            }
            var link = _link;
            var rule = _rule;
            var etaArray = eta;
            var muArray = _mu;
            // Rows are independent: the same result whatever the number of threads.
            Parallel.For(0, (n + 4095) / 4096, chunk =>
            {
                int end = Math.Min(n, (chunk + 1) * 4096);
                for (int i = chunk * 4096; i < end; i++) muArray[i] = MarginalMean(link, rule, etaArray[i], Math.Sqrt(variance[i]));
            });
            muArray.AsSpan(0, n).CopyTo(mu);
        }

        public double[] Coefficients(double[] theta, double[] beta)
        {
            int n = _model.N, p = _model.X.Columns;
            Means(theta, beta, _mu);
            var y = _eta;
            for (int i = 0; i < n; i++)
            {
                double g = _link.Apply(_mu[i]);
                if (!double.IsFinite(g))
                    throw new GlmmInputException(string.Create(CultureInfo.InvariantCulture,
                        $"the marginal mean of row {i + 1} is {_mu[i]:G6}, where the {_link.Name} link is not finite: the marginal coefficients are not defined"));
                y[i] = g - _model.Offset[i];
            }
            var rhs = new double[p];
            for (int j = 0; j < p; j++)
            {
                var col = _model.X.Column(j);
                double s = 0;
                for (int i = 0; i < n; i++) s += col[i] * y[i];
                rhs[j] = s;
            }
            DenseCholesky.SolveLower(_xtx, p, rhs);
            DenseCholesky.SolveUpper(_xtx, p, rhs);
            return rhs;
        }
    }

    /// <summary>∂βᵐ/∂(θ, β) by central differences (step 1e-4 times max(1, |x|)).</summary>
    private static double[,] Jacobian(Evaluator evaluator, double[] theta, double[] beta)
    {
        int nth = theta.Length, p = beta.Length, m = nth + p;
        var jac = new double[p, m];
        for (int k = 0; k < m; k++)
        {
            var th = (double[])theta.Clone();
            var be = (double[])beta.Clone();
            double x0 = k < nth ? theta[k] : beta[k - nth];
            double h = 1e-4 * Math.Max(1.0, Math.Abs(x0));
            if (k < nth) th[k] = x0 + h; else be[k - nth] = x0 + h;
            var plus = evaluator.Coefficients(th, be);
            if (k < nth) th[k] = x0 - h; else be[k - nth] = x0 - h;
            var minus = evaluator.Coefficients(th, be);
            for (int a = 0; a < p; a++) jac[a, k] = (plus[a] - minus[a]) / (2 * h);
        }
        return jac;
    }

    private static void CheckForStandardErrors(GlmmFit fit)
    {
        if (fit.Reml is not null)
            throw new GlmmInputException("the marginal coefficients' standard errors need a maximum-likelihood fit, not a REML fit (refit without --reml)");
        if (fit.FixedEffectsPrior is not null)
            throw new GlmmInputException("the marginal coefficients' standard errors need a maximum-likelihood fit, not a penalized one (refit without --fixef-prior)");
    }

    /// <summary>
    /// The joint covariance of (θ̂, β̂): twice the inverse of the central-difference Hessian of the fit's deviance (Laplace, or
    /// the quadrature deviance for nAGQ &gt; 1; with the log-dispersion for families that have one, its row and column dropped
    /// after the inversion) in (θ, β); θ entries on their bound get zero variance. Null when that Hessian is not positive definite.
    /// </summary>
    internal static double[,]? JointCovariance(GlmmFit fit)
    {
        var re = fit.Model.Random;
        int nth = re.ThetaLength, p = fit.Beta.Count;
        var options = fit.NAgq == 0 ? fit.Options with { NAgq = 1 } : fit.Options;
        Func<double[], double> deviance;
        var x0 = fit.Theta.Concat(fit.Beta).ToList();
        if (fit.Family.HasDispersion)
        {
            var layout = new EngineLayout(fit.Model, fit.Family.ForFit());
            var criterion = CriterionFactory.ForRefits(layout, options).LaplaceWithDispersion();
            var modes = criterion.SaveModes();
            deviance = x =>
            {
                criterion.RestoreModes(modes);
                double d = criterion.Evaluate(x);
                return double.IsFinite(d) ? d : double.PositiveInfinity;
            };
            x0.Add(Math.Log(fit.Dispersion));
            deviance(x0.ToArray());
            modes = criterion.SaveModes();
        }
        else deviance = Refits.Criterion(new EngineLayout(fit.Model, fit.Family), options);
        var x = x0.ToArray();
        int m = x.Length;
        var lower = new double[m];
        for (int j = 0; j < m; j++) lower[j] = j < nth ? re.LowerBounds[j] : double.NegativeInfinity;
        var (_, h) = FiniteDifferences.GradientAndHessian(deviance, x, lower);
        var free = Enumerable.Range(0, m).Where(j => !(j < nth && re.IsDiagonal(j) && x[j] == 0.0)).ToArray();
        int nf = free.Length;
        var hf = new double[nf * nf];
        for (int a = 0; a < nf; a++)
            for (int b = 0; b < nf; b++) hf[a * nf + b] = h[free[a], free[b]];
        if (!DenseCholesky.Factor(hf, nf)) return null;
        var inv = new double[nf * nf];
        DenseCholesky.Inverse(hf, nf, inv);
        int keep = nth + p;
        var v = new double[keep, keep];
        for (int a = 0; a < nf; a++)
        {
            if (free[a] >= keep) continue;
            for (int b = 0; b < nf; b++)
                if (free[b] < keep) v[free[a], free[b]] = 2.0 * inv[a * nf + b];
        }
        return v;
    }
}
