using Npgsql;

namespace Glmm.Cluster.Tests;

public class MembershipTests
{
    [Fact]
    public void PostgresUrl_BecomesTheNpgsqlConnection()
    {
        var m = Membership.Parse("postgres://orleans:s%40cret%3A1@db.example:6543/glmm_members?sslmode=require");
        Assert.Equal("postgres", m.Kind);
        var b = new NpgsqlConnectionStringBuilder(m.Postgres);
        Assert.Equal("db.example", b.Host);
        Assert.Equal(6543, b.Port);
        Assert.Equal("glmm_members", b.Database);
        Assert.Equal("orleans", b.Username);
        Assert.Equal("s@cret:1", b.Password);
        Assert.Equal(SslMode.Require, b.SslMode);
    }

    [Fact]
    public void PostgresUrl_DefaultPortAndSchemeAlias()
    {
        var b = new NpgsqlConnectionStringBuilder(Membership.Parse("postgresql://u:p@10.0.0.5/d").Postgres);
        Assert.Equal("10.0.0.5", b.Host);
        Assert.Equal(5432, b.Port);
        Assert.Equal("d", b.Database);
    }

    [Theory]
    [InlineData("postgres://u:p@host:5432", "names no database")]
    [InlineData("postgres://u:p@host:5432/", "names no database")]
    [InlineData("postgres://", "is not a PostgreSQL URL")]
    [InlineData("postgres://u:p@host/db?nosuchsetting=1", "nosuchsetting")]
    [InlineData("mysql://u:p@host/db", "unknown membership")]
    public void BadUrls_OneLine(string url, string expected)
    {
        var e = Assert.Throws<GlmmInputException>(() => Membership.Parse(url));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Messages_HideThePassword()
    {
        Assert.Equal("postgres://glmm:***@127.0.0.1:5432/glmm", PostgresMembership.Redact("postgres://glmm:hunter2@127.0.0.1:5432/glmm"));
        Assert.Equal("postgres://glmm@h/d", PostgresMembership.Redact("postgres://glmm@h/d"));
        Assert.Equal("redis://h:6379", PostgresMembership.Redact("redis://h:6379"));
        var e = Assert.Throws<GlmmInputException>(() => Membership.Parse("postgres://glmm:hunter2@h:5432"));
        Assert.DoesNotContain("hunter2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SchemaScript_IsEmbeddedAndIdempotent()
    {
        using var stream = typeof(PostgresMembership).Assembly.GetManifestResourceStream("Glmm.Cluster.PostgresMembership.sql");
        Assert.NotNull(stream);
        var sql = new StreamReader(stream!).ReadToEnd();
        // Every statement may run again on a database that has the tables.
        Assert.DoesNotMatch(@"CREATE TABLE (?!IF NOT EXISTS)", sql);
        Assert.DoesNotMatch(@"CREATE FUNCTION", sql);
        Assert.Contains("ON CONFLICT (QueryKey) DO NOTHING", sql, StringComparison.Ordinal);
        // The statements the provider reads by key.
        foreach (var key in new[] { "UpdateIAmAlivetimeKey", "InsertMembershipVersionKey", "InsertMembershipKey", "UpdateMembershipKey",
            "MembershipReadRowKey", "MembershipReadAllKey", "DeleteMembershipTableEntriesKey", "GatewaysQueryKey",
            "CleanupDefunctSiloEntriesKey", "CleanupDefunctSiloEntryKey" })
            Assert.Contains("'" + key + "'", sql, StringComparison.Ordinal);
    }

    [Fact]
    public void UnreachableDatabase_OneLineNamingIt()
    {
        // A port on this machine that nothing listens on: the connection is refused at once.
        var m = Membership.Parse("postgres://u:secret@127.0.0.1:1/glmm");
        var e = Assert.Throws<GlmmInputException>(() => m.Prepare("postgres://u:secret@127.0.0.1:1/glmm"));
        Assert.Contains("127.0.0.1:1, database glmm", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }
}
