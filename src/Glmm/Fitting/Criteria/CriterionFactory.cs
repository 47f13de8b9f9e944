using Glmm.Model;
using Glmm.Quadrature;

namespace Glmm.Fitting;

/// <summary>
/// Builds the criteria a set of options asks for, after one validation with one set of error messages: the
/// options themselves (nAGQ, REML variant), the response against the family, the engine layout, and the
/// quadrature rule (built once). Every fit, refit, profile and bootstrap gets its criteria here.
/// </summary>
internal sealed class CriterionFactory
{
    /// <summary>Points per dimension above which adaptive quadrature is refused.</summary>
    public const int MaxQuadraturePoints = 100;

    private CriterionFactory(EngineLayout layout, GlmmOptions options, int threads)
    {
        Layout = layout;
        Options = options;
        Threads = threads;
        Rule = options.NAgq > 1 ? CreateRule(layout, options) : null;
    }

    /// <summary>The engine layout of the model.</summary>
    public EngineLayout Layout { get; }

    /// <summary>The options the criteria follow.</summary>
    public GlmmOptions Options { get; }

    /// <summary>Threads each criterion's sweeps use (0: all cores).</summary>
    public int Threads { get; }

    /// <summary>The quadrature rule for nAGQ &gt; 1; null otherwise.</summary>
    public QuadratureRule? Rule { get; }

    /// <summary>
    /// True when the Laplace criterion has its exact gradient: a canonical link, or with the observed information (the
    /// default; the expected information's weights have no derivative here) a link whose log-likelihood is concave in η on
    /// the whole real line (<see cref="Families.Family.ConcaveOnTheRealLine"/>), and the options allow it.
    /// </summary>
    public bool LaplaceHasGradient => (Layout.Family.IsCanonical || (Observed && Layout.Family.ConcaveOnTheRealLine)) && !Layout.Family.HasDispersion && Options.UseGradient;

    private bool Observed => Options.Information == Information.Observed;

    /// <summary>Validates <paramref name="options"/> and the response, and lays out <paramref name="model"/> for the engine.</summary>
    /// <exception cref="GlmmInputException">Options that do not go together, a response the family cannot take, or a
    /// quadrature rule the model does not allow.</exception>
    public static CriterionFactory Create(ModelStructure model, GlmmOptions options)
    {
        CheckOptions(options);
        options.Family.ValidateResponse(model.Y, model.Weights);
        return new CriterionFactory(new EngineLayout(model, options.Family), options, options.Threads);
    }

    /// <summary>
    /// Criteria for refits of an already validated fit's model (a profile, bootstrap replicates): single-threaded, so
    /// that many can run side by side.
    /// </summary>
    public static CriterionFactory ForRefits(EngineLayout layout, GlmmOptions options) => new(layout, options, threads: 1);

    /// <summary>The checks of the options alone.</summary>
    public static void CheckOptions(GlmmOptions options)
    {
        if (options.NAgq < 0) throw new GlmmInputException($"--nagq must be 0 or more, not {options.NAgq}");
        if (options.NAgq > MaxQuadraturePoints)
            throw new GlmmInputException($"--nagq {options.NAgq} is too large: at most {MaxQuadraturePoints} points per dimension");
        if (options.Family.HasDispersion)
        {
            string name = options.Family.Name;
            if (options.NAgq == 0)
                throw new GlmmInputException($"--nagq 0 is not available for the {name} family: its dispersion parameter is estimated with the Laplace approximation (--nagq 1) or adaptive quadrature (--nagq K > 1)");
            if (options.Reml is { } reml && reml != RemlVariant.Laplace)
                throw new GlmmInputException($"--reml {reml.Name()} is not available for the {name} family: its dispersion parameter is estimated with the 'laplace' variant (glmmTMB's REML = TRUE); use --reml laplace");
            if (options.FixedEffectsPrior is not null)
                throw new GlmmInputException($"--fixef-prior is not yet available for the {name} family");
            if (options.Family.HasOwnObservedWeight && options.Information == Information.Expected)
                throw new GlmmInputException($"--information expected is not available for the {name} family: its expected information has no closed form (the Laplace approximation uses the observed one)");
        }
        if (options.Reml is { } variant)
        {
            if (options.NAgq == 0) throw new GlmmInputException("REML needs nAGQ 1 (Laplace) or more; nAGQ = 0 has no REML form");
            if (options.NAgq > 1 && variant != RemlVariant.Profile)
                throw new GlmmInputException($"REML variant '{variant.Name()}' is defined with the Laplace approximation; only the 'profile' variant takes --nagq K > 1");
        }
    }

    /// <summary>Stage 1 (nAGQ = 0): the Laplace deviance profiled over β by PIRLS, β starting at <paramref name="startBeta"/>.</summary>
    public ProfiledLaplaceCriterion ProfiledLaplace(ReadOnlySpan<double> startBeta) => new(Layout, Threads, Observed, startBeta);

    /// <summary>The Laplace deviance in (θ, β), with its exact gradient when <see cref="LaplaceHasGradient"/>.</summary>
    public LaplaceCriterion Laplace() => new(Layout, Threads, Observed, LaplaceHasGradient);

    /// <summary>
    /// The Laplace deviance in (θ, β, log dispersion) for a family with a dispersion parameter, with its exact gradient for
    /// the observed information (or a canonical link) when the options allow it, derivative-free otherwise.
    /// </summary>
    public DispersionCriterion LaplaceWithDispersion() =>
        new(new LaplaceCriterion(Layout, Threads, Observed, withGradient: Options.UseGradient && (Observed || Layout.Family.IsCanonical)));

