namespace Glmm.Cluster;

/// <summary>What a partition grain needs to build its part of the model: the file, the model and the coordinator's encoding.</summary>
[GenerateSerializer]
public sealed class PartitionSpec
{
    /// <summary>The part's file (a path every worker can read).</summary>
    [Id(0)] public string Path { get; set; } = "";

    /// <summary>The model formula.</summary>
    [Id(1)] public string Formula { get; set; } = "";

    /// <summary>The prior-weights column, or null.</summary>
    [Id(2)] public string? WeightsColumn { get; set; }

    /// <summary>The family's name.</summary>
    [Id(3)] public string Family { get; set; } = "binomial";

    /// <summary>The link's name, or null for the family's default.</summary>
    [Id(4)] public string? Link { get; set; }

    /// <summary>Observed (true) or expected information in the Laplace approximation.</summary>
    [Id(5)] public bool Observed { get; set; } = true;

    /// <summary>The whole data set's levels of each factor variable.</summary>
    [Id(6)] public Dictionary<string, string[]> Levels { get; set; } = new();

    /// <summary>The numeric variables.</summary>
    [Id(7)] public string[] Numeric { get; set; } = [];

    /// <summary>The fixed-effects columns, in order.</summary>
    [Id(8)] public string[] FixedNames { get; set; } = [];

    /// <summary>The engine's column divisors of X.</summary>
    [Id(9)] public double[] Scaling { get; set; } = [];

    /// <summary>Threads the partition's sweeps use (0: all cores of the worker).</summary>
    [Id(10)] public int Threads { get; set; } = 1;

    /// <summary>Whether the criterion has its exact gradient.</summary>
    [Id(11)] public bool WithGradient { get; set; }
}

/// <summary>A part's own view of itself before the coordinator's encoding exists.</summary>
[GenerateSerializer]
public sealed class PartitionDescription
{
    /// <summary>Levels of each factor variable among the part's rows used.</summary>
    [Id(0)] public Dictionary<string, string[]> Levels { get; set; } = new();

    /// <summary>The numeric variables.</summary>
    [Id(1)] public string[] Numeric { get; set; } = [];

    /// <summary>Rows used.</summary>
    [Id(2)] public int Rows { get; set; }

    /// <summary>Rows dropped for missing values.</summary>
    [Id(3)] public int DroppedRows { get; set; }

    /// <summary>Per random-effect term: its grouping factor and column names, "group|name1,name2".</summary>
    [Id(4)] public string[] Terms { get; set; } = [];

    /// <summary>Per random-effect term: its levels in this part.</summary>
    [Id(5)] public int[] TermLevels { get; set; } = [];

    /// <summary>The worker that answered.</summary>
    [Id(6)] public string Worker { get; set; } = "";

    /// <summary>The family's warnings about this part's response.</summary>
    [Id(7)] public string[] Warnings { get; set; } = [];

    /// <summary>Why rows were dropped.</summary>
    [Id(8)] public string DroppedReason { get; set; } = "";
}

/// <summary>One evaluation of the partial criterion.</summary>
[GenerateSerializer]
public sealed class EvaluationRequest
{
    /// <summary>The parameters (θ, β).</summary>
    [Id(0)] public double[] X { get; set; } = [];

    /// <summary>Also the gradient.</summary>
    [Id(1)] public bool Gradient { get; set; }

    /// <summary>Start PIRLS from the modes saved last (the convergence check's evaluations).</summary>
    [Id(2)] public bool RestoreSaved { get; set; }
}

/// <summary>A partition's contribution to one evaluation.</summary>
[GenerateSerializer]
public sealed class PartialEvaluation
{
    /// <summary>False when the grain had not loaded its part (a new activation): the coordinator loads it and asks again.</summary>
    [Id(0)] public bool Loaded { get; set; }

    /// <summary>The part's deviance contribution.</summary>
    [Id(1)] public double Value { get; set; }

    /// <summary>The part's gradient contribution (empty without one).</summary>
    [Id(2)] public double[] Gradient { get; set; } = [];

    /// <summary>The part's sweeps so far.</summary>
    [Id(3)] public int Sweeps { get; set; }

    /// <summary>The worker that evaluated it.</summary>
    [Id(4)] public string Worker { get; set; } = "";

    /// <summary>Seconds the evaluation took on the worker.</summary>
    [Id(5)] public double Seconds { get; set; }
}

/// <summary>What a partition gives for the result at the estimates.</summary>
[GenerateSerializer]
public sealed class PartitionResult
{
    /// <summary>Pearson residuals (as the fit's scaled residuals), sorted.</summary>
    [Id(0)] public double[] Pearson { get; set; } = [];

    /// <summary>Conditional modes: term index per entry.</summary>
    [Id(1)] public int[] Term { get; set; } = [];

    /// <summary>Conditional modes: level name.</summary>
    [Id(2)] public string[] Level { get; set; } = [];

    /// <summary>Conditional modes: effect name.</summary>
    [Id(3)] public string[] Effect { get; set; } = [];

    /// <summary>Conditional modes: mode.</summary>
    [Id(4)] public double[] Mode { get; set; } = [];

    /// <summary>Conditional modes: conditional SD.</summary>
    [Id(5)] public double[] ConditionalSd { get; set; } = [];

    /// <summary>The worker.</summary>
    [Id(6)] public string Worker { get; set; } = "";
}

/// <summary>One part of a partitioned data set, evaluated where Orleans places it (key: fit id/part index).</summary>
public interface IPartitionGrain : IGrainWithStringKey
{
    /// <summary>Reads the part and describes it with its own levels (the coordinator merges them into the encoding).</summary>
    Task<PartitionDescription> Describe(string path, string formula, string? weightsColumn, string family, string? link);

    /// <summary>Builds the part's model with the coordinator's encoding (reading the part if this activation has not).</summary>
    Task<string> Load(PartitionSpec spec);

    /// <summary>The part's criterion (and gradient) at x; Loaded = false when this activation has no part loaded.</summary>
    Task<PartialEvaluation> Evaluate(EvaluationRequest request);

    /// <summary>Saves the current modes (restored by requests with <see cref="EvaluationRequest.RestoreSaved"/>).</summary>
    Task SaveModes();

    /// <summary>The part's residuals and conditional modes at (θ, β), PIRLS from the saved modes.</summary>
    Task<PartitionResult> Finish(double[] x);

    /// <summary>Drops the part and deactivates.</summary>
    Task Unload();
}
