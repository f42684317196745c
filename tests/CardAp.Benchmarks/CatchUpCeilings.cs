using System.Diagnostics;
using CardAp.Edge.Store;
using CardAp.Hub.Store.Records;
using CardAp.Shared.Hours;
using CardAp.Sync.Contracts;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;

namespace CardAp.Benchmarks;

/// <summary>A transaction as the hub stores it: its edge_transactions row and its usage_records row.</summary>
internal sealed record HubTransactionRow(long Seq, string RequestId, DateTimeOffset OccurredAt, string Service, string Operation, string? Card, string? Member,
    string? Operator, string? Item, long? Amount, bool Training, bool Offline, string Payload, long? AuditSeq, string LocalDate, short LocalHour);

/// <summary>An audit entry as the hub stores it in edge_audit (every field as the text that was hashed).</summary>
internal sealed record HubAuditRow(long Seq, string LocalTime, string Action, string Outcome, string? Operator, string? Subject, string Detail, string PrevHash, string Hash);

/// <summary>
/// The ceilings the sync figures are compared with: the same rows loaded straight into the same
/// database by its fastest bulk path, with no protocol, network, checks or acknowledgements.
/// Up: into the tables a Push writes (edge_transactions, edge_audit, usage_records; the usage
/// rollup is left out, so the ceiling is if anything too fast), or into usage_records alone.
/// PostgreSQL by binary COPY, SQLite by one transaction of prepared inserts. Down: one transaction
/// of prepared inserts into an edge database's master_data, with the edge's pragmas.
/// </summary>
internal static class CatchUpCeilings
{
    public static (List<HubTransactionRow> Transactions, List<HubAuditRow> Audit) HubRows(IEnumerable<PushRequest> batches)
    {
        var transactions = new List<HubTransactionRow>();
        var audit = new List<HubAuditRow>();
        foreach (var batch in batches)
        {
            foreach (var t in batch.Transactions)
            {
                var occurred = t.OccurredAt.ToDateTimeOffset();
                var local = JapanTime.ToJapan(occurred);
                transactions.Add(new HubTransactionRow(t.Seq, t.Id, occurred, t.Service, t.Operation, Null(t.CardRef), Null(t.Member), Null(t.Operator), Null(t.Item),
                    t.HasAmount ? t.Amount : null, t.Training, t.Offline, t.PayloadJson.Length == 0 ? "{}" : t.PayloadJson, t.AuditSeq > 0 ? t.AuditSeq : null,
                    UsageRecords.DayText(DateOnly.FromDateTime(local.DateTime)), (short)local.Hour));
            }
            foreach (var a in batch.Audit)
            {
                audit.Add(new HubAuditRow(a.Seq, a.LocalTime, a.Action, a.Outcome, a.HasOperator ? a.Operator : null, a.HasSubject ? a.Subject : null, a.DetailJson,
                    Convert.ToHexStringLower(a.PrevHash.Span), Convert.ToHexStringLower(a.Hash.Span)));
            }
        }
        return (transactions, audit);
    }

