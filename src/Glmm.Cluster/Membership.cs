using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using StackExchange.Redis;

namespace Glmm.Cluster;

/// <summary>
/// Where the members of a cluster find each other: <c>localhost</c> (development: Orleans' localhost clustering, the
/// worker on the primary port 11111 is the primary, coordinators try the gateways 30000–30009) or
/// <c>redis://HOST:PORT</c> (Orleans' Redis clustering provider: the membership table lives in a Redis server every
/// machine reaches) or <c>postgres://USER:PASS@HOST:PORT/DB</c> (Orleans' ADO.NET clustering provider with Npgsql: the
/// membership table lives in a PostgreSQL database, created there on first use; <see cref="PostgresMembership"/>). Failure detection is set tighter than Orleans' defaults so that a dead worker is declared dead
/// (and its partitions reactivated elsewhere) within seconds.
/// </summary>
internal sealed record Membership(string Kind, string? Redis, int[] LocalGateways, string? Postgres = null)
{
    /// <summary>The primary silo's port with localhost clustering.</summary>
    public const int LocalPrimaryPort = 11111;

    /// <summary>Parses --membership / --cluster.</summary>
    public static Membership Parse(string url)
    {
        url = url.Trim();
        if (url == "localhost") return new Membership("localhost", null, [30000]);
        if (url.StartsWith("localhost:", StringComparison.Ordinal))
        {
            var ports = url["localhost:".Length..].Split(',').Select(s => int.TryParse(s, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int v) && v is > 0 and < 65536 ? v
                : throw new GlmmInputException($"'{url}': the gateway ports after localhost: must be numbers separated by commas")).ToArray();
            return new Membership("localhost", null, ports);
        }
        if (url.StartsWith("redis://", StringComparison.Ordinal))
        {
            var hostPort = url["redis://".Length..].TrimEnd('/');
            if (hostPort.Length == 0) throw new GlmmInputException($"'{url}' names no Redis server; give redis://HOST:PORT");
            return new Membership("redis", hostPort, []);
        }
        if (url.StartsWith("postgres://", StringComparison.Ordinal) || url.StartsWith("postgresql://", StringComparison.Ordinal))
            return new Membership("postgres", null, [], PostgresMembership.ConnectionString(url));
        throw new GlmmInputException($"unknown membership '{PostgresMembership.Redact(url)}'; give redis://HOST:PORT, postgres://USER:PASS@HOST:PORT/DB or localhost");
    }

    /// <summary>Configures a worker (silo).</summary>
    public void ConfigureSilo(ISiloBuilder silo, string clusterId, int port, int gatewayPort, IPAddress? address, string name)
    {
        if (Kind == "localhost")
            silo.UseLocalhostClustering(port, gatewayPort, new IPEndPoint(IPAddress.Loopback, LocalPrimaryPort), serviceId: "glmm", clusterId: clusterId);
        else
        {
            if (Kind == "postgres")
                silo.UseAdoNetClustering(o => { o.Invariant = PostgresMembership.Invariant; o.ConnectionString = Postgres; });
            else silo.UseRedisClustering(o => o.ConfigurationOptions = RedisOptions());
            silo.Configure<ClusterOptions>(o => { o.ClusterId = clusterId; o.ServiceId = "glmm"; });
            silo.ConfigureEndpoints(address ?? ReachableAddress(), port, gatewayPort, listenOnAnyHostAddress: true);
        }
        silo.Configure<SiloOptions>(o => o.SiloName = name);
        silo.Configure<ClusterMembershipOptions>(o =>
        {
            o.ProbeTimeout = TimeSpan.FromSeconds(2);
            o.NumMissedProbesLimit = 2;
            o.NumVotesForDeathDeclaration = 1;
            o.TableRefreshTimeout = TimeSpan.FromSeconds(2);
            o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(5);
        });
    }

    /// <summary>Configures a coordinator (client).</summary>
    public void ConfigureClient(IClientBuilder client, string clusterId, TimeSpan responseTimeout)
    {
        if (Kind == "localhost") client.UseLocalhostClustering(LocalGateways, serviceId: "glmm", clusterId: clusterId);
        else
        {
            if (Kind == "postgres")
                client.UseAdoNetClustering(o => { o.Invariant = PostgresMembership.Invariant; o.ConnectionString = Postgres; });
            else client.UseRedisClustering(o => o.ConfigurationOptions = RedisOptions());
            client.Configure<ClusterOptions>(o => { o.ClusterId = clusterId; o.ServiceId = "glmm"; });
        }
        client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = responseTimeout);
        client.Services.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(2));
    }

    /// <summary>What must exist before a member joins: the PostgreSQL membership tables (created when absent).</summary>
    public void Prepare(string url)
    {
        if (Kind != "postgres") return;
        PostgresMembership.RegisterProvider();
        PostgresMembership.EnsureSchema(Postgres!, url);
    }

    private ConfigurationOptions RedisOptions()
    {
        var o = ConfigurationOptions.Parse(Redis!);
        o.AbortOnConnectFail = false;
        return o;
    }

    private static IPAddress ReachableAddress()
    {
        foreach (var a in Dns.GetHostAddresses(Dns.GetHostName()))
            if (a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a)) return a;
        return IPAddress.Loopback;
    }
}
