using Glmm.LinearAlgebra;
using Glmm.Model;
using Glmm.Quadrature;

namespace Glmm.Fitting;

/// <summary>
/// The PIRLS state at the estimates, captured before derivative evaluations move it: the conditional modes ũ, η, μ
/// (engine order) and the conditional covariances of u, (LL')⁻¹ restricted to each term and level — for structure
/// term s a levels × q × q array of row-major blocks — read off the selected inverse of the factor.
/// </summary>
internal sealed record ModeState(double[] U, double[] Eta, double[] Mu, double[][] ConditionalVariances)
{
    /// <summary>Copies the state <paramref name="system"/> holds.</summary>
    public static ModeState Capture(PenalizedSystem system)
    {
        var data = system.Layout;
        var factor = system.Factor;
        // The diagonal blocks of H⁻¹ are entries of its selected inverse: no solve per random effect.
        var inv = new SelectedInversion(factor);
        inv.Compute();
        var result = new double[data.K][];
        int qb = data.QBlock, m = factor.DenseSize;
        for (int k = 0; k < data.K; k++)
        {
            int q = data.Q[k], levels = data.Levels[k];
            var blocks = new double[levels * q * q];
            for (int l = 0; l < levels; l++)
                for (int a = 0; a < q; a++)
                    for (int b = 0; b < q; b++)
                        blocks[l * q * q + b * q + a] = k < data.BlockTerms
                            ? inv.DiagonalBlock(l)[(data.TermOffsetInBlock[k] + b) * qb + data.TermOffsetInBlock[k] + a]
                            : inv.Dense[(data.DenseOffset[k] + l * q + b) * m + data.DenseOffset[k] + l * q + a];
            result[data.StructureTerm(k)] = blocks;
        }
        return new ModeState((double[])system.U.Clone(), (double[])system.Eta.Clone(), (double[])system.Mu.Clone(), result);
    }
}

/// <summary>Everything a fit's result is assembled from.</summary>
internal sealed record FitState
{
    public required EngineLayout Layout { get; init; }
    /// <summary>The model as built from the formula, before the engine's column scaling (the layout's model when null).</summary>
    public ModelStructure? OriginalModel { get; init; }
    /// <summary>The column scaling of the layout's X: <see cref="Beta"/> and <see cref="Covariance"/> are on its internal scale.</summary>
    public FixedEffectsScaling? Scaling { get; init; }
    public required GlmmOptions Options { get; init; }
    public required FitMethod Method { get; init; }
    public QuadratureRule? Rule { get; init; }
    public required double[] Theta { get; init; }
    public required double[] Beta { get; init; }
    /// <summary>log of the family's dispersion at the estimates (NaN for a family without one).</summary>
    public double LogDispersion { get; init; } = double.NaN;
    /// <summary>The variance of <see cref="LogDispersion"/> from the Hessian (NaN when not computed).</summary>
    public double LogDispersionVariance { get; init; } = double.NaN;
    public required double[,] Covariance { get; init; }
    public required CovarianceSource CovarianceSource { get; init; }
    /// <summary>The deviance −2 logLik at the estimates (Laplace or quadrature).</summary>
    public required double Deviance { get; init; }
    public required ModeState Modes { get; init; }
    public required bool Converged { get; init; }
    public required bool Singular { get; init; }
    public required IReadOnlyList<string> Warnings { get; init; }
    public required int Evaluations { get; init; }
    public int Sweeps { get; init; }
    public required double Seconds { get; init; }
    public RemlVariant? Reml { get; init; }
    /// <summary>−2 × the penalized log-likelihood (up to the prior's constant) when a prior on β was given; NaN otherwise.</summary>
    public double PenalizedDeviance { get; init; } = double.NaN;
    /// <summary>−2 × the restricted log-likelihood at the REML estimates (NaN for ML).</summary>
    public double RestrictedDeviance { get; init; } = double.NaN;
    /// <summary>A linear mixed model's residual SD σ (the random-effects SDs are σ times those of θ); NaN for families without one.</summary>
    public double Sigma { get; init; } = double.NaN;
    /// <summary>The standard error of <see cref="Sigma"/> (NaN when not computed).</summary>
    public double SigmaStdError { get; init; } = double.NaN;
    /// <summary>Denominator degrees of freedom of the fixed effects' t statistics (null: Wald z).</summary>
    public double[]? Df { get; init; }
    /// <summary>The method of <see cref="Df"/> (null: Wald z).</summary>
    public DenominatorDf? Ddf { get; init; }
    /// <summary>Kenward–Roger's adjusted covariance of β̂, the source of the standard errors when set.</summary>
    public double[,]? AdjustedCovariance { get; init; }
    /// <summary>The solver of the penalized system and why it was used.</summary>
    public LinearSolver Solver { get; init; } = LinearSolver.Cholesky;
    public string SolverReason { get; init; } = "";
    /// <summary>The iterative solver's report (null for the exact factor).</summary>
    public IterativeSolverReport? Iterative { get; init; }
}

