using System.Globalization;
using CardAp.Hub.Store;
using CardAp.Hub.Store.Sync;
using CardAp.Hub.Tests.Store;
using CardAp.Shared.Domain;
using CardAp.Sync.Contracts;
using Npgsql;

namespace CardAp.Hub.Tests.Sync;

/// <summary>
/// Many terminals pushing at once to a hub on PostgreSQL. Before the hub sized its own pool,
/// Npgsql's default of 100 connections met PostgreSQL's default max_connections of 100: the load
/// run's 1,000 terminals got "sorry, too many clients already" as failed calls.
/// </summary>
public sealed class PushConcurrencyTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private static readonly MunicipalityCode Chiyoda = MunicipalityCode.Parse("131016");
    private const int Records = 20;

    [Fact]
    public void The_hub_sizes_its_postgres_pool_and_wait_unless_the_connection_string_does()
    {
        var dialect = SqlDialect.For(HubEngine.PostgreSql);

        using var defaults = dialect.CreateConnection("Host=127.0.0.1;Database=hub");
        var builder = new NpgsqlConnectionStringBuilder(defaults.ConnectionString);
        Assert.Equal(SqlDialect.PostgresDefaultMaxPoolSize, builder.MaxPoolSize);
        Assert.Equal(SqlDialect.PostgresDefaultTimeoutSeconds, builder.Timeout);

        using var own = dialect.CreateConnection("Host=127.0.0.1;Database=hub;MaxPoolSize=50;timeout=5");
        builder = new NpgsqlConnectionStringBuilder(own.ConnectionString);
        Assert.Equal(50, builder.MaxPoolSize);
        Assert.Equal(5, builder.Timeout);

        using var minimum = dialect.CreateConnection("Host=127.0.0.1;Database=hub;Minimum Pool Size=40");
        Assert.Equal(40, new NpgsqlConnectionStringBuilder(minimum.ConnectionString).MaxPoolSize);
    }

    [Fact]
    public async Task More_terminals_pushing_at_once_than_the_server_takes_connections_all_get_stored_exactly_once()
    {
        var cancel = TestContext.Current.CancellationToken;
        var database = await postgres.CreateDatabaseAsync();
        await database.MigrateAsync(cancel);
        await new MunicipalityStore(database).AddAsync(Chiyoda, "千代田区", cancel);
        int serverLimit;
        await using (var connection = new NpgsqlConnection(database.ConnectionStringForTests))
        {
            await connection.OpenAsync(cancel);
            await using var command = new NpgsqlCommand("SHOW max_connections", connection);
            serverLimit = int.Parse((string)(await command.ExecuteScalarAsync(cancel))!, CultureInfo.InvariantCulture);
        }
        // More pushes under way at once than the server has connections: each would hold one.
        var terminals = Enumerable.Range(1, Math.Max(150, serverLimit + 50)).Select(i => $"131016-P{i:0000}").ToList();
        var ingest = new SyncIngest(database);
        using var start = new SemaphoreSlim(0);

        var pushes = terminals.Select(terminal => Task.Run(async () =>
        {
            await start.WaitAsync(cancel);
            var first = await ingest.PushAsync(Chiyoda, terminal, SyncRecords.Push(SyncRecords.Transactions(1, Records / 2)), cancel);
            var second = await ingest.PushAsync(Chiyoda, terminal, SyncRecords.Push(SyncRecords.Transactions(Records / 2 + 1, Records)), cancel);
            return (first, second);
        }, cancel)).ToList();
        start.Release(terminals.Count);
        var outcomes = await Task.WhenAll(pushes);

        Assert.All(outcomes, o =>
        {
            Assert.Equal(Records / 2, o.first.AcknowledgedThrough);
            Assert.Equal(Records, o.second.AcknowledgedThrough);
            Assert.Equal(Records / 2, o.first.Stored);
            Assert.Equal(Records / 2, o.second.Stored);
        });
        await using var check = new NpgsqlConnection(database.ConnectionStringForTests);
        await check.OpenAsync(cancel);
        await using (var command = new NpgsqlCommand("SELECT count(*), count(DISTINCT terminal), max(seq) FROM edge_transactions", check))
        await using (var reader = await command.ExecuteReaderAsync(cancel))
        {
            Assert.True(await reader.ReadAsync(cancel));
            Assert.Equal((long)terminals.Count * Records, reader.GetInt64(0));
            Assert.Equal(terminals.Count, reader.GetInt64(1));
            Assert.Equal(Records, reader.GetInt64(2));
        }
        await using (var command = new NpgsqlCommand("SELECT count(*) FROM usage_records", check))
        {
            Assert.Equal((long)terminals.Count * Records, (long)(await command.ExecuteScalarAsync(cancel))!);
        }
        // The pool keeps its connections open when idle: what is open now is what the pushes used at most.
        await using (var command = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()", check))
        {
            Assert.InRange((long)(await command.ExecuteScalarAsync(cancel))!, 1, SqlDialect.PostgresDefaultMaxPoolSize);
        }
    }
}
