using CardAp.Card.Iso7816;
using CardAp.Card.Readers;

namespace CardAp.VirtualCard.InProcess;

/// <summary>
/// A connection to the card that was in a slot when <see cref="InProcessCardReaders.Connect"/> ran.
/// It stays bound to that insertion: after the card is removed (even if another is inserted)
/// <see cref="Transmit"/> throws <see cref="VirtualCardRemovedException"/>, as PC/SC reports a removed card.
/// </summary>
public sealed class InProcessCardConnection : ICardConnection
{
    private readonly InProcessCardReaders _readers;
    private readonly ISmartCard _card;
    private readonly long _insertion;
    private bool _disposed;

    internal InProcessCardConnection(InProcessCardReaders readers, string readerName, ISmartCard card, long insertion)
    {
        _readers = readers;
        _card = card;
        _insertion = insertion;
        ReaderName = readerName;
        Atr = card.Atr;
    }

    public string ReaderName { get; }
    public byte[] Atr { get; }
    public CardProtocol Protocol => CardProtocol.T1;

    public byte[] Transmit(ReadOnlySpan<byte> command)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_readers.IsStillInserted(ReaderName, _insertion))
        {
            throw new VirtualCardRemovedException(ReaderName);
        }
        try
        {
            return _card.Process(command);
        }
        catch (Exception e)
        {
            // ISmartCard promises not to throw; if one does anyway the caller still sees only the card layer's exception type.
            throw new CardException($"The card in {ReaderName} failed: {e.Message}", e);
        }
    }

    /// <summary>Leaves the card as it is (PC/SC's SCARD_LEAVE_CARD), like the PC/SC backend does.</summary>
    public void Dispose() => _disposed = true;
}
