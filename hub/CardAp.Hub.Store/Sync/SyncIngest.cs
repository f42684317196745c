using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Text.Json.Nodes;
using CardAp.Hub.Store.Records;
using CardAp.Shared.Domain;
using CardAp.Shared.Services;
using CardAp.Sync.Contracts;
using CardAp.Sync.Hub;
using Google.Protobuf;

namespace CardAp.Hub.Store.Sync;

/// <summary>One record the hub acknowledged into the quarantine, and why.</summary>
public sealed record QuarantinedSeq(long Seq, string Reason);

/// <summary>
/// What a Push did: the hub holds the stream 1..<see cref="AcknowledgedThrough"/>; of the batch,
/// <see cref="Stored"/> were new and usable, <see cref="Duplicates"/> were held before and
/// <see cref="Quarantined"/> were new but unusable (stored + duplicates + quarantined = the batch);
/// <see cref="Decisions"/> answers every transaction of the batch sent with confirm set, new or held.
/// </summary>
public sealed record PushOutcome(long AcknowledgedThrough, int Stored, int Duplicates, IReadOnlyList<QuarantinedSeq> Quarantined, IReadOnlyList<DecisionRow> Decisions);

/// <summary>How far the hub holds one stream of a terminal.</summary>
public sealed record StreamPositionRow(string Stream, long Through);

/// <summary>A quarantined record as stored: the record as JSON, the reason, when it came.</summary>
public sealed record QuarantineEntry(MunicipalityCode Municipality, string Terminal, string Stream, long Seq, string Reason, string RecordJson, DateTimeOffset ReceivedAt);

/// <summary>The batch starts after the hub's position + 1; nothing was stored. The terminal resends from <see cref="Through"/> + 1.</summary>
public sealed class StreamGapException(string terminal, string stream, long through, long firstSeq)
    : InvalidOperationException($"Terminal {terminal}, stream {stream}: the batch starts at {firstSeq}, but the hub holds 1 to {through}; records {through + 1} to {firstSeq - 1} are missing.")
{
    public string Terminal { get; } = terminal;
    public string Stream { get; } = stream;
    public long Through { get; } = through;
    public long FirstSeq { get; } = firstSeq;
}

/// <summary>The uploaded audit chain breaks; nothing was stored, and the break is in the municipality's hub audit.</summary>
public sealed class AuditChainBrokenException(string terminal, long through, AuditChainBreak chainBreak)
    : InvalidOperationException($"Terminal {terminal}: {chainBreak.MessageEn}")
{
    public string Terminal { get; } = terminal;
    public long Through { get; } = through;
    public AuditChainBreak Break { get; } = chainBreak;
}

/// <summary>
/// Stores what terminals push (ADR 0010, "Up"): one batch in one transaction, idempotent by
/// (terminal, stream, seq). The stream's position row is locked first, so two pushes of one stream
/// (a retry racing the original, two hub instances) run one after the other and the second finds
/// the first's records held. Stored transactions and refused service operations from the audit
/// become usage records in the same transaction, so reports never count an upload that rolled back.
/// A transaction sent with confirm set (an online-only operation) is decided once, by
/// <see cref="CentralChecks"/>, in the same transaction; the decision is kept and answered again to
/// every retry, and a refused one counts in reports as a refusal with the hub's reason.
/// </summary>
public sealed class SyncIngest(HubDatabase database)
{
    public const string ChainBrokenAction = "sync.audit-chain-broken";
    public const int MaxQuarantinePage = 1000;

    /// <summary>The longest quarantine reason (the column's size).</summary>
    public const int MaxReasonLength = 256;

