using Glmm.Fitting;
using Glmm.Model;
using Glmm.Optimization;
using Glmm.Quadrature;
using Glmm.Results;

namespace Glmm.Inference;

/// <summary>
/// The fit's criterion (Laplace deviance, or the AGQ deviance for nAGQ &gt; 1) as a function of (θ, β) with its
/// own PIRLS state, single-threaded, so that profiles and bootstrap replicates can run side by side; and a
/// refit from given estimates (stage 2 only: BOBYQA over (θ, β), β in units of its standard errors).
/// </summary>
internal sealed class JointCriterion
{
    private readonly Func<double[], double> _f;
    private readonly Pirls _pirls;

    public JointCriterion(ModelData data, GlmmOptions options)
    {
        Data = data;
        if (options.NAgq > 1)
        {
            var rule = options.Grid == "sparse"
                ? SparseGrid.Create(data.QBlock, options.NAgq, SparseGridBase.GenzKeister)
                : ProductGrid.Create(data.QBlock, options.NAgq);
            var agq = new QuadratureObjective(data, rule, 1, options.ObservedInformation);
            _f = x => agq.Evaluate(x);
            _pirls = agq.Pirls;
        }
        else
        {
            var lap = new LaplaceObjective(data, betaInside: false, 1, options.ObservedInformation);
            _f = x => lap.Evaluate(x);
            _pirls = lap.Pirls;
        }
    }

    public ModelData Data { get; }

    public int Evaluations { get; private set; }

    /// <summary>Deviance at x = (θ, β).</summary>
    public double Evaluate(double[] x)
    {
        Evaluations++;
        double d = _f(x);
        return double.IsFinite(d) ? d : double.PositiveInfinity;
    }

    /// <summary>Resets the conditional modes (the PIRLS start) to <paramref name="v"/>.</summary>
    public void SetModes(ReadOnlySpan<double> v) => _pirls.SetModes(v);

    /// <summary>The profile and bootstrap need a maximum-likelihood fit of a model this engine can evaluate.</summary>
    public static void CheckFit(GlmmFit fit, string what)
    {
        if (fit.Reml is not null)
            throw new GlmmInputException($"{what} needs a maximum-likelihood fit, not a REML fit (refit without --reml)");
        if (fit.NAgq == 0)
            throw new GlmmInputException($"{what} needs the Laplace or AGQ criterion (--nagq 1 or more), not --nagq 0");
    }

    /// <summary>
    /// Minimises the criterion over (θ, β) from (θ0, β0) with BOBYQA; β measured in units of <paramref name="scale"/>.
    /// Returns θ, β and the deviance.
    /// </summary>
    public (double[] Theta, double[] Beta, double Deviance, bool Converged) Refit(double[] theta0, double[] beta0, double[] scale, GlmmOptions options) =>
        Fitter.Joint(Evaluate, theta0, beta0, scale, Data.Random, options, new Bobyqa(), out _);

    /// <summary>The fit's β standard errors (1 where not finite), the scale of β in the optimisers.</summary>
    public static double[] BetaScale(GlmmFit fit)
    {
        var s = new double[fit.FixedEffects.Count];
        for (int j = 0; j < s.Length; j++)
        {
            double se = fit.FixedEffects[j].StdError;
            s[j] = se > 0 && double.IsFinite(se) ? se : 1.0;
        }
        return s;
    }

    /// <summary>A model structure like <paramref name="model"/> with another response (same weights, X, terms).</summary>
    public static ModelStructure WithResponse(ModelStructure model, double[] y) => new()
    {
        Formula = model.Formula,
        ResponseName = model.ResponseName,
        ResponseKind = model.ResponseKind,
        Y = y,
        Weights = model.Weights,
        Offset = model.Offset,
        HasOffset = model.HasOffset,
        X = model.X,
        Random = model.Random,
        RowIndex = model.RowIndex,
        DroppedRows = model.DroppedRows,
        DroppedReason = model.DroppedReason,
    };
}
