using System.Globalization;
using CardAp.Sync.Contracts;
using CardAp.Sync.Hub;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using SyncClient = CardAp.Sync.Contracts.Sync.SyncClient;

namespace CardAp.Sync.Edge;

/// <summary>
/// The edge's side of the sync protocol (ADR 0010), one run per <see cref="SyncAsync"/>:
/// <list type="number">
/// <item>Hello: clocks, the hub's view of this terminal (identity, scope, feed head and horizon, stream positions).</item>
/// <item>Down: a staged snapshot when the master set is missing, of another scope, behind the horizon or
/// ahead of the hub; then Pull pages until has_more is false, each applied with its checkpoint in one
/// local transaction (a failure resumes from the last applied page). A Pull that answers reinitialise
/// leads to a snapshot too.</item>
/// <item>Up: each stream from the hub's position, in sequence order, in batches; the outbox moves only on
/// acknowledged_through, and a StreamGap refusal resends from the position the hub names.</item>
/// </list>
/// One run at a time (a <see cref="SemaphoreSlim"/> in this process: nothing a crash could leave held).
/// Every call has a deadline and a gzip-compressed request. A failed run changes nothing it did not
/// finish: pages and batches are all-or-nothing on both sides.
/// </summary>
public sealed class SyncEngine : IDisposable
{
    private const int MaxSnapshotsPerRun = 2;
    private const int MaxGapResends = 3;
    private const int MaxSoftwareVersionLength = 64;
    private static readonly TimeSpan SkewWarning = TimeSpan.FromMinutes(2);
    private static readonly string[] Streams = [SyncStreams.Transactions, SyncStreams.Audit, SyncStreams.Telemetry];

    private readonly SyncClient _client;
    private readonly IEdgeSyncStore _store;
    private readonly SyncEngineOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    // One Push at a time: a sync run's batches and an online-only operation's push take turns.
    private readonly SemaphoreSlim _pushGate = new(1, 1);
    // Where the hub holds each stream, as last answered (guarded by _pushGate).
    private readonly Dictionary<string, long> _hubPositions = new(StringComparer.Ordinal);
    private readonly Lock _statusGate = new();
    private SyncStatus _status;

