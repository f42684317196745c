using Npgsql;
using Xunit;

namespace CardAp.Testing;

/// <summary>
/// A database of its own on the PostgreSQL server that CARDAP_POSTGRES names (`build.ps1 test` starts a
/// throw-away server and sets it, with CARDAP_REQUIRE_POSTGRES=1), dropped on dispose. Without a server the
/// test fails when one is required and otherwise reports a skip naming why, so it never passes silently.
/// </summary>
public sealed class PostgresTestDatabase : IAsyncDisposable
{
    public const string ServerVariable = "CARDAP_POSTGRES";
    public const string RequiredVariable = "CARDAP_REQUIRE_POSTGRES";

    private readonly string _server;

    private PostgresTestDatabase(string server, string name)
    {
        _server = server;
        Name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(server) { Database = name }.ToString();
    }

    public string Name { get; }

    /// <summary>The server's connection string with this database.</summary>
    public string ConnectionString { get; }

    /// <summary>Creates an empty database named <paramref name="prefix"/> and a random suffix; fails or skips when no server is configured.</summary>
    public static async Task<PostgresTestDatabase> CreateAsync(string prefix, CancellationToken cancellationToken)
    {
        var server = Environment.GetEnvironmentVariable(ServerVariable);
        if (string.IsNullOrWhiteSpace(server))
        {
            Assert.False(Environment.GetEnvironmentVariable(RequiredVariable) == "1", $"{RequiredVariable}=1 but {ServerVariable} is not set");
            Assert.Skip($"PostgreSQL is not configured: set {ServerVariable} or run `dotnet pwsh build.ps1 test`");
        }
        var name = prefix + Guid.NewGuid().ToString("N");
        await using var connection = new NpgsqlConnection(server);
        await connection.OpenAsync(cancellationToken);
        await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await create.ExecuteNonQueryAsync(cancellationToken);
        return new PostgresTestDatabase(server, name);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_server);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
