using System.Buffers;
using CardAp.Card.Iso7816;

namespace CardAp.Card.Tlv;

/// <summary>One BER-TLV data object. <see cref="Value"/> is a slice of the parsed buffer.</summary>
public sealed record TlvObject(uint Tag, ReadOnlyMemory<byte> Value)
{
    /// <summary>Constructed objects (bit 6 of the first tag byte) hold further TLV objects.</summary>
    public bool IsConstructed => (FirstTagByte(Tag) & 0x20) != 0;

    /// <summary>The objects inside a constructed object.</summary>
    public IReadOnlyList<TlvObject> Children(TlvLimits? limits = null) => BerTlv.Parse(Value, limits);

    public string ValueAsAscii() => System.Text.Encoding.ASCII.GetString(Value.Span);

    private static byte FirstTagByte(uint tag)
    {
        while (tag > 0xFF)
        {
            tag >>= 8;
        }
        return (byte)tag;
    }

    public override string ToString() => $"{Tag:X} ({Value.Length} bytes)";
}

/// <summary>Limits that keep a hostile input from costing memory or time.</summary>
public sealed record TlvLimits(int MaxValueLength = 64 * 1024, int MaxObjects = 4096, int MaxTagBytes = 3)
{
    public static readonly TlvLimits Default = new();
}

/// <summary>The input is not valid BER-TLV: truncated, oversized or malformed. Names the offset.</summary>
public sealed class TlvException(string message, int offset) : CardProtocolException($"{message} (at byte {offset}).")
{
    public int Offset { get; } = offset;
}

/// <summary>
/// A BER-TLV codec (ISO 7816-4 §5.2 / X.690 definite lengths). Decoding rejects truncated
/// values, indefinite lengths, lengths beyond the limits and trailing garbage, each with the offset.
/// Bytes 00 and FF between objects are padding, as ISO 7816-4 allows.
/// </summary>
public static class BerTlv
{
    public static IReadOnlyList<TlvObject> Parse(ReadOnlyMemory<byte> input, TlvLimits? limits = null)
    {
        limits ??= TlvLimits.Default;
        var result = new List<TlvObject>();
        var offset = 0;
        var span = input.Span;
        while (offset < span.Length)
        {
            if (span[offset] is 0x00 or 0xFF)
            {
                offset++;
                continue;
            }
            if (result.Count == limits.MaxObjects)
            {
                throw new TlvException($"More than {limits.MaxObjects} TLV objects", offset);
            }
            var start = offset;
            var tag = ReadTag(span, ref offset, limits);
            var length = ReadLength(span, ref offset, limits);
            if (length > span.Length - offset)
            {
                throw new TlvException($"TLV tag {tag:X} is truncated: its length says {length} bytes but only {span.Length - offset} remain", start);
            }
            result.Add(new TlvObject(tag, input.Slice(offset, length)));
            offset += length;
        }
        return result;
    }

    /// <summary>Parses input that must be exactly one object with the expected tag.</summary>
    public static TlvObject ParseSingle(ReadOnlyMemory<byte> input, uint expectedTag, TlvLimits? limits = null)
    {
        var objects = Parse(input, limits);
        if (objects.Count != 1 || objects[0].Tag != expectedTag)
        {
            var found = objects.Count == 0 ? "nothing" : string.Join(", ", objects.Select(o => o.Tag.ToString("X")));
            throw new TlvException($"Expected exactly one TLV object with tag {expectedTag:X}, found {found}", 0);
        }
        return objects[0];
    }

    public static TlvObject? Find(this IReadOnlyList<TlvObject> objects, uint tag)
    {
        foreach (var o in objects)
        {
            if (o.Tag == tag)
            {
                return o;
            }
        }
        return null;
    }

    public static TlvObject Require(this IReadOnlyList<TlvObject> objects, uint tag, string what) =>
        objects.Find(tag) ?? throw new TlvException($"{what} (tag {tag:X}) is missing", 0);

