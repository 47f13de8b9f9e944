namespace Glmm.Cli.Commands;

/// <summary><c>glmm serve</c>: a worker of a cluster for distributed fits (run by glmm-cluster; see <see cref="ClusterHooks"/>).</summary>
internal sealed class ServeCommand : Command
{
    /// <summary>--membership: redis://HOST:PORT, postgres://USER:PASSWORD@HOST:PORT/DATABASE or localhost.</summary>
    public static readonly OptionSpec Membership = new("membership", "URL",
        "cluster membership: redis://HOST:PORT, postgres://USER:PASSWORD@HOST:PORT/DATABASE, or localhost (development: one machine, the first worker on the default ports is the primary)")
    { Required = true };

    /// <summary>--port: the worker's silo port.</summary>
    public static readonly OptionSpec Port = new("port", "N", "silo-to-silo port of this worker") { Default = "11111" };

    /// <summary>--gateway-port: the port coordinators connect to.</summary>
    public static readonly OptionSpec GatewayPort = new("gateway-port", "N", "gateway port coordinators connect to") { Default = "30000" };

    /// <summary>--address: the address other machines reach this worker at.</summary>
    public static readonly OptionSpec Address = new("address", "IP", "address other machines reach this worker at (default: this machine's first non-loopback address; 127.0.0.1 with localhost)");

    /// <summary>--name: the worker's name in reports.</summary>
    public static readonly OptionSpec WorkerName = new("name", "NAME", "the worker's name in reports (default: host:port)");

    /// <summary>--cluster-id: the cluster's id in the membership table.</summary>
    public static readonly OptionSpec ClusterId = new("cluster-id", "ID", "cluster id shared by the workers and coordinators of one cluster") { Default = "glmm" };

    public override string Name => "serve";

    public override string Summary => "run a worker of a cluster for distributed fits (glmm fit --cluster)";

    public override string Description =>
        "Starts an Orleans silo that joins the cluster named by --membership and serves the partitions of distributed\n" +
        "fits until stopped; SIGTERM (or Ctrl-C) leaves the cluster cleanly. Needs glmm-cluster beside glmm.";

    public override IReadOnlyList<OptionSpec> Options { get; } = new[] { Membership, Port, GatewayPort, Address, WorkerName, ClusterId, CommonOptions.Threads };

    public override int Execute(ParsedOptions options, TextWriter stdout, TextWriter stderr)
    {
        var serve = ClusterHooks.Serve ?? throw new GlmmInputException($"glmm serve needs the {ClusterHooks.Executable} executable beside glmm");
        return serve(options, stderr);
    }
}
