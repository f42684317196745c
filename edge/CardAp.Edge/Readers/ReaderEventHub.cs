using System.Collections.Concurrent;
using System.Threading.Channels;
using CardAp.Card.Readers;

namespace CardAp.Edge.Readers;

/// <summary>
/// Fans the reader monitor's events out to every front-end that watches, and remembers which
/// readers hold a card so a new watcher starts from the current state.
/// </summary>
public sealed class ReaderEventHub
{
    private readonly ConcurrentDictionary<Guid, Channel<ReaderEvent>> _subscribers = new();
    private readonly ConcurrentDictionary<string, ReaderEvent> _present = new();
    private readonly ConcurrentDictionary<string, bool> _readers = new();

    /// <summary>Raised for every event after the state is updated (sessions end on card removal).</summary>
    public event Action<ReaderEvent>? Published;

    public IReadOnlyCollection<string> Readers => [.. _readers.Keys];

    public bool IsCardPresent(string reader) => _present.ContainsKey(reader);

    public void Publish(ReaderEvent e)
    {
        switch (e.Kind)
        {
            case ReaderEventKind.ReaderAdded:
                _readers[e.ReaderName] = true;
                break;
            case ReaderEventKind.ReaderRemoved:
                _readers.TryRemove(e.ReaderName, out _);
                _present.TryRemove(e.ReaderName, out _);
                break;
            case ReaderEventKind.CardInserted:
                _present[e.ReaderName] = e;
                break;
            case ReaderEventKind.CardRemoved:
                _present.TryRemove(e.ReaderName, out _);
                break;
        }
        foreach (var channel in _subscribers.Values)
        {
            // A front-end too slow to read loses its oldest events, never the hub's progress.
            channel.Writer.TryWrite(e);
        }
        Published?.Invoke(e);
    }

    /// <summary>The current state, then every event, until cancelled.</summary>
    public async IAsyncEnumerable<ReaderEvent> SubscribeAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var id = Guid.NewGuid();
        var channel = Channel.CreateBounded<ReaderEvent>(new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropOldest });
        _subscribers[id] = channel;
        try
        {
            var now = DateTimeOffset.UtcNow;
            foreach (var reader in _readers.Keys)
            {
                yield return new ReaderEvent(ReaderEventKind.ReaderAdded, reader, now);
            }
            foreach (var inserted in _present.Values)
            {
                yield return inserted;
            }
            await foreach (var e in channel.Reader.ReadAllAsync(cancellationToken))
            {
                yield return e;
            }
        }
        finally
        {
            _subscribers.TryRemove(id, out _);
        }
    }
}
