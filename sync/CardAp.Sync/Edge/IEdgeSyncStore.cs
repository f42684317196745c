using CardAp.Sync.Contracts;

namespace CardAp.Sync.Edge;

/// <summary>
/// What the sync engine needs from the terminal's local store. Every write is one local
/// transaction that is durable when the method returns; the engine never holds a local lock
/// across a network call.
/// </summary>
public interface IEdgeSyncStore
{
    /// <summary>The hub change sequence the master set holds (0: none yet).</summary>
    long MasterCheckpoint { get; }

    /// <summary>The scope id the master set was built for; null when it did not come from a hub snapshot.</summary>
    string? MasterScope { get; }

    /// <summary>
    /// Applies a Pull page and moves the checkpoint to <paramref name="throughSeq"/> in one
    /// transaction; refuses (nothing applied) when the checkpoint is no longer <paramref name="afterSeq"/>.
    /// </summary>
    int ApplyPage(long afterSeq, IReadOnlyList<MasterChange> changes, long throughSeq);

    /// <summary>Starts a staged snapshot (discarding any earlier staging); returns its token.</summary>
    string BeginSnapshot();

    /// <summary>Stages one snapshot page in one transaction; returns its rows.</summary>
    int StageSnapshot(string token, IReadOnlyList<MasterChange> rows);

    /// <summary>Swaps the staged rows in as the whole master set, with checkpoint, scope and municipality, in one transaction.</summary>
    long CommitSnapshot(string token, long asOfSeq, string scope, string municipality, string? reason);

    /// <summary>Records still waiting for the hub's acknowledgement, all streams.</summary>
    long Backlog();

    /// <summary>The last sequence number written in a stream (0 when empty).</summary>
    long LastSeq(string stream);

    /// <summary>The position the hub last acknowledged for a stream, as this terminal remembers it.</summary>
    long AcknowledgedThrough(string stream);

    /// <summary>
    /// Up to <paramref name="maxRecords"/> records of <paramref name="stream"/> after
    /// <paramref name="afterSeq"/>, consecutive and in order, as a Push request.
    /// </summary>
    PushRequest ReadBatch(string stream, long afterSeq, int maxRecords);

    /// <summary>The hub holds the stream through <paramref name="throughSeq"/>: forget those outbox entries (never goes back).</summary>
    void Acknowledge(string stream, long throughSeq);

    /// <summary>
    /// Keeps the hub's decisions on confirm transactions (online-only operations, ADR 0011) in one
    /// transaction; decisions already held are skipped (a decision is final).
    /// </summary>
    void RecordDecisions(IReadOnlyList<HubDecision> decisions);

    /// <summary>The hub's decision on a confirm transaction, or null while there is none.</summary>
    HubDecision? Decision(long seq);

    /// <summary>Confirm transactions up to <paramref name="throughSeq"/> still without a decision, oldest first, at most <paramref name="limit"/>.</summary>
    IReadOnlyList<long> AwaitingDecision(long throughSeq, int limit);

    /// <summary>After a restore from backup: where each stream ended in the backup; null when no restore awaits reconciliation.</summary>
    IReadOnlyDictionary<string, long>? RestoredThrough();

    /// <summary>The restored database agrees with the hub: forget the restore mark.</summary>
    void ClearRestorePending();

    /// <summary>When a sync last completed without error, or null.</summary>
    DateTimeOffset? LastSuccess { get; }

    /// <summary>Remembers a completed sync.</summary>
    void RecordSuccess(DateTimeOffset at);
}
