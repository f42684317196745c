namespace CardAp.Card.Iso7816;

/// <summary>An ISO 7816-4 response APDU: response data followed by the status word SW1 SW2.</summary>
public sealed record ResponseApdu(ReadOnlyMemory<byte> Data, StatusWord Status)
{
    public ResponseApdu(StatusWord status) : this(ReadOnlyMemory<byte>.Empty, status)
    {
    }

    public bool IsSuccess => Status.IsSuccess;

    /// <summary>Parses a raw response. A response shorter than the 2-byte status word is a protocol error.</summary>
    public static ResponseApdu Parse(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 2)
        {
            throw new CardProtocolException($"A response APDU needs at least the 2-byte status word, got {bytes.Length} byte(s).");
        }
        var sw = new StatusWord((ushort)(bytes[^2] << 8 | bytes[^1]));
        return new ResponseApdu(bytes[..^2].ToArray(), sw);
    }

    public byte[] ToBytes()
    {
        var bytes = new byte[Data.Length + 2];
        Data.Span.CopyTo(bytes);
        bytes[^2] = Status.Sw1;
        bytes[^1] = Status.Sw2;
        return bytes;
    }

    /// <summary>Returns the data, or throws <see cref="CardStatusException"/> when the status word is not 90 00.</summary>
    public ReadOnlyMemory<byte> EnsureSuccess(string operation)
    {
        if (!IsSuccess)
        {
            throw new CardStatusException(operation, Status);
        }
        return Data;
    }

    public override string ToString() => $"{Data.Length} byte(s), {Status}";
}
