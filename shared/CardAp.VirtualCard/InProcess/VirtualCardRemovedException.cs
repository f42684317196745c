using CardAp.Card.Iso7816;

namespace CardAp.VirtualCard.InProcess;

/// <summary>The card was taken out of the in-process reader (or replaced) under an open connection.</summary>
public sealed class VirtualCardRemovedException(string readerName)
    : CardException($"The card in {readerName} was removed; connect again after inserting one.")
{
    public string ReaderName { get; } = readerName;
}
