namespace CardAp.VirtualCard;

/// <summary>
/// The card side of a contact interface: what a reader driver (vpcd, or the in-process
/// reader) needs from a card. Implementations must never throw for any command bytes:
/// a malformed command gets an ISO 7816-4 error status word.
/// </summary>
public interface ISmartCard
{
    /// <summary>Answer-to-reset.</summary>
    byte[] Atr { get; }

    /// <summary>Cold or warm reset: security state and selections are cleared, persistent state kept.</summary>
    void Reset();

    /// <summary>Processes one command APDU and returns the response APDU (data + SW1 SW2).</summary>
    byte[] Process(ReadOnlySpan<byte> command);
}
