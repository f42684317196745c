using System.Threading.Channels;
using CardAp.Card.Readers;
using Microsoft.Extensions.Logging;

namespace CardAp.Card.Pcsc;

/// <summary>
/// The loop behind <see cref="PcscReaders.WatchAsync"/>. Runs on a dedicated thread, owns its PC/SC
/// context (only SCardCancel touches it from another thread, which PC/SC allows), turns reader states
/// into <see cref="ReaderEvent"/>s and survives the resource manager going away and coming back.
/// </summary>
internal sealed class PcscWatcher(
    ChannelWriter<ReaderEvent> events,
    PcscReadersOptions options,
    ILogger logger,
    TimeProvider time,
    CancellationToken stop)
{
    private const uint Success = PcscApi.Success;
    private const uint ChangedFlag = (uint)PcscReaderStates.Changed;
    private const uint GoneFlags = (uint)(PcscReaderStates.Unknown | PcscReaderStates.Ignore);

    private readonly List<ReaderTrack> _readers = [];
    private readonly Lock _contextGate = new();
    private PcscApi? _api;
    private nint _context;
    private bool _hasContext;
    private bool _serviceLost;
    private bool _pnpSupported = true;
    private uint _pnpState;

    private enum Outcome
    {
        Stopped,
        ServiceLost,
        Failed,
    }

    public void Run()
    {
        try
        {
            _api = PcscApi.Instance;
        }
        catch (PcscUnavailableException ex)
        {
            events.TryComplete(ex);
            return;
        }
        using var registration = stop.Register(CancelBlockingCall);
        var delay = options.RetryMinDelay;
        uint lastFailure = Success;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var rc = Establish();
                if (rc != Success)
                {
                    if (!_serviceLost)
                    {
                        logger.LogWarning("PC/SC resource manager unreachable ({Error}); retrying", PcscErrors.GetName(rc));
                        MarkServiceLost();
                    }
                    else if (rc != lastFailure)
                    {
                        logger.LogDebug("PC/SC resource manager still unreachable ({Error})", PcscErrors.GetName(rc));
                    }
                    lastFailure = rc;
                    Sleep(delay);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, options.RetryMaxDelay.Ticks));
                    continue;
                }
                delay = options.RetryMinDelay;
                lastFailure = Success;
                if (_serviceLost)
                {
                    _serviceLost = false;
                    logger.LogInformation("PC/SC resource manager is back");
                    Emit(ReaderEventKind.ServiceRestored, string.Empty);
                }
                var (outcome, code) = WatchContext();
                ReleaseContext();
                switch (outcome)
                {
                    case Outcome.ServiceLost:
                        logger.LogWarning("PC/SC resource manager went away ({Error}); retrying", PcscErrors.GetName(code));
                        MarkServiceLost();
                        break;
                    case Outcome.Failed:
                        // The service is still there (or we would have seen a service code): start over
                        // on a fresh context; readers and cards are diffed, so nothing is re-announced.
                        logger.LogWarning("PC/SC status wait failed ({Error}); re-establishing the context", PcscErrors.GetName(code));
                        Sleep(options.RetryMinDelay);
                        break;
                }
            }
            catch (Exception ex)
            {
                // A bug must not end the monitor: log it and start over on a fresh context.
                logger.LogError(ex, "PC/SC monitor failed; restarting it");
                ReleaseContext();
                Sleep(options.RetryMaxDelay);
            }
        }
        ReleaseContext();
    }

    private uint Establish()
    {
        var rc = _api!.EstablishContext(out var context);
        if (rc == Success)
        {
            lock (_contextGate)
            {
                _context = context;
                _hasContext = true;
            }
        }
        return rc;
    }

    private void ReleaseContext()
    {
        lock (_contextGate)
        {
            if (_hasContext)
            {
                _api!.ReleaseContext(_context);
                _hasContext = false;
                _context = 0;
            }
        }
    }

    private void CancelBlockingCall()
    {
        lock (_contextGate)
        {
            if (_hasContext)
            {
                _api!.Cancel(_context);
            }
        }
    }

    private (Outcome, uint) WatchContext()
    {
        var api = _api!;
        var relist = true;
        var unknownReaderStreak = 0;
        ReaderStateQuery[] queries = [];
        var timeout = (uint)Math.Clamp(options.StatusPollTimeout.TotalMilliseconds, 1, int.MaxValue);
        while (!stop.IsCancellationRequested)
        {
            if (relist)
            {
                var listed = Relist(api);
                if (listed != Success)
                {
                    return (Classify(listed), listed);
                }
                queries = BuildQueries();
                relist = false;
            }
            if (queries.Length == 0)
            {
                // No readers and no PnP notification to wait on: poll the reader list instead.
                Sleep(options.StatusPollTimeout);
                relist = true;
                continue;
            }
            var rc = api.GetStatusChange(_context, timeout, queries);
            switch ((PcscError)rc)
            {
                case PcscError.Success:
                    unknownReaderStreak = 0;
                    relist = Apply(queries);
                    break;
                case PcscError.Timeout:
                    relist = !_pnpSupported;
                    break;
                case PcscError.Cancelled:
                    break;
                case PcscError.UnknownReader:
                case PcscError.NoReadersAvailable:
                case PcscError.ReaderUnavailable:
                    // A reader left between listing and waiting; list again, without spinning if it persists.
                    relist = true;
                    if (++unknownReaderStreak > 3)
                    {
                        Sleep(options.RetryMinDelay);
                    }
                    break;
                default:
                    return (Classify(rc), rc);
            }
        }
        return (Outcome.Stopped, Success);
    }

    private static Outcome Classify(uint rc) => PcscErrors.IsServiceUnavailable(rc) ? Outcome.ServiceLost : Outcome.Failed;

    /// <summary>Lists the readers and announces the ones that came and went since the last listing.</summary>
    private uint Relist(PcscApi api)
    {
        var rc = api.ListReaders(_context, out var names);
        if (rc == (uint)PcscError.NoReadersAvailable)
        {
            names = [];
        }
        else if (rc != Success)
        {
            return rc;
        }
        for (var i = _readers.Count - 1; i >= 0; i--)
        {
            var track = _readers[i];
            if (!names.Contains(track.Name, StringComparer.Ordinal))
            {
                Forget(track);
                _readers.RemoveAt(i);
            }
        }
        foreach (var name in names)
        {
            if (!_readers.Exists(r => r.Name == name))
            {
                _readers.Add(new ReaderTrack(name));
                Emit(ReaderEventKind.ReaderAdded, name);
            }
        }
        return Success;
    }

    private ReaderStateQuery[] BuildQueries()
    {
        var queries = new List<ReaderStateQuery>(_readers.Count + 1);
        queries.AddRange(_readers.Select(r => new ReaderStateQuery(r.Name) { CurrentState = r.State }));
        if (_pnpSupported)
        {
            queries.Add(new ReaderStateQuery(PcscApi.PnPNotificationReader) { CurrentState = _pnpState });
        }
        return [.. queries];
    }

    /// <summary>Turns the states SCardGetStatusChange reported into events; returns true when the reader list must be read again.</summary>
    private bool Apply(ReaderStateQuery[] queries)
    {
        var relist = false;
        for (var i = 0; i < _readers.Count; i++)
        {
            var query = queries[i];
            var track = _readers[i];
            var state = query.EventState;
            if ((state & GoneFlags) != 0)
            {
                relist = true;
                continue;
            }
            var status = PcscReaders.ToStatus(query);
            var present = status.IsCardPresent;
            if (track.Known && present && track.Present && status.EventCount != track.EventCount)
            {
                // Pulled and put back (maybe another card) between two waits: the reader's event
                // counter moved although the card is present both times.
                Emit(ReaderEventKind.CardRemoved, track.Name);
                Emit(ReaderEventKind.CardInserted, track.Name, status.Atr);
            }
            else if (present != track.Present)
            {
                if (present)
                {
                    Emit(ReaderEventKind.CardInserted, track.Name, status.Atr);
                }
                else
                {
                    Emit(ReaderEventKind.CardRemoved, track.Name);
                }
            }
            track.Known = true;
            track.Present = present;
            track.EventCount = status.EventCount;
            track.State = state & ~ChangedFlag;
            query.CurrentState = track.State;
        }
        if (_pnpSupported)
        {
            var pnp = queries[_readers.Count];
            if ((pnp.EventState & GoneFlags) != 0)
            {
                // This resource manager has no PnP pseudo-reader: fall back to listing readers on every timeout.
                logger.LogDebug("PC/SC PnP notification is not supported; polling the reader list");
                _pnpSupported = false;
                relist = true;
            }
            else
            {
                relist |= (pnp.EventState & ChangedFlag) != 0;
                _pnpState = pnp.EventState & ~ChangedFlag;
                pnp.CurrentState = _pnpState;
            }
        }
        return relist;
    }

    private void MarkServiceLost()
    {
        _serviceLost = true;
        _pnpState = 0;
        Emit(ReaderEventKind.ServiceLost, string.Empty);
        foreach (var track in _readers)
        {
            Forget(track);
        }
        _readers.Clear();
    }

    private void Forget(ReaderTrack track)
    {
        if (track.Present)
        {
            Emit(ReaderEventKind.CardRemoved, track.Name);
        }
        Emit(ReaderEventKind.ReaderRemoved, track.Name);
    }

    private void Emit(ReaderEventKind kind, string reader, byte[]? atr = null)
    {
        var readerEvent = new ReaderEvent(kind, reader, time.GetUtcNow(), atr);
        logger.LogDebug("Reader event {Event}", readerEvent);
        events.TryWrite(readerEvent);
    }

    private void Sleep(TimeSpan delay) => stop.WaitHandle.WaitOne(delay);

    private sealed class ReaderTrack(string name)
    {
        public string Name { get; } = name;

        /// <summary>False until the first status arrives for this reader (its state is still UNAWARE).</summary>
        public bool Known { get; set; }
        public bool Present { get; set; }
        public int EventCount { get; set; }
        public uint State { get; set; }
    }
}