    /// <summary>Binary COPY of the rows, as terminal <paramref name="terminal"/>, in one transaction; returns the time it took.</summary>
    public static async Task<TimeSpan> CopyPostgresAsync(string connectionString, string municipality, string terminal, string site,
        IReadOnlyList<HubTransactionRow> transactions, IReadOnlyList<HubAuditRow> audit, bool usageOnly)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var now = DateTimeOffset.UtcNow;
        var start = Stopwatch.GetTimestamp();
        await using var transaction = await connection.BeginTransactionAsync();
        if (!usageOnly)
        {
            await using (var copy = await connection.BeginBinaryImportAsync(
                "COPY edge_transactions (municipality, terminal, seq, request_id, occurred_at, service, operation, card_ref, member, operator, item, amount, training, offline, payload, audit_seq, received_at) FROM STDIN (FORMAT BINARY)"))
            {
                foreach (var t in transactions)
                {
                    await copy.StartRowAsync();
                    await copy.WriteAsync(municipality, NpgsqlDbType.Varchar);
                    await copy.WriteAsync(terminal, NpgsqlDbType.Varchar);
                    await copy.WriteAsync(t.Seq, NpgsqlDbType.Bigint);
                    await copy.WriteAsync(t.RequestId, NpgsqlDbType.Varchar);
                    await copy.WriteAsync(t.OccurredAt.ToUniversalTime(), NpgsqlDbType.TimestampTz);
                    await copy.WriteAsync(t.Service, NpgsqlDbType.Varchar);
                    await copy.WriteAsync(t.Operation, NpgsqlDbType.Varchar);
                    await WriteNullableAsync(copy, t.Card, NpgsqlDbType.Varchar);
                    await WriteNullableAsync(copy, t.Member, NpgsqlDbType.Varchar);
                    await WriteNullableAsync(copy, t.Operator, NpgsqlDbType.Varchar);
                    await WriteNullableAsync(copy, t.Item, NpgsqlDbType.Varchar);
                    await WriteNullableAsync(copy, t.Amount, NpgsqlDbType.Bigint);
                    await copy.WriteAsync(t.Training, NpgsqlDbType.Boolean);
                    await copy.WriteAsync(t.Offline, NpgsqlDbType.Boolean);
                    await copy.WriteAsync(t.Payload, NpgsqlDbType.Text);
                    await WriteNullableAsync(copy, t.AuditSeq, NpgsqlDbType.Bigint);
                    await copy.WriteAsync(now, NpgsqlDbType.TimestampTz);
                }
                await copy.CompleteAsync();
            }
            await using (var copy = await connection.BeginBinaryImportAsync(
                "COPY edge_audit (municipality, terminal, seq, local_time, action, outcome, operator, subject, detail, prev_hash, hash, received_at) FROM STDIN (FORMAT BINARY)"))
            {
                foreach (var a in audit)
                {
                    await copy.StartRowAsync();
                    await copy.WriteAsync(municipality, NpgsqlDbType.Varchar);
                    await copy.WriteAsync(terminal, NpgsqlDbType.Varchar);
                    await copy.WriteAsync(a.Seq, NpgsqlDbType.Bigint);
                    await copy.WriteAsync(a.LocalTime, NpgsqlDbType.Text);
                    await copy.WriteAsync(a.Action, NpgsqlDbType.Text);
                    await copy.WriteAsync(a.Outcome, NpgsqlDbType.Text);
                    await WriteNullableAsync(copy, a.Operator, NpgsqlDbType.Text);
                    await WriteNullableAsync(copy, a.Subject, NpgsqlDbType.Text);
                    await copy.WriteAsync(a.Detail, NpgsqlDbType.Text);
                    await copy.WriteAsync(a.PrevHash, NpgsqlDbType.Varchar);
                    await copy.WriteAsync(a.Hash, NpgsqlDbType.Varchar);
                    await copy.WriteAsync(now, NpgsqlDbType.TimestampTz);
                }
                await copy.CompleteAsync();
            }
        }
        await using (var copy = await connection.BeginBinaryImportAsync(
            "COPY usage_records (municipality, terminal, stream, seq, site, occurred_at, local_date, local_hour, service, operation, outcome, reason, offline, training, received_at) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var t in transactions)
            {
                await copy.StartRowAsync();
                await copy.WriteAsync(municipality, NpgsqlDbType.Varchar);
                await copy.WriteAsync(terminal, NpgsqlDbType.Varchar);
                await copy.WriteAsync("transactions", NpgsqlDbType.Varchar);
                await copy.WriteAsync(t.Seq, NpgsqlDbType.Bigint);
                await copy.WriteAsync(site, NpgsqlDbType.Varchar);
                await copy.WriteAsync(t.OccurredAt.ToUniversalTime(), NpgsqlDbType.TimestampTz);
                await copy.WriteAsync(t.LocalDate, NpgsqlDbType.Varchar);
                await copy.WriteAsync(t.LocalHour, NpgsqlDbType.Smallint);
                await copy.WriteAsync(t.Service, NpgsqlDbType.Varchar);
                await copy.WriteAsync(t.Operation, NpgsqlDbType.Varchar);
                await copy.WriteAsync("ok", NpgsqlDbType.Varchar);
                await copy.WriteNullAsync();
                await copy.WriteAsync(t.Offline, NpgsqlDbType.Boolean);
                await copy.WriteAsync(t.Training, NpgsqlDbType.Boolean);
                await copy.WriteAsync(now, NpgsqlDbType.TimestampTz);
            }
            await copy.CompleteAsync();
        }
        await transaction.CommitAsync();
        return Stopwatch.GetElapsedTime(start);
    }

