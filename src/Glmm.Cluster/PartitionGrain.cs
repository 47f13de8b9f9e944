using System.Diagnostics;
using Glmm.Fitting;
using Glmm.Model;

namespace Glmm.Cluster;

/// <summary>
/// One part of a partitioned data set on a worker: reads its file, builds its part of the model with the coordinator's
/// encoding and evaluates its partial Laplace criterion and gradient — the criterion of a model whose random effects
/// hang off one grouping factor (and nested below it) is a sum over top-level clusters, hence over parts. The PIRLS state
/// (the modes that warm-start the next evaluation) lives here; a new activation (after its worker died) reloads the part
/// when the coordinator sends the spec again. Reading, building and evaluating run on the thread pool, not on the
/// activation's own (single-threaded) scheduler: the Parquet reader blocks on its own asynchronous reads, whose
/// continuations would otherwise wait for the blocked turn (a deadlock on parts too large to read synchronously), and
/// the sweeps' parallel loops would otherwise be queued behind the turn (--threads would not parallelise).
/// </summary>
internal sealed class PartitionGrain(ILocalSiloDetails silo) : Grain, IPartitionGrain
{
    private DataTable? _table;
    private string? _tablePath;
    private PartitionSpec? _spec;
    private ICriterion? _criterion;
    private EngineLayout? _layout;
    private double[]? _saved;

    private string Worker => silo.Name;

    private async Task<DataTable> Table(string path)
    {
        if (_table is null || _tablePath != path)
        {
            _table = await Task.Run(() => TableReader.Read(path)).ConfigureAwait(true);
            _tablePath = path;
        }
        return _table;
    }

    /// <summary>Runs <paramref name="work"/> on the thread pool (see the class's remarks); the turn awaits it.</summary>
    private static Task<T> Off<T>(Func<T> work) => Task.Run(work);

    public async Task<PartitionDescription> Describe(string path, string formula, string? weightsColumn, string family, string? link)
    {
        var table = await Table(path).ConfigureAwait(true);
        return await Off(() => DescribeTable(table, formula, weightsColumn, family, link)).ConfigureAwait(true);
    }

