using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CardAp.Card.Readers;

/// <summary>A reader event wrapped for .NET event handlers.</summary>
public sealed class ReaderEventArgs(ReaderEvent readerEvent) : EventArgs
{
    public ReaderEvent Event { get; } = readerEvent;
    public string ReaderName => Event.ReaderName;
    public byte[]? Atr => Event.Atr;
}

/// <summary>
/// Raises .NET events for the stream of <see cref="ICardReaders.WatchAsync"/> and keeps a snapshot
/// of which readers exist and which hold a card. Works over any <see cref="ICardReaders"/>; handlers
/// run on the monitor's thread, one at a time, and an exception in a handler is logged, not propagated.
/// </summary>
public sealed class ReaderMonitor : IAsyncDisposable
{
    private readonly ICardReaders _readers;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, byte[]?> _snapshot = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private CancellationTokenSource? _stop;
    private Task? _loop;
    private volatile bool _serviceAvailable = true;

    public ReaderMonitor(ICardReaders readers, ILogger<ReaderMonitor>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(readers);
        _readers = readers;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    public event EventHandler<ReaderEventArgs>? ReaderAdded;
    public event EventHandler<ReaderEventArgs>? ReaderRemoved;
    public event EventHandler<ReaderEventArgs>? CardInserted;
    public event EventHandler<ReaderEventArgs>? CardRemoved;
    public event EventHandler<ReaderEventArgs>? ServiceLost;
    public event EventHandler<ReaderEventArgs>? ServiceRestored;

    /// <summary>Every event, of any kind, after the specific event above.</summary>
    public event EventHandler<ReaderEventArgs>? EventReceived;

    public bool IsRunning
    {
        get
        {
            lock (_gate)
            {
                return _loop is { IsCompleted: false };
            }
        }
    }

    /// <summary>False between a ServiceLost event and the next ServiceRestored.</summary>
    public bool IsServiceAvailable => _serviceAvailable;

    /// <summary>Readers seen so far, each with the ATR of the card in it or null when empty.</summary>
    public IReadOnlyDictionary<string, byte[]?> Readers => new Dictionary<string, byte[]?>(_snapshot, StringComparer.Ordinal);

    public bool IsCardPresent(string readerName) => _snapshot.TryGetValue(readerName, out var atr) && atr is not null;

    /// <summary>Starts watching; a second call while running does nothing.</summary>
    public void Start()
    {
        lock (_gate)
        {
            if (_loop is { IsCompleted: false })
            {
                return;
            }
            _stop = new CancellationTokenSource();
            var token = _stop.Token;
            _loop = Task.Run(() => RunAsync(token), CancellationToken.None);
        }
    }

    /// <summary>Stops watching and waits for the loop to end.</summary>
    public async Task StopAsync()
    {
        Task? loop;
        CancellationTokenSource? stop;
        lock (_gate)
        {
            loop = _loop;
            stop = _stop;
            _loop = null;
            _stop = null;
        }
        if (stop is null || loop is null)
        {
            return;
        }
        await stop.CancelAsync();
        await loop;
        stop.Dispose();
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private async Task RunAsync(CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            try
            {
                await foreach (var readerEvent in _readers.WatchAsync(token))
                {
                    Track(readerEvent);
                    Raise(readerEvent);
                }
            }
            catch (Exception ex) when (!token.IsCancellationRequested)
            {
                // WatchAsync only fails when the reader backend cannot work at all; say so and try again later.
                _logger.LogError(ex, "Reader monitor failed; retrying in 5 s");
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(5), token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private void Track(ReaderEvent readerEvent)
    {
        switch (readerEvent.Kind)
        {
            case ReaderEventKind.ReaderAdded:
                _snapshot[readerEvent.ReaderName] = null;
                break;
            case ReaderEventKind.ReaderRemoved:
                _snapshot.TryRemove(readerEvent.ReaderName, out _);
                break;
            case ReaderEventKind.CardInserted:
                _snapshot[readerEvent.ReaderName] = readerEvent.Atr ?? [];
                break;
            case ReaderEventKind.CardRemoved:
                _snapshot[readerEvent.ReaderName] = null;
                break;
            case ReaderEventKind.ServiceLost:
                _serviceAvailable = false;
                break;
            case ReaderEventKind.ServiceRestored:
                _serviceAvailable = true;
                break;
        }
    }

    private void Raise(ReaderEvent readerEvent)
    {
        var specific = readerEvent.Kind switch
        {
            ReaderEventKind.ReaderAdded => ReaderAdded,
            ReaderEventKind.ReaderRemoved => ReaderRemoved,
            ReaderEventKind.CardInserted => CardInserted,
            ReaderEventKind.CardRemoved => CardRemoved,
            ReaderEventKind.ServiceLost => ServiceLost,
            ReaderEventKind.ServiceRestored => ServiceRestored,
            _ => null,
        };
        var args = new ReaderEventArgs(readerEvent);
        Invoke(specific, args);
        Invoke(EventReceived, args);
    }

    private void Invoke(EventHandler<ReaderEventArgs>? handlers, ReaderEventArgs args)
    {
        if (handlers is null)
        {
            return;
        }
        foreach (var handler in handlers.GetInvocationList().Cast<EventHandler<ReaderEventArgs>>())
        {
            try
            {
                handler(this, args);
            }
            catch (Exception ex)
            {
                _logger.LogError(ex, "A handler of reader event {Event} failed", args.Event);
            }
        }
    }
}
