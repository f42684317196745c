using CardAp.Card.Application;
using CardAp.Edge.Store;
using CardAp.Sync.Contracts;
using CardAp.Sync.Edge;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using StoreChange = CardAp.Edge.Store.MasterChange;
using WireChange = CardAp.Sync.Contracts.MasterChange;

namespace CardAp.Edge.Sync;

/// <summary>The edge store as the sync engine sees it: master data, outbox and records, mapped to and from the wire.</summary>
public sealed class EdgeSyncStore(MasterData master, OutboxState outbox, LocalRecords records, TimeProvider clock) : IEdgeSyncStore
{
    public long MasterCheckpoint => master.Checkpoint;

    public string? MasterScope => master.Scope;

    public DateTimeOffset? LastSuccess => outbox.LastSync;

    public int ApplyPage(long afterSeq, IReadOnlyList<WireChange> changes, long throughSeq) =>
        master.ApplyPage(afterSeq, [.. changes.Select(ToStore)], throughSeq);

    public string BeginSnapshot() => master.BeginSnapshot();

    public int StageSnapshot(string token, IReadOnlyList<WireChange> rows) => master.StageSnapshot(token, [.. rows.Select(ToStore)]);

    public long CommitSnapshot(string token, long asOfSeq, string scope, string municipality, string? reason) =>
        master.CommitSnapshot(token, asOfSeq, scope, municipality, clock.GetUtcNow().ToOffset(CardDates.JapanOffset), reason);

    public long Backlog() => outbox.Backlog().Sum(b => b.Pending);

    public long LastSeq(string stream) => records.LastSeq(stream);

    public long AcknowledgedThrough(string stream) => outbox.AcknowledgedThrough(stream);

    public void Acknowledge(string stream, long throughSeq) => outbox.Acknowledge(stream, throughSeq);

    public void RecordDecisions(IReadOnlyList<HubDecision> decisions) =>
        records.RecordDecisions([.. decisions.Select(d => new StoredDecision(d.Seq, d.Accepted, d.Reason, d.MessageEn, d.MessageJa))],
            clock.GetUtcNow().ToOffset(CardDates.JapanOffset));

    public HubDecision? Decision(long seq) => records.Decision(seq) is { } d
        ? new HubDecision { Seq = d.Seq, Accepted = d.Accepted, Reason = d.Reason ?? string.Empty, MessageEn = d.MessageEn ?? string.Empty, MessageJa = d.MessageJa ?? string.Empty }
        : null;

    public IReadOnlyList<long> AwaitingDecision(long throughSeq, int limit) => records.AwaitingDecision(throughSeq, limit);

    public IReadOnlyDictionary<string, long>? RestoredThrough() => outbox.RestoredThrough();

    public void ClearRestorePending() => outbox.ClearRestorePending();

    public void RecordSuccess(DateTimeOffset at) => outbox.RecordSync(at.ToOffset(CardDates.JapanOffset));

    public PushRequest ReadBatch(string stream, long afterSeq, int maxRecords)
    {
        var request = new PushRequest { Stream = stream };
        switch (stream)
        {
            case OutboxStreams.Transactions:
                request.Transactions.AddRange(records.TransactionsAfter(afterSeq, maxRecords).Select(t => new TransactionRecord
                {
                    Seq = t.Seq,
                    Id = t.Id,
                    OccurredAt = Timestamp.FromDateTimeOffset(t.LocalTime),
                    Service = t.Service,
                    Operation = t.Operation,
                    CardRef = t.CardRef ?? string.Empty,
                    Member = t.Member ?? string.Empty,
                    Operator = t.Operator ?? string.Empty,
                    Item = t.Item ?? string.Empty,
                    HasAmount = t.Amount is not null,
                    Amount = t.Amount ?? 0,
                    Training = t.Training,
                    Offline = t.Offline,
                    PayloadJson = t.PayloadJson,
                    AuditSeq = t.AuditSeq ?? 0,
                    Confirm = t.Confirm,
                }));
                break;
            case OutboxStreams.Audit:
                request.Audit.AddRange(records.AuditAfter(afterSeq, maxRecords).Select(a => new AuditRecord
                {
                    Seq = a.Seq,
                    // The hub recomputes the chain from these columns: the time must be the text that was hashed,
                    // which is the round-trip ("O") form the store writes and parses.
                    LocalTime = RecordValidation.Time(a.LocalTime),
                    Action = a.Action,
                    Outcome = a.Outcome,
                    Operator = a.Operator ?? string.Empty,
                    HasOperator = a.Operator is not null,
                    Subject = a.Subject ?? string.Empty,
                    HasSubject = a.Subject is not null,
                    DetailJson = a.DetailJson,
                    PrevHash = ByteString.CopyFrom(a.PrevHash),
                    Hash = ByteString.CopyFrom(a.Hash),
                }));
                break;
            case OutboxStreams.Telemetry:
                request.Telemetry.AddRange(records.TelemetryAfter(afterSeq, maxRecords).Select(t => new TelemetryRecord
                {
                    Seq = t.Seq,
                    OccurredAt = Timestamp.FromDateTimeOffset(t.LocalTime),
                    Name = t.Name,
                    Value = t.Value,
                    DetailJson = t.DetailJson,
                }));
                break;
            default:
                throw new ArgumentException($"Unknown stream '{stream}'; the streams are {string.Join(", ", OutboxStreams.All)}.", nameof(stream));
        }
        return request;
    }

    private static StoreChange ToStore(WireChange change) => new(change.Kind, change.Key, change.Deleted ? null : change.PayloadJson, change.Seq);
}
