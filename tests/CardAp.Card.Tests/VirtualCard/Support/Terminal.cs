using CardAp.Card.Iso7816;
using CardAp.VirtualCard;
using CardAp.VirtualCard.InProcess;

namespace CardAp.Card.Tests.VirtualCard.Support;

/// <summary>
/// A terminal talking to a virtual card the way the edge does: through an in-process reader
/// connection and an <see cref="ApduChannel"/>. <see cref="Raw"/> bypasses the channel's
/// 61xx/6Cxx handling to see exactly what the card answers.
/// </summary>
public sealed class Terminal : IDisposable
{
    private readonly InProcessCardReaders _readers = new();
    private readonly Card.Readers.ICardConnection _connection;

    public Terminal(VirtualSmartCard card)
    {
        Card = card;
        _readers.Insert(InProcessCardReaders.ReaderName(0), card);
        _connection = _readers.Connect(InProcessCardReaders.ReaderName(0));
        Channel = new ApduChannel(_connection);
    }

    public VirtualSmartCard Card { get; }
    public ApduChannel Channel { get; }

    /// <summary>Sends an APDU given as hex (spaces allowed) through the channel.</summary>
    public ResponseApdu Send(string hex) => Channel.Transmit(CommandApdu.Parse(Hex(hex)));

    public ResponseApdu Send(CommandApdu command) => Channel.Transmit(command);

    /// <summary>Sends raw bytes and parses what comes back, without any transport rule applied.</summary>
    public ResponseApdu Raw(string hex) => ResponseApdu.Parse(_connection.Transmit(Hex(hex)));

    public ResponseApdu Raw(byte[] bytes) => ResponseApdu.Parse(_connection.Transmit(bytes));

    public static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", string.Empty, StringComparison.Ordinal));

    public void Dispose() => _connection.Dispose();
}
