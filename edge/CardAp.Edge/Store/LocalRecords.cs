using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace CardAp.Edge.Store;

/// <summary>
/// The edge's own records: transactions, audit log and telemetry. Append-only; each record gets the
/// next number of its stream's gap-free sequence and an outbox entry in the same SQLite transaction,
/// committed with synchronous=FULL before a method returns. Thread-safe.
/// Queries leave training records out unless asked.
/// </summary>
public sealed class LocalRecords(EdgeDatabase database)
{
    private const int MaxDecisionMessageLength = 512;

    private const string TransactionColumns =
        "seq, id, local_time, service, operation, card_ref, member, operator, item, amount, training, payload, audit_seq, offline, confirm";

    /// <summary>
    /// Records a transaction and its audit entry in one durable SQLite transaction (the transaction
    /// row, its outbox entry, the chained audit row and its outbox entry). If the request id was
    /// recorded before, returns the original receipt and writes nothing; if that earlier transaction
    /// differs in service, operation, card, member or training flag, throws
    /// <see cref="RequestIdConflictException"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A field is missing or too long, or a JSON property looks like a PIN.</exception>
    public TransactionReceipt RecordTransaction(NewTransaction transaction, AuditEntry audit)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        var id = RecordValidation.RequestId(transaction.Id, "transaction.Id");
        var service = RecordValidation.Required(transaction.Service, "transaction.Service", RecordValidation.MaxNameLength);
        var operation = RecordValidation.Required(transaction.Operation, "transaction.Operation", RecordValidation.MaxNameLength);
        var cardRef = RecordValidation.Optional(transaction.CardRef, "transaction.CardRef", RecordValidation.MaxNameLength);
        var member = RecordValidation.Optional(transaction.Member, "transaction.Member", RecordValidation.MaxNameLength);
        var @operator = RecordValidation.Optional(transaction.Operator, "transaction.Operator", RecordValidation.MaxNameLength);
        var item = RecordValidation.Optional(transaction.Item, "transaction.Item", RecordValidation.MaxReferenceLength);
        var payload = RecordValidation.Json(transaction.Payload, "transaction.Payload");
        var localTime = RecordValidation.Time(transaction.LocalTime);
        var preparedAudit = PreparedAudit.From(audit);

