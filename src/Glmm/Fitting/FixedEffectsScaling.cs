using Glmm.Model;

namespace Glmm.Fitting;

/// <summary>
/// The engine's internal parametrisation of the fixed effects: each column of X whose root mean square lies outside
/// [1/band, band] is divided by the power of two nearest to it, so that the optimiser, PIRLS and the finite-difference
/// Hessian see columns of unit order whatever units the covariate was measured in. Division by a power of two is
/// exact in floating point, so mapping back (β = β*/c, V(β) = V(β*)/(cᵢcⱼ)) is exact too, and z and p values are
/// unchanged bit for bit. Well-scaled columns (the intercept, dummies, standardised covariates) keep c = 1, so a
/// model whose columns are all of unit order is fitted exactly as before.
/// </summary>
internal sealed class FixedEffectsScaling
{
    /// <summary>
    /// The band for Laplace and nAGQ = 0 fits: columns whose root mean square is within [1/4, 4] are left as they are.
    /// Their estimates do not move (stage 2 already scales β by its curvature), only the finite-difference Hessian
    /// becomes scale-free: standard errors agree to about 2e-5 whatever the units.
    /// </summary>
    public const double Band = 4.0;

    /// <summary>
    /// The band for adaptive-quadrature and REML fits, whose optimisers' stopping points move by up to 1e-4 standard
    /// errors when the parametrisation changes: only columns on far-off scales (outside [1/256, 256]) are rescaled, so
    /// that the fits of ordinary data stay exactly as they were.
    /// </summary>
    public const double WideBand = 256.0;

    private FixedEffectsScaling(double[] factors) => Factors = factors;

    /// <summary>A scaling with the given divisors (the coordinator's, sent to each partition of a distributed fit).</summary>
    internal static FixedEffectsScaling FromFactors(double[] factors) => new((double[])factors.Clone());

    /// <summary>The divisor cⱼ of each column (a power of two; 1 for the columns left alone).</summary>
    public double[] Factors { get; }

    /// <summary>True when no column is scaled.</summary>
    public bool IsIdentity => Factors.All(c => c == 1.0);

    /// <summary>Σ log cⱼ: the change of ½ log|X'WX| (REML's term) when X is replaced by the scaled columns.</summary>
    public double LogDeterminant => Factors.Sum(Math.Log);

    /// <summary>The scaling of <paramref name="x"/>'s columns.</summary>
    public static FixedEffectsScaling For(FixedEffects x, double band = Band)
    {
        var factors = new double[x.Columns];
        for (int j = 0; j < x.Columns; j++)
        {
            var col = x.Column(j);
            double max = 0;
            foreach (double v in col) max = Math.Max(max, Math.Abs(v));
            factors[j] = 1.0;
            if (!(max > 0) || !double.IsFinite(max) || col.Length == 0) continue;
            double ss = 0;
            foreach (double v in col) ss += (v / max) * (v / max);
            double rms = max * Math.Sqrt(ss / col.Length);
            if (rms >= 1.0 / band && rms <= band) continue;
            factors[j] = Math.ScaleB(1.0, (int)Math.Round(Math.Log2(rms)));
        }
        return new FixedEffectsScaling(factors);
    }

    /// <summary>The model with X's columns divided by their factors (the same model when none is scaled).</summary>
    public ModelStructure Apply(ModelStructure model)
    {
        if (IsIdentity) return model;
        var x = model.X;
        var values = (double[])x.Values.Clone();
        for (int j = 0; j < x.Columns; j++)
        {
            double c = Factors[j];
            if (c == 1.0) continue;
            var col = values.AsSpan(j * x.Rows, x.Rows);
            for (int i = 0; i < col.Length; i++) col[i] /= c;
        }
        return model.WithFixedEffects(new FixedEffects(x.Rows, x.Names, values, x.DroppedColumns));
    }

    /// <summary>β on the scale of the original columns: βⱼ = β*ⱼ / cⱼ.</summary>
    public double[] BetaToOriginal(double[] internalBeta)
    {
        var b = new double[internalBeta.Length];
        for (int j = 0; j < b.Length; j++) b[j] = internalBeta[j] / Factors[j];
        return b;
    }

    /// <summary>β on the internal scale: β*ⱼ = βⱼ cⱼ.</summary>
    public double[] BetaToInternal(IReadOnlyList<double> beta)
    {
        var b = new double[beta.Count];
        for (int j = 0; j < b.Length; j++) b[j] = beta[j] * Factors[j];
        return b;
    }

    /// <summary>V(β) on the scale of the original columns: V*ᵢⱼ / (cᵢ cⱼ).</summary>
    public double[,] CovarianceToOriginal(double[,] internalCovariance)
    {
        int p = Factors.Length;
        var v = new double[p, p];
        for (int i = 0; i < p; i++)
            for (int j = 0; j < p; j++) v[i, j] = internalCovariance[i, j] / Factors[i] / Factors[j];
        return v;
    }
}
