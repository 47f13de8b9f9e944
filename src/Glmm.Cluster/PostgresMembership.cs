using System.Data.Common;
using System.Globalization;
using Npgsql;

namespace Glmm.Cluster;

/// <summary>
/// Membership in a PostgreSQL database through Orleans' ADO.NET clustering provider: <c>postgres://USER:PASS@HOST:PORT/DB</c>
/// (or <c>postgresql://</c>; PORT defaults to 5432, USER and PASS percent-encoded as in any URL, <c>?sslmode=require</c> and
/// other Npgsql connection keywords after a <c>?</c>). The provider's tables and the statements it reads from
/// <c>OrleansQuery</c> (PostgresMembership.sql, embedded) are created on first use when they are absent, under an advisory
/// lock so that workers starting together do not race.
/// </summary>
internal static class PostgresMembership
{
    /// <summary>The ADO.NET invariant name Orleans looks the provider factory up by.</summary>
    public const string Invariant = "Npgsql";

    /// <summary>An arbitrary key of the advisory lock the schema is created under.</summary>
    private const long SchemaLock = 0x676C6D6D_6F726C;

    /// <summary>The Npgsql connection string of a postgres:// URL.</summary>
    public static string ConnectionString(string url)
    {
        int scheme = url.IndexOf("://", StringComparison.Ordinal);
        if (!Uri.TryCreate("postgres" + url[scheme..], UriKind.Absolute, out var uri) || uri.Host.Length == 0)
            throw new GlmmInputException($"'{Redact(url)}' is not a PostgreSQL URL; give postgres://USER:PASS@HOST:PORT/DB");
        var database = Uri.UnescapeDataString(uri.AbsolutePath.Trim('/'));
        if (database.Length == 0 || database.Contains('/'))
            throw new GlmmInputException($"'{Redact(url)}' names no database; give postgres://USER:PASS@HOST:PORT/DB");
        var b = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host.Trim('[', ']'),
            Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port,
            Database = database,
            Timeout = 15,
        };
        if (uri.UserInfo.Length > 0)
        {
            int colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            b.Username = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            if (colon >= 0) b.Password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
        }
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
            var value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]);
            try
            {
                b[key] = value;
            }
            catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException)
            {
                throw new GlmmInputException($"'{key}={value}' in the PostgreSQL URL is not an Npgsql connection setting ({e.Message.Split('\n')[0]})");
            }
        }
        return b.ConnectionString;
    }

    /// <summary>The URL without its password (for messages).</summary>
    public static string Redact(string url)
    {
        int scheme = url.IndexOf("://", StringComparison.Ordinal);
        int at = url.LastIndexOf('@');
        if (scheme < 0 || at < scheme) return url;
        int colon = url.IndexOf(':', scheme + 3);
        return colon > 0 && colon < at ? url[..(colon + 1)] + "***" + url[at..] : url;
    }

    /// <summary>Registers Npgsql as the provider factory Orleans asks for by <see cref="Invariant"/>.</summary>
    public static void RegisterProvider()
    {
        if (!DbProviderFactories.TryGetFactory(Invariant, out _)) DbProviderFactories.RegisterFactory(Invariant, NpgsqlFactory.Instance);
    }

    /// <summary>Creates the membership tables and statements if they are absent (idempotent).</summary>
    public static void EnsureSchema(string connectionString, string url)
    {
        var where = new NpgsqlConnectionStringBuilder(connectionString);
        string server = string.Create(CultureInfo.InvariantCulture, $"{where.Host}:{where.Port}, database {where.Database}");
        try
        {
            using var connection = new NpgsqlConnection(connectionString);
            connection.Open();
            using var transaction = connection.BeginTransaction();
            using (var lockCommand = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({SchemaLock.ToString(CultureInfo.InvariantCulture)})", connection, transaction))
                lockCommand.ExecuteNonQuery();
            using (var create = new NpgsqlCommand(Script(), connection, transaction))
                create.ExecuteNonQuery();
            transaction.Commit();
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or System.Net.Sockets.SocketException or TimeoutException)
        {
            throw new GlmmInputException($"cannot use the PostgreSQL membership database ({server}, from {Redact(url)}): {e.Message.Split('\n')[0].Trim()}");
        }
    }

    private static string Script()
    {
        using var stream = typeof(PostgresMembership).Assembly.GetManifestResourceStream("Glmm.Cluster.PostgresMembership.sql")
            ?? throw new InvalidOperationException("the embedded PostgresMembership.sql is missing");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
