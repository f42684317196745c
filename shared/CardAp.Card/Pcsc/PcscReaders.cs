using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using CardAp.Card.Iso7816;
using CardAp.Card.Readers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CardAp.Card.Pcsc;

/// <summary>
/// The terminal's readers through PC/SC: pcsc-lite (libpcsclite.so.1) on Linux, WinSCard on Windows.
/// Thread-safe. Each connection and each <see cref="WatchAsync"/> enumeration gets its own PC/SC
/// context, so a blocking status wait never holds up a transmit; the context for listing readers is
/// shared under a lock and re-established by itself after the resource manager restarts.
/// </summary>
public sealed class PcscReaders : ICardReaders, IDisposable
{
    /// <summary>The pseudo-reader that reports readers arriving and leaving.</summary>
    public const string PnPNotificationReader = PcscApi.PnPNotificationReader;

    private readonly PcscReadersOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _disposed = new();
    private nint _context;
    private bool _hasContext;
    private bool _isDisposed;

    public PcscReaders(PcscReadersOptions? options = null, ILogger<PcscReaders>? logger = null, TimeProvider? timeProvider = null)
    {
        _options = options ?? new PcscReadersOptions();
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_options.StatusPollTimeout, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_options.RetryMinDelay, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.RetryMaxDelay, _options.RetryMinDelay, nameof(options));
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>
    /// Checks that the PC/SC library loads and the resource manager answers (a context can be established).
    /// </summary>
    /// <param name="error">Why not: a <see cref="PcscException"/> (e.g. SCARD_E_NO_SERVICE) or a <see cref="PcscUnavailableException"/>.</param>
    public static bool IsServiceAvailable([NotNullWhen(false)] out CardException? error)
    {
        try
        {
            var api = PcscApi.Instance;
            var rc = api.EstablishContext(out var context);
            if (rc != PcscApi.Success)
            {
                error = new PcscException("SCardEstablishContext", rc);
                return false;
            }
            api.ReleaseContext(context);
            error = null;
            return true;
        }
        catch (PcscUnavailableException ex)
        {
            error = ex;
            return false;
        }
    }

    /// <inheritdoc />
    /// <exception cref="PcscException">The resource manager is not reachable, or failed.</exception>
    public IReadOnlyList<string> ListReaders() => WithSharedContext("SCardListReaders", (api, context) =>
    {
        var rc = api.ListReaders(context, out var readers);
        return rc == (uint)PcscError.NoReadersAvailable ? (PcscApi.Success, []) : (rc, (IReadOnlyList<string>)readers);
    });

    /// <summary>Snapshot of every reader's state (card present, ATR...), without waiting for a change.</summary>
    /// <exception cref="PcscException">The resource manager is not reachable, or failed.</exception>
    public IReadOnlyList<PcscReaderStatus> GetReaderStates() => WithSharedContext("SCardGetStatusChange", (api, context) =>
    {
        var rc = api.ListReaders(context, out var readers);
        if (rc == (uint)PcscError.NoReadersAvailable)
        {
            return (PcscApi.Success, []);
        }
        if (rc != PcscApi.Success)
        {
            return (rc, []);
        }
        return QueryStates(api, context, readers);
    });

    /// <summary>One reader's state right now.</summary>
    /// <exception cref="PcscException">SCARD_E_UNKNOWN_READER for a reader that does not exist; service failures.</exception>
    public PcscReaderStatus GetReaderState(string readerName)
    {
        ArgumentException.ThrowIfNullOrEmpty(readerName);
        var states = WithSharedContext($"SCardGetStatusChange({readerName})", (api, context) => QueryStates(api, context, [readerName]));
        var state = states[0];
        if ((state.State & (PcscReaderStates.Unknown | PcscReaderStates.Ignore)) != 0)
        {
            throw new PcscException($"SCardGetStatusChange({readerName})", PcscError.UnknownReader);
        }
        return state;
    }

    ICardConnection ICardReaders.Connect(string readerName) => Connect(readerName);

