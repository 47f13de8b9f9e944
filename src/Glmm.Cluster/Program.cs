using System.Net;
using Glmm.Cli;
using Glmm.Cli.Commands;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Glmm.Cluster;

/// <summary>
/// glmm-cluster: the glmm command line with the distributed runtime — <c>serve</c> (a worker) and <c>fit --cluster</c>
/// (a coordinator) — set as <see cref="ClusterHooks"/>; every other verb is glmm's own.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        ClusterHooks.Serve = Serve;
        ClusterHooks.Fit = FitOnCluster;
        return CommandLine.Run(args, Console.Out, Console.Error);
    }

    private static void QuietLogging(ILoggingBuilder logging, LogLevel level)
    {
        logging.ClearProviders();
        logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        logging.SetMinimumLevel(level);
    }

    /// <summary>glmm serve: a silo that joins the cluster and runs until SIGTERM or Ctrl-C, then leaves it cleanly.</summary>
    private static int Serve(ParsedOptions options, TextWriter stderr)
    {
        var url = options.Require(ServeCommand.Membership);
        var membership = Membership.Parse(url);
        var shown = PostgresMembership.Redact(url);
        int port = options.GetInt(ServeCommand.Port, Membership.LocalPrimaryPort);
        int gateway = options.GetInt(ServeCommand.GatewayPort, 30000);
        if (port is <= 0 or > 65535 || gateway is <= 0 or > 65535) throw new GlmmInputException("--port and --gateway-port must be ports (1 to 65535)");
        IPAddress? address = null;
        if (options.Get(ServeCommand.Address) is { } a && !IPAddress.TryParse(a, out address))
            throw new GlmmInputException($"--address '{a}' is not an IP address");
        string name = options.Get(ServeCommand.WorkerName) ?? $"{Dns.GetHostName()}:{port}";
        string clusterId = options.Get(ServeCommand.ClusterId) ?? "glmm";
        membership.Prepare(url);
        var builder = Host.CreateApplicationBuilder();
        QuietLogging(builder.Logging, LogLevel.Error);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        builder.UseOrleans(silo => membership.ConfigureSilo(silo, clusterId, port, gateway, address, name));
        using var host = builder.Build();
        try
        {
            host.Start();
        }
        catch (Exception e) when (e is not GlmmInputException)
        {
            throw new GlmmInputException($"worker {name} could not join the cluster ({shown}): {e.GetType().Name}: {e.Message.Split('\n')[0]}");
        }
        stderr.WriteLine($"glmm: worker {name} joined cluster '{clusterId}' ({shown}); stop it with SIGTERM or Ctrl-C");
        stderr.Flush();
        // The host's console lifetime turns SIGTERM and Ctrl-C into a graceful stop: the silo leaves the membership table.
        host.WaitForShutdown();
        stderr.WriteLine($"glmm: worker {name} left the cluster");
        return 0;
    }

    /// <summary>glmm fit --cluster: the coordinator.</summary>
    private static (GlmmFit, Action<System.Text.Json.Utf8JsonWriter>, string) FitOnCluster(ParsedOptions options, GlmmOptions fitOptions, TextWriter stderr,
        IProgress<FitEvaluation> progress)
    {
        var url = options.Require(FitCommand.Cluster);
        var membership = Membership.Parse(url);
        var shown = PostgresMembership.Redact(url);
        double seconds = options.GetDouble(FitCommand.Timeout, 120);
        if (!(seconds > 0)) throw new GlmmInputException($"--timeout must be a positive number of seconds, not {options.Get(FitCommand.Timeout)}");
        var timeout = TimeSpan.FromSeconds(seconds);
        string clusterId = options.Get(ServeCommand.ClusterId) ?? "glmm";
        membership.Prepare(url);
        var builder = Host.CreateApplicationBuilder();
        QuietLogging(builder.Logging, LogLevel.Critical);
        builder.UseOrleansClient(c => membership.ConfigureClient(c, clusterId, timeout));
        using var host = builder.Build();
        try
        {
            if (!host.StartAsync().Wait(TimeSpan.FromSeconds(60)))
                throw new GlmmInputException($"no worker of cluster '{clusterId}' answered at {shown} within 60 s; start workers with glmm serve --membership {shown}");
        }
        catch (AggregateException e)
        {
            throw new GlmmInputException($"cannot reach cluster '{clusterId}' at {shown}: {e.InnerException?.Message.Split('\n')[0]}; start workers with glmm serve --membership {shown}");
        }
        var fitted = FitWith(host.Services.GetRequiredService<IClusterClient>(), options, fitOptions, timeout, stderr, progress);
        host.StopAsync().Wait(TimeSpan.FromSeconds(10));
        return fitted;
    }

    /// <summary>The coordinator's work once it is connected: the fit, its report line on stderr and the JSON it adds.</summary>
    internal static (GlmmFit, Action<System.Text.Json.Utf8JsonWriter>, string) FitWith(IClusterClient client, ParsedOptions options, GlmmOptions fitOptions,
        TimeSpan timeout, TextWriter stderr, IProgress<FitEvaluation> progress)
    {
        var result = ClusterFitter.Fit(client, options.Require(CommonOptions.Data), options.Require(CommonOptions.Formula), fitOptions, timeout, stderr, progress: progress);
        int workers = result.Workers;
        try
        {
            workers = Math.Max(workers, ActiveHosts(client));
        }
        catch (AggregateException)
        {
            // keep the count of the workers that answered
        }
        var rt = result.Criterion.TotalSeconds;
        int evaluations = Math.Max(result.Criterion.Evaluations, 1);
        stderr.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"glmm: cluster fit: {result.Partitions} partitions on {workers} workers; {result.Criterion.Evaluations} distributed evaluations, {rt.RoundTrip / evaluations * 1000:F1} ms each at the coordinator, {rt.Compute / evaluations * 1000:F1} ms of it the slowest partition's compute; {result.Criterion.Retries} retries"));
        int partitions = result.Partitions;
        return (result.Fit, w =>
        {
            w.WriteNumber("workers", workers);
            w.WriteNumber("partitions", partitions);
        }, "");
    }

    private static int ActiveHosts(IClusterClient client) =>
        client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true).GetAwaiter().GetResult().Count;
}
