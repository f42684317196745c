using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace CardAp.SystemTests;

/// <summary>A transaction as a store holds it (the hub's edge_transactions, the edge's transactions).</summary>
internal sealed record StoredRecord(long Seq, string RequestId, string Service, string Operation, string? CardRef, string? Member, bool Offline, bool Training);

/// <summary>A usage record at the hub: what the reports count.</summary>
internal sealed record UsageRow(string Stream, long Seq, string Service, string Operation, string Outcome, string? Reason, bool Offline);

/// <summary>A master-data row; payloads are compared as JSON, not as text.</summary>
internal sealed record MasterRowView(string Kind, string Key, long Version, string Payload)
{
    public bool SameAs(MasterRowView other) =>
        Kind == other.Kind && Key == other.Key && Version == other.Version && JsonNode.DeepEquals(JsonNode.Parse(Payload), JsonNode.Parse(other.Payload));

    public override string ToString() => $"{Kind}/{Key}@{Version}";
}

/// <summary>The hub's PostgreSQL database read directly, as an auditor would: what it really holds.</summary>
internal sealed class HubRecords(string connectionString)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>The municipality's last master change sequence: the checkpoint a caught-up terminal holds.</summary>
    public Task<long> LastSeqAsync(string municipality) =>
        ScalarAsync("SELECT last_seq FROM municipality_sequences WHERE municipality = @m", ("m", municipality));

    public async Task<IReadOnlyList<StoredRecord>> TransactionsAsync(string terminal)
    {
        var rows = new List<StoredRecord>();
        await ReadAsync("SELECT seq, request_id, service, operation, card_ref, member, offline, training FROM edge_transactions WHERE terminal = @t ORDER BY seq",
            r => rows.Add(new StoredRecord(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), Text(r, 4), Text(r, 5), r.GetBoolean(6), r.GetBoolean(7))),
            ("t", terminal));
        return rows;
    }

    /// <summary>The terminal's audit log as the hub holds it: sequence and hash (lower-case hex).</summary>
    public async Task<IReadOnlyList<(long Seq, string Hash)>> AuditAsync(string terminal)
    {
        var rows = new List<(long, string)>();
        await ReadAsync("SELECT seq, hash FROM edge_audit WHERE terminal = @t ORDER BY seq",
            r => rows.Add((r.GetInt64(0), r.GetString(1).ToLowerInvariant())), ("t", terminal));
        return rows;
    }

    public Task<long> TelemetryCountAsync(string terminal) =>
        ScalarAsync("SELECT count(*) FROM edge_telemetry WHERE terminal = @t", ("t", terminal));

    public async Task<IReadOnlyList<UsageRow>> UsageAsync(string terminal)
    {
        var rows = new List<UsageRow>();
        await ReadAsync("SELECT stream, seq, service, operation, outcome, reason, offline FROM usage_records WHERE terminal = @t AND NOT training ORDER BY stream, seq",
            r => rows.Add(new UsageRow(r.GetString(0), r.GetInt64(1), r.GetString(2), r.GetString(3), r.GetString(4), Text(r, 5), r.GetBoolean(6))),
            ("t", terminal));
        return rows;
    }

    /// <summary>How far the hub holds each of the terminal's streams.</summary>
    public async Task<IReadOnlyDictionary<string, long>> StreamPositionsAsync(string terminal)
    {
        var positions = new Dictionary<string, long>(StringComparer.Ordinal);
        await ReadAsync("SELECT stream, through_seq FROM sync_streams WHERE terminal = @t", r => positions[r.GetString(0)] = r.GetInt64(1), ("t", terminal));
        return positions;
    }

    /// <summary>The hub's decisions on the terminal's online-only transactions.</summary>
    public async Task<IReadOnlyList<(long Seq, bool Accepted)>> DecisionsAsync(string terminal)
    {
        var rows = new List<(long, bool)>();
        await ReadAsync("SELECT seq, accepted FROM sync_decisions WHERE terminal = @t ORDER BY seq", r => rows.Add((r.GetInt64(0), r.GetBoolean(1))), ("t", terminal));
        return rows;
    }

    /// <summary>Every quarantined record, of any terminal: "terminal stream seq: reason".</summary>
    public async Task<IReadOnlyList<string>> QuarantineAsync()
    {
        var rows = new List<string>();
        await ReadAsync("SELECT terminal, stream, seq, reason FROM sync_quarantine ORDER BY terminal, stream, seq",
            r => rows.Add($"{r.GetString(0)} {r.GetString(1)} {r.GetInt64(2)}: {r.GetString(3)}"));
        return rows;
    }

    private static string? Text(NpgsqlDataReader reader, int column) => reader.IsDBNull(column) ? null : reader.GetString(column);

    private async Task<long> ScalarAsync(string sql, params (string Name, object Value)[] parameters)
    {
        long value = 0;
        await ReadAsync(sql, r => value = r.GetInt64(0), parameters);
        return value;
    }

    private async Task ReadAsync(string sql, Action<NpgsqlDataReader> row, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Cancel);
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }
        await using var reader = await command.ExecuteReaderAsync(Cancel);
        while (await reader.ReadAsync(Cancel))
        {
            row(reader);
        }
    }
}

/// <summary>A stopped terminal's SQLite file, opened read-only: what the terminal really holds.</summary>
internal sealed class EdgeRecords(string databasePath)
{
    public IReadOnlyList<StoredRecord> Transactions() =>
        Read("SELECT seq, id, service, operation, card_ref, member, offline, training FROM transactions ORDER BY seq",
            r => new StoredRecord(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), Text(r, 4), Text(r, 5), r.GetInt64(6) == 1, r.GetInt64(7) == 1));

    public IReadOnlyList<(long Seq, string Hash)> Audit() =>
        Read("SELECT seq, hash FROM audit_log ORDER BY seq", r => (r.GetInt64(0), Convert.ToHexStringLower((byte[])r.GetValue(1))));

    public long TelemetryCount() => Read("SELECT count(*) FROM telemetry", r => r.GetInt64(0)).Single();

    /// <summary>Records not yet acknowledged by the hub, all streams.</summary>
    public long OutboxCount() => Read("SELECT count(*) FROM outbox", r => r.GetInt64(0)).Single();

    public IReadOnlyList<(long Seq, bool Accepted)> Decisions() =>
        Read("SELECT seq, accepted FROM hub_decisions ORDER BY seq", r => (r.GetInt64(0), r.GetInt64(1) == 1));

    public IReadOnlyList<MasterRowView> Master() =>
        Read("SELECT kind, key, version, payload FROM master_data ORDER BY kind, key", r => new MasterRowView(r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetString(3)));

    public string IntegrityCheck() => Read("PRAGMA integrity_check", r => r.GetString(0)).First();

    private static string? Text(SqliteDataReader reader, int column) => reader.IsDBNull(column) ? null : reader.GetString(column);

    private List<T> Read<T>(string sql, Func<SqliteDataReader, T> row)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
        }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read())
        {
            rows.Add(row(reader));
        }
        return rows;
    }
}
