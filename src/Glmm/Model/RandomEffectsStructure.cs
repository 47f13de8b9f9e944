namespace Glmm.Model;

/// <summary>
/// The random-effects terms of a model and the parameterisation the engine optimises: θ holds, term
/// after term, the lower triangle of each term's q×q factor T column by column (lme4's order); diagonal
/// entries are bounded below by 0, the others are free. Λ(θ) is block diagonal, I_levels ⊗ T per term,
/// so it is never stored densely. Terms are ordered as lme4 orders them: by number of levels, largest
/// first (stable for ties).
/// </summary>
public sealed class RandomEffectsStructure
{
    /// <summary>Creates the structure; the terms are put in lme4's order (levels descending, stable).</summary>
    public RandomEffectsStructure(IEnumerable<RandomEffectsTerm> terms)
    {
        Terms = terms.Select((t, i) => (t, i)).OrderByDescending(x => x.t.LevelCount).ThenBy(x => x.i)
            .Select(x => x.t).ToArray();
        ThetaOffsets = new int[Terms.Count];
        RandomEffectOffsets = new int[Terms.Count];
        int th = 0, re = 0;
        for (int k = 0; k < Terms.Count; k++)
        {
            ThetaOffsets[k] = th;
            RandomEffectOffsets[k] = re;
            th += Terms[k].ThetaLength;
            re += Terms[k].Q * Terms[k].LevelCount;
        }
        ThetaLength = th;
        TotalRandomEffects = re;
        LowerBounds = new double[th];
        InitialTheta = new double[th];
        for (int k = 0; k < Terms.Count; k++)
        {
            int q = Terms[k].Q, pos = ThetaOffsets[k];
            for (int j = 0; j < q; j++)
                for (int i = j; i < q; i++, pos++)
                {
                    bool diag = i == j;
                    LowerBounds[pos] = diag ? 0.0 : double.NegativeInfinity;
                    InitialTheta[pos] = diag ? 1.0 : 0.0;
                }
        }
    }

    /// <summary>The terms in lme4's order.</summary>
    public IReadOnlyList<RandomEffectsTerm> Terms { get; }

    /// <summary>Start of each term's segment of θ.</summary>
    public int[] ThetaOffsets { get; }

    /// <summary>Start of each term's random effects in the full vector u (level-major: level l, effect j at offset + l*q + j).</summary>
    public int[] RandomEffectOffsets { get; }

    /// <summary>The length of θ.</summary>
    public int ThetaLength { get; }

    /// <summary>Q, the total number of random effects (Σ q_k × levels_k).</summary>
    public int TotalRandomEffects { get; }

    /// <summary>Lower bounds of θ: 0 on diagonal entries of each T, −∞ elsewhere.</summary>
    public double[] LowerBounds { get; }

    /// <summary>lme4's starting value: each T the identity.</summary>
    public double[] InitialTheta { get; }

    /// <summary>True when θ entry <paramref name="index"/> is a diagonal entry of its term's T.</summary>
    public bool IsDiagonal(int index) => LowerBounds[index] == 0.0;

    /// <summary>
    /// Writes term <paramref name="term"/>'s factor T(θ) into <paramref name="t"/> as a dense q×q
    /// row-major lower-triangular matrix (upper part zero).
    /// </summary>
    public void FillFactor(ReadOnlySpan<double> theta, int term, Span<double> t)
    {
        int q = Terms[term].Q, pos = ThetaOffsets[term];
        t[..(q * q)].Clear();
        for (int j = 0; j < q; j++)
            for (int i = j; i < q; i++)
                t[i * q + j] = theta[pos++];
    }

    /// <summary>Covariance matrix Σ_k = T T' of term <paramref name="term"/> (row-major q×q).</summary>
    public double[] Covariance(ReadOnlySpan<double> theta, int term)
    {
        int q = Terms[term].Q;
        var t = new double[q * q];
        FillFactor(theta, term, t);
        var s = new double[q * q];
        for (int i = 0; i < q; i++)
            for (int j = 0; j < q; j++)
            {
                double sum = 0;
                for (int k = 0; k <= Math.Min(i, j); k++) sum += t[i * q + k] * t[j * q + k];
                s[i * q + j] = sum;
            }
        return s;
    }

    /// <summary>
    /// lme4's names for θ entries with <c>oldNames = FALSE</c> style: <c>sd_(Intercept)|herd</c> is not
    /// θ itself, so θ entries are named <c>group.term1</c> (diagonal) or <c>group.term2.term1</c>.
    /// </summary>
    public string[] ThetaNames()
    {
        var names = new string[ThetaLength];
        for (int k = 0; k < Terms.Count; k++)
        {
            var term = Terms[k];
            int pos = ThetaOffsets[k];
            for (int j = 0; j < term.Q; j++)
                for (int i = j; i < term.Q; i++)
                    names[pos++] = i == j ? $"{term.GroupName}.{term.TermNames[i]}" : $"{term.GroupName}.{term.TermNames[i]}.{term.TermNames[j]}";
        }
        return names;
    }

    /// <summary>True when all terms share one grouping factor (adaptive quadrature applies).</summary>
    public bool SingleGroupingFactor =>
        Terms.Count > 0 && Terms.All(t => t.GroupName == Terms[0].GroupName);

    /// <summary>
    /// Maps θ to the equivalent θ with non-negative diagonal entries: flipping the sign of a column of a term's T leaves
    /// TT' — and so the whole Laplace deviance (u → Su, H → SHS) — unchanged. This lets stage 2 run without the lower
    /// bounds on the diagonal (where the deviance is even in a scalar term's θ, so its gradient vanishes at 0 and a
    /// quasi-Newton method projected onto the bound can stall there) and normalise afterwards.
    /// </summary>
    internal void NormalizeThetaSigns(Span<double> theta)
    {
        for (int k = 0; k < Terms.Count; k++)
        {
            int q = Terms[k].Q, pos = ThetaOffsets[k];
            for (int c = 0; c < q; c++)
            {
                // Column c holds T[c..q-1, c]; its first entry is the diagonal.
                if (theta[pos] < 0) for (int r = 0; r < q - c; r++) theta[pos + r] = -theta[pos + r];
                pos += q - c;
            }
        }
    }
}
