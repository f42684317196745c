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

    /// <summary>
    /// Binary COPY of the rows, as terminal <paramref name="terminal"/>: in one transaction, or with
    /// <paramref name="batch"/> in transactions of that many records per stream, as pushes come.
    /// Returns the time it took.
    /// </summary>
    public static TimeSpan CopyPostgres(string connectionString, string municipality, string terminal, string site,
        IReadOnlyList<HubTransactionRow> transactions, IReadOnlyList<HubAuditRow> audit, bool usageOnly, int? batch = null)
    {
        using var connection = new NpgsqlConnection(connectionString);
        connection.Open();
        var now = DateTimeOffset.UtcNow;
        var start = Stopwatch.GetTimestamp();
        foreach (var chunk in Chunks(transactions, batch))
        {
            using var transaction = connection.BeginTransaction();
            if (!usageOnly)
            {
                CopyTransactions(connection, municipality, terminal, chunk, now);
            }
            CopyUsage(connection, municipality, terminal, site, chunk, now);
            transaction.Commit();
        }
        if (!usageOnly)
        {
            foreach (var chunk in Chunks(audit, batch))
            {
                using var transaction = connection.BeginTransaction();
                CopyAudit(connection, municipality, terminal, chunk, now);
                transaction.Commit();
            }
        }
        return Stopwatch.GetElapsedTime(start);
    }

    private static void CopyTransactions(NpgsqlConnection connection, string municipality, string terminal, IEnumerable<HubTransactionRow> rows, DateTimeOffset now)
    {
        using var copy = connection.BeginBinaryImport(
            "COPY edge_transactions (municipality, terminal, seq, request_id, occurred_at, service, operation, card_ref, member, operator, item, amount, training, offline, payload, audit_seq, received_at) FROM STDIN (FORMAT BINARY)");
        foreach (var t in rows)
        {
            copy.StartRow();
            copy.Write(municipality, NpgsqlDbType.Varchar);
            copy.Write(terminal, NpgsqlDbType.Varchar);
            copy.Write(t.Seq, NpgsqlDbType.Bigint);
            copy.Write(t.RequestId, NpgsqlDbType.Varchar);
            copy.Write(t.OccurredAt.ToUniversalTime(), NpgsqlDbType.TimestampTz);
            copy.Write(t.Service, NpgsqlDbType.Varchar);
            copy.Write(t.Operation, NpgsqlDbType.Varchar);
            WriteNullable(copy, t.Card, NpgsqlDbType.Varchar);
            WriteNullable(copy, t.Member, NpgsqlDbType.Varchar);
            WriteNullable(copy, t.Operator, NpgsqlDbType.Varchar);
            WriteNullable(copy, t.Item, NpgsqlDbType.Varchar);
            WriteNullable(copy, t.Amount, NpgsqlDbType.Bigint);
            copy.Write(t.Training, NpgsqlDbType.Boolean);
            copy.Write(t.Offline, NpgsqlDbType.Boolean);
            copy.Write(t.Payload, NpgsqlDbType.Text);
            WriteNullable(copy, t.AuditSeq, NpgsqlDbType.Bigint);
            copy.Write(now, NpgsqlDbType.TimestampTz);
        }
        copy.Complete();
    }

    private static void CopyAudit(NpgsqlConnection connection, string municipality, string terminal, IEnumerable<HubAuditRow> rows, DateTimeOffset now)
    {
        using var copy = connection.BeginBinaryImport(
            "COPY edge_audit (municipality, terminal, seq, local_time, action, outcome, operator, subject, detail, prev_hash, hash, received_at) FROM STDIN (FORMAT BINARY)");
        foreach (var a in rows)
        {
            copy.StartRow();
            copy.Write(municipality, NpgsqlDbType.Varchar);
            copy.Write(terminal, NpgsqlDbType.Varchar);
            copy.Write(a.Seq, NpgsqlDbType.Bigint);
            copy.Write(a.LocalTime, NpgsqlDbType.Text);
            copy.Write(a.Action, NpgsqlDbType.Text);
            copy.Write(a.Outcome, NpgsqlDbType.Text);
            WriteNullable(copy, a.Operator, NpgsqlDbType.Text);
            WriteNullable(copy, a.Subject, NpgsqlDbType.Text);
            copy.Write(a.Detail, NpgsqlDbType.Text);
            copy.Write(a.PrevHash, NpgsqlDbType.Varchar);
            copy.Write(a.Hash, NpgsqlDbType.Varchar);
            copy.Write(now, NpgsqlDbType.TimestampTz);
        }
        copy.Complete();
    }

    private static void CopyUsage(NpgsqlConnection connection, string municipality, string terminal, string site, IEnumerable<HubTransactionRow> rows, DateTimeOffset now)
    {
        using var copy = connection.BeginBinaryImport(
            "COPY usage_records (municipality, terminal, stream, seq, site, occurred_at, local_date, local_hour, service, operation, outcome, reason, offline, training, received_at) FROM STDIN (FORMAT BINARY)");
        foreach (var t in rows)
        {
            copy.StartRow();
            copy.Write(municipality, NpgsqlDbType.Varchar);
            copy.Write(terminal, NpgsqlDbType.Varchar);
            copy.Write("transactions", NpgsqlDbType.Varchar);
            copy.Write(t.Seq, NpgsqlDbType.Bigint);
            copy.Write(site, NpgsqlDbType.Varchar);
            copy.Write(t.OccurredAt.ToUniversalTime(), NpgsqlDbType.TimestampTz);
            copy.Write(t.LocalDate, NpgsqlDbType.Varchar);
            copy.Write(t.LocalHour, NpgsqlDbType.Smallint);
            copy.Write(t.Service, NpgsqlDbType.Varchar);
            copy.Write(t.Operation, NpgsqlDbType.Varchar);
            copy.Write("ok", NpgsqlDbType.Varchar);
            copy.WriteNull();
            copy.Write(t.Offline, NpgsqlDbType.Boolean);
            copy.Write(t.Training, NpgsqlDbType.Boolean);
            copy.Write(now, NpgsqlDbType.TimestampTz);
        }
        copy.Complete();
    }

    /// <summary>
    /// Prepared inserts of the rows, as terminal <paramref name="terminal"/>: in one SQLite
    /// transaction, or with <paramref name="batch"/> in transactions of that many records per
    /// stream, as pushes come. Returns the time it took.
    /// </summary>
    public static TimeSpan InsertSqlite(string connectionString, string municipality, string terminal, string site,
        IReadOnlyList<HubTransactionRow> transactions, IReadOnlyList<HubAuditRow> audit, bool usageOnly, int? batch = null)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder(connectionString) { ForeignKeys = true }.ToString());
        connection.Open();
        var now = DateTimeOffset.UtcNow;
        var start = Stopwatch.GetTimestamp();
        using var insertTransaction = Command(connection,
            "INSERT INTO edge_transactions (municipality, terminal, seq, request_id, occurred_at, service, operation, card_ref, member, operator, item, amount, training, offline, payload, audit_seq, received_at) " +
            "VALUES ($m, $t, $seq, $id, $occurred, $service, $operation, $card, $member, $operator, $item, $amount, $training, $offline, $payload, $auditSeq, $now)",
            "$m", "$t", "$seq", "$id", "$occurred", "$service", "$operation", "$card", "$member", "$operator", "$item", "$amount", "$training", "$offline", "$payload", "$auditSeq", "$now");
        using var insertAudit = Command(connection,
            "INSERT INTO edge_audit (municipality, terminal, seq, local_time, action, outcome, operator, subject, detail, prev_hash, hash, received_at) " +
            "VALUES ($m, $t, $seq, $time, $action, $outcome, $operator, $subject, $detail, $prev, $hash, $now)",
            "$m", "$t", "$seq", "$time", "$action", "$outcome", "$operator", "$subject", "$detail", "$prev", "$hash", "$now");
        using var insertUsage = Command(connection,
            "INSERT INTO usage_records (municipality, terminal, stream, seq, site, occurred_at, local_date, local_hour, service, operation, outcome, reason, offline, training, received_at) " +
            "VALUES ($m, $t, 'transactions', $seq, $site, $occurred, $date, $hour, $service, $operation, 'ok', NULL, $offline, $training, $now)",
            "$m", "$t", "$seq", "$site", "$occurred", "$date", "$hour", "$service", "$operation", "$offline", "$training", "$now");
        foreach (var command in new[] { insertTransaction, insertAudit, insertUsage })
        {
            command.Parameters["$m"].Value = municipality;
            command.Parameters["$t"].Value = terminal;
            command.Parameters["$now"].Value = now;
        }
        insertUsage.Parameters["$site"].Value = site;
        foreach (var chunk in Chunks(transactions, batch))
        {
            using var transaction = connection.BeginTransaction();
            insertTransaction.Transaction = insertUsage.Transaction = transaction;
            foreach (var t in chunk)
            {
                if (!usageOnly)
                {
                    Set(insertTransaction, ("$seq", t.Seq), ("$id", t.RequestId), ("$occurred", t.OccurredAt.ToUniversalTime()), ("$service", t.Service), ("$operation", t.Operation),
                        ("$card", t.Card), ("$member", t.Member), ("$operator", t.Operator), ("$item", t.Item), ("$amount", t.Amount), ("$training", t.Training),
                        ("$offline", t.Offline), ("$payload", t.Payload), ("$auditSeq", t.AuditSeq));
                    insertTransaction.ExecuteNonQuery();
                }
                Set(insertUsage, ("$seq", t.Seq), ("$occurred", t.OccurredAt.ToUniversalTime()), ("$date", t.LocalDate), ("$hour", t.LocalHour), ("$service", t.Service),
                    ("$operation", t.Operation), ("$offline", t.Offline), ("$training", t.Training));
                insertUsage.ExecuteNonQuery();
            }
            transaction.Commit();
        }
        if (!usageOnly)
        {
            foreach (var chunk in Chunks(audit, batch))
            {
                using var transaction = connection.BeginTransaction();
                insertAudit.Transaction = transaction;
                foreach (var a in chunk)
                {
                    Set(insertAudit, ("$seq", a.Seq), ("$time", a.LocalTime), ("$action", a.Action), ("$outcome", a.Outcome), ("$operator", a.Operator),
                        ("$subject", a.Subject), ("$detail", a.Detail), ("$prev", a.PrevHash), ("$hash", a.Hash));
                    insertAudit.ExecuteNonQuery();
                }
                transaction.Commit();
            }
        }
        return Stopwatch.GetElapsedTime(start);
    }

    private static IEnumerable<IEnumerable<T>> Chunks<T>(IReadOnlyList<T> rows, int? batch) => batch is { } size ? rows.Chunk(size) : [rows];

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
        using var insert = Command(connection, "INSERT INTO master_data (kind, key, payload, version) VALUES ($kind, $key, $payload, $version)",
            "$kind", "$key", "$payload", "$version");
        insert.Transaction = transaction;
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

    private static SqliteCommand Command(SqliteConnection connection, string sql, params string[] parameters)
    {
        var command = connection.CreateCommand();
#pragma warning disable CA2100 // Constant SQL text; values are parameters.
        command.CommandText = sql;
#pragma warning restore CA2100
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter(name, DBNull.Value));
        }
        return command;
    }

    private static void Set(SqliteCommand command, params (string Name, object? Value)[] values)
    {
        foreach (var (name, value) in values)
        {
            command.Parameters[name].Value = value ?? DBNull.Value;
        }
    }

    private static void WriteNullable(NpgsqlBinaryImporter copy, string? value, NpgsqlDbType type)
    {
        if (value is null)
        {
            copy.WriteNull();
        }
        else
        {
            copy.Write(value, type);
        }
    }

    private static void WriteNullable(NpgsqlBinaryImporter copy, long? value, NpgsqlDbType type)
    {
        if (value is { } v)
        {
            copy.Write(v, type);
        }
        else
        {
            copy.WriteNull();
        }
    }

    private static string? Null(string value) => value.Length == 0 ? null : value;
}