    /// <summary>
    /// Connects to the card in <paramref name="readerName"/>, offering T=1 and T=0 and keeping
    /// whatever the reader negotiates (see <see cref="PcscCardConnection.Protocol"/>).
    /// </summary>
    /// <exception cref="PcscException">
    /// SCARD_E_NO_SMARTCARD (empty reader), SCARD_E_UNKNOWN_READER, SCARD_E_SHARING_VIOLATION,
    /// SCARD_E_NO_SERVICE, ...
    /// </exception>
    public PcscCardConnection Connect(string readerName, PcscShareMode shareMode = PcscShareMode.Shared)
    {
        ArgumentException.ThrowIfNullOrEmpty(readerName);
        ObjectDisposedException.ThrowIf(_isDisposed, this);
        var api = PcscApi.Instance;
        var rc = api.EstablishContext(out var context);
        if (rc != PcscApi.Success)
        {
            throw new PcscException("SCardEstablishContext", rc);
        }
        var operation = $"SCardConnect({readerName})";
        rc = api.Connect(context, readerName, shareMode, out var card, out var protocol);
        if (rc != PcscApi.Success)
        {
            api.ReleaseContext(context);
            throw new PcscException(operation, rc);
        }
        if (protocol is null)
        {
            api.Disconnect(card, PcscDisposition.Leave);
            api.ReleaseContext(context);
            throw new CardException($"{operation} negotiated a protocol other than T=0, T=1 or RAW.");
        }
        rc = api.Status(card, out _, out _, out _, out var atr);
        if (rc != PcscApi.Success)
        {
            api.Disconnect(card, PcscDisposition.Leave);
            api.ReleaseContext(context);
            throw new PcscException($"SCardStatus({readerName})", rc);
        }
        _logger.LogDebug("Connected to {Reader} with {Protocol}, ATR {Atr}", readerName, protocol, Convert.ToHexString(atr));
        return new PcscCardConnection(api, context, card, readerName, shareMode, protocol.Value, atr);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Reader-less events (<see cref="ReaderEventKind.ServiceLost"/>, <see cref="ReaderEventKind.ServiceRestored"/>)
    /// carry an empty reader name. When the resource manager is unreachable at start, the first event is
    /// ServiceLost. Ends quietly when <paramref name="cancellationToken"/> is cancelled or this instance is
    /// disposed; throws only <see cref="PcscUnavailableException"/> (no PC/SC library on this machine).
    /// </remarks>
    public async IAsyncEnumerable<ReaderEvent> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_isDisposed, this);
        var channel = Channel.CreateUnbounded<ReaderEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposed.Token);
        var watcher = new PcscWatcher(channel.Writer, _options, _logger, _time, stop.Token);
        // The watcher blocks in SCardGetStatusChange, so it gets a thread of its own rather than a pool thread.
        var loop = Task.Factory.StartNew(watcher.Run, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            while (await WaitToReadAsync(channel.Reader, stop.Token))
            {
                while (channel.Reader.TryRead(out var readerEvent))
                {
                    yield return readerEvent;
                }
            }
        }
        finally
        {
            await stop.CancelAsync();
            await loop;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_isDisposed)
            {
                return;
            }
            _isDisposed = true;
            _disposed.Cancel();
            ReleaseSharedContext();
        }
    }

    private static async ValueTask<bool> WaitToReadAsync(ChannelReader<ReaderEvent> reader, CancellationToken stop)
    {
        try
        {
            return await reader.WaitToReadAsync(stop);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return false;
        }
    }

    private static (uint, IReadOnlyList<PcscReaderStatus>) QueryStates(PcscApi api, nint context, List<string> readers)
    {
        if (readers.Count == 0)
        {
            return (PcscApi.Success, []);
        }
        var queries = readers.Select(name => new ReaderStateQuery(name)).ToArray();
        // With every current state UNAWARE the call returns at once; the timeout is only a safety net.
        var rc = api.GetStatusChange(context, 1000, queries);
        if (rc != PcscApi.Success)
        {
            return (rc, []);
        }
        return (rc, queries.Select(ToStatus).ToArray());
    }

    internal static PcscReaderStatus ToStatus(ReaderStateQuery query) =>
        new(query.ReaderName, (PcscReaderStates)(query.EventState & 0xFFFF), query.Atr, (int)(query.EventState >> 16));

    /// <summary>
    /// Runs <paramref name="call"/> on the shared context under the lock, establishing the context
    /// first and once more if the resource manager restarted since (the old context is then dead).
    /// </summary>
    private T WithSharedContext<T>(string operation, Func<PcscApi, nint, (uint Code, T Value)> call)
    {
        var api = PcscApi.Instance;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_isDisposed, this);
            for (var attempt = 0; ; attempt++)
            {
                if (!_hasContext)
                {
                    var established = api.EstablishContext(out _context);
                    if (established != PcscApi.Success)
                    {
                        throw new PcscException("SCardEstablishContext", established);
                    }
                    _hasContext = true;
                }
                var (rc, value) = call(api, _context);
                if (rc == PcscApi.Success)
                {
                    return value;
                }
                if (PcscErrors.IsServiceUnavailable(rc))
                {
                    ReleaseSharedContext();
                    if (attempt == 0)
                    {
                        continue;
                    }
                }
                throw new PcscException(operation, rc);
            }
        }
    }

    private void ReleaseSharedContext()
    {
        if (_hasContext)
        {
            PcscApi.Instance.ReleaseContext(_context);
            _hasContext = false;
            _context = 0;
        }
    }
}
