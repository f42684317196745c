namespace CardAp.Card.Readers;

/// <summary>A raw APDU exchange with one connected card.</summary>
public interface IApduTransport
{
    /// <summary>Sends a command APDU and returns the raw response (data + SW1 SW2).</summary>
    /// <exception cref="Iso7816.CardException">The reader or card failed; never any other exception type for I/O faults.</exception>
    byte[] Transmit(ReadOnlySpan<byte> command);
}
