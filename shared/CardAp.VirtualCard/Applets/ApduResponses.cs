using CardAp.Card.Iso7816;

namespace CardAp.VirtualCard.Applets;

/// <summary>Shorthands for building responses in applet code.</summary>
internal static class ApduResponses
{
    public static ResponseApdu Status(StatusWord status) => new(status);

    public static ResponseApdu Ok() => new(StatusWord.Success);

    public static ResponseApdu Ok(byte[] data) => new(data, StatusWord.Success);

    /// <summary>6C xx: the command asked for fewer bytes than the answer has; xx is the exact Le (00 = 256).</summary>
    public static ResponseApdu WrongLe(int exactLength) => new(new StatusWord(0x6C, (byte)(exactLength & 0xFF)));

    /// <summary>69 81: the current EF does not support the command (e.g. VERIFY with a certificate EF selected).</summary>
    public static readonly StatusWord CommandIncompatibleWithFile = new(0x6981);

    public static bool IsAsciiDigits(ReadOnlySpan<byte> value, int length)
    {
        if (value.Length != length)
        {
            return false;
        }
        foreach (var b in value)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return false;
            }
        }
        return true;
    }
}
