using CardAp.Card.Readers;

namespace CardAp.VirtualCard.Issuance;

/// <summary>Talks to a virtual card directly, with no reader in between (issuing cards in tests and the demo).</summary>
public sealed class SmartCardTransport(ISmartCard card) : IApduTransport
{
    public byte[] Transmit(ReadOnlySpan<byte> command) => card.Process(command);
}