    private static uint ReadTag(ReadOnlySpan<byte> span, ref int offset, TlvLimits limits)
    {
        var start = offset;
        uint tag = span[offset++];
        if ((tag & 0x1F) != 0x1F)
        {
            return tag;
        }
        int count = 1;
        byte b;
        do
        {
            if (offset >= span.Length)
            {
                throw new TlvException("TLV tag is truncated", start);
            }
            if (++count > limits.MaxTagBytes)
            {
                throw new TlvException($"TLV tag is longer than {limits.MaxTagBytes} bytes", start);
            }
            b = span[offset++];
            tag = tag << 8 | b;
        }
        while ((b & 0x80) != 0);
        return tag;
    }

    private static int ReadLength(ReadOnlySpan<byte> span, ref int offset, TlvLimits limits)
    {
        var start = offset;
        if (offset >= span.Length)
        {
            throw new TlvException("TLV length is missing", start);
        }
        var first = span[offset++];
        if (first < 0x80)
        {
            return first;
        }
        if (first == 0x80)
        {
            throw new TlvException("Indefinite TLV length is not allowed", start);
        }
        var count = first & 0x7F;
        if (count > 3)
        {
            throw new TlvException($"TLV length field of {count} bytes is oversized", start);
        }
        if (span.Length - offset < count)
        {
            throw new TlvException("TLV length field is truncated", start);
        }
        var length = 0;
        for (var i = 0; i < count; i++)
        {
            length = length << 8 | span[offset++];
        }
        if (length > limits.MaxValueLength)
        {
            throw new TlvException($"TLV length {length} is oversized (limit {limits.MaxValueLength})", start);
        }
        return length;
    }

    /// <summary>Encodes one object: tag, definite length, value.</summary>
    public static byte[] Encode(uint tag, ReadOnlySpan<byte> value)
    {
        var writer = new TlvWriter();
        writer.Write(tag, value);
        return writer.ToArray();
    }
}

/// <summary>Builds BER-TLV. Nest constructed objects with <see cref="WriteConstructed"/>.</summary>
public sealed class TlvWriter
{
    private readonly System.Buffers.ArrayBufferWriter<byte> _stream = new();

    public TlvWriter Write(uint tag, ReadOnlySpan<byte> value)
    {
        WriteTag(tag);
        WriteLength(value.Length);
        _stream.Write(value);
        return this;
    }

    public TlvWriter Write(uint tag, string ascii) => Write(tag, System.Text.Encoding.ASCII.GetBytes(ascii));

    public TlvWriter Write(uint tag, byte value) => Write(tag, [value]);

    public TlvWriter WriteConstructed(uint tag, Action<TlvWriter> content)
    {
        var inner = new TlvWriter();
        content(inner);
        return Write(tag, inner.ToArray());
    }

    public byte[] ToArray() => _stream.WrittenSpan.ToArray();

    private void Put(int b) => _stream.Write([(byte)b]);

    private void WriteTag(uint tag)
    {
        Span<byte> bytes = stackalloc byte[4];
        var n = 0;
        for (var shift = 24; shift >= 0; shift -= 8)
        {
            var b = (byte)(tag >> shift);
            if (n > 0 || b != 0 || shift == 0)
            {
                bytes[n++] = b;
            }
        }
        _stream.Write(bytes[..n]);
    }

    private void WriteLength(int length)
    {
        switch (length)
        {
            case < 0x80:
                Put((byte)length);
                break;
            case <= 0xFF:
                Put(0x81);
                Put((byte)length);
                break;
            case <= 0xFFFF:
                Put(0x82);
                Put((byte)(length >> 8));
                Put((byte)length);
                break;
            default:
                Put(0x83);
                Put((byte)(length >> 16));
                Put((byte)(length >> 8));
                Put((byte)length);
                break;
        }
    }
}
