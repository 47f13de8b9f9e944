namespace Glmm.Model;

/// <summary>
/// One random-effects term <c>(terms | group)</c>: a grouping factor, and q per-row covariates
/// (the columns of the term's model matrix, e.g. <c>(Intercept)</c>, <c>urbanY</c>).
/// Uncorrelated terms (<c>||</c>) arrive here already split into one term per column, as lme4 does.
/// </summary>
public sealed class RandomEffectsTerm
{
    /// <summary>Creates a term. <paramref name="covariates"/> is row-major n×q.</summary>
    public RandomEffectsTerm(string groupName, int[] codes, string[] levels, string[] termNames, double[] covariates)
    {
        if (covariates.Length != codes.Length * termNames.Length)
            throw new ArgumentException("covariates length must be n × q", nameof(covariates));
        GroupName = groupName;
        Codes = codes;
        Levels = levels;
        TermNames = termNames;
        Covariates = covariates;
    }

    /// <summary>The grouping factor's name as lme4 prints it (<c>herd</c>, <c>a:b</c>).</summary>
    public string GroupName { get; }

    /// <summary>Level code (0-based index into <see cref="Levels"/>) of each row.</summary>
    public int[] Codes { get; }

    /// <summary>The grouping factor's levels that occur in the data, in order.</summary>
    public string[] Levels { get; }

    /// <summary>Names of the term's columns as R's model.matrix names them.</summary>
    public string[] TermNames { get; }

    /// <summary>Row-major n×q covariates: row i's q values at <c>i*q .. i*q+q-1</c>.</summary>
    public double[] Covariates { get; }

    /// <summary>q, the number of random effects per level.</summary>
    public int Q => TermNames.Length;

    /// <summary>The number of levels.</summary>
    public int LevelCount => Levels.Length;

    /// <summary>The number of rows.</summary>
    public int Rows => Codes.Length;

    /// <summary>The length of this term's part of θ: q(q+1)/2.</summary>
    public int ThetaLength => Q * (Q + 1) / 2;
}
