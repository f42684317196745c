using CardAp.Card.Iso7816;
using CardAp.VirtualCard;

namespace CardAp.Pcsc.Tests;

/// <summary>
/// A minimal card for transport tests. Commands (CLA 00):
/// 01 echoes its data with 90 00; 02 with P1P2 = n answers 61xx and hands n bytes out through
/// GET RESPONSE; 03 with P2 = n wants exactly Le = n (else 6C n); EE makes the card throw.
/// </summary>
public sealed class EchoCard : ISmartCard
{
    public const byte Echo = 0x01;
    public const byte Chained = 0x02;
    public const byte ExactLe = 0x03;
    public const byte Throw = 0xEE;

    public static readonly byte[] DefaultAtr = Convert.FromHexString("3BE000FF8131FE4514");

    private readonly Lock _gate = new();
    private byte[]? _pending;
    private int _resets;
    private int _commands;

    public byte[] Atr => DefaultAtr;

    public int ResetCount => Volatile.Read(ref _resets);

    public int CommandCount => Volatile.Read(ref _commands);

    public static byte[] Pattern(int length) => Enumerable.Range(0, length).Select(i => (byte)(i * 7 + 3)).ToArray();

    public void Reset()
    {
        Interlocked.Increment(ref _resets);
        lock (_gate)
        {
            _pending = null;
        }
    }

    public byte[] Process(ReadOnlySpan<byte> command)
    {
        Interlocked.Increment(ref _commands);
        CommandApdu apdu;
        try
        {
            apdu = CommandApdu.Parse(command);
        }
        catch (CardProtocolException)
        {
            return [0x67, 0x00];
        }
        lock (_gate)
        {
            if (apdu.Ins != Ins.GetResponse)
            {
                _pending = null;
            }
            switch (apdu.Ins)
            {
                case Echo:
                    return [.. apdu.Data.Span, 0x90, 0x00];
                case Chained:
                    _pending = Pattern(apdu.P1 << 8 | apdu.P2);
                    return [0x61, (byte)Math.Min(_pending.Length, 256)];
                case Ins.GetResponse:
                    return GetResponse(apdu.Ne ?? 256);
                case ExactLe:
                    return apdu.Ne == apdu.P2 ? [.. Pattern(apdu.P2), 0x90, 0x00] : [0x6C, apdu.P2];
                case Throw:
                    throw new InvalidOperationException("The test card fails on purpose.");
                default:
                    return [0x6D, 0x00];
            }
        }
    }

    private byte[] GetResponse(int ne)
    {
        if (_pending is null)
        {
            return [0x69, 0x85];
        }
        var take = Math.Min(ne, _pending.Length);
        var chunk = _pending[..take];
        _pending = _pending[take..];
        if (_pending.Length == 0)
        {
            _pending = null;
            return [.. chunk, 0x90, 0x00];
        }
        return [.. chunk, 0x61, (byte)Math.Min(_pending.Length, 256)];
    }
}
