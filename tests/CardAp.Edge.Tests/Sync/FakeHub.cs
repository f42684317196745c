using System.Globalization;
using System.Text;
using CardAp.Shared.Audit;
using CardAp.Sync;
using CardAp.Sync.Contracts;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using SyncContract = CardAp.Sync.Contracts.Sync;

namespace CardAp.Edge.Tests.Sync;

/// <summary>
/// A stand-in for the hub's Sync service with its own state, kept the way the protocol says the
/// hub keeps it: a municipality's master rows with a gap-free change sequence (latest change per
/// row, tombstones until purged), the terminal's scope from its services, and the terminal's
/// streams stored idempotently by sequence, the audit chain checked link by link. Faults are
/// injected per call through <see cref="BeforeCall"/> and <see cref="AfterPush"/>.
/// </summary>
internal sealed class FakeHub : SyncContract.SyncBase
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Kind, string Key), Row> _rows = [];
    private readonly Dictionary<string, SortedDictionary<long, IMessage>> _streams = new(StringComparer.Ordinal)
    {
        ["transactions"] = [],
        ["audit"] = [],
        ["telemetry"] = [],
    };
    private readonly Dictionary<string, int> _callCounts = new(StringComparer.Ordinal);
    private int _running;

    public string Municipality { get; set; } = "131016";

    public string Terminal { get; set; } = "131016-T001";

    public HashSet<string> Services { get; set; } = new(StringComparer.Ordinal) { "library", "points" };

    public string Scope => SyncScope.Id(Services);

    public long LastSeq { get; private set; }

    public long Horizon { get; private set; }

    public TimeSpan ClockOffset { get; set; }

    /// <summary>Before each call: (method, how many calls of that method came before, counting from 0). May throw or wait.</summary>
    public Func<string, int, Task>? BeforeCall { get; set; }

    /// <summary>After a Push was stored, before its reply: may throw (the reply is "lost").</summary>
    public Func<PushRequest, Task>? AfterPush { get; set; }

    /// <summary>A reason to quarantine a transaction (still stored and acknowledged), or null.</summary>
    public Func<TransactionRecord, string?>? Quarantine { get; set; }

    /// <summary>Stores at most this many new records per Push (a hub that acknowledges less than it was sent).</summary>
    public int? StorePerPush { get; set; }

    /// <summary>Whether StreamGap and AuditChainBroken refusals name the hub's position in a trailer.</summary>
    public bool NamePositionInRefusals { get; set; } = true;

    public List<SeenCall> Calls { get; } = [];

    public List<(string Stream, long Seq, string Reason)> Quarantined { get; } = [];

    public int MaxConcurrentCalls { get; private set; }

    public sealed record SeenCall(string Method, string? Encoding, bool HasDeadline, IMessage Request);

    private sealed record Row(long Seq, string? Payload);

    // ---- the hub's master data ----

    public long Put(string kind, string key, string payload)
    {
        lock (_gate)
        {
            _rows[(kind, key)] = new Row(++LastSeq, payload);
            return LastSeq;
        }
    }

    public long Delete(string kind, string key)
    {
        lock (_gate)
        {
            _rows[(kind, key)] = new Row(++LastSeq, null);
            return LastSeq;
        }
    }

    /// <summary>Forgets tombstones at or below the current head: a terminal behind it must take a snapshot.</summary>
    public void PurgeTombstones()
    {
        lock (_gate)
        {
            foreach (var key in _rows.Where(r => r.Value.Payload is null).Select(r => r.Key).ToList())
            {
                _rows.Remove(key);
            }
            Horizon = LastSeq;
        }
    }

    /// <summary>The live rows this terminal should hold, as (kind, key, payload).</summary>
    public List<(string Kind, string Key, string Payload)> ScopeRows()
    {
        lock (_gate)
        {
            // Kept while nothing changes, so a large snapshot is not sorted again for every page.
            var version = (LastSeq, Horizon, Scope);
            if (_scopeRows is null || _scopeRowsVersion != version)
            {
                _scopeRows = [.. _rows.Where(r => r.Value.Payload is not null && SyncScope.Includes(Services, r.Key.Kind, r.Key.Key, r.Value.Payload))
                    .OrderBy(r => r.Key.Kind, StringComparer.Ordinal).ThenBy(r => r.Key.Key, StringComparer.Ordinal)
                    .Select(r => (r.Key.Kind, r.Key.Key, r.Value.Payload!))];
                _scopeRowsVersion = version;
            }
            return [.. _scopeRows];
        }
    }

    private List<(string Kind, string Key, string Payload)>? _scopeRows;
    private (long, long, string) _scopeRowsVersion;

    // ---- the terminal's streams ----

    public long Through(string stream)
    {
        lock (_gate)
        {
            var held = _streams[stream];
            long through = 0;
            while (held.ContainsKey(through + 1))
            {
                through++;
            }
            return through;
        }
    }

    public IReadOnlyList<T> Records<T>(string stream) where T : IMessage
    {
        lock (_gate)
        {
            return [.. _streams[stream].Values.Cast<T>()];
        }
    }

    /// <summary>Forgets a stream after <paramref name="through"/> (the hub restored from an older backup).</summary>
    public void TruncateStream(string stream, long through)
    {
        lock (_gate)
        {
            foreach (var seq in _streams[stream].Keys.Where(s => s > through).ToList())
            {
                _streams[stream].Remove(seq);
            }
        }
    }

    public int CallCount(string method)
    {
        lock (_gate)
        {
            return _callCounts.GetValueOrDefault(method);
        }
    }

    // ---- the service ----

    public override Task<HelloReply> Hello(HelloRequest request, ServerCallContext context) => Handle("Hello", request, context, () =>
    {
        var reply = new HelloReply
        {
            HubTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow + ClockOffset),
            Municipality = Municipality,
            Terminal = Terminal,
            Scope = Scope,
            LastSeq = LastSeq,
            Horizon = Horizon,
        };
        foreach (var stream in _streams.Keys)
        {
            reply.Streams.Add(new StreamPosition { Stream = stream, Through = Through(stream) });
        }
        return reply;
    });

    public override Task<PullReply> Pull(PullRequest request, ServerCallContext context) => Handle("Pull", request, context, () =>
    {
        string? reinitialise = request.Scope != Scope ? "ScopeChanged"
            : request.AfterSeq < Horizon ? "BehindHorizon"
            : request.AfterSeq > LastSeq ? "CheckpointAhead"
            : null;
        if (reinitialise is not null)
        {
            return new PullReply { Reinitialise = true, ReinitialiseReason = reinitialise, ThroughSeq = request.AfterSeq };
        }
        var limit = request.Limit == 0 ? 1000 : request.Limit;
        var reply = new PullReply { ThroughSeq = LastSeq };
        foreach (var (key, row) in _rows.Where(r => r.Value.Seq > request.AfterSeq).OrderBy(r => r.Value.Seq))
        {
            if (!SyncScope.Includes(Services, key.Kind, key.Key, row.Payload))
            {
                continue;
            }
            reply.Changes.Add(new MasterChange { Kind = key.Kind, Key = key.Key, PayloadJson = row.Payload ?? string.Empty, Deleted = row.Payload is null, Seq = row.Seq });
            if (reply.Changes.Count == limit)
            {
                reply.ThroughSeq = row.Seq;
                break;
            }
        }
        reply.HasMore = reply.ThroughSeq < LastSeq;
        return reply;
    });

    public override Task<SnapshotPage> Snapshot(SnapshotRequest request, ServerCallContext context) => Handle("Snapshot", request, context, () =>
    {
        // token: "<asOf>|<kind>|<key>" of the last row sent
        var parts = request.PageToken.Length == 0 ? null : request.PageToken.Split('|');
        var asOf = parts is null ? LastSeq : long.Parse(parts[0], CultureInfo.InvariantCulture);
        var limit = request.Limit == 0 ? 1000 : request.Limit;
        var all = ScopeRows();
        var start = parts is null ? 0 : all.FindIndex(r => string.CompareOrdinal(r.Kind, parts[1]) > 0 || (r.Kind == parts[1] && string.CompareOrdinal(r.Key, parts[2]) > 0));
        var rows = start < 0 ? [] : all.Skip(start).Take(limit + 1).ToList();
        var page = new SnapshotPage { AsOfSeq = asOf, Scope = Scope };
        foreach (var (kind, key, payload) in rows.Take(limit))
        {
            page.Rows.Add(new MasterChange { Kind = kind, Key = key, PayloadJson = payload, Seq = _rows[(kind, key)].Seq });
        }
        if (rows.Count > limit)
        {
            var last = rows[limit - 1];
            page.NextPageToken = $"{asOf}|{last.Kind}|{last.Key}";
        }
        return page;
    });

    public override async Task<PushReply> Push(PushRequest request, ServerCallContext context)
    {
        var reply = await Handle("Push", request, context, () => Store(request));
        if (AfterPush is { } after)
        {
            await after(request);
        }
        return reply;
    }

    private PushReply Store(PushRequest request)
    {
        var records = request.Stream switch
        {
            "transactions" => request.Transactions.Select(r => (r.Seq, (IMessage)r)).ToList(),
            "audit" => request.Audit.Select(r => (r.Seq, (IMessage)r)).ToList(),
            "telemetry" => request.Telemetry.Select(r => (r.Seq, (IMessage)r)).ToList(),
            _ => throw new RpcException(new Status(StatusCode.InvalidArgument, $"unknown stream {request.Stream}")),
        };
        for (var i = 1; i < records.Count; i++)
        {
            if (records[i].Seq != records[i - 1].Seq + 1)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, "a batch is consecutive"));
            }
        }
        var held = _streams[request.Stream];
        var through = Through(request.Stream);
        if (records.Count > 0 && records[0].Seq > through + 1)
        {
            throw Refusal(SyncRefusals.StreamGap, through, $"Stream {request.Stream}: the batch starts at {records[0].Seq}, but the hub holds 1 to {through}.",
                $"ストリーム{request.Stream}: 送信は{records[0].Seq}番からですが、ハブは{through}番まで受信済みです。");
        }
        var reply = new PushReply();
        var fresh = records.Where(r => r.Seq > through).Take(StorePerPush ?? int.MaxValue).ToList();
        reply.Duplicates = records.Count(r => r.Seq <= through);
        if (request.Stream == "audit")
        {
            var previous = through == 0 ? AuditHash.Genesis : ((AuditRecord)held[through]).Hash.ToByteArray();
            foreach (var (_, message) in fresh)
            {
                var entry = (AuditRecord)message;
                var hash = AuditHash.Compute(entry.Seq, entry.LocalTime, entry.Action, entry.Outcome, entry.HasOperator ? entry.Operator : null,
                    entry.HasSubject ? entry.Subject : null, entry.DetailJson, entry.PrevHash.Span);
                if (!entry.PrevHash.Span.SequenceEqual(previous) || !hash.AsSpan().SequenceEqual(entry.Hash.Span))
                {
                    throw Refusal("AuditChainBroken", through, $"Audit entry {entry.Seq} does not continue the chain.", $"操作履歴{entry.Seq}番がチェーンに続いていません。");
                }
                previous = hash;
            }
        }
        foreach (var (seq, message) in fresh)
        {
            held[seq] = message;
            reply.Stored++;
            if (message is TransactionRecord transaction && Quarantine?.Invoke(transaction) is { } reason)
            {
                Quarantined.Add((request.Stream, seq, reason));
                reply.Quarantined.Add(new QuarantinedRecord { Seq = seq, Reason = reason });
            }
        }
        reply.AcknowledgedThrough = Through(request.Stream);
        return reply;
    }

    private RpcException Refusal(string reason, long through, string en, string ja)
    {
        var trailers = new Metadata
        {
            { "cardap-reason", reason },
            { "cardap-message-en", en },
            { "cardap-message-ja-bin", Encoding.UTF8.GetBytes(ja) },
        };
        if (NamePositionInRefusals)
        {
            trailers.Add(SyncRefusals.AcknowledgedThroughTrailer, through.ToString(CultureInfo.InvariantCulture));
        }
        return new RpcException(new Status(StatusCode.FailedPrecondition, en), trailers);
    }

    private async Task<TReply> Handle<TReply>(string method, IMessage request, ServerCallContext context, Func<TReply> answer)
    {
        var running = Interlocked.Increment(ref _running);
        try
        {
            int count;
            lock (_gate)
            {
                MaxConcurrentCalls = Math.Max(MaxConcurrentCalls, running);
                count = _callCounts.GetValueOrDefault(method);
                _callCounts[method] = count + 1;
                // grpc-dotnet keeps grpc-encoding out of RequestHeaders; the HTTP request has it.
                Calls.Add(new SeenCall(method, context.GetHttpContext().Request.Headers["grpc-encoding"].ToString(), context.Deadline < DateTime.MaxValue, request));
            }
            if (BeforeCall is { } before)
            {
                await before(method, count);
            }
            lock (_gate)
            {
                return answer();
            }
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }
}
