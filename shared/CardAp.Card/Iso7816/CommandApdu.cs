namespace CardAp.Card.Iso7816;

/// <summary>
/// An ISO 7816-4 command APDU in short form (up to 255 data bytes, Ne up to 256),
/// which is all the My Number card and our applets speak.
/// </summary>
public sealed record CommandApdu
{
    public const int MaxData = 255;
    public const int MaxNe = 256;

    public CommandApdu(byte cla, byte ins, byte p1, byte p2, ReadOnlyMemory<byte> data = default, int? ne = null)
    {
        if (data.Length > MaxData)
        {
            throw new ArgumentException($"Command data is {data.Length} bytes; short APDUs carry at most {MaxData}.", nameof(data));
        }
        if (ne is < 1 or > MaxNe)
        {
            throw new ArgumentOutOfRangeException(nameof(ne), ne, $"Ne must be 1..{MaxNe} (256 is encoded as Le=00).");
        }
        Cla = cla;
        Ins = ins;
        P1 = p1;
        P2 = p2;
        Data = data;
        Ne = ne;
    }

    public byte Cla { get; }
    public byte Ins { get; }
    public byte P1 { get; }
    public byte P2 { get; }
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>Expected response length; null when the command expects no data (no Le field).</summary>
    public int? Ne { get; init; }

    public byte[] ToBytes()
    {
        var length = 4 + (Data.Length > 0 ? 1 + Data.Length : 0) + (Ne.HasValue ? 1 : 0);
        var bytes = new byte[length];
        bytes[0] = Cla;
        bytes[1] = Ins;
        bytes[2] = P1;
        bytes[3] = P2;
        var offset = 4;
        if (Data.Length > 0)
        {
            bytes[offset++] = (byte)Data.Length;
            Data.Span.CopyTo(bytes.AsSpan(offset));
            offset += Data.Length;
        }
        if (Ne.HasValue)
        {
            bytes[offset] = (byte)(Ne.Value == MaxNe ? 0 : Ne.Value);
        }
        return bytes;
    }

    /// <summary>Parses a short command APDU (cases 1 to 4). Throws <see cref="CardProtocolException"/> on malformed input.</summary>
    public static CommandApdu Parse(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 4)
        {
            throw new CardProtocolException($"A command APDU needs at least 4 bytes, got {bytes.Length}.");
        }
        byte cla = bytes[0], ins = bytes[1], p1 = bytes[2], p2 = bytes[3];
        var body = bytes[4..];
        switch (body.Length)
        {
            case 0:
                return new CommandApdu(cla, ins, p1, p2);
            case 1:
                return new CommandApdu(cla, ins, p1, p2, ne: body[0] == 0 ? MaxNe : body[0]);
        }
        var lc = body[0];
        if (lc == 0)
        {
            throw new CardProtocolException("Extended-length APDUs are not supported (Lc=00 with more bytes following).");
        }
        if (body.Length == 1 + lc)
        {
            return new CommandApdu(cla, ins, p1, p2, body.Slice(1, lc).ToArray());
        }
        if (body.Length == 2 + lc)
        {
            var le = body[1 + lc];
            return new CommandApdu(cla, ins, p1, p2, body.Slice(1, lc).ToArray(), le == 0 ? MaxNe : le);
        }
        throw new CardProtocolException($"Lc says {lc} data bytes but the APDU body holds {body.Length - 1}.");
    }

    public override string ToString() =>
        $"{Cla:X2} {Ins:X2} {P1:X2} {P2:X2}" + (Data.Length > 0 ? $" Lc={Data.Length}" : string.Empty) + (Ne.HasValue ? $" Ne={Ne}" : string.Empty);
}
