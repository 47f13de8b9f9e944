using Glmm.Model;

namespace Glmm.Inference;

/// <summary>
/// The random-effects covariance in lme4's "varpar" scale, term after term in θ's order (the lower
/// triangle of each q×q matrix, column by column): a standard deviation on the diagonal, a correlation
/// below it. Maps to and from θ: T = chol(diag(sd) R diag(sd)). Names as lme4's <c>oldNames = FALSE</c>:
/// <c>sd_(Intercept)|herd</c>, <c>cor_urbanY.(Intercept)|district</c>.
/// </summary>
public static class CovarianceParameterization
{
    /// <summary>lme4's names (<c>oldNames = FALSE</c>) of the SD/correlation parameters, in θ's order.</summary>
    public static string[] Names(RandomEffectsStructure re)
    {
        var names = new string[re.ThetaLength];
        for (int k = 0; k < re.Terms.Count; k++)
        {
            var t = re.Terms[k];
            int pos = re.ThetaOffsets[k];
            for (int j = 0; j < t.Q; j++)
                for (int i = j; i < t.Q; i++)
                    names[pos++] = i == j ? $"sd_{t.TermNames[i]}|{t.GroupName}" : $"cor_{t.TermNames[i]}.{t.TermNames[j]}|{t.GroupName}";
        }
        return names;
    }

    /// <summary>True when entry <paramref name="index"/> is a standard deviation (else a correlation).</summary>
    public static bool IsStandardDeviation(RandomEffectsStructure re, int index) => re.IsDiagonal(index);

    /// <summary>θ → (SDs, correlations), in θ's layout. A correlation with a zero SD is reported as 0.</summary>
    public static double[] FromTheta(RandomEffectsStructure re, ReadOnlySpan<double> theta)
    {
        var result = new double[re.ThetaLength];
        for (int k = 0; k < re.Terms.Count; k++)
        {
            int q = re.Terms[k].Q, pos = re.ThetaOffsets[k];
            var s = re.Covariance(theta, k);
            for (int j = 0; j < q; j++)
                for (int i = j; i < q; i++, pos++)
                {
                    if (i == j) result[pos] = Math.Sqrt(s[i * q + i]);
                    else
                    {
                        double d = Math.Sqrt(s[i * q + i] * s[j * q + j]);
                        result[pos] = d > 0 ? Math.Clamp(s[i * q + j] / d, -1.0, 1.0) : 0.0;
                    }
                }
        }
        return result;
    }

    /// <summary>
    /// (SDs, correlations) → θ: per term T = chol(diag(sd) R diag(sd)). A semi-definite R (|cor| = 1) or a zero
    /// SD gives a zero pivot; that column of T is then 0 below the diagonal.
    /// </summary>
    public static void ToTheta(RandomEffectsStructure re, ReadOnlySpan<double> sdcor, Span<double> theta)
    {
        for (int k = 0; k < re.Terms.Count; k++)
        {
            int q = re.Terms[k].Q, pos = re.ThetaOffsets[k];
            if (q == 1)
            {
                theta[pos] = Math.Abs(sdcor[pos]);
                continue;
            }
            var sd = new double[q];
            var a = new double[q * q];
            int p = pos;
            for (int j = 0; j < q; j++)
                for (int i = j; i < q; i++, p++)
                    if (i == j) sd[i] = Math.Abs(sdcor[p]);
            p = pos;
            for (int j = 0; j < q; j++)
                for (int i = j; i < q; i++, p++)
                {
                    double v = i == j ? sd[i] * sd[i] : sdcor[p] * sd[i] * sd[j];
                    a[i * q + j] = v;
                    a[j * q + i] = v;
                }
            // Cholesky with zero pivots allowed.
            for (int j = 0; j < q; j++)
            {
                double d = a[j * q + j];
                for (int r = 0; r < j; r++) d -= a[j * q + r] * a[j * q + r];
                double ljj = d > 0 ? Math.Sqrt(d) : 0.0;
                a[j * q + j] = ljj;
                for (int i = j + 1; i < q; i++)
                {
                    double s = a[i * q + j];
                    for (int r = 0; r < j; r++) s -= a[i * q + r] * a[j * q + r];
                    a[i * q + j] = ljj > 0 ? s / ljj : 0.0;
                }
            }
            p = pos;
            for (int j = 0; j < q; j++)
                for (int i = j; i < q; i++, p++) theta[p] = a[i * q + j];
        }
    }

    /// <summary>Lower bounds in this scale: 0 for SDs, −1 for correlations.</summary>
    public static double[] LowerBounds(RandomEffectsStructure re)
    {
        var lb = new double[re.ThetaLength];
        for (int i = 0; i < lb.Length; i++) lb[i] = re.IsDiagonal(i) ? 0.0 : -1.0;
        return lb;
    }

    /// <summary>Upper bounds in this scale: +∞ for SDs, 1 for correlations.</summary>
    public static double[] UpperBounds(RandomEffectsStructure re)
    {
        var ub = new double[re.ThetaLength];
        for (int i = 0; i < ub.Length; i++) ub[i] = re.IsDiagonal(i) ? double.PositiveInfinity : 1.0;
        return ub;
    }
}