        return database.Write(store =>
        {
            using (var reader = store.Reader("SELECT seq, audit_seq, service, operation, card_ref, member, training FROM transactions WHERE id = $id", ("$id", id)))
            {
                if (reader.Read())
                {
                    var seq = reader.GetInt64(0);
                    var differences = new List<string>();
                    Differ(differences, "service", reader.GetString(2), service);
                    Differ(differences, "operation", reader.GetString(3), operation);
                    Differ(differences, "card", NullableString(reader, 4), cardRef);
                    Differ(differences, "member", NullableString(reader, 5), member);
                    if ((reader.GetInt64(6) == 1) != transaction.Training)
                    {
                        differences.Add("training flag");
                    }
                    if (differences.Count > 0)
                    {
                        throw new RequestIdConflictException(id, seq, differences);
                    }
                    return new TransactionReceipt(seq, reader.IsDBNull(1) ? 0 : reader.GetInt64(1), Duplicate: true);
                }
            }

            var auditSeq = preparedAudit.AppendTo(store);
            var next = (long)store.Scalar("SELECT coalesce(max(seq), 0) + 1 FROM transactions")!;
            store.Execute(
                "INSERT INTO transactions (seq, id, local_time, utc_ticks, service, operation, card_ref, member, operator, item, amount, training, payload, audit_seq, offline, confirm) " +
                "VALUES ($seq, $id, $time, $ticks, $service, $operation, $card, $member, $operator, $item, $amount, $training, $payload, $audit, $offline, $confirm)",
                ("$seq", next), ("$id", id), ("$time", localTime), ("$ticks", transaction.LocalTime.UtcTicks), ("$service", service),
                ("$operation", operation), ("$card", cardRef), ("$member", member), ("$operator", @operator), ("$item", item),
                ("$amount", transaction.Amount), ("$training", transaction.Training ? 1 : 0), ("$payload", payload), ("$audit", auditSeq),
                ("$offline", transaction.Offline ? 1 : 0), ("$confirm", transaction.Confirm ? 1 : 0));
            store.Execute("INSERT INTO outbox (stream, seq) VALUES ('transactions', $seq)", ("$seq", next));
            return new TransactionReceipt(next, auditSeq, Duplicate: false);
        });
    }

    /// <summary>The hub's decision on a confirm transaction, or null while it has none.</summary>
    public StoredDecision? Decision(long seq) => database.Read(session =>
    {
        using var reader = session.Reader("SELECT accepted, reason, message_en, message_ja FROM hub_decisions WHERE seq = $seq", ("$seq", seq));
        return reader.Read()
            ? new StoredDecision(seq, reader.GetInt64(0) == 1, NullableString(reader, 1), NullableString(reader, 2), NullableString(reader, 3))
            : null;
    });

    /// <summary>Confirm transactions up to <paramref name="throughSeq"/> that have no decision yet, oldest first, at most <paramref name="limit"/>.</summary>
    public IReadOnlyList<long> AwaitingDecision(long throughSeq, int limit) => database.Read(session =>
    {
        using var reader = session.Reader(
            "SELECT seq FROM transactions WHERE confirm = 1 AND seq <= $through AND seq NOT IN (SELECT seq FROM hub_decisions) ORDER BY seq LIMIT $limit",
            ("$through", throughSeq), ("$limit", limit));
        var seqs = new List<long>();
        while (reader.Read())
        {
            seqs.Add(reader.GetInt64(0));
        }
        return seqs;
    });

    /// <summary>
    /// Keeps the hub's decisions in one durable transaction; a decision already held, or for a
    /// sequence that is no confirm transaction here, is skipped. Each refusal is audited (outcome
    /// "hub-refused", which the hub does not count again: the transaction itself is its refused record).
    /// Returns the decisions that were new.
    /// </summary>
    public IReadOnlyList<StoredDecision> RecordDecisions(IReadOnlyList<StoredDecision> decisions, DateTimeOffset localTime)
    {
        ArgumentNullException.ThrowIfNull(decisions);
        var time = RecordValidation.Time(localTime);
        return database.Write(store =>
        {
            var added = new List<StoredDecision>();
            foreach (var decision in decisions)
            {
                string id, action;
                using (var reader = store.Reader(
                    "SELECT id, service || '.' || operation FROM transactions WHERE seq = $seq AND confirm = 1 AND seq NOT IN (SELECT seq FROM hub_decisions)",
                    ("$seq", decision.Seq)))
                {
                    if (!reader.Read())
                    {
                        continue;
                    }
                    (id, action) = (reader.GetString(0), reader.GetString(1));
                }
                // The hub's words are kept as sent, within bounds: a decision is never lost to its length.
                var reason = decision.Accepted ? null : Clip(string.IsNullOrWhiteSpace(decision.Reason) ? "HubRefused" : decision.Reason, RecordValidation.MaxNameLength);
                store.Execute("INSERT INTO hub_decisions (seq, accepted, reason, message_en, message_ja, decided_at) VALUES ($seq, $accepted, $reason, $en, $ja, $time)",
                    ("$seq", decision.Seq), ("$accepted", decision.Accepted ? 1 : 0), ("$reason", reason),
                    ("$en", Clip(decision.MessageEn, MaxDecisionMessageLength)), ("$ja", Clip(decision.MessageJa, MaxDecisionMessageLength)), ("$time", time));
                if (!decision.Accepted)
                {
                    PreparedAudit.From(new AuditEntry(localTime, action, AuditEntry.HubRefused, null, null, new JsonObject
                    {
                        ["requestId"] = id,
                        ["seq"] = decision.Seq,
                        ["reason"] = reason,
                        ["message"] = decision.MessageEn,
                    })).AppendTo(store);
                }
                added.Add(decision);
            }
            return added;
        });
    }

    /// <summary>Appends an audit entry (sign-in, refusal, setting change...) to the hash chain; returns its sequence number.</summary>
    /// <exception cref="ArgumentException">A field is missing or too long, or a detail property looks like a PIN.</exception>
    public long RecordAudit(AuditEntry entry)
    {
        var prepared = PreparedAudit.From(entry);
        return database.Write(prepared.AppendTo);
    }

    /// <summary>Appends a telemetry measurement; returns its sequence number.</summary>
    public long RecordTelemetry(DateTimeOffset localTime, string name, double value, JsonObject? detail = null)
    {
        var checkedName = RecordValidation.Required(name, nameof(name), RecordValidation.MaxReferenceLength);
        if (!double.IsFinite(value))
        {
            throw new ArgumentException($"Telemetry '{name}' must be a finite number, got {value}.", nameof(value));
        }
        var detailText = RecordValidation.Json(detail, nameof(detail));
        var time = RecordValidation.Time(localTime);
        return database.Write(store =>
        {
            var next = (long)store.Scalar("SELECT coalesce(max(seq), 0) + 1 FROM telemetry")!;
            store.Execute("INSERT INTO telemetry (seq, local_time, name, value, detail) VALUES ($seq, $time, $name, $value, $detail)",
                ("$seq", next), ("$time", time), ("$name", checkedName), ("$value", value), ("$detail", detailText));
            store.Execute("INSERT INTO outbox (stream, seq) VALUES ('telemetry', $seq)", ("$seq", next));
            return next;
        });
    }

    /// <summary>A service's transactions in sequence order, optionally for one member and/or item and since a time (inclusive).</summary>
    public IReadOnlyList<StoredTransaction> Transactions(string service, string? member = null, string? item = null, DateTimeOffset? since = null, bool includeTraining = false)
    {
        var (where, parameters) = Filter(service, operation: null, member, item, since, includeTraining);
        return QueryTransactions($"SELECT {TransactionColumns} FROM transactions WHERE {where} ORDER BY seq", parameters);
    }

    /// <summary>The sum of the amounts of one member's transactions of one operation (0 when none).</summary>
    public long Sum(string service, string operation, string member, DateTimeOffset? since = null, bool includeTraining = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(member);
        var (where, parameters) = Filter(service, operation, member, item: null, since, includeTraining);
        return Convert.ToInt64(Scalar($"SELECT coalesce(sum(amount), 0) FROM transactions WHERE {where}", parameters), CultureInfo.InvariantCulture);
    }

    /// <summary>How many transactions of one operation there are, optionally for one member and/or item and since a time.</summary>
    public int Count(string service, string operation, string? member = null, string? item = null, DateTimeOffset? since = null, bool includeTraining = false)
    {
        var (where, parameters) = Filter(service, operation, member, item, since, includeTraining);
        return Convert.ToInt32(Scalar($"SELECT count(*) FROM transactions WHERE {where}", parameters), CultureInfo.InvariantCulture);
    }

    /// <summary>The transaction recorded under a client request id, or null.</summary>
    public StoredTransaction? ByRequestId(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        return QueryTransactions($"SELECT {TransactionColumns} FROM transactions WHERE id = $id", [("$id", id)]) is [var found] ? found : null;
    }

    /// <summary>Transactions after a sequence number, in order, training included (for sync and checks).</summary>
    public IReadOnlyList<StoredTransaction> TransactionsAfter(long afterSeq, int limit = 1000)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return QueryTransactions($"SELECT {TransactionColumns} FROM transactions WHERE seq > $after ORDER BY seq LIMIT $limit",
            [("$after", afterSeq), ("$limit", limit)]);
    }

    /// <summary>Audit entries after a sequence number, in order.</summary>
    public IReadOnlyList<StoredAuditEntry> AuditAfter(long afterSeq, int limit = 1000)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return database.Read(session =>
        {
            using var reader = session.Reader(
                "SELECT seq, local_time, action, outcome, operator, subject, detail, prev_hash, hash FROM audit_log WHERE seq > $after ORDER BY seq LIMIT $limit",
                ("$after", afterSeq), ("$limit", limit));
            var result = new List<StoredAuditEntry>();
            while (reader.Read())
            {
                result.Add(new StoredAuditEntry(reader.GetInt64(0), RecordValidation.ParseTime(reader.GetString(1)), reader.GetString(2), reader.GetString(3),
                    NullableString(reader, 4), NullableString(reader, 5), reader.GetString(6), (byte[])reader.GetValue(7), (byte[])reader.GetValue(8)));
            }
            return result;
        });
    }

    /// <summary>Telemetry after a sequence number, in order.</summary>
    public IReadOnlyList<StoredTelemetry> TelemetryAfter(long afterSeq, int limit = 1000)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return database.Read(session =>
        {
            using var reader = session.Reader("SELECT seq, local_time, name, value, detail FROM telemetry WHERE seq > $after ORDER BY seq LIMIT $limit",
                ("$after", afterSeq), ("$limit", limit));
            var result = new List<StoredTelemetry>();
            while (reader.Read())
            {
                result.Add(new StoredTelemetry(reader.GetInt64(0), RecordValidation.ParseTime(reader.GetString(1)), reader.GetString(2), reader.GetDouble(3), reader.GetString(4)));
            }
            return result;
        });
    }

    /// <summary>The last sequence number of a stream (0 when empty).</summary>
    public long LastSeq(string stream)
    {
        var table = OutboxStreams.Table(stream);
        return Convert.ToInt64(Scalar($"SELECT coalesce(max(seq), 0) FROM {table}", []), CultureInfo.InvariantCulture);
    }

    private static (string Where, List<(string, object?)> Parameters) Filter(
        string service, string? operation, string? member, string? item, DateTimeOffset? since, bool includeTraining)
    {
        ArgumentException.ThrowIfNullOrEmpty(service);
        var where = new StringBuilder("service = $service");
        var parameters = new List<(string, object?)> { ("$service", service) };
        if (operation is not null)
        {
            where.Append(" AND operation = $operation");
            parameters.Add(("$operation", operation));
        }
        if (member is not null)
        {
            where.Append(" AND member = $member");
            parameters.Add(("$member", member));
        }
        if (item is not null)
        {
            where.Append(" AND item = $item");
            parameters.Add(("$item", item));
        }
        if (since is { } from)
        {
            where.Append(" AND utc_ticks >= $since");
            parameters.Add(("$since", from.UtcTicks));
        }
        if (!includeTraining)
        {
            where.Append(" AND training = 0");
        }
        // What the hub refused never happened (ADR 0011); what still waits for it counts, which keeps limits on the safe side.
        where.Append(" AND seq NOT IN (SELECT seq FROM hub_decisions WHERE accepted = 0)");
        return (where.ToString(), parameters);
    }

    private object? Scalar(string sql, List<(string, object?)> parameters) =>
        database.Read(session => session.Scalar(sql, [.. parameters]));

    private List<StoredTransaction> QueryTransactions(string sql, List<(string, object?)> parameters) => database.Read(session =>
    {
        using var reader = session.Reader(sql, [.. parameters]);
        var result = new List<StoredTransaction>();
        while (reader.Read())
        {
            result.Add(new StoredTransaction(
                reader.GetInt64(0), reader.GetString(1), RecordValidation.ParseTime(reader.GetString(2)), reader.GetString(3), reader.GetString(4),
                NullableString(reader, 5), NullableString(reader, 6), NullableString(reader, 7), NullableString(reader, 8),
                reader.IsDBNull(9) ? null : reader.GetInt64(9), reader.GetInt64(10) == 1, reader.GetString(11),
                reader.IsDBNull(12) ? null : reader.GetInt64(12), reader.GetInt64(13) == 1, reader.GetInt64(14) == 1));
        }
        return result;
    });

    private static string? Clip(string? text, int max) => string.IsNullOrEmpty(text) ? null : text.Length > max ? text[..max] : text;

    private static string? NullableString(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static void Differ(List<string> differences, string what, string? before, string? now)
    {
        if (!string.Equals(before, now, StringComparison.Ordinal))
        {
            differences.Add(what);
        }
    }
}
