using System.Diagnostics;
using CardAp.Sync.Contracts;
using CardAp.Sync.Edge;
using CardAp.Testing;

namespace CardAp.Benchmarks;

/// <summary>
/// The edge's sync store with a stopwatch around each call the engine makes, and a mark (time and
/// the proxy's byte counters) where each stream's push starts, so one sync run splits into the time
/// the edge spends in SQLite, the rest (the network, the hub and protobuf), and bytes per stream.
/// Only timestamps are taken inside the timed run.
/// </summary>
internal sealed class TimedSyncStore(IEdgeSyncStore inner, Func<FaultProxyCounters> counters) : IEdgeSyncStore
{
    private readonly Dictionary<string, TimeSpan> _spent = new(StringComparer.Ordinal);
    private readonly List<Mark> _marks = [];
    private string? _pushing;

    /// <summary>Time spent inside each store method, summed over the run.</summary>
    public IReadOnlyDictionary<string, TimeSpan> Spent => _spent;

    /// <summary>Where each stream's push began (the first ReadBatch of it).</summary>
    public IReadOnlyList<Mark> Marks => _marks;

    public long MasterCheckpoint => inner.MasterCheckpoint;

    public string? MasterScope => inner.MasterScope;

    public DateTimeOffset? LastSuccess => inner.LastSuccess;

    public int ApplyPage(long afterSeq, IReadOnlyList<MasterChange> changes, long throughSeq) => Time("ApplyPage", () => inner.ApplyPage(afterSeq, changes, throughSeq));

    public string BeginSnapshot() => Time("BeginSnapshot", inner.BeginSnapshot);

    public int StageSnapshot(string token, IReadOnlyList<MasterChange> rows) => Time("StageSnapshot", () => inner.StageSnapshot(token, rows));

    public long CommitSnapshot(string token, long asOfSeq, string scope, string municipality, string? reason) =>
        Time("CommitSnapshot", () => inner.CommitSnapshot(token, asOfSeq, scope, municipality, reason));

    public long Backlog() => Time("Backlog", inner.Backlog);

    public long LastSeq(string stream) => Time("LastSeq", () => inner.LastSeq(stream));

    public long AcknowledgedThrough(string stream) => Time("AcknowledgedThrough", () => inner.AcknowledgedThrough(stream));

    public PushRequest ReadBatch(string stream, long afterSeq, int maxRecords)
    {
        if (_pushing != stream)
        {
            _pushing = stream;
            _marks.Add(new Mark(stream, Stopwatch.GetTimestamp(), counters()));
        }
        return Time("ReadBatch", () => inner.ReadBatch(stream, afterSeq, maxRecords));
    }

    public void Acknowledge(string stream, long throughSeq) => Time("Acknowledge", () =>
    {
        inner.Acknowledge(stream, throughSeq);
        return 0;
    });

    public void RecordDecisions(IReadOnlyList<HubDecision> decisions) => Time("RecordDecisions", () =>
    {
        inner.RecordDecisions(decisions);
        return 0;
    });

    public HubDecision? Decision(long seq) => Time("Decision", () => inner.Decision(seq));

    public IReadOnlyList<long> AwaitingDecision(long throughSeq, int limit) => Time("AwaitingDecision", () => inner.AwaitingDecision(throughSeq, limit));

    public IReadOnlyDictionary<string, long>? RestoredThrough() => inner.RestoredThrough();

    public void ClearRestorePending() => inner.ClearRestorePending();

    public void RecordSuccess(DateTimeOffset at) => Time("RecordSuccess", () =>
    {
        inner.RecordSuccess(at);
        return 0;
    });

    private T Time<T>(string name, Func<T> call)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            return call();
        }
        finally
        {
            _spent[name] = _spent.GetValueOrDefault(name) + Stopwatch.GetElapsedTime(start);
        }
    }

    public TimeSpan SpentIn(params string[] names) => names.Aggregate(TimeSpan.Zero, (sum, name) => sum + _spent.GetValueOrDefault(name));

    internal sealed record Mark(string Stream, long Timestamp, FaultProxyCounters Counters);
}
