namespace CardAp.VirtualCard;

/// <summary>One command and the card's response, raw, for tracing.</summary>
public sealed class ApduExchangedEventArgs(byte[] command, byte[] response) : EventArgs
{
    public byte[] Command { get; } = command;
    public byte[] Response { get; } = response;
}