/// <summary>
/// Assembles the public result from a <see cref="FitState"/>: Wald statistics of β, the random-effects SDs and
/// correlations from θ, the conditional modes b̃ = Λũ with their conditional SDs, Pearson-residual quantiles, and
/// everything back in the model's row and term order.
/// </summary>
internal static class FitAssembler
{
    public static GlmmFit Assemble(FitState state)
    {
        var data = state.Layout;
        var model = state.OriginalModel ?? data.Model;
        var family = data.Family;
        var re = model.Random;
        var theta = state.Theta;
        // Back from the engine's column scaling (exact: the factors are powers of two).
        var beta = state.Scaling?.BetaToOriginal(state.Beta) ?? state.Beta;
        var covariance = state.Scaling?.CovarianceToOriginal(state.Covariance) ?? state.Covariance;
        var u = state.Modes.U;
        int p = data.P;
        var fixedEffects = new FixedEffectEstimate[p];
        for (int j = 0; j < p; j++)
        {
            double se = Math.Sqrt((state.AdjustedCovariance ?? covariance)[j, j]);
            double z = beta[j] / se;
            fixedEffects[j] = state.Df is { } df
                ? new FixedEffectEstimate(model.X.Names[j], beta[j], se, z, StudentTwoSided(z, df[j])) { Df = df[j] }
                : new FixedEffectEstimate(model.X.Names[j], beta[j], se, z, 2.0 * Families.NormalDistribution.UpperTail(Math.Abs(z)));
        }
        // A linear mixed model's covariances are σ² times the relative ones of θ.
        bool hasSigma = double.IsFinite(state.Sigma);
        double scale = hasSigma ? state.Sigma : 1.0;

        var components = new List<RandomEffectsComponent>();
        var modes = new List<RandomEffectPrediction>();
        var modesByTerm = ModesByTerm(data, theta, u);
        for (int s = 0; s < re.Terms.Count; s++)
        {
            var term = re.Terms[s];
            int q = term.Q;
            var cov = re.Covariance(theta, s);
            var sd = new double[q];
            var corr = new double[q, q];
            for (int i = 0; i < q; i++) sd[i] = scale * Math.Sqrt(cov[i * q + i]);
            for (int i = 0; i < q; i++)
                for (int j = 0; j < q; j++)
                    corr[i, j] = i == j ? 1.0 : cov[i * q + j] / (Math.Sqrt(cov[i * q + i]) * Math.Sqrt(cov[j * q + j]));
            components.Add(new RandomEffectsComponent(term.GroupName, term.TermNames, sd, new ReadOnlyMatrix(corr), term.LevelCount));

            var t = new double[q * q];
            re.FillFactor(theta, s, t);
            var blocks = state.Modes.ConditionalVariances[s];
            for (int l = 0; l < term.LevelCount; l++)
            {
                // b = T u; Var(b) = T Var(u) T'.
                int w = l * q * q;
                for (int i = 0; i < q; i++)
                {
                    double b = modesByTerm[s][l * q + i];
                    double var = 0;
                    for (int r = 0; r <= i; r++)
                        for (int v = 0; v <= i; v++) var += t[i * q + r] * blocks[w + r * q + v] * t[i * q + v];
                    modes.Add(new RandomEffectPrediction(term.GroupName, term.Levels[l], term.TermNames[i], b, Math.Sqrt(Math.Max(var, 0))));
                }
            }
        }

        // Pearson residuals; for the gaussian family in the GLMM path divided by σ as lme4's scaled residuals (its
        // PearsonVariance is glmmTMB's 1, unscaled).
        var mu = state.Modes.Mu;
        var pearson = new double[data.N];
        double residualScale = !hasSigma && family is Families.Gaussian && !double.IsNaN(state.LogDispersion)
            ? family.SigmaOf(Math.Exp(state.LogDispersion)) : scale;
        for (int i = 0; i < data.N; i++)
            pearson[i] = (data.Y[i] - mu[i]) * Math.Sqrt(data.Weights[i] / family.PearsonVariance(mu[i])) / residualScale;
        Array.Sort(pearson);

        var options = state.Options;
        return new GlmmFit
        {
            Method = state.Method,
            NAgq = options.NAgq,
            Grid = state.Rule is null ? null : options.Grid,
            NodesPerCluster = state.Rule?.Count ?? 1,
            Family = family,
            Formula = model.Formula,
            DataName = options.DataName,
            Nobs = model.N,
            DroppedRows = model.DroppedRows,
            DroppedReason = model.DroppedReason,
            LogLik = -0.5 * state.Deviance,
            ParameterCount = p + theta.Length + (hasSigma || family.HasDispersion ? 1 : 0),
            Dispersion = double.IsNaN(state.LogDispersion) ? double.NaN : Math.Exp(state.LogDispersion),
            Sigma = hasSigma ? state.Sigma : double.IsNaN(state.LogDispersion) ? double.NaN : family.SigmaOf(Math.Exp(state.LogDispersion)),
            SigmaStdError = hasSigma ? state.SigmaStdError : double.IsNaN(state.LogDispersion) || !(state.LogDispersionVariance >= 0) ? double.NaN
                : Math.Abs(family.SigmaLogDerivative(Math.Exp(state.LogDispersion))) * Math.Sqrt(state.LogDispersionVariance),
            RemlCriterion = hasSigma ? state.RestrictedDeviance : double.NaN,
            FixedEffects = fixedEffects,
            FixedEffectsCovariance = new ReadOnlyMatrix(covariance),
            Ddf = state.Ddf,
            AdjustedFixedEffectsCovariance = state.AdjustedCovariance is { } adjusted ? new ReadOnlyMatrix(adjusted) : null,
            CovarianceSource = state.CovarianceSource,
            RandomEffects = components,
            Theta = theta,
            ConditionalModes = modes,
            ScaledResidualQuantiles = Quantiles(pearson),
            Converged = state.Converged,
            Singular = state.Singular,
            Warnings = state.Warnings,
            Evaluations = state.Evaluations,
            Sweeps = state.Sweeps,
            Seconds = state.Seconds,
            Solver = state.Solver,
            SolverReason = state.SolverReason,
            Iterative = state.Iterative,
            Reml = state.Reml,
            RestrictedLogLik = -0.5 * state.RestrictedDeviance,
            FixedEffectsPrior = options.FixedEffectsPrior,
            PenalizedDeviance = state.PenalizedDeviance,
            Model = model,
            Options = options,
            Beta = beta,
            RandomEffectModes = modesByTerm,
            LinearPredictor = data.ToModelOrder(state.Modes.Eta),
            Fitted = data.ToModelOrder(mu),
        };
    }