    /// <summary>One SQLite transaction of prepared inserts of the rows, as terminal <paramref name="terminal"/>; returns the time it took.</summary>
    public static TimeSpan InsertSqlite(string connectionString, string municipality, string terminal, string site,
        IReadOnlyList<HubTransactionRow> transactions, IReadOnlyList<HubAuditRow> audit, bool usageOnly)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder(connectionString) { ForeignKeys = true }.ToString());
        connection.Open();
        var now = DateTimeOffset.UtcNow;
        var start = Stopwatch.GetTimestamp();
        using var transaction = connection.BeginTransaction();
        if (!usageOnly)
        {
            using (var insert = Command(connection, transaction,
                "INSERT INTO edge_transactions (municipality, terminal, seq, request_id, occurred_at, service, operation, card_ref, member, operator, item, amount, training, offline, payload, audit_seq, received_at) " +
                "VALUES ($m, $t, $seq, $id, $occurred, $service, $operation, $card, $member, $operator, $item, $amount, $training, $offline, $payload, $auditSeq, $now)",
                "$m", "$t", "$seq", "$id", "$occurred", "$service", "$operation", "$card", "$member", "$operator", "$item", "$amount", "$training", "$offline", "$payload", "$auditSeq", "$now"))
            {
                insert.Parameters["$m"].Value = municipality;
                insert.Parameters["$t"].Value = terminal;
                insert.Parameters["$now"].Value = now;
                foreach (var t in transactions)
                {
                    Set(insert, ("$seq", t.Seq), ("$id", t.RequestId), ("$occurred", t.OccurredAt.ToUniversalTime()), ("$service", t.Service), ("$operation", t.Operation),
                        ("$card", t.Card), ("$member", t.Member), ("$operator", t.Operator), ("$item", t.Item), ("$amount", t.Amount), ("$training", t.Training),
                        ("$offline", t.Offline), ("$payload", t.Payload), ("$auditSeq", t.AuditSeq));
                    insert.ExecuteNonQuery();
                }
            }
            using (var insert = Command(connection, transaction,
                "INSERT INTO edge_audit (municipality, terminal, seq, local_time, action, outcome, operator, subject, detail, prev_hash, hash, received_at) " +
                "VALUES ($m, $t, $seq, $time, $action, $outcome, $operator, $subject, $detail, $prev, $hash, $now)",
                "$m", "$t", "$seq", "$time", "$action", "$outcome", "$operator", "$subject", "$detail", "$prev", "$hash", "$now"))
            {
                insert.Parameters["$m"].Value = municipality;
                insert.Parameters["$t"].Value = terminal;
                insert.Parameters["$now"].Value = now;
                foreach (var a in audit)
                {
                    Set(insert, ("$seq", a.Seq), ("$time", a.LocalTime), ("$action", a.Action), ("$outcome", a.Outcome), ("$operator", a.Operator),
                        ("$subject", a.Subject), ("$detail", a.Detail), ("$prev", a.PrevHash), ("$hash", a.Hash));
                    insert.ExecuteNonQuery();
                }
            }
        }
        using (var insert = Command(connection, transaction,
            "INSERT INTO usage_records (municipality, terminal, stream, seq, site, occurred_at, local_date, local_hour, service, operation, outcome, reason, offline, training, received_at) " +
            "VALUES ($m, $t, 'transactions', $seq, $site, $occurred, $date, $hour, $service, $operation, 'ok', NULL, $offline, $training, $now)",
            "$m", "$t", "$seq", "$site", "$occurred", "$date", "$hour", "$service", "$operation", "$offline", "$training", "$now"))
        {
            insert.Parameters["$m"].Value = municipality;
            insert.Parameters["$t"].Value = terminal;
            insert.Parameters["$site"].Value = site;
            insert.Parameters["$now"].Value = now;
            foreach (var t in transactions)
            {
                Set(insert, ("$seq", t.Seq), ("$occurred", t.OccurredAt.ToUniversalTime()), ("$date", t.LocalDate), ("$hour", t.LocalHour), ("$service", t.Service),
                    ("$operation", t.Operation), ("$offline", t.Offline), ("$training", t.Training));
                insert.ExecuteNonQuery();
            }
        }
        transaction.Commit();
        return Stopwatch.GetElapsedTime(start);
    }

    /// <summary>
    /// The master rows inserted into the master_data table of a new edge database (made by the edge
    /// store, so its schema, WAL and synchronous=FULL) in one transaction; returns the time it took.
    /// </summary>
    public static TimeSpan InsertEdgeMaster(string directory, string terminal, IReadOnlyList<(string Kind, string Key, string Payload, long Version)> rows)
    {
        var path = Path.Combine(directory, "ceiling-edge.db");
        using (new EdgeDatabase(Microsoft.Extensions.Options.Options.Create(new EdgeStoreOptions { DatabasePath = path, TerminalId = terminal, DailyBackup = false }),
                   NullLogger<EdgeDatabase>.Instance))
        {
        }
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using (var pragmas = connection.CreateCommand())
        {
            pragmas.CommandText = "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; PRAGMA journal_mode = WAL;";
            pragmas.ExecuteNonQuery();
        }
        var start = Stopwatch.GetTimestamp();
        using var transaction = connection.BeginTransaction();
        using var insert = Command(connection, transaction, "INSERT INTO master_data (kind, key, payload, version) VALUES ($kind, $key, $payload, $version)",
            "$kind", "$key", "$payload", "$version");
        foreach (var row in rows)
        {
            Set(insert, ("$kind", row.Kind), ("$key", row.Key), ("$payload", row.Payload), ("$version", row.Version));
            insert.ExecuteNonQuery();
        }
        transaction.Commit();
        var elapsed = Stopwatch.GetElapsedTime(start);
        using var count = connection.CreateCommand();
        count.CommandText = "SELECT count(*) FROM master_data";
        if ((long)count.ExecuteScalar()! != rows.Count)
        {
            throw new InvalidOperationException("The edge master ceiling did not insert every row.");
        }
        return elapsed;
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction transaction, string sql, params string[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
#pragma warning disable CA2100 // Constant SQL text; values are parameters.
        command.CommandText = sql;
#pragma warning restore CA2100
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter(name, DBNull.Value));
        }
        command.Prepare();
        return command;
    }

    private static void Set(SqliteCommand command, params (string Name, object? Value)[] values)
    {
        foreach (var (name, value) in values)
        {
            command.Parameters[name].Value = value ?? DBNull.Value;
        }
    }

    private static async Task WriteNullableAsync<T>(NpgsqlBinaryImporter copy, T? value, NpgsqlDbType type)
    {
        if (value is null)
        {
            await copy.WriteNullAsync();
        }
        else
        {
            await copy.WriteAsync(value, type);
        }
    }

    private static async Task WriteNullableAsync(NpgsqlBinaryImporter copy, long? value, NpgsqlDbType type)
    {
        if (value is { } v)
        {
            await copy.WriteAsync(v, type);
        }
        else
        {
            await copy.WriteNullAsync();
        }
    }

    private static string? Null(string value) => value.Length == 0 ? null : value;
}