    private PartitionDescription DescribeTable(DataTable table, string formula, string? weightsColumn, string family, string? link)
    {
        var model = ModelBuilder.Build(formula, table, new ModelBuildOptions { WeightsColumn = weightsColumn, PartOfLargerData = true });
        var f = Families.Family.Create(family, link);
        return new PartitionDescription
        {
            Levels = model.Encoding.FactorLevels.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.Ordinal),
            Numeric = model.Encoding.NumericVariables.ToArray(),
            Rows = model.N,
            DroppedRows = model.DroppedRows,
            DroppedReason = model.DroppedReason,
            Terms = model.Random.Terms.Select(t => t.GroupName + "|" + string.Join(",", t.TermNames)).ToArray(),
            TermLevels = model.Random.Terms.Select(t => t.LevelCount).ToArray(),
            Worker = Worker,
            Warnings = f.ResponseWarnings(model.Y, model.Weights).ToArray(),
        };
    }

    public async Task<string> Load(PartitionSpec spec)
    {
        var table = await Table(spec.Path).ConfigureAwait(true);
        var (layout, criterion) = await Off(() => Build(table, spec)).ConfigureAwait(true);
        _layout = layout;
        _criterion = criterion;
        _spec = spec;
        _saved = null;
        return Worker;
    }

    private static (EngineLayout, ICriterion) Build(DataTable table, PartitionSpec spec)
    {
        var encoding = new ModelEncoding(spec.Levels.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value, StringComparer.Ordinal),
            spec.Numeric, new Dictionary<string, ScaleParameters>());
        var model = PartitionModel.Build(spec.Formula, table, encoding, spec.FixedNames, spec.WeightsColumn);
        var scaled = FixedEffectsScaling.FromFactors(spec.Scaling).Apply(model);
        var family = Families.Family.Create(spec.Family, spec.Link).ForFit();
        var layout = new EngineLayout(scaled, family);
        return (layout, new LaplaceCriterion(layout, spec.Threads, spec.Observed, spec.WithGradient));
    }

    public Task<PartialEvaluation> Evaluate(EvaluationRequest request)
    {
        if (_criterion is not { } criterion) return Task.FromResult(new PartialEvaluation { Loaded = false, Worker = Worker });
        var saved = request.RestoreSaved ? _saved : null;
        string worker = Worker;
        return Off(() => EvaluateOn(criterion, saved, request, worker));
    }

    private static PartialEvaluation EvaluateOn(ICriterion criterion, double[]? saved, EvaluationRequest request, string worker)
    {
        var clock = Stopwatch.StartNew();
        if (saved is not null) criterion.RestoreModes(saved);
        double value;
        double[] gradient = [];
        if (request.Gradient)
        {
            gradient = new double[request.X.Length];
            value = criterion.Evaluate(request.X, gradient);
        }
        else value = criterion.Evaluate(request.X);
        return new PartialEvaluation
        {
            Loaded = true,
            Value = value,
            Gradient = gradient,
            Sweeps = criterion.Sweeps,
            Worker = worker,
            Seconds = clock.Elapsed.TotalSeconds,
        };
    }

    public Task SaveModes()
    {
        if (_criterion is not null) _saved = _criterion.SaveModes();
        return Task.CompletedTask;
    }

    public Task<PartitionResult> Finish(double[] x)
    {
        if (_criterion is not { } criterion || _layout is not { } layout || _spec is null) throw new InvalidOperationException("the partition is not loaded");
        var saved = _saved;
        string worker = Worker;
        return Off(() => FinishOn(criterion, layout, saved, x, worker));
    }

    private static PartitionResult FinishOn(ICriterion criterion, EngineLayout layout, double[]? saved, double[] x, string worker)
    {
        if (saved is not null) criterion.RestoreModes(saved);
        criterion.Evaluate(x);
        var model = layout.Model;
        int nth = model.Random.ThetaLength, p = layout.P;
        var theta = x[..nth];
        var beta = x[nth..];
        var state = new FitState
        {
            Layout = layout,
            Options = new GlmmOptions { Family = layout.Family },
            Method = FitMethod.Laplace,
            Theta = theta,
            Beta = beta,
            Covariance = new double[p, p],
            CovarianceSource = CovarianceSource.Pirls,
            Deviance = 0,
            Modes = ModeState.Capture(criterion.System),
            Converged = true,
            Singular = false,
            Warnings = [],
            Evaluations = 0,
            Seconds = 0,
        };
        var local = FitAssembler.Assemble(state);
        var modes = local.ConditionalModes;
        var term = new int[modes.Count];
        int at = 0;
        for (int s = 0; s < model.Random.Terms.Count; s++)
        {
            var t = model.Random.Terms[s];
            for (int k = 0; k < t.LevelCount * t.Q; k++) term[at++] = s;
        }
        var family = layout.Family;
        var mu = state.Modes.Mu;
        var pearson = new double[layout.N];
        for (int i = 0; i < pearson.Length; i++)
            pearson[i] = (layout.Y[i] - mu[i]) * Math.Sqrt(layout.Weights[i] / family.PearsonVariance(mu[i]));
        Array.Sort(pearson);
        return new PartitionResult
        {
            Pearson = pearson,
            Term = term,
            Level = modes.Select(m => m.Level).ToArray(),
            Effect = modes.Select(m => m.Term).ToArray(),
            Mode = modes.Select(m => m.Mode).ToArray(),
            ConditionalSd = modes.Select(m => m.ConditionalSD).ToArray(),
            Worker = worker,
        };
    }

    public Task Unload()
    {
        _criterion = null;
        _layout = null;
        _table = null;
        _spec = null;
        DeactivateOnIdle();
        return Task.CompletedTask;
    }
}