    /// <summary>The two-sided p value of t on <paramref name="df"/> degrees of freedom (NaN when df is not finite and positive).</summary>
    private static double StudentTwoSided(double t, double df) =>
        double.IsFinite(df) && df > 0 && double.IsFinite(t)
            ? 2.0 * MathNet.Numerics.Distributions.StudentT.CDF(0.0, 1.0, df, -Math.Abs(t))
            : double.NaN;

    /// <summary>b = T u per structure term, level-major (level l, effect j at l*q + j).</summary>
    private static double[][] ModesByTerm(EngineLayout data, double[] theta, double[] u)
    {
        var re = data.Random;
        var result = new double[data.K][];
        for (int k = 0; k < data.K; k++)
        {
            int s = data.StructureTerm(k), q = data.Q[k];
            var t = new double[q * q];
            re.FillFactor(theta, s, t);
            var b = new double[data.Levels[k] * q];
            for (int l = 0; l < data.Levels[k]; l++)
                for (int i = 0; i < q; i++)
                {
                    double sum = 0;
                    for (int r = 0; r <= i; r++) sum += t[i * q + r] * u[data.UIndex(k, l, r)];
                    b[l * q + i] = sum;
                }
            result[s] = b;
        }
        return result;
    }

    /// <summary>R's default (type 7) quantiles at 0, .25, .5, .75, 1 of sorted values.</summary>
    internal static double[] Quantiles(double[] sorted)
    {
        var probs = new[] { 0.0, 0.25, 0.5, 0.75, 1.0 };
        var q = new double[5];
        int n = sorted.Length;
        for (int i = 0; i < 5; i++)
        {
            double h = (n - 1) * probs[i];
            int lo = (int)Math.Floor(h);
            int hi = Math.Min(lo + 1, n - 1);
            q[i] = sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
        }
        return q;
    }
}