    public SyncEngine(SyncClient client, IEdgeSyncStore store, SyncEngineOptions options, TimeProvider clock, ILogger<SyncEngine> logger)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentException.ThrowIfNullOrEmpty(options.TerminalId);
        ArgumentException.ThrowIfNullOrEmpty(options.Municipality);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.BatchSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.BatchSize, SyncEngineOptions.MaxBatchSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.PageSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.PageSize, SyncEngineOptions.MaxPageSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxBatchBytes);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.CallTimeout, TimeSpan.Zero);
        _client = client;
        _store = store;
        _options = options;
        _clock = clock;
        _logger = logger;
        _status = new SyncStatus(false, null, store.LastSuccess, null, null, 0, store.Backlog(), null, store.MasterCheckpoint);
    }

    /// <summary>The current state (a snapshot; safe from any thread).</summary>
    public SyncStatus Status
    {
        get
        {
            lock (_statusGate)
            {
                return _status;
            }
        }
    }

    /// <summary>
    /// Runs one sync; if one is running, waits for it to end first (so the caller's records of a
    /// moment ago are included). Never throws for a failed sync: the outcome says what went wrong.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<SyncOutcome> SyncAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return await RunAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        _gate.Dispose();
        _pushGate.Dispose();
    }

    private DateTimeOffset Now => _clock.GetUtcNow();

    private async Task<SyncOutcome> RunAsync(CancellationToken cancellationToken)
    {
        var run = new Run(Now);
        Update(s => s with { Running = true, Progress = new SyncProgress("hello", 0, 0), LastAttempt = run.StartedAt });
        try
        {
            var hello = await HelloAsync(run, cancellationToken);
            if (IdentityProblem(hello) is { } mismatch)
            {
                run.Fail(mismatch);
            }
            else
            {
                await DownAsync(run, hello, cancellationToken);
                await UpAsync(run, hello, cancellationToken);
            }
        }
        catch (Exception e) when (cancellationToken.IsCancellationRequested)
        {
            // gRPC reports a call cancelled by our own token as RpcException(Cancelled): still a stop, not a hub failure.
            Update(s => s with { Running = false, Progress = null });
            if (e is OperationCanceledException)
            {
                throw;
            }
            throw new OperationCanceledException("The sync was cancelled.", e, cancellationToken);
        }
        catch (Exception e)
        {
            run.Fail(Classify(e, run.Phase));
        }

        var finished = Now;
        if (run.Error is null)
        {
            try
            {
                _store.RecordSuccess(finished);
            }
            catch (Exception e)
            {
                run.Fail(SyncErrors.Local($"recording the sync: {e.Message}"));
            }
        }
        var outcome = new SyncOutcome(run.StartedAt, finished, run.Error, run.HubReached, run.ChangesApplied, run.SnapshotRows,
            run.ReinitialiseReason, run.Pushed, run.Quarantined, run.ClockSkew);
        long? backlog = null;
        long? checkpoint = null;
        try
        {
            backlog = _store.Backlog();
            checkpoint = _store.MasterCheckpoint;
        }
        catch (Exception e)
        {
            _logger.LogWarning(e, "Could not read the backlog and checkpoint after sync");
        }
        Update(s => s with
        {
            Running = false,
            Progress = null,
            LastSuccess = outcome.Succeeded ? finished : s.LastSuccess,
            LastError = outcome.Error,
            ConsecutiveFailures = outcome.Succeeded ? 0 : s.ConsecutiveFailures + 1,
            Backlog = backlog ?? s.Backlog,
            ClockSkew = outcome.ClockSkew ?? s.ClockSkew,
            MasterCheckpoint = checkpoint ?? s.MasterCheckpoint,
        });
        Log(outcome);
        foreach (var more in run.MoreErrors)
        {
            _logger.LogWarning("Sync with the hub also failed: {Reason}: {Detail}", more.Reason, more.Detail);
        }
        return outcome;
    }

    private async Task<HelloReply> HelloAsync(Run run, CancellationToken cancellationToken)
    {
        run.Phase = "hello";
        var request = NewHello();
        var sent = request.TerminalTime.ToDateTimeOffset();
        var reply = await _client.HelloAsync(request, Call(cancellationToken));
        var received = Now;
        run.HubReached = true;
        if (reply.HubTime is null)
        {
            throw new SyncProtocolException("Hello answered without hub_time.");
        }
        // The hub read its clock somewhere between our send and receive; the midpoint halves the error.
        run.ClockSkew = reply.HubTime.ToDateTimeOffset() - (sent + (received - sent) / 2);
        if (run.ClockSkew.Value.Duration() > SkewWarning)
        {
            _logger.LogWarning("This terminal's clock is {Skew} off the hub's (hub minus terminal); records carry the terminal's time", run.ClockSkew.Value);
        }
        return reply;
    }

    private SyncError? IdentityProblem(HelloReply hello)
    {
        if (!string.Equals(hello.Terminal, _options.TerminalId, StringComparison.Ordinal))
        {
            return SyncErrors.WrongIdentity("terminal", hello.Terminal, _options.TerminalId);
        }
        if (!string.Equals(hello.Municipality, _options.Municipality, StringComparison.Ordinal))
        {
            return SyncErrors.WrongIdentity("municipality", hello.Municipality, _options.Municipality);
        }
        return null;
    }

    // Master data down. A failure that is not the network is recorded and the run goes on to push:
    // records going up matter more than master data coming down, and do not depend on it.
    private async Task DownAsync(Run run, HelloReply hello, CancellationToken cancellationToken)
    {
        try
        {
            var reason = SnapshotReason(hello);
            var snapshots = 0;
            var after = _store.MasterCheckpoint;
            var start = after;
            while (true)
            {
                if (reason is not null)
                {
                    if (++snapshots > MaxSnapshotsPerRun)
                    {
                        throw new SyncProtocolException($"The hub asked for another snapshot ({reason}) right after one was taken.");
                    }
                    _logger.LogInformation("Taking a master data snapshot from the hub ({Reason})", reason);
                    after = await SnapshotAsync(run, hello, reason, cancellationToken);
                    start = after;
                    run.ReinitialiseReason ??= reason;
                    reason = null;
                }
                run.Phase = "pull";
                SetProgress("pull", after - start, Math.Max(hello.LastSeq - start, after - start));
                var reply = await _client.PullAsync(new PullRequest { AfterSeq = after, Scope = _store.MasterScope ?? string.Empty, Limit = _options.PageSize },
                    Call(cancellationToken));
                if (reply.Reinitialise)
                {
                    reason = string.IsNullOrEmpty(reply.ReinitialiseReason) ? "Reinitialise" : reply.ReinitialiseReason;
                    continue;
                }
                var changes = CheckPage(after, reply);
                try
                {
                    run.ChangesApplied += _store.ApplyPage(after, changes, reply.ThroughSeq);
                }
                catch (ArgumentException e)
                {
                    throw new SyncProtocolException($"Pull page after {after}: {e.Message}");
                }
                after = reply.ThroughSeq;
                if (!reply.HasMore)
                {
                    return;
                }
            }
        }
        catch (RpcException e) when (IsUnreachable(e))
        {
            throw;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            run.Fail(Classify(e, run.Phase));
        }
    }

    private string? SnapshotReason(HelloReply hello)
    {
        var scope = _store.MasterScope;
        var checkpoint = _store.MasterCheckpoint;
        if (scope is null)
        {
            // No set built by the hub for this terminal: a new terminal, or one started from a snapshot file.
            return checkpoint == 0 ? "NewTerminal" : "NotFromHub";
        }
        if (hello.Scope.Length > 0 && !string.Equals(hello.Scope, scope, StringComparison.Ordinal))
        {
            return SyncRefusals.ScopeChanged;
        }
        if (checkpoint < hello.Horizon)
        {
            return "BehindHorizon";
        }
        // The hub's feed ends before our checkpoint: its database went back (a restore), so we may hold rows it lost.
        return checkpoint > hello.LastSeq ? "CheckpointAhead" : null;
    }

    private static List<Contracts.MasterChange> CheckPage(long after, PullReply reply)
    {
        if (reply.ThroughSeq < after)
        {
            throw new SyncProtocolException($"A Pull page after {after} ends at {reply.ThroughSeq}, before it starts.");
        }
        if (reply.HasMore && reply.ThroughSeq == after)
        {
            throw new SyncProtocolException($"A Pull page after {after} says more changes wait but did not move forward.");
        }
        var previous = after;
        foreach (var change in reply.Changes)
        {
            if (change.Seq <= previous || change.Seq > reply.ThroughSeq)
            {
                throw new SyncProtocolException(
                    $"A Pull page ({after}, {reply.ThroughSeq}] holds change {change.Kind}/{change.Key} with sequence {change.Seq} after {previous}: out of order or outside the page.");
            }
            if (!change.Deleted && change.PayloadJson.Length == 0)
            {
                throw new SyncProtocolException($"Change {change.Seq} ({change.Kind}/{change.Key}) is neither a delete nor has a payload.");
            }
            previous = change.Seq;
        }
        return [.. reply.Changes];
    }

    private async Task<long> SnapshotAsync(Run run, HelloReply hello, string reason, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await SnapshotOnceAsync(run, hello, reason, cancellationToken);
            }
            catch (RpcException e) when (attempt == 1 && e.StatusCode == StatusCode.Aborted && SyncErrors.ReasonOf(e) == SyncRefusals.ScopeChanged)
            {
                // The terminal's services changed while its pages were read: the hub wants a fresh start, once.
                _logger.LogInformation("The terminal's scope changed during the snapshot; taking it again from the first page");
            }
        }
    }

    private async Task<long> SnapshotOnceAsync(Run run, HelloReply hello, string reason, CancellationToken cancellationToken)
    {
        run.Phase = "snapshot";
        SetProgress("snapshot", 0, 0);
        var token = _store.BeginSnapshot();
        var pageToken = string.Empty;
        var asOf = 0L;
        string? scope = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        long staged = 0;
        while (true)
        {
            var page = await _client.SnapshotAsync(new SnapshotRequest { PageToken = pageToken, Limit = _options.PageSize }, Call(cancellationToken));
            if (scope is null)
            {
                if (page.Scope.Length == 0 || page.AsOfSeq < 0)
                {
                    throw new SyncProtocolException($"The first snapshot page has scope '{page.Scope}' and as_of_seq {page.AsOfSeq}.");
                }
                (scope, asOf) = (page.Scope, page.AsOfSeq);
            }
            else if (page.AsOfSeq != asOf || !string.Equals(page.Scope, scope, StringComparison.Ordinal))
            {
                throw new SyncProtocolException($"A snapshot page is as of {page.AsOfSeq} for scope '{page.Scope}', but the snapshot began as of {asOf} for scope '{scope}'.");
            }
            try
            {
                staged += _store.StageSnapshot(token, [.. page.Rows]);
            }
            catch (ArgumentException e)
            {
                throw new SyncProtocolException($"Snapshot page: {e.Message}");
            }
            SetProgress("snapshot", staged, 0);
            if (page.NextPageToken.Length == 0)
            {
                break;
            }
            if (!seen.Add(page.NextPageToken))
            {
                throw new SyncProtocolException("The hub gave a snapshot page token it had given before: the snapshot would never end.");
            }
            pageToken = page.NextPageToken;
        }
        try
        {
            run.SnapshotRows = _store.CommitSnapshot(token, asOf, scope, hello.Municipality, reason);
        }
        catch (ArgumentException e)
        {
            throw new SyncProtocolException($"Snapshot: {e.Message}");
        }
        return asOf;
    }

    private async Task UpAsync(Run run, HelloReply hello, CancellationToken cancellationToken)
    {
        run.Phase = "push";
        var positions = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var position in hello.Streams)
        {
            positions[position.Stream] = position.Through;
        }

        // After a restore from backup, numbers past the backup's end may already be at the hub for
        // records this database lost; pushing new records under them would look like duplicates and
        // vanish. So every stream must be clear before any is pushed.
        var blocked = false;
        var restored = _store.RestoredThrough();
        foreach (var stream in Streams)
        {
            var hub = positions.GetValueOrDefault(stream);
            var last = _store.LastSeq(stream);
            if (restored is not null && hub > restored.GetValueOrDefault(stream))
            {
                run.Fail(SyncErrors.RestoredBehindHub(stream, restored.GetValueOrDefault(stream), hub));
                blocked = true;
            }
            else if (hub > last)
            {
                run.Fail(SyncErrors.StreamAhead(stream, hub, last));
                blocked = true;
            }
        }
        if (blocked)
        {
            return;
        }
        if (restored is not null)
        {
            _store.ClearRestorePending();
            _logger.LogInformation("The restored database agrees with the hub's stream positions; the restore mark is cleared");
        }

        foreach (var stream in Streams)
        {
            run.Phase = "push:" + stream;
            try
            {
                await PushStreamAsync(run, stream, positions.GetValueOrDefault(stream), cancellationToken);
            }
            catch (RpcException e) when (IsUnreachable(e))
            {
                throw;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // One stream's trouble (a broken audit chain, a local read error) does not hold back the others.
                run.Fail(Classify(e, run.Phase));
            }
        }
    }

    private async Task PushStreamAsync(Run run, string stream, long hubThrough, CancellationToken cancellationToken)
    {
        // Records written while this run pushes go with the next run, so a busy counter cannot keep one run going.
        var last = _store.LastSeq(stream);
        if (hubThrough > _store.AcknowledgedThrough(stream))
        {
            // The hub stored them but its answer never arrived (or came after a crash): catch up.
            _store.Acknowledge(stream, hubThrough);
        }
        var position = hubThrough;
        var start = position;
        var resends = 0;
        await _pushGate.WaitAsync(cancellationToken);
        try
        {
            // Hello's answer is the freshest word on where the hub stands.
            _hubPositions[stream] = hubThrough;
        }
        finally
        {
            _pushGate.Release();
        }
        while (true)
        {
            await _pushGate.WaitAsync(cancellationToken);
            try
            {
                // An online-only operation may have pushed part of the stream between two of our batches.
                position = Math.Max(position, _hubPositions.GetValueOrDefault(stream));
                if (position >= last)
                {
                    break;
                }
                SetProgress("push:" + stream, Math.Max(0, position - start), last - start);
                var step = await PushOnceAsync(stream, position, last, resends < MaxGapResends, cancellationToken);
                if (step.Resent)
                {
                    resends++;
                }
                else
                {
                    run.AddPushed(stream, step.Position - position);
                    run.Quarantined.AddRange(step.Quarantined);
                }
                position = step.Position;
            }
            finally
            {
                _pushGate.Release();
            }
        }
        if (stream == SyncStreams.Transactions)
        {
            await ResolveDecisionsAsync(position, cancellationToken);
        }
    }

    /// <summary>
    /// The hub's decision on confirm transaction <paramref name="seq"/> (an online-only operation,
    /// ADR 0011): pushes the transactions stream through it (what comes before it goes first: the
    /// stream is in order) and returns the decision the hub answered, or null when the hub holds the
    /// record without one. Runs beside a sync run, one batch at a time with it.
    /// </summary>
    /// <exception cref="RpcException">The hub could not be reached or refused the push; the record stays, undecided, for the next try or sync.</exception>
    public async Task<HubDecision?> ConfirmAsync(long seq, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(seq);
        var resends = 0;
        while (true)
        {
            if (_store.Decision(seq) is { } known)
            {
                return known;
            }
            await _pushGate.WaitAsync(cancellationToken);
            try
            {
                if (_store.Decision(seq) is { } decided)
                {
                    return decided;
                }
                var position = _hubPositions.TryGetValue(SyncStreams.Transactions, out var hub) ? hub : _store.AcknowledgedThrough(SyncStreams.Transactions);
                if (position >= seq)
                {
                    // Pushed before, its answer lost: ask for the decision the hub kept.
                    await AskDecisionsAsync([seq], cancellationToken);
                    return _store.Decision(seq);
                }
                var step = await PushOnceAsync(SyncStreams.Transactions, position, seq, resends < MaxGapResends, cancellationToken);
                resends += step.Resent ? 1 : 0;
            }
            finally
            {
                _pushGate.Release();
            }
        }
    }

    // Confirm transactions the hub holds but whose decision never arrived (an answer lost to a cut).
    private async Task ResolveDecisionsAsync(long hubThrough, CancellationToken cancellationToken)
    {
        var waiting = _store.AwaitingDecision(hubThrough, SyncLimits.MaxDecisionsPerCall);
        if (waiting.Count > 0)
        {
            await AskDecisionsAsync(waiting, cancellationToken);
        }
    }

    private async Task AskDecisionsAsync(IReadOnlyList<long> seqs, CancellationToken cancellationToken)
    {
        var request = new DecisionsRequest();
        request.Seqs.AddRange(seqs);
        var reply = await _client.DecisionsAsync(request, Call(cancellationToken));
        var asked = seqs.ToHashSet();
        if (reply.Decisions.FirstOrDefault(d => !asked.Contains(d.Seq)) is { } stray)
        {
            throw new SyncProtocolException($"The hub answered a decision on transaction {stray.Seq}, which was not asked about.");
        }
        _store.RecordDecisions(reply.Decisions);
    }

    // One batch after position, through last at most: pushed, the hub's decisions kept, then acknowledged.
    // The caller holds _pushGate. A StreamGap refusal (when allowed) moves to the position the hub names.
    private async Task<PushStep> PushOnceAsync(string stream, long position, long last, bool resendOnGap, CancellationToken cancellationToken)
    {
        var batch = _store.ReadBatch(stream, position, (int)Math.Min(_options.BatchSize, last - position));
        var (first, end) = TrimToBytes(batch);
        if (first != position + 1)
        {
            throw new InvalidOperationException($"Stream {stream}: the records after {position} cannot be read from this terminal's store (got {first}).");
        }
        PushReply reply;
        try
        {
            reply = await _client.PushAsync(batch, Call(cancellationToken));
        }
        catch (RpcException e) when (resendOnGap && e.StatusCode == StatusCode.FailedPrecondition && SyncErrors.ReasonOf(e) == SyncRefusals.StreamGap)
        {
            var hubNow = AcknowledgedThrough(e) ?? await HubPositionAsync(stream, cancellationToken);
            var lastNow = _store.LastSeq(stream);
            if (hubNow > lastNow)
            {
                throw new SyncStopException(SyncErrors.StreamAhead(stream, hubNow, lastNow));
            }
            _logger.LogInformation("The hub holds {Stream} through {Through}, not {Position}: sending again from {Next}", stream, hubNow, position, hubNow + 1);
            if (hubNow > _store.AcknowledgedThrough(stream))
            {
                _store.Acknowledge(stream, hubNow);
            }
            _hubPositions[stream] = hubNow;
            return new PushStep(hubNow, Resent: true, []);
        }
        var acknowledged = reply.AcknowledgedThrough;
        if (acknowledged <= position || acknowledged > end)
        {
            throw new SyncProtocolException(
                $"Stream {stream}: the hub acknowledged through {acknowledged} for a batch {first} to {end} (it held {position}); nothing is forgotten on that answer.");
        }
        if (reply.Decisions.FirstOrDefault(d => d.Seq < first || d.Seq > end) is { } stray)
        {
            throw new SyncProtocolException($"Stream {stream}: the hub answered a decision on {stray.Seq}, outside the batch {first} to {end}; nothing is forgotten on that answer.");
        }
        // Decisions first: a crash before the acknowledgement sends the batch again, and the hub answers the same decisions.
        if (reply.Decisions.Count > 0)
        {
            _store.RecordDecisions(reply.Decisions);
        }
        _store.Acknowledge(stream, acknowledged);
        _hubPositions[stream] = acknowledged;
        var quarantined = new List<QuarantinedRecord>();
        foreach (var record in reply.Quarantined)
        {
            _logger.LogWarning("The hub quarantined {Stream} record {Seq}: {Reason}", stream, record.Seq, record.Reason);
            quarantined.Add(new QuarantinedRecord(stream, record.Seq, record.Reason));
        }
        return new PushStep(acknowledged, Resent: false, quarantined);
    }

    private sealed record PushStep(long Position, bool Resent, IReadOnlyList<QuarantinedRecord> Quarantined);

    // Fewer records rather than a message the hub refuses for its size; at least one record always goes.
    private (long First, long Last) TrimToBytes(PushRequest batch)
    {
        return batch.Stream switch
        {
            "transactions" => Trim(batch.Transactions, r => r.Seq),
            "audit" => Trim(batch.Audit, r => r.Seq),
            "telemetry" => Trim(batch.Telemetry, r => r.Seq),
            _ => throw new InvalidOperationException($"The store built a batch of unknown stream '{batch.Stream}'."),
        };

        (long, long) Trim<T>(Google.Protobuf.Collections.RepeatedField<T> records, Func<T, long> seq) where T : IMessage
        {
            if (records.Count == 0)
            {
                return (0, 0);
            }
            long bytes = 0;
            for (var i = 0; i < records.Count; i++)
            {
                bytes += records[i].CalculateSize() + 8;
                if (i > 0 && bytes > _options.MaxBatchBytes)
                {
                    while (records.Count > i)
                    {
                        records.RemoveAt(records.Count - 1);
                    }
                    break;
                }
            }
            return (seq(records[0]), seq(records[^1]));
        }
    }

    private async Task<long> HubPositionAsync(string stream, CancellationToken cancellationToken)
    {
        var hello = await _client.HelloAsync(NewHello(), Call(cancellationToken));
        return hello.Streams.LastOrDefault(s => s.Stream == stream)?.Through ?? 0;
    }

    private HelloRequest NewHello()
    {
        var version = _options.SoftwareVersion;
        return new HelloRequest
        {
            // The hub refuses a longer or empty version; an informational version can carry a long build suffix.
            SoftwareVersion = string.IsNullOrWhiteSpace(version) ? "unknown" : version.Length > MaxSoftwareVersionLength ? version[..MaxSoftwareVersionLength] : version,
            TerminalTime = Timestamp.FromDateTimeOffset(Now),
            Backlog = _store.Backlog(),
            Checkpoint = _store.MasterCheckpoint,
        };
    }

    private static long? AcknowledgedThrough(RpcException e) =>
        long.TryParse(e.Trailers.GetValue(SyncRefusals.AcknowledgedThroughTrailer), NumberStyles.None, CultureInfo.InvariantCulture, out var through) ? through : null;

    private CallOptions Call(CancellationToken cancellationToken) => new(
        // grpc-dotnet's per-call switch for compressing the request message (LGWAN is slow; records compress well).
        headers: new Metadata { { "grpc-internal-encoding-request", "gzip" } },
        deadline: DateTime.UtcNow + _options.CallTimeout,
        cancellationToken: cancellationToken);

    private static bool IsUnreachable(RpcException e) =>
        e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Cancelled;

    private static SyncError Classify(Exception e, string phase) => e switch
    {
        RpcException rpc => SyncErrors.FromRpc(rpc, phase),
        SyncProtocolException protocol => SyncErrors.Protocol($"{phase}: {protocol.Message}"),
        SyncStopException stop => stop.Error,
        _ => SyncErrors.Local($"{phase}: {e.GetType().Name}: {e.Message}"),
    };

    private void SetProgress(string phase, long done, long total) => Update(s => s with { Progress = new SyncProgress(phase, done, total) });

    private void Update(Func<SyncStatus, SyncStatus> change)
    {
        lock (_statusGate)
        {
            _status = change(_status);
        }
    }

    private void Log(SyncOutcome outcome)
    {
        var pushed = string.Join(", ", outcome.Pushed.Select(p => $"{p.Key} {p.Value}"));
        if (outcome.Error is { } error)
        {
            // Unreachable is the normal state of a terminal in a shelter: information, not a warning every few minutes.
            _logger.Log(error.HubUnreachable ? LogLevel.Information : LogLevel.Warning,
                "Sync with the hub failed: {Reason}: {Detail} (applied {Changes} changes, pushed {Pushed})", error.Reason, error.Detail, outcome.ChangesApplied, pushed);
        }
        else if (outcome.ChangesApplied > 0 || outcome.SnapshotRows > 0 || outcome.Pushed.Values.Any(v => v > 0))
        {
            _logger.LogInformation("Synced with the hub: {Snapshot} snapshot rows, {Changes} master changes, pushed {Pushed}, {Quarantined} quarantined",
                outcome.SnapshotRows, outcome.ChangesApplied, pushed, outcome.Quarantined.Count);
        }
        else
        {
            _logger.LogDebug("Synced with the hub: nothing to do");
        }
    }

    private sealed class Run(DateTimeOffset startedAt)
    {
        public DateTimeOffset StartedAt { get; } = startedAt;

        public string Phase { get; set; } = "hello";

        public SyncError? Error { get; private set; }

        public bool HubReached { get; set; }

        public long ChangesApplied { get; set; }

        public long SnapshotRows { get; set; }

        public string? ReinitialiseReason { get; set; }

        public Dictionary<string, long> Pushed { get; } = new(StringComparer.Ordinal);

        public List<QuarantinedRecord> Quarantined { get; } = [];

        public TimeSpan? ClockSkew { get; set; }

        /// <summary>Errors after the first, for the log.</summary>
        public List<SyncError> MoreErrors { get; } = [];

        // The first error is the one to show; the log holds the rest.
        public void Fail(SyncError error)
        {
            if (Error is null)
            {
                Error = error;
            }
            else
            {
                MoreErrors.Add(error);
            }
        }

        public void AddPushed(string stream, long count) => Pushed[stream] = Pushed.GetValueOrDefault(stream) + count;
    }
}

/// <summary>The hub answered something the protocol does not allow; nothing of that answer was applied.</summary>
internal sealed class SyncProtocolException(string message) : Exception(message);

/// <summary>A condition that stops (part of) a sync with a prepared error for the clerk.</summary>
internal sealed class SyncStopException(SyncError error) : Exception(error.Detail ?? error.MessageEn)
{
    public SyncError Error { get; } = error;
}