    /// <summary>
    /// The maximum-likelihood criterion of the options in (θ, β, log dispersion) for a family with a dispersion parameter:
    /// adaptive quadrature (derivative-free, log φ an outer parameter) for nAGQ &gt; 1, else <see cref="LaplaceWithDispersion"/>.
    /// </summary>
    public DispersionCriterion MarginalWithDispersion() => Rule is null ? LaplaceWithDispersion() : new(Quadrature());

    /// <summary>The adaptive-quadrature deviance in (θ, β) with the options' rule.</summary>
    public QuadratureCriterion Quadrature() =>
        new(Layout, Rule ?? throw new InvalidOperationException("the options ask for no quadrature (nAGQ ≤ 1)"), Threads, Observed);

    /// <summary>The maximum-likelihood criterion of the options in (θ, β): quadrature for nAGQ &gt; 1, else Laplace.</summary>
    public ICriterion Marginal() => Rule is null ? Laplace() : Quadrature();

    /// <summary>REML variant 'laplace'.</summary>
    public RemlLaplaceCriterion RemlLaplace(ReadOnlySpan<double> startBeta) => new(Layout, Threads, Observed, startBeta);

    /// <summary>REML variant 'profile' on the options' marginal criterion.</summary>
    public RemlProfileCriterion RemlProfile(double[] startBeta, FitControl control) =>
        new(ProfiledLaplace(startBeta), Marginal(), control.ProfileNewtonSteps, startBeta);

    /// <summary>REML variant 'pql': the working LMM's REML criterion for one PQL round.</summary>
    public RemlPqlCriterion RemlPql(ModelStructure workingModel) =>
        new(new EngineLayout(workingModel, new Families.WorkingGaussian()), Threads);

    /// <summary>The quadrature rule nAGQ &gt; 1 asks for; a clear error when the model or the grid does not allow it.</summary>
    private static QuadratureRule CreateRule(EngineLayout data, GlmmOptions options)
    {
        var re = data.Random;
        if (!data.IsBlockDiagonal)
            throw new GlmmInputException($"nAGQ = {options.NAgq} needs all random-effect terms to share one grouping factor, but this model's terms use crossed or nested factors ({string.Join(", ", re.Terms.Select(t => t.GroupName).Distinct())}); adaptive quadrature integrates each cluster separately, which crossed factors do not allow. Use --nagq 1 (Laplace)");
        int q = data.QBlock, k = options.NAgq;
        // The product grid's size is known before it is built (it may be too large to build at all).
        if (options.Grid == QuadratureGrid.Product) CheckWork(data, options, Math.Pow(k, q));
        QuadratureRule rule;
        try
        {
            rule = options.Grid switch
            {
                QuadratureGrid.Product => ProductGrid.Create(q, k),
                QuadratureGrid.Sparse => SparseGrid.Create(q, k, SparseGridBase.GenzKeister),
            };
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new GlmmInputException($"nAGQ = {k} with {q} random effects per cluster: {e.Message.Split(" (Parameter")[0]}");
        }
        if (options.Grid == QuadratureGrid.Sparse) CheckWork(data, options, rule.Count);
        return rule;
    }

    /// <summary>
    /// Deviance evaluations an adaptive-quadrature fit with n = |θ| + |β| parameters is expected to need: the quadrature
    /// stage's Newton iterations, 7n + 3 (the start, a forward-difference gradient, up to three central-difference
    /// ones and their line-search steps; measured 5n + 2 to 7n + 3 on cbpp and Contraception at nAGQ 3 to 25), then
    /// the economical Hessian of the convergence check, 2n + n(n − 1)/2.
    /// </summary>
    public static double ExpectedQuadratureEvaluations(int n) => 7.0 * n + 3 + 2.0 * n + n * (n - 1) / 2.0;

    /// <summary>
    /// The cost guard: nodes × rows × expected evaluations against <see cref="GlmmOptions.MaxQuadratureWork"/>, refused
    /// with one line that gives the numbers and the cheaper alternatives.
    /// </summary>
    private static void CheckWork(EngineLayout data, GlmmOptions options, double nodes)
    {
        double budget = options.MaxQuadratureWork;
        if (!(budget > 0) || double.IsPositiveInfinity(budget)) return;
        int q = data.QBlock, k = options.NAgq;
        double evaluations = ExpectedQuadratureEvaluations(data.Random.ThetaLength + data.P);
        double work = nodes * data.N * evaluations;
        if (work <= budget) return;
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        string alternative = "";
        if (options.Grid == QuadratureGrid.Product)
        {
            try
            {
                int sparse = SparseGrid.Create(q, k, SparseGridBase.GenzKeister).Count;
                alternative = string.Create(inv, $"--grid sparse ({sparse:N0} nodes), ");
            }
            catch (ArgumentOutOfRangeException)
            {
                // no sparse grid of that precision in this dimension
            }
        }
        int smaller = 1;
        for (int kk = k - 1; kk >= 2; kk--)
            if (Math.Pow(kk, q) * data.N * evaluations <= budget) { smaller = kk; break; }
        string smallerText = smaller > 1 ? string.Create(inv, $"--nagq {smaller} or less") : "--nagq 1 (Laplace)";
        throw new GlmmInputException(string.Create(inv,
            $"nAGQ = {k} with {q} random effects per cluster: the {options.Grid.Name()} grid has {nodes:N0} nodes per cluster; with {data.N:N0} rows and about {evaluations:N0} deviance evaluations that is {work:G3} row-node evaluations, above the budget of {budget:G3} (about {budget / 1e8:N0} s on one core); use {alternative}{smallerText}, or raise the budget with --max-quadrature-work"));
    }
}
