using System.Text.Json.Nodes;
using CardAp.Edge.Store;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace CardAp.Edge.Tests.Store;

/// <summary>An edge store in a fresh temporary directory, removed on dispose.</summary>
internal sealed class TempStore : IDisposable
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 27, 10, 0, 0, TimeSpan.FromHours(9));

    public TempStore(string terminalId = "131016-T001", Action<EdgeStoreOptions>? configure = null)
    {
        Root = Path.Combine(Path.GetTempPath(), "cardap-store-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Root);
        Options = new EdgeStoreOptions { DatabasePath = Path.Combine(Root, "edge.db"), TerminalId = terminalId };
        configure?.Invoke(Options);
        Database = new EdgeDatabase(Options);
        Records = new LocalRecords(Database);
        Master = new MasterData(Database);
        Outbox = new OutboxState(Database);
        Verifier = new AuditChainVerifier(Database);
    }

    public string Root { get; }

    public EdgeStoreOptions Options { get; }

    public EdgeDatabase Database { get; private set; }

    public LocalRecords Records { get; private set; }

    public MasterData Master { get; private set; }

    public OutboxState Outbox { get; private set; }

    public AuditChainVerifier Verifier { get; private set; }

    public string DatabasePath => Options.ResolveDatabasePath();

    /// <summary>Closes the database and opens it again (as a restart would).</summary>
    public void Reopen()
    {
        Database.Dispose();
        Database = new EdgeDatabase(Options);
        Records = new LocalRecords(Database);
        Master = new MasterData(Database);
        Outbox = new OutboxState(Database);
        Verifier = new AuditChainVerifier(Database);
    }

    /// <summary>A raw, unpooled connection for tampering and inspection.</summary>
    public SqliteConnection Raw(string? path = null)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path ?? DatabasePath, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    public long Scalar(string sql, string? path = null)
    {
        using var connection = Raw(path);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public void Execute(string sql, string? path = null)
    {
        using var connection = Raw(path);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public static NewTransaction Transaction(
        string id, string service = "points", string operation = "accrue", string? member = "M001", string? item = null,
        long? amount = 10, bool training = false, DateTimeOffset? at = null, JsonObject? payload = null) =>
        new(id, at ?? T0, service, operation, "CARD-001", member, "OP01", item, amount, training, payload ?? new JsonObject { ["note"] = "test" });

    public static AuditEntry Audit(string action = "points.accrue", string outcome = "ok", DateTimeOffset? at = null, JsonObject? detail = null) =>
        new(at ?? T0, action, outcome, "OP01", "CARD-001", detail ?? new JsonObject { ["requestId"] = "x" });

    public void Dispose()
    {
        Database.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // best effort
        }
    }
}
