namespace CardAp.Card.Readers;

/// <summary>
/// The readers of one terminal, whatever drives them: PC/SC (pcsc-lite or WinSCard) or the
/// in-process virtual reader. The edge depends on this, never on a backend.
/// </summary>
public interface ICardReaders
{
    /// <summary>Names of the readers currently attached.</summary>
    IReadOnlyList<string> ListReaders();

    /// <summary>Connects to the card in the named reader.</summary>
    /// <exception cref="Iso7816.CardException">No card, no such reader, or the reader failed.</exception>
    ICardConnection Connect(string readerName);

    /// <summary>
    /// Streams reader and card events until cancelled: first the current state (ReaderAdded for
    /// each reader, CardInserted for each present card), then every change. Survives readers
    /// coming and going and the reader service restarting.
    /// </summary>
    IAsyncEnumerable<ReaderEvent> WatchAsync(CancellationToken cancellationToken);
}

/// <summary>A card in a reader, connected for APDU exchange.</summary>
public interface ICardConnection : IApduTransport, IDisposable
{
    string ReaderName { get; }
    byte[] Atr { get; }
    CardProtocol Protocol { get; }
}

public enum CardProtocol
{
    T0 = 1,
    T1 = 2,
    Raw = 4,
}

public enum ReaderEventKind
{
    ReaderAdded,
    ReaderRemoved,
    CardInserted,
    CardRemoved,
    /// <summary>The reader service went away (e.g. pcscd stopped); the watcher keeps retrying.</summary>
    ServiceLost,
    /// <summary>The reader service is reachable again after a loss.</summary>
    ServiceRestored,
}

public sealed record ReaderEvent(ReaderEventKind Kind, string ReaderName, DateTimeOffset At, byte[]? Atr = null)
{
    public override string ToString() => $"{Kind} {ReaderName}" + (Atr is null ? string.Empty : " ATR " + Convert.ToHexString(Atr));
}
