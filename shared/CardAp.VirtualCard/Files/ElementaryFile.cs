namespace CardAp.VirtualCard.Files;

/// <summary>
/// A transparent EF with a fixed capacity and a current length, as ISO 7816-4 cards keep them.
/// Key and PIN EFs are modelled as elementary files with no capacity and <see cref="AccessConditions.Never"/>:
/// they can be selected (which is how JPKI addresses a key or a PIN) but never read or written.
/// </summary>
public sealed class ElementaryFile
{
    private byte[] _content;

    public ElementaryFile(ushort fid, int maxSize, AccessCondition read, AccessCondition write, byte? sfi = null, string? name = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxSize, 0x7FFF);
        if (sfi is < 1 or > 30)
        {
            throw new ArgumentOutOfRangeException(nameof(sfi), sfi, "A short file identifier is 1..30.");
        }
        Fid = fid;
        MaxSize = maxSize;
        Read = read;
        Write = write;
        Sfi = sfi;
        Name = name ?? $"EF {fid:X4}";
        _content = [];
    }

    public ushort Fid { get; }
    public byte? Sfi { get; }
    public int MaxSize { get; }
    public string Name { get; }

    /// <summary>Condition for READ BINARY.</summary>
    public AccessCondition Read { get; }

    /// <summary>Condition for UPDATE BINARY and ERASE BINARY.</summary>
    public AccessCondition Write { get; }

    /// <summary>The current content; its length is the EF's current length (0 when never written).</summary>
    public ReadOnlyMemory<byte> Content => _content;

    public int Length => _content.Length;

    /// <summary>
    /// Sets the whole content, bypassing access conditions: personalisation as a card factory does
    /// it, and restoring saved state. The capacity still holds.
    /// </summary>
    public void Personalize(ReadOnlySpan<byte> content)
    {
        if (content.Length > MaxSize)
        {
            throw new ArgumentException($"{Name} holds at most {MaxSize} bytes; got {content.Length}.", nameof(content));
        }
        _content = content.ToArray();
    }

    internal void WriteAt(int offset, ReadOnlySpan<byte> data)
    {
        var end = offset + data.Length;
        if (end > _content.Length)
        {
            Array.Resize(ref _content, end);
        }
        data.CopyTo(_content.AsSpan(offset));
    }

    internal void Truncate(int length) => Array.Resize(ref _content, length);

    public override string ToString() => $"{Name} ({Fid:X4}, {Length}/{MaxSize} bytes)";
}
