using CardAp.Card.Readers;

namespace CardAp.Pcsc.Tests;

/// <summary>
/// Records <see cref="ICardReaders.WatchAsync"/> in the background so a test can wait for events in order.
/// Disposing cancels the watch and checks it ended quietly.
/// </summary>
public sealed class ReaderEventLog : IAsyncDisposable
{
    private readonly List<ReaderEvent> _events = [];
    private readonly CancellationTokenSource _stop;
    private readonly Task _pump;
    private readonly SemaphoreSlim _arrived = new(0);
    private int _cursor;

    public ReaderEventLog(ICardReaders readers, CancellationToken cancellationToken)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _pump = Task.Run(async () =>
        {
            await foreach (var readerEvent in readers.WatchAsync(_stop.Token))
            {
                lock (_events)
                {
                    _events.Add(readerEvent);
                }
                _arrived.Release();
            }
        }, CancellationToken.None);
    }

    public IReadOnlyList<ReaderEvent> Events
    {
        get
        {
            lock (_events)
            {
                return [.. _events];
            }
        }
    }

    /// <summary>The watch task, to check how it ended.</summary>
    public Task Pump => _pump;

    /// <summary>
    /// Waits for the first <paramref name="kind"/> event of <paramref name="reader"/> after the previous
    /// match; the next wait continues after it. Fails with every event seen so far on timeout.
    /// </summary>
    public async Task<ReaderEvent> WaitForAsync(ReaderEventKind kind, string reader, TimeSpan? timeout = null, string? because = null)
    {
        var limit = timeout ?? PcscdFixture.DefaultTimeout;
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            lock (_events)
            {
                for (var i = _cursor; i < _events.Count; i++)
                {
                    if (_events[i].Kind == kind && _events[i].ReaderName == reader)
                    {
                        _cursor = i + 1;
                        return _events[i];
                    }
                }
            }
            if (_pump.IsCompleted)
            {
                await _pump;
                Assert.Fail($"WatchAsync ended on its own while waiting for {kind} {reader}. Seen: {Describe()}");
            }
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                Assert.Fail($"No {kind} '{reader}' within {limit.TotalSeconds} s{(because is null ? string.Empty : " (" + because + ")")}. Seen: {Describe()}");
            }
            await _arrived.WaitAsync(left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200));
        }
    }

    /// <summary>Events after the last match, e.g. to assert that nothing unexpected happened.</summary>
    public IReadOnlyList<ReaderEvent> Unconsumed
    {
        get
        {
            lock (_events)
            {
                return _events.Skip(_cursor).ToArray();
            }
        }
    }

    public string Describe()
    {
        lock (_events)
        {
            return _events.Count == 0 ? "(nothing)" : string.Join("; ", _events.Select(e => e.ToString()));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _pump.WaitAsync(TimeSpan.FromSeconds(5));
        _stop.Dispose();
        _arrived.Dispose();
    }
}
