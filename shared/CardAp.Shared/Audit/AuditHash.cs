using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace CardAp.Shared.Audit;

/// <summary>
/// The audit chain hash: SHA-256 over a canonical, unambiguous encoding of one entry as stored:
/// <code>
/// "CardAp.AuditLog.v1"                       (18 ASCII bytes, domain separation)
/// seq                                        (int64, big-endian)
/// local_time, action, outcome, operator, subject, detail
///                                            (each: 0x00 for null, or 0x01 + uint32 big-endian
///                                             UTF-8 byte length + the UTF-8 bytes of the stored text)
/// prev_hash                                  (32 bytes; the genesis entry uses 32 zero bytes)
/// </code>
/// The detail is hashed as the stored JSON text, never re-serialised, so anyone holding the stored
/// columns (the hub included, when it checks an uploaded chain) can recompute it.
/// </summary>
public static class AuditHash
{
    public const int Size = 32;

    private static readonly byte[] Domain = "CardAp.AuditLog.v1"u8.ToArray();

    public static byte[] Genesis => new byte[Size];

    public static byte[] Compute(long seq, string localTime, string action, string outcome, string? @operator, string? subject, string detail, ReadOnlySpan<byte> prevHash)
    {
        if (prevHash.Length != Size)
        {
            throw new ArgumentException($"prev_hash must be {Size} bytes, got {prevHash.Length}.", nameof(prevHash));
        }
        var length = Domain.Length + 8 + FieldLength(localTime) + FieldLength(action) + FieldLength(outcome)
            + FieldLength(@operator) + FieldLength(subject) + FieldLength(detail) + Size;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var span = buffer.AsSpan(0, length);
            Domain.CopyTo(span);
            var at = Domain.Length;
            BinaryPrimitives.WriteInt64BigEndian(span[at..], seq);
            at += 8;
            at += WriteField(span[at..], localTime);
            at += WriteField(span[at..], action);
            at += WriteField(span[at..], outcome);
            at += WriteField(span[at..], @operator);
            at += WriteField(span[at..], subject);
            at += WriteField(span[at..], detail);
            prevHash.CopyTo(span[at..]);
            return SHA256.HashData(span);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static int FieldLength(string? value) => value is null ? 1 : 1 + 4 + Encoding.UTF8.GetByteCount(value);

    private static int WriteField(Span<byte> destination, string? value)
    {
        if (value is null)
        {
            destination[0] = 0;
            return 1;
        }
        destination[0] = 1;
        var written = Encoding.UTF8.GetBytes(value, destination[5..]);
        BinaryPrimitives.WriteUInt32BigEndian(destination[1..], (uint)written);
        return 5 + written;
    }
}
