using System.Runtime.CompilerServices;
using System.Threading.Channels;
using CardAp.Card.Iso7816;
using CardAp.Card.Readers;

namespace CardAp.VirtualCard.InProcess;

/// <summary>
/// Card readers that live in the process: named slots into which code inserts <see cref="ISmartCard"/>s.
/// The edge's default backend for the demo and for tests, since it needs no PC/SC. Thread-safe.
/// </summary>
public sealed class InProcessCardReaders : ICardReaders
{
    private readonly Lock _lock = new();
    private readonly List<Slot> _slots = [];
    private readonly List<ChannelWriter<ReaderEvent>> _watchers = [];
    private readonly TimeProvider _time;
    private long _insertions;

    /// <summary>Creates the readers with the given names, or one reader named <see cref="ReaderName"/>(0).</summary>
    public InProcessCardReaders(params IEnumerable<string> readerNames)
        : this(TimeProvider.System, readerNames)
    {
    }

    public InProcessCardReaders(TimeProvider time, params IEnumerable<string> readerNames)
    {
        _time = time;
        var names = readerNames.ToList();
        if (names.Count == 0)
        {
            names.Add(ReaderName(0));
        }
        foreach (var name in names)
        {
            AddReader(name);
        }
    }

    /// <summary>The conventional name of slot <paramref name="index"/>: "CardAp Virtual Reader 0", ...</summary>
    public static string ReaderName(int index) => $"CardAp Virtual Reader {index}";

    public IReadOnlyList<string> ListReaders()
    {
        lock (_lock)
        {
            return [.. _slots.Select(s => s.Name)];
        }
    }

    /// <summary>The card in the reader, or null when it is empty.</summary>
    /// <exception cref="CardException">No such reader.</exception>
    public ISmartCard? CardIn(string readerName)
    {
        lock (_lock)
        {
            return Find(readerName).Card;
        }
    }

    /// <summary>Attaches a new reader (ReaderAdded).</summary>
    public void AddReader(string readerName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(readerName);
        lock (_lock)
        {
            if (_slots.Any(s => s.Name == readerName))
            {
                throw new ArgumentException($"A reader named \"{readerName}\" exists already.", nameof(readerName));
            }
            _slots.Add(new Slot(readerName));
            Broadcast(new ReaderEvent(ReaderEventKind.ReaderAdded, readerName, _time.GetUtcNow()));
        }
    }

    /// <summary>Detaches a reader; a card in it is removed first (CardRemoved, then ReaderRemoved).</summary>
    public void RemoveReader(string readerName)
    {
        lock (_lock)
        {
            var slot = Find(readerName);
            if (slot.Card is not null)
            {
                RemoveLocked(slot);
            }
            _slots.Remove(slot);
            Broadcast(new ReaderEvent(ReaderEventKind.ReaderRemoved, readerName, _time.GetUtcNow()));
        }
    }

    /// <summary>Puts a card into an empty reader; the card is powered up (reset) as on insertion.</summary>
    /// <exception cref="CardException">No such reader.</exception>
    /// <exception cref="InvalidOperationException">The reader holds a card already.</exception>
    public void Insert(string readerName, ISmartCard card)
    {
        ArgumentNullException.ThrowIfNull(card);
        lock (_lock)
        {
            var slot = Find(readerName);
            if (slot.Card is not null)
            {
                throw new InvalidOperationException($"{readerName} holds a card already; remove it first.");
            }
            card.Reset();
            slot.Card = card;
            slot.Insertion = ++_insertions;
            Broadcast(new ReaderEvent(ReaderEventKind.CardInserted, readerName, _time.GetUtcNow(), card.Atr));
        }
    }

    /// <summary>Takes the card out of the reader; returns it, or null when the reader was empty.</summary>
    /// <exception cref="CardException">No such reader.</exception>
    public ISmartCard? Remove(string readerName)
    {
        lock (_lock)
        {
            var slot = Find(readerName);
            return slot.Card is null ? null : RemoveLocked(slot);
        }
    }

    /// <exception cref="CardException">No such reader, or no card in it.</exception>
    public ICardConnection Connect(string readerName)
    {
        lock (_lock)
        {
            var slot = Find(readerName);
            var card = slot.Card ?? throw new CardException($"No card in {readerName}.");
            return new InProcessCardConnection(this, readerName, card, slot.Insertion);
        }
    }

    /// <summary>
    /// Streams ReaderAdded for every reader and CardInserted for every card present, then each change,
    /// until <paramref name="cancellationToken"/> is cancelled; the sequence then simply ends, as the
    /// PC/SC backend's does.
    /// </summary>
    public async IAsyncEnumerable<ReaderEvent> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var channel = Channel.CreateUnbounded<ReaderEvent>(new UnboundedChannelOptions { SingleReader = true });
        lock (_lock)
        {
            // Snapshot and subscription under one lock, so no change falls between them.
            var now = _time.GetUtcNow();
            foreach (var slot in _slots)
            {
                channel.Writer.TryWrite(new ReaderEvent(ReaderEventKind.ReaderAdded, slot.Name, now));
            }
            foreach (var slot in _slots.Where(s => s.Card is not null))
            {
                channel.Writer.TryWrite(new ReaderEvent(ReaderEventKind.CardInserted, slot.Name, now, slot.Card!.Atr));
            }
            _watchers.Add(channel.Writer);
        }
        try
        {
            while (await WaitToReadAsync(channel.Reader, cancellationToken))
            {
                while (channel.Reader.TryRead(out var readerEvent))
                {
                    yield return readerEvent;
                }
            }
        }
        finally
        {
            lock (_lock)
            {
                _watchers.Remove(channel.Writer);
            }
            channel.Writer.TryComplete();
        }
    }

    internal bool IsStillInserted(string readerName, long insertion)
    {
        lock (_lock)
        {
            return _slots.Any(s => s.Name == readerName && s.Card is not null && s.Insertion == insertion);
        }
    }

    private static async ValueTask<bool> WaitToReadAsync(ChannelReader<ReaderEvent> reader, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.WaitToReadAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private ISmartCard RemoveLocked(Slot slot)
    {
        var card = slot.Card!;
        slot.Card = null;
        slot.Insertion = 0;
        Broadcast(new ReaderEvent(ReaderEventKind.CardRemoved, slot.Name, _time.GetUtcNow()));
        return card;
    }

    private Slot Find(string readerName) =>
        _slots.FirstOrDefault(s => s.Name == readerName) ?? throw new CardException($"No reader named \"{readerName}\".");

    private void Broadcast(ReaderEvent readerEvent)
    {
        foreach (var watcher in _watchers)
        {
            watcher.TryWrite(readerEvent);
        }
    }

    private sealed class Slot(string name)
    {
        public string Name { get; } = name;
        public ISmartCard? Card { get; set; }
        public long Insertion { get; set; }
    }
}
