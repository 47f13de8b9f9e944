using System.Diagnostics;
using Glmm.Families;
using Glmm.LinearAlgebra;
using Glmm.Model;
using Glmm.Optimization;
using Glmm.Results;

namespace Glmm.Fitting;

/// <summary>
/// Restricted maximum likelihood for GLMMs (Maestrini, Hui &amp; Welsh 2024), three variants:
/// <list type="bullet">
/// <item><c>laplace</c>: β gets a flat prior and is integrated out with v by one Laplace approximation over
/// (v, β): −2ℓ_R(θ) = −2 log p(y | ṽ, β̃) + ‖ṽ‖² + log|L|² + log|R_X|² − p log 2π, (ṽ, β̃) the joint mode (what
/// glmmTMB's REML = TRUE computes). β = β̃(θ̂), covariance (R_X'R_X)⁻¹.</item>
/// <item><c>profile</c>: the Cox–Reid adjusted profile likelihood ℓ_R(θ) = ℓ(β̂_θ, θ) − ½ log det J_ββ + (p/2) log 2π,
/// ℓ the Laplace or (with nAGQ &gt; 1) adaptive-quadrature marginal log-likelihood, β̂_θ its maximiser at θ and
/// J_ββ the observed information for β at fixed θ. β = β̂(θ̂), covariance J_ββ⁻¹.</item>
/// <item><c>pql</c>: Schall (1991), Breslow &amp; Clayton (1993): iterate the working response and weights, and
/// estimate θ by REML of the working linear mixed model (known residual variances 1/w).</item>
/// </list>
/// The reported logLik is the (Laplace or AGQ) marginal log-likelihood at the REML estimates; the restricted
/// criterion is reported separately.
/// </summary>
internal static class RemlFitter
{
    /// <summary>The variants, as named on the command line.</summary>
    public static readonly string[] Variants = ["laplace", "profile", "pql"];

    public static GlmmFit Fit(ModelStructure model, Family family, GlmmOptions options)
    {
        var clock = Stopwatch.StartNew();
        string variant = options.Reml!;
        if (!Variants.Contains(variant))
            throw new GlmmInputException($"unknown REML variant '{variant}': use {string.Join(", ", Variants)}");
        if (options.NAgq == 0) throw new GlmmInputException("REML needs nAGQ 1 (Laplace) or more; nAGQ = 0 has no REML form");
        if (options.NAgq > 1 && variant != "profile")
            throw new GlmmInputException($"REML variant '{variant}' is defined with the Laplace approximation; only the 'profile' variant takes --nagq K > 1");
        family.ValidateResponse(model.Y, model.Weights);
        var data = new ModelData(model, family);
        var re = model.Random;
        int nth = re.ThetaLength, p = data.P, threads = options.Threads;
        var glm = GlmIrls.Fit(family, model.X, model.Y, model.Weights, model.Offset);
        var warnings = new List<string>();
        var bobyqa = new Bobyqa();
        var upper = Enumerable.Repeat(double.PositiveInfinity, nth).ToArray();
        var optimizerOptions = new OptimizerOptions { InitialTrustRadius = 0.2, FinalTrustRadius = options.Tolerance, MaxEvaluations = options.MaxEvaluations };

        // The marginal deviance −2ℓ(θ, β): Laplace, or AGQ when asked.
        var laplace = new LaplaceObjective(data, betaInside: false, threads, options.ObservedInformation);
        QuadratureObjective? agq = options.NAgq > 1
            ? new QuadratureObjective(data, Fitter.Rule(data, options), threads, options.ObservedInformation)
            : null;
        double Marginal(double[] th, double[] b)
        {
            var x = th.Concat(b).ToArray();
            return agq is null ? laplace.Evaluate(x) : agq.Evaluate(x);
        }

        var joint = new LaplaceObjective(data, betaInside: true, threads, options.ObservedInformation);
        joint.Pirls.SetBeta(glm.Coefficients.ToArray());
        double[] theta, beta;
        double[,] covariance;
        double criterion;
        int evaluations;
        switch (variant)
        {
            case "laplace":
            {
                var opt = bobyqa.Minimize(th => LaplaceCriterion(joint, th), (double[])re.InitialTheta.Clone(), re.LowerBounds, upper, optimizerOptions);
                if (!opt.Converged) warnings.Add($"REML optimiser did not converge: {opt.Message}");
                theta = opt.X;
                criterion = LaplaceCriterion(joint, theta);
                beta = (double[])joint.Pirls.Beta.Clone();
                covariance = Fitter.FixedBlockCovariance(joint.Pirls.Factor, data);
                evaluations = joint.Evaluations;
                break;
            }
            case "profile":
            {
                double[] betaHat = glm.Coefficients.ToArray();
                double[,] info = new double[p, p];
                int inner = 0;
                Func<double[], double[], double> marginal = (th, b) => { inner++; return Marginal(th, b); };
                double Restricted(double[] th)
                {
                    double value = ProfileCriterion(joint, marginal, th, out var b, out var hess);
                    if (double.IsFinite(value)) { betaHat = b; info = hess; }
                    return value;
                }
                var opt = bobyqa.Minimize(Restricted, (double[])re.InitialTheta.Clone(), re.LowerBounds, upper, optimizerOptions);
                if (!opt.Converged) warnings.Add($"REML optimiser did not converge: {opt.Message}");
                theta = opt.X;
                criterion = Restricted(theta);
                beta = betaHat;
                covariance = InverseHalf(info);
                evaluations = joint.Evaluations + inner;
                break;
            }
            default:
                (theta, beta, covariance, criterion, evaluations) = Pql(model, data, options, bobyqa, warnings);
                break;
        }

        // The marginal likelihood and the conditional modes at the REML estimates.
        double deviance = Marginal(theta, beta);
        var pirlsAtEstimates = agq is null ? laplace.Pirls : agq.Pirls;
        var v = (double[])pirlsAtEstimates.V.Clone();
        var eta = (double[])pirlsAtEstimates.Eta.Clone();
        var mu = (double[])pirlsAtEstimates.Mu.Clone();
        var condVar = Fitter.ConditionalVariances(pirlsAtEstimates, data);
        bool singular = Enumerable.Range(0, nth).Any(j => re.IsDiagonal(j) && theta[j] < 1e-4);
        var fit = Fitter.Results(model, family, options, data, "REML", agq?.Rule, theta, beta, covariance, variant == "profile" ? "observed information for beta" : "pirls",
            deviance, v, eta, mu, condVar, warnings.Count == 0, singular, warnings, evaluations, clock.Elapsed.TotalSeconds,
            reml: variant, restrictedLogLik: -0.5 * criterion);
        return fit;
    }