    private static readonly JsonFormatter RecordJson = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));

    private readonly UsageRecords _usage = new(database);

    /// <exception cref="ArgumentException">The batch breaks the protocol (<see cref="PushBatch.CheckShape"/>), or the terminal id is empty or too long.</exception>
    /// <exception cref="UnknownMunicipalityException">The municipality is not on the hub.</exception>
    /// <exception cref="StreamGapException">The batch starts beyond what the hub holds + 1.</exception>
    /// <exception cref="AuditChainBrokenException">The audit chain breaks (written to the municipality's hub audit).</exception>
    public async Task<PushOutcome> PushAsync(MunicipalityCode municipality, string terminal, PushRequest batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        CheckTerminal(terminal);
        if (PushBatch.CheckShape(batch) is { } problem)
        {
            throw new ArgumentException($"{problem.Field}: {problem.MessageEn}", nameof(batch));
        }
        var seqs = PushBatch.Sequences(batch);
        PushDecision decision;
        await using (var connection = await database.OpenAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            await EnsureMunicipalityAsync(connection, transaction, municipality, cancellationToken);
            var head = await LockAsync(connection, transaction, municipality, terminal, batch.Stream, cancellationToken);
            var heldHashes = batch.Stream == SyncStreams.Audit && seqs.Count > 0 && seqs[0] <= head.Head.Through
                ? await HeldAuditHashesAsync(connection, transaction, municipality, terminal, seqs[0], Math.Min(seqs[^1], head.Head.Through), cancellationToken)
                : new Dictionary<long, byte[]>();
            var now = database.UtcNow;
            var services = await KnownServicesAsync(connection, transaction, municipality, cancellationToken);
            decision = PushPlanner.Plan(batch, head.Head, heldHashes, new RecordContext(now, services.Contains));
            if (decision is PushDecision.Accept accept)
            {
                var held = batch.Transactions.Where(t => t.Confirm && t.Seq <= head.Head.Through).Select(t => t.Seq).ToList();
                var heldDecisions = held.Count == 0 ? [] : await HeldDecisionsAsync(connection, transaction, municipality, terminal, held, cancellationToken);
                var outcome = await StoreAsync(connection, transaction, municipality, terminal, batch.Stream, accept, now, cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                return outcome with { Decisions = [.. heldDecisions, .. outcome.Decisions] };
            }
            await transaction.RollbackAsync(cancellationToken);
        }
        switch (decision)
        {
            case PushDecision.Gap gap:
                throw new StreamGapException(terminal, batch.Stream, gap.Through, gap.FirstSeq);
            case PushDecision.ChainBroken broken:
                await RecordChainBreakAsync(municipality, terminal, broken, cancellationToken);
                throw new AuditChainBrokenException(terminal, broken.Through, broken.Break);
            default:
                throw new InvalidOperationException($"Unexpected push decision {decision}.");
        }
    }

    /// <summary>How far the hub holds each stream of the terminal (0 for a stream it never pushed), in <see cref="SyncStreams.All"/> order.</summary>
    public async Task<IReadOnlyList<StreamPositionRow>> PositionsAsync(MunicipalityCode municipality, string terminal, CancellationToken cancellationToken = default)
    {
        CheckTerminal(terminal);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = HubDatabase.Command(connection, null,
            "SELECT stream, through_seq FROM sync_streams WHERE municipality = @municipality AND terminal = @terminal",
            ("@municipality", municipality.Value), ("@terminal", terminal));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var held = new Dictionary<string, long>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            held[reader.GetString(0)] = reader.GetInt64(1);
        }
        return SyncStreams.All.Select(stream => new StreamPositionRow(stream, held.GetValueOrDefault(stream))).ToList();
    }

    /// <summary>
    /// The hub's decisions on the terminal's transactions <paramref name="seqs"/> (pushed with confirm
    /// set). A sequence the hub holds without a decision was stored as an ordinary record: accepted.
    /// A sequence the hub does not hold has no answer.
    /// </summary>
    public async Task<IReadOnlyList<DecisionRow>> DecisionsAsync(MunicipalityCode municipality, string terminal, IReadOnlyCollection<long> seqs, CancellationToken cancellationToken = default)
    {
        CheckTerminal(terminal);
        ArgumentNullException.ThrowIfNull(seqs);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(seqs.Count, SyncLimits.MaxDecisionsPerCall, nameof(seqs));
        if (seqs.Count == 0)
        {
            return [];
        }
        await using var connection = await database.OpenAsync(cancellationToken);
        return await HeldDecisionsAsync(connection, null, municipality, terminal, seqs, cancellationToken);
    }

    /// <summary>The municipality's quarantined records, newest first, at most <paramref name="limit"/>.</summary>
    public async Task<IReadOnlyList<QuarantineEntry>> QuarantineAsync(MunicipalityCode municipality, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, MaxQuarantinePage);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = HubDatabase.Command(connection, null,
            database.Dialect.Limit("municipality, terminal, stream, seq, reason, record, received_at",
                "FROM sync_quarantine WHERE municipality = @municipality ORDER BY received_at DESC, terminal, stream, seq DESC"),
            ("@municipality", municipality.Value), ("@limit", limit));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var entries = new List<QuarantineEntry>();
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(new QuarantineEntry(MunicipalityCode.Parse(reader.GetString(0)), reader.GetString(1), reader.GetString(2),
                reader.GetInt64(3), reader.GetString(4), reader.GetString(5), reader.GetFieldValue<DateTimeOffset>(6)));
        }
        return entries;
    }

    /// <summary>How many quarantined records each terminal of the municipality has (terminals with none are absent).</summary>
    public async Task<IReadOnlyDictionary<string, long>> QuarantineCountsAsync(MunicipalityCode municipality, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = HubDatabase.Command(connection, null,
            "SELECT terminal, count(*) FROM sync_quarantine WHERE municipality = @municipality GROUP BY terminal", ("@municipality", municipality.Value));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            counts[reader.GetString(0)] = Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture);
        }
        return counts;
    }

    private async Task<PushOutcome> StoreAsync(
        DbConnection connection, DbTransaction transaction, MunicipalityCode municipality, string terminal, string stream,
        PushDecision.Accept accept, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var site = TerminalProfile.From(terminal, await TerminalPayloadAsync(connection, transaction, municipality, terminal, cancellationToken)).UsageSite;
        var quarantined = new List<QuarantinedSeq>();
        var usage = new List<UsageRecord>();
        var keep = new List<IMessage>();
        foreach (var record in accept.NewRecords)
        {
            var use = record.QuarantineReason is null ? Usage(municipality, terminal, site, record.Record) : null;
            // The store's own rules are the last word on a usage record; the protocol checks should already have caught it.
            var reason = record.QuarantineReason ?? (use is null ? null : UsageRecords.Problem(use) is { } bad ? "Unusable (" + bad + ")" : null);
            if (reason is not null)
            {
                quarantined.Add(new QuarantinedSeq(record.Seq, reason.Length > MaxReasonLength ? reason[..MaxReasonLength] : reason));
            }
            else if (use is not null)
            {
                usage.Add(use);
            }
            // The audit table keeps every entry of a verified chain, usable or not, so the chain stays whole.
            if (reason is null || record.Record is AuditRecord)
            {
                keep.Add(record.Record);
            }
        }
        await InsertRecordsAsync(connection, transaction, municipality, terminal, stream, keep, now, cancellationToken);
        await InsertQuarantineAsync(connection, transaction, municipality, terminal, stream, accept.NewRecords, quarantined, now, cancellationToken);
        var decisions = await DecideAsync(connection, transaction, municipality, terminal, accept.NewRecords, quarantined, now, cancellationToken);
        foreach (var refused in decisions.Where(d => !d.Accepted))
        {
            var index = usage.FindIndex(u => u.Stream == SyncStreams.Transactions && u.Seq == refused.Seq);
            if (index >= 0)
            {
                usage[index] = usage[index] with { Outcome = UsageOutcome.Refused, Reason = refused.Reason };
            }
        }
        await _usage.AddAsync(connection, transaction, usage, cancellationToken);
        await HubDatabase.ExecuteAsync(connection, transaction,
            "UPDATE sync_streams SET through_seq = @through, last_hash = @hash, refused_seq = NULL, updated_at = @now " +
            "WHERE municipality = @municipality AND terminal = @terminal AND stream = @stream",
            cancellationToken, ("@through", accept.Through), ("@hash", accept.LastHash is null ? null : Hex(accept.LastHash)), ("@now", now),
            ("@municipality", municipality.Value), ("@terminal", terminal), ("@stream", stream));
        return new PushOutcome(accept.Through, accept.NewRecords.Count - quarantined.Count, accept.Duplicates, quarantined, decisions);
    }

    // In sequence order, after the batch's records were inserted: each check sees the refusals before it.
    private static async Task<List<DecisionRow>> DecideAsync(
        DbConnection connection, DbTransaction transaction, MunicipalityCode municipality, string terminal,
        IReadOnlyList<NewRecord> records, List<QuarantinedSeq> quarantined, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var decisions = new List<DecisionRow>();
        foreach (var record in records)
        {
            if (record.Record is not TransactionRecord { Confirm: true } asked)
            {
                continue;
            }
            var decision = quarantined.FirstOrDefault(q => q.Seq == record.Seq) is { } bad
                ? CentralChecks.QuarantinedDecision(record.Seq, bad.Reason)
                : await CentralChecks.DecideAsync(connection, transaction, municipality, terminal, asked, cancellationToken);
            await HubDatabase.ExecuteAsync(connection, transaction,
                "INSERT INTO sync_decisions (municipality, terminal, seq, accepted, reason, message_en, message_ja, decided_at) " +
                "VALUES (@municipality, @terminal, @seq, @accepted, @reason, @en, @ja, @now)", cancellationToken,
                ("@municipality", municipality.Value), ("@terminal", terminal), ("@seq", decision.Seq), ("@accepted", decision.Accepted),
                ("@reason", decision.Reason), ("@en", decision.MessageEn), ("@ja", decision.MessageJa), ("@now", now));
            decisions.Add(decision);
        }
        return decisions;
    }

    private static async Task<List<DecisionRow>> HeldDecisionsAsync(
        DbConnection connection, DbTransaction? transaction, MunicipalityCode municipality, string terminal, IReadOnlyCollection<long> seqs, CancellationToken cancellationToken)
    {
        var decided = new Dictionary<long, DecisionRow>();
        var stored = new HashSet<long>();
        var from = seqs.Min();
        var to = seqs.Max();
        await using (var command = HubDatabase.Command(connection, transaction,
            "SELECT seq, accepted, reason, message_en, message_ja FROM sync_decisions WHERE municipality = @municipality AND terminal = @terminal AND seq >= @from AND seq <= @to",
            ("@municipality", municipality.Value), ("@terminal", terminal), ("@from", from), ("@to", to)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var seq = reader.GetInt64(0);
                decided[seq] = new DecisionRow(seq, reader.GetBoolean(1), NullableText(reader, 2), NullableText(reader, 3), NullableText(reader, 4));
            }
        }
        await using (var command = HubDatabase.Command(connection, transaction,
            "SELECT seq FROM edge_transactions WHERE municipality = @municipality AND terminal = @terminal AND seq >= @from AND seq <= @to",
            ("@municipality", municipality.Value), ("@terminal", terminal), ("@from", from), ("@to", to)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                stored.Add(reader.GetInt64(0));
            }
        }
        var answers = new List<DecisionRow>();
        foreach (var seq in seqs.Distinct().Order())
        {
            if (decided.TryGetValue(seq, out var decision))
            {
                answers.Add(decision);
            }
            else if (stored.Contains(seq))
            {
                answers.Add(DecisionRow.Accept(seq));
            }
        }
        return answers;
    }

    private static string? NullableText(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static UsageRecord? Usage(MunicipalityCode municipality, string terminal, string site, IMessage record)
    {
        switch (record)
        {
            case TransactionRecord t:
                return new UsageRecord(municipality, terminal, SyncStreams.Transactions, t.Seq, site, t.OccurredAt.ToDateTimeOffset(),
                    t.Service, t.Operation, UsageOutcome.Done, null, t.Offline, t.Training);
            case AuditRecord a when AuditRefusals.Read(a) is { } refused:
                return new UsageRecord(municipality, terminal, SyncStreams.Audit, a.Seq, site, refused.OccurredAt,
                    refused.Service, refused.Operation, UsageOutcome.Refused, refused.Reason, refused.Offline, refused.Training);
            default:
                return null;
        }
    }

    private static async Task InsertRecordsAsync(
        DbConnection connection, DbTransaction transaction, MunicipalityCode municipality, string terminal, string stream,
        List<IMessage> records, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (records.Count == 0)
        {
            return;
        }
        var (sql, types) = stream switch
        {
            SyncStreams.Transactions => (
                "INSERT INTO edge_transactions (municipality, terminal, seq, request_id, occurred_at, service, operation, card_ref, member, operator, item, amount, training, offline, payload, audit_seq, received_at) " +
                "VALUES (@municipality, @terminal, @seq, @id, @occurred, @service, @operation, @card, @member, @operator, @item, @amount, @training, @offline, @payload, @auditSeq, @now)",
                new[] { ("@seq", DbType.Int64), ("@id", DbType.String), ("@occurred", DbType.DateTimeOffset), ("@service", DbType.String), ("@operation", DbType.String),
                    ("@card", DbType.String), ("@member", DbType.String), ("@operator", DbType.String), ("@item", DbType.String), ("@amount", DbType.Int64),
                    ("@training", DbType.Boolean), ("@offline", DbType.Boolean), ("@payload", DbType.String), ("@auditSeq", DbType.Int64) }),
            SyncStreams.Audit => (
                "INSERT INTO edge_audit (municipality, terminal, seq, local_time, action, outcome, operator, subject, detail, prev_hash, hash, received_at) " +
                "VALUES (@municipality, @terminal, @seq, @time, @action, @outcome, @operator, @subject, @detail, @prev, @hash, @now)",
                new[] { ("@seq", DbType.Int64), ("@time", DbType.String), ("@action", DbType.String), ("@outcome", DbType.String), ("@operator", DbType.String),
                    ("@subject", DbType.String), ("@detail", DbType.String), ("@prev", DbType.String), ("@hash", DbType.String) }),
            _ => (
                "INSERT INTO edge_telemetry (municipality, terminal, seq, occurred_at, name, value, detail, received_at) " +
                "VALUES (@municipality, @terminal, @seq, @occurred, @name, @value, @detail, @now)",
                new[] { ("@seq", DbType.Int64), ("@occurred", DbType.DateTimeOffset), ("@name", DbType.String), ("@value", DbType.Double), ("@detail", DbType.String) }),
        };
        (string, object?)[] Row(params (string, object?)[] values) =>
            [("@municipality", municipality.Value), ("@terminal", terminal), ("@now", now), .. values];
        var rows = records.Select(record => record switch
        {
            TransactionRecord t => Row(("@seq", t.Seq), ("@id", t.Id), ("@occurred", t.OccurredAt.ToDateTimeOffset()), ("@service", t.Service), ("@operation", t.Operation),
                ("@card", NullIfEmpty(t.CardRef)), ("@member", NullIfEmpty(t.Member)), ("@operator", NullIfEmpty(t.Operator)), ("@item", NullIfEmpty(t.Item)),
                ("@amount", t.HasAmount ? t.Amount : null), ("@training", t.Training), ("@offline", t.Offline),
                ("@payload", t.PayloadJson.Length == 0 ? "{}" : t.PayloadJson), ("@auditSeq", t.AuditSeq > 0 ? t.AuditSeq : null)),
            AuditRecord a => Row(("@seq", a.Seq), ("@time", a.LocalTime), ("@action", a.Action), ("@outcome", a.Outcome),
                ("@operator", a.HasOperator ? a.Operator : null), ("@subject", a.HasSubject ? a.Subject : null), ("@detail", a.DetailJson),
                ("@prev", Hex(a.PrevHash.Span)), ("@hash", Hex(a.Hash.Span))),
            TelemetryRecord m => Row(("@seq", m.Seq), ("@occurred", m.OccurredAt.ToDateTimeOffset()), ("@name", m.Name), ("@value", m.Value),
                ("@detail", m.DetailJson.Length == 0 ? "{}" : m.DetailJson)),
            _ => throw new InvalidOperationException($"Unexpected record type {record.GetType()}."),
        }).ToList();
        await HubDatabase.ExecuteEachAsync(connection, transaction, sql, rows, types.ToDictionary(t => t.Item1, t => t.Item2, StringComparer.Ordinal), cancellationToken);
    }

    private static async Task InsertQuarantineAsync(
        DbConnection connection, DbTransaction transaction, MunicipalityCode municipality, string terminal, string stream,
        IReadOnlyList<NewRecord> records, List<QuarantinedSeq> quarantined, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (quarantined.Count == 0)
        {
            return;
        }
        var bySeq = records.ToDictionary(r => r.Seq);
        await using var insert = Prepared(connection, transaction,
            "INSERT INTO sync_quarantine (municipality, terminal, stream, seq, reason, record, received_at) VALUES (@municipality, @terminal, @stream, @seq, @reason, @record, @now)",
            municipality, terminal, now, [("@stream", DbType.String), ("@seq", DbType.Int64), ("@reason", DbType.String), ("@record", DbType.String)]);
        await insert.PrepareAsync(cancellationToken);
        foreach (var entry in quarantined)
        {
            Set(insert, ("@stream", stream), ("@seq", entry.Seq), ("@reason", entry.Reason), ("@record", RecordJson.Format(bySeq[entry.Seq].Record)));
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    // A refusal is written in its own transaction, after the batch's rolled back. refused_seq keeps one
    // entry per break, so a terminal that retries the same broken batch every few minutes does not
    // bury the rest of the municipality's audit.
    private async Task RecordChainBreakAsync(MunicipalityCode municipality, string terminal, PushDecision.ChainBroken broken, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var head = await LockAsync(connection, transaction, municipality, terminal, SyncStreams.Audit, cancellationToken);
        if (head.RefusedSeq == broken.Break.Seq)
        {
            await transaction.RollbackAsync(cancellationToken);
            return;
        }
        await HubDatabase.ExecuteAsync(connection, transaction,
            "UPDATE sync_streams SET refused_seq = @seq, updated_at = @now WHERE municipality = @municipality AND terminal = @terminal AND stream = @stream",
            cancellationToken, ("@seq", broken.Break.Seq), ("@now", database.UtcNow),
            ("@municipality", municipality.Value), ("@terminal", terminal), ("@stream", SyncStreams.Audit));
        await HubAuditStore.AppendAsync(database, connection, transaction,
            [new HubAuditEntry(municipality, terminal, ChainBrokenAction, HubAuditStore.Subject($"terminal {terminal} audit entry {broken.Break.Seq}"), new JsonObject
            {
                ["terminal"] = terminal,
                ["seq"] = broken.Break.Seq,
                ["fault"] = broken.Break.Fault.ToString(),
                ["problem"] = broken.Break.MessageEn,
                ["hubThrough"] = broken.Through,
            })], cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    private async Task<(StreamHead Head, long? RefusedSeq)> LockAsync(
        DbConnection connection, DbTransaction transaction, MunicipalityCode municipality, string terminal, string stream, CancellationToken cancellationToken)
    {
        await using var command = HubDatabase.Command(connection, transaction, database.Dialect.LockStreamPosition,
            ("@municipality", municipality.Value), ("@terminal", terminal), ("@stream", stream), ("@now", database.UtcNow));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            throw new InvalidOperationException($"The sync_streams row of {municipality.Value} {terminal} {stream} could not be taken.");
        }
        var head = new StreamHead(reader.GetInt64(0), reader.IsDBNull(1) ? null : Convert.FromHexString(reader.GetString(1)));
        return (head, reader.IsDBNull(2) ? null : reader.GetInt64(2));
    }

    private static async Task<Dictionary<long, byte[]>> HeldAuditHashesAsync(
        DbConnection connection, DbTransaction transaction, MunicipalityCode municipality, string terminal, long from, long to, CancellationToken cancellationToken)
    {
        await using var command = HubDatabase.Command(connection, transaction,
            "SELECT seq, hash FROM edge_audit WHERE municipality = @municipality AND terminal = @terminal AND seq >= @from AND seq <= @to",
            ("@municipality", municipality.Value), ("@terminal", terminal), ("@from", from), ("@to", to));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var hashes = new Dictionary<long, byte[]>();
        while (await reader.ReadAsync(cancellationToken))
        {
            hashes[reader.GetInt64(0)] = Convert.FromHexString(reader.GetString(1));
        }
        return hashes;
    }

    private static async Task<HashSet<string>> KnownServicesAsync(DbConnection connection, DbTransaction transaction, MunicipalityCode municipality, CancellationToken cancellationToken)
    {
        var services = ServiceSchemas.BuiltIn.Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
        await using var command = HubDatabase.Command(connection, transaction,
            "SELECT row_key FROM master_rows WHERE municipality = @municipality AND kind = @kind AND deleted = @deleted",
            ("@municipality", municipality.Value), ("@kind", MasterKinds.AttendanceDefinition), ("@deleted", false));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            services.Add(reader.GetString(0));
        }
        return services;
    }

    private static async Task<string?> TerminalPayloadAsync(DbConnection connection, DbTransaction transaction, MunicipalityCode municipality, string terminal, CancellationToken cancellationToken) =>
        (string?)await HubDatabase.ScalarAsync(connection, transaction,
            "SELECT payload FROM master_rows WHERE municipality = @municipality AND kind = @kind AND row_key = @key AND deleted = @deleted",
            cancellationToken, ("@municipality", municipality.Value), ("@kind", MasterKinds.Terminal), ("@key", terminal), ("@deleted", false));

    private static async Task EnsureMunicipalityAsync(DbConnection connection, DbTransaction transaction, MunicipalityCode municipality, CancellationToken cancellationToken)
    {
        if (await HubDatabase.ScalarAsync(connection, transaction, "SELECT code FROM municipalities WHERE code = @code", cancellationToken, ("@code", municipality.Value)) is null)
        {
            throw new UnknownMunicipalityException(municipality);
        }
    }

    // Parameters typed up front: a first record with a NULL column must not leave a prepared statement's parameter untyped.
    private static DbCommand Prepared(
        DbConnection connection, DbTransaction transaction, string sql, MunicipalityCode municipality, string terminal, DateTimeOffset now, (string Name, DbType Type)[] types)
    {
        var command = HubDatabase.Command(connection, transaction, sql, ("@municipality", municipality.Value), ("@terminal", terminal), ("@now", now));
        foreach (var (name, type) in types)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.DbType = type;
            parameter.Value = DBNull.Value;
            command.Parameters.Add(parameter);
        }
        return command;
    }

    private static void Set(DbCommand command, params (string Name, object? Value)[] values)
    {
        foreach (var (name, value) in values)
        {
            command.Parameters[name].Value = value ?? DBNull.Value;
        }
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;

    private static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    private static void CheckTerminal(string terminal)
    {
        if (string.IsNullOrWhiteSpace(terminal) || terminal.Length > UsageRecords.MaxIdLength)
        {
            throw new ArgumentException($"terminal must be 1 to {UsageRecords.MaxIdLength} characters.", nameof(terminal));
        }
    }
}
