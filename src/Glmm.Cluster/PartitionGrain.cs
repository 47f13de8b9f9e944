using System.Diagnostics;
using Glmm.Fitting;
using Glmm.Model;

namespace Glmm.Cluster;

/// <summary>
/// One part of a partitioned data set on a worker: reads its file, builds its part of the model with the coordinator's
/// encoding and evaluates its partial Laplace criterion and gradient — the criterion of a model whose random effects
/// hang off one grouping factor (and nested below it) is a sum over top-level clusters, hence over parts. The PIRLS state
/// (the modes that warm-start the next evaluation) lives here; a new activation (after its worker died) reloads the part
/// when the coordinator sends the spec again.
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

    private DataTable Table(string path)
    {
        if (_table is null || _tablePath != path)
        {
            _table = TableReader.Read(path);
            _tablePath = path;
        }
        return _table;
    }

    public Task<PartitionDescription> Describe(string path, string formula, string? weightsColumn, string family, string? link)
    {
        var table = Table(path);
        var model = ModelBuilder.Build(formula, table, new ModelBuildOptions { WeightsColumn = weightsColumn, PartOfLargerData = true });
        var f = Families.Family.Create(family, link);
        return Task.FromResult(new PartitionDescription
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
        });
    }

    public Task<string> Load(PartitionSpec spec)
    {
        var table = Table(spec.Path);
        var encoding = new ModelEncoding(spec.Levels.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value, StringComparer.Ordinal),
            spec.Numeric, new Dictionary<string, ScaleParameters>());
        var model = PartitionModel.Build(spec.Formula, table, encoding, spec.FixedNames, spec.WeightsColumn);
        var scaled = FixedEffectsScaling.FromFactors(spec.Scaling).Apply(model);
        var family = Families.Family.Create(spec.Family, spec.Link).ForFit();
        _layout = new EngineLayout(scaled, family);
        _criterion = new LaplaceCriterion(_layout, spec.Threads, spec.Observed, spec.WithGradient);
        _spec = spec;
        _saved = null;
        return Task.FromResult(Worker);
    }

    public Task<PartialEvaluation> Evaluate(EvaluationRequest request)
    {
        if (_criterion is null) return Task.FromResult(new PartialEvaluation { Loaded = false, Worker = Worker });
        var clock = Stopwatch.StartNew();
        if (request.RestoreSaved && _saved is not null) _criterion.RestoreModes(_saved);
        double value;
        double[] gradient = [];
        if (request.Gradient)
        {
            gradient = new double[request.X.Length];
            value = _criterion.Evaluate(request.X, gradient);
        }
        else value = _criterion.Evaluate(request.X);
        return Task.FromResult(new PartialEvaluation
        {
            Loaded = true,
            Value = value,
            Gradient = gradient,
            Sweeps = _criterion.Sweeps,
            Worker = Worker,
            Seconds = clock.Elapsed.TotalSeconds,
        });
    }

    public Task SaveModes()
    {
        if (_criterion is not null) _saved = _criterion.SaveModes();
        return Task.CompletedTask;
    }

    public Task<PartitionResult> Finish(double[] x)
    {
        if (_criterion is null || _layout is null || _spec is null) throw new InvalidOperationException("the partition is not loaded");
        if (_saved is not null) _criterion.RestoreModes(_saved);
        _criterion.Evaluate(x);
        var layout = _layout;
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
            Modes = ModeState.Capture(_criterion.System),
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
        return Task.FromResult(new PartitionResult
        {
            Pearson = pearson,
            Term = term,
            Level = modes.Select(m => m.Level).ToArray(),
            Effect = modes.Select(m => m.Term).ToArray(),
            Mode = modes.Select(m => m.Mode).ToArray(),
            ConditionalSd = modes.Select(m => m.ConditionalSD).ToArray(),
            Worker = Worker,
        });
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