    /// <summary>
    /// −2ℓ_R(θ) of the 'laplace' variant from the bordered PIRLS over (v, β):
    /// −2 log p(y | ṽ, β̃) + ‖ṽ‖² + log|L|² + log|R_X|² − p log 2π.
    /// </summary>
    internal static double LaplaceCriterion(LaplaceObjective joint, double[] theta)
    {
        if (!double.IsFinite(joint.Evaluate(theta))) return double.PositiveInfinity;
        var pirls = joint.Pirls;
        int p = pirls.Beta.Length;
        return pirls.MinusTwoLogLikConditional + pirls.SquaredLengthV
            + pirls.Factor.LogDeterminant(pirls.Factor.DenseSize) - p * Math.Log(2 * Math.PI);
    }

    /// <summary>
    /// −2ℓ_R(θ) of the 'profile' variant: −2ℓ(β̂_θ, θ) + log det J_ββ − p log 2π, β̂_θ by two Newton steps from the
    /// joint mode β̃(θ) with finite-difference derivatives of −2ℓ in β; <paramref name="hessian"/> is that of −2ℓ (= 2J).
    /// </summary>
    internal static double ProfileCriterion(LaplaceObjective joint, Func<double[], double[], double> marginal, double[] theta,
        out double[] betaHat, out double[,] hessian)
    {
        betaHat = [];
        hessian = new double[0, 0];
        if (!double.IsFinite(joint.Evaluate(theta))) return double.PositiveInfinity;
        var b = (double[])joint.Pirls.Beta.Clone();
        var th = (double[])theta.Clone();
        Func<double[], double> h = bb => marginal(th, bb);
        for (int step = 0; step < 2; step++)
        {
            var (g, hs) = FiniteDifferences.GradientAndHessian(h, b);
            hessian = hs;
            var dir = Solve(hs, g);
            if (dir is null) return double.PositiveInfinity;
            for (int j = 0; j < b.Length; j++) b[j] -= dir[j];
        }
        double value = h(b);
        double logDet = LogDetHalf(hessian);
        if (!double.IsFinite(value) || double.IsNaN(logDet)) return double.PositiveInfinity;
        betaHat = b;
        return value + logDet - b.Length * Math.Log(2 * Math.PI);
    }

    /// <summary>
    /// The REML criterion of a working linear mixed model (y = z, known residual variances 1/w) up to −Σ log w and
    /// constants: min_{β,v} Σ w(z − η)² + ‖v‖² + log|L|² + log|R_X|², i.e. log|V| + log|X'V⁻¹X| + r'V⁻¹r + Σ log w.
    /// </summary>
    internal static double WorkingCriterion(LaplaceObjective reml, double[] theta)
    {
        if (!double.IsFinite(reml.Evaluate(theta))) return double.PositiveInfinity;
        var pirls = reml.Pirls;
        return pirls.Deviance + pirls.SquaredLengthV + pirls.Factor.LogDeterminant(pirls.Factor.DenseSize);
    }

