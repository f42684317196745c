using System.Net.Sockets;
using CardAp.Hub.Store;
using Microsoft.Data.Sqlite;
using Npgsql;
using Testcontainers.MsSql;

namespace CardAp.Hub.Tests.Store;

/// <summary>
/// One engine for the contract suite: a database migrated for the test class (<see cref="Database"/>),
/// more fresh databases on demand (<see cref="CreateDatabaseAsync"/>), all removed at the end. When the
/// engine is not available here, every test reports a skip naming what is missing.
/// </summary>
public abstract class HubDatabaseFixture : IAsyncLifetime
{
    private HubDatabase? _database;

    public abstract HubEngine Engine { get; }

    /// <summary>Why this engine cannot run here, or null.</summary>
    protected string? Unavailable { get; set; }

    /// <summary>The class's migrated database; skips the test when the engine is not available.</summary>
    public HubDatabase Database
    {
        get
        {
            SkipIfUnavailable();
            return _database!;
        }
    }

    /// <summary>Another instance on the class's database (like a second hub process).</summary>
    public HubDatabase SecondInstance()
    {
        SkipIfUnavailable();
        return new HubDatabase(Engine, _database!.ConnectionStringForTests);
    }

    /// <summary>A fresh, empty (unmigrated) database, dropped with the fixture.</summary>
    public async Task<HubDatabase> CreateDatabaseAsync()
    {
        SkipIfUnavailable();
        return new HubDatabase(Engine, await CreateEmptyDatabaseAsync());
    }

    public async ValueTask InitializeAsync()
    {
        await StartAsync();
        if (Unavailable is null)
        {
            _database = new HubDatabase(Engine, await CreateEmptyDatabaseAsync());
            await _database.MigrateAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        GC.SuppressFinalize(this);
    }

    protected abstract Task StartAsync();

    protected abstract Task<string> CreateEmptyDatabaseAsync();

    protected abstract Task StopAsync();

    private void SkipIfUnavailable()
    {
        if (Unavailable is not null)
        {
            Assert.Skip(Unavailable);
        }
    }
}

public sealed class SqliteFixture : HubDatabaseFixture
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "cardap-hub-tests-" + Guid.NewGuid().ToString("N"));

    public override HubEngine Engine => HubEngine.Sqlite;

    protected override Task StartAsync()
    {
        Directory.CreateDirectory(_folder);
        return Task.CompletedTask;
    }

    protected override Task<string> CreateEmptyDatabaseAsync() => Task.FromResult(new SqliteConnectionStringBuilder
    {
        DataSource = Path.Combine(_folder, Guid.NewGuid().ToString("N") + ".db"),
        Pooling = false,
    }.ToString());

    protected override Task StopAsync()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
        return Task.CompletedTask;
    }
}

/// <summary>A real PostgreSQL server from CARDAP_POSTGRES (build.ps1 test starts one).</summary>
public sealed class PostgresFixture : HubDatabaseFixture
{
    private readonly List<string> _databases = [];
    private string? _server;

    public override HubEngine Engine => HubEngine.PostgreSql;

    protected override Task StartAsync()
    {
        _server = Environment.GetEnvironmentVariable("CARDAP_POSTGRES");
        if (string.IsNullOrWhiteSpace(_server))
        {
            if (Environment.GetEnvironmentVariable("CARDAP_REQUIRE_POSTGRES") == "1")
            {
                throw new InvalidOperationException("CARDAP_REQUIRE_POSTGRES=1 but CARDAP_POSTGRES is not set: the PostgreSQL contract tests cannot run.");
            }
            Unavailable = "PostgreSQL is not configured: set CARDAP_POSTGRES or run `dotnet pwsh build.ps1 test`";
        }
        return Task.CompletedTask;
    }

    protected override async Task<string> CreateEmptyDatabaseAsync()
    {
        var name = "cardap_hub_test_" + Guid.NewGuid().ToString("N");
        await using (var connection = new NpgsqlConnection(_server))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync();
        }
        _databases.Add(name);
        return new NpgsqlConnectionStringBuilder(_server) { Database = name }.ToString();
    }

    protected override async Task StopAsync()
    {
        if (_databases.Count == 0)
        {
            return;
        }
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_server);
        await connection.OpenAsync();
        foreach (var name in _databases)
        {
            await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
            await command.ExecuteNonQueryAsync();
        }
    }
}

/// <summary>SQL Server in a container (Testcontainers.MsSql) where a Docker engine runs.</summary>
public sealed class SqlServerFixture : HubDatabaseFixture
{
    private MsSqlContainer? _container;
    private int _count;

    public override HubEngine Engine => HubEngine.SqlServer;

    protected override async Task StartAsync()
    {
        if (!DockerEngineAnswers())
        {
            Unavailable = "SQL Server tests need a Docker engine for Testcontainers.MsSql; none is running here";
            return;
        }
        _container = new MsSqlBuilder("mcr.microsoft.com/mssql/server:2022-latest").Build();
        await _container.StartAsync();
    }

    protected override async Task<string> CreateEmptyDatabaseAsync()
    {
        var name = $"cardap_hub_test_{Interlocked.Increment(ref _count)}";
        var server = _container!.GetConnectionString();
        await using (var connection = new Microsoft.Data.SqlClient.SqlConnection(server))
        {
            await connection.OpenAsync();
            await using var command = new Microsoft.Data.SqlClient.SqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync();
        }
        return new Microsoft.Data.SqlClient.SqlConnectionStringBuilder(server) { InitialCatalog = name }.ToString();
    }

    protected override async Task StopAsync()
    {
        if (_container is not null)
        {
            await _container.DisposeAsync();
        }
    }

    private static bool DockerEngineAnswers()
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOCKER_HOST")))
        {
            return true; // Testcontainers reads DOCKER_HOST itself, and fails loudly if it does not answer.
        }
        const string socketPath = "/var/run/docker.sock";
        if (!File.Exists(socketPath))
        {
            return false;
        }
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(socketPath));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