    /// <summary>The working response z = η + (y − μ)/μ' and weights w = wt·μ'²/V(μ) at η (model row order).</summary>
    internal static ModelStructure WorkingModel(ModelStructure model, Family family, double[] eta)
    {
        int n = model.N;
        var link = family.Link;
        var z = new double[n];
        var w = new double[n];
        for (int i = 0; i < n; i++)
        {
            double mu = link.Inverse(eta[i]), me = link.MuEta(eta[i]);
            z[i] = eta[i] + (model.Y[i] - mu) / me;
            w[i] = model.Weights[i] * me * me / family.Variance(mu);
        }
        return new ModelStructure
        {
            Formula = model.Formula, ResponseName = model.ResponseName, ResponseKind = ResponseKind.Numeric,
            Y = z, Weights = w, Offset = model.Offset, HasOffset = model.HasOffset, X = model.X, Random = model.Random,
            RowIndex = model.RowIndex,
        };
    }

    /// <summary>PQL: iterate the working LMM's REML estimate of θ and its (β, v) until they settle.</summary>
    private static (double[] Theta, double[] Beta, double[,] Covariance, double Criterion, int Evaluations) Pql(
        ModelStructure model, ModelData data, GlmmOptions options, Bobyqa bobyqa, List<string> warnings)
    {
        var re = model.Random;
        int nth = re.ThetaLength, n = model.N, p = data.P;
        var family = data.Family;
        var upper = Enumerable.Repeat(double.PositiveInfinity, nth).ToArray();
        // Start: the joint mode at θ = lme4's starting value.
        var start = new LaplaceObjective(data, betaInside: true, options.Threads, options.ObservedInformation);
        start.Pirls.SetBeta(GlmIrls.Fit(family, model.X, model.Y, model.Weights, model.Offset).Coefficients.ToArray());
        var theta = (double[])re.InitialTheta.Clone();
        start.Evaluate(theta);
        var etaEngine = (double[])start.Pirls.Eta.Clone();
        var eta = new double[n];
        for (int i = 0; i < n; i++) eta[data.Order[i]] = etaEngine[i];
        double[] beta = (double[])start.Pirls.Beta.Clone();
        double[,] covariance = new double[p, p];
        double criterion = double.NaN;
        int evaluations = start.Evaluations;
        var working = new WorkingGaussian();
        bool settled = false;
        for (int iteration = 0; iteration < 100 && !settled; iteration++)
        {
            var lmm = WorkingModel(model, family, eta);
            var lmmData = new ModelData(lmm, working);
            var reml = new LaplaceObjective(lmmData, betaInside: true, options.Threads);
            double Restricted(double[] th) => WorkingCriterion(reml, th);
            var opt = bobyqa.Minimize(Restricted, theta, re.LowerBounds, upper,
                new OptimizerOptions { InitialTrustRadius = iteration == 0 ? 0.2 : 0.05, FinalTrustRadius = options.Tolerance, MaxEvaluations = options.MaxEvaluations });
            criterion = Restricted(opt.X);
            evaluations += reml.Evaluations;
            var newBeta = (double[])reml.Pirls.Beta.Clone();
            double change = 0;
            for (int j = 0; j < nth; j++) change = Math.Max(change, Math.Abs(opt.X[j] - theta[j]));
            for (int j = 0; j < p; j++) change = Math.Max(change, Math.Abs(newBeta[j] - beta[j]));
            theta = opt.X;
            beta = newBeta;
            covariance = Fitter.FixedBlockCovariance(reml.Pirls.Factor, lmmData);
            var e = reml.Pirls.Eta;
            for (int i = 0; i < n; i++) eta[lmmData.Order[i]] = e[i];
            settled = change < 1e-6;
        }
        if (!settled) warnings.Add("PQL iterations did not settle in 100 rounds");
        return (theta, beta, covariance, criterion, evaluations);
    }

    private static double[]? Solve(double[,] a, double[] b)
    {
        int n = b.Length;
        var l = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) l[i * n + j] = a[i, j];
        if (!DenseCholesky.Factor(l, n)) return null;
        var x = (double[])b.Clone();
        DenseCholesky.SolveLower(l, n, x);
        DenseCholesky.SolveUpper(l, n, x);
        return x;
    }

    /// <summary>log det(H/2), or NaN when H is not positive definite.</summary>
    private static double LogDetHalf(double[,] h)
    {
        int n = h.GetLength(0);
        var l = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) l[i * n + j] = 0.5 * h[i, j];
        return DenseCholesky.Factor(l, n) ? DenseCholesky.LogDeterminant(l, n, n) : double.NaN;
    }

    /// <summary>(H/2)⁻¹: the covariance of β̂ from the Hessian H of −2ℓ in β.</summary>
    private static double[,] InverseHalf(double[,] h)
    {
        int n = h.GetLength(0);
        var l = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) l[i * n + j] = 0.5 * h[i, j];
        var inv = new double[n * n];
        var c = new double[n, n];
        if (!DenseCholesky.Factor(l, n)) { for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) c[i, j] = double.NaN; return c; }
        DenseCholesky.Inverse(l, n, inv);
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) c[i, j] = inv[i * n + j];
        return c;
    }
}
