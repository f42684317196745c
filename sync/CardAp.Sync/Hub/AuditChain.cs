using CardAp.Shared.Audit;
using CardAp.Sync.Contracts;

namespace CardAp.Sync.Hub;

/// <summary>How an uploaded audit chain breaks.</summary>
public enum AuditChainFault
{
    /// <summary>prev_hash or hash is not 32 bytes.</summary>
    MalformedHash,

    /// <summary>The entry's prev_hash is not the hash of the entry before it (or, first, the hash the hub holds last).</summary>
    PrevHashMismatch,

    /// <summary>The entry's content does not give its hash (altered after hashing).</summary>
    HashMismatch,

    /// <summary>The entry repeats one the hub holds, with a different hash: the terminal's log changed after upload.</summary>
    Forked,
}

/// <summary>Where and how a chain breaks, in English and Japanese for the refusal and the hub audit.</summary>
public sealed record AuditChainBreak(long Seq, AuditChainFault Fault, string MessageEn, string MessageJa);

/// <summary>
/// Checks uploaded audit entries the way the edge's own verifier checks its log: every hash is
/// recomputed with <see cref="AuditHash"/> from the fields as the terminal hashed them, and every
/// entry links to the one before.
/// </summary>
public static class AuditChain
{
    /// <summary>The hash of one entry, computed from its fields.</summary>
    public static byte[] Compute(AuditRecord entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return AuditHash.Compute(entry.Seq, entry.LocalTime, entry.Action, entry.Outcome,
            entry.HasOperator ? entry.Operator : null, entry.HasSubject ? entry.Subject : null, entry.DetailJson, entry.PrevHash.Span);
    }

    /// <summary>
    /// The first break in <paramref name="entries"/> (consecutive, in order) when the entry before the
    /// first one has hash <paramref name="previousHash"/> (<see cref="AuditHash.Genesis"/> before entry 1), or null.
    /// </summary>
    public static AuditChainBreak? FirstBreak(IEnumerable<AuditRecord> entries, ReadOnlySpan<byte> previousHash)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var previous = previousHash.ToArray();
        foreach (var entry in entries)
        {
            if (entry.PrevHash.Length != AuditHash.Size || entry.Hash.Length != AuditHash.Size)
            {
                return new AuditChainBreak(entry.Seq, AuditChainFault.MalformedHash,
                    $"Audit entry {entry.Seq} carries a hash that is not {AuditHash.Size} bytes.",
                    $"操作履歴{entry.Seq}のハッシュ値が{AuditHash.Size}バイトではありません。");
            }
            if (!entry.PrevHash.Span.SequenceEqual(previous))
            {
                return new AuditChainBreak(entry.Seq, AuditChainFault.PrevHashMismatch,
                    entry.Seq == 1
                        ? "Audit entry 1 does not start from the genesis hash."
                        : $"Audit entry {entry.Seq} is not linked to entry {entry.Seq - 1}: its prev_hash differs from that entry's hash.",
                    entry.Seq == 1
                        ? "操作履歴1が初期ハッシュ値から始まっていません。"
                        : $"操作履歴{entry.Seq}が操作履歴{entry.Seq - 1}とつながっていません(直前のハッシュ値が一致しません)。");
            }
            if (!Compute(entry).AsSpan().SequenceEqual(entry.Hash.Span))
            {
                return new AuditChainBreak(entry.Seq, AuditChainFault.HashMismatch,
                    $"Audit entry {entry.Seq} was altered: its content does not match its hash.",
                    $"操作履歴{entry.Seq}は改変されています(内容がハッシュ値と一致しません)。");
            }
            previous = entry.Hash.ToByteArray();
        }
        return null;
    }

    /// <summary>An entry the hub holds already, uploaded again with another hash.</summary>
    public static AuditChainBreak Fork(long seq) => new(seq, AuditChainFault.Forked,
        $"Audit entry {seq} differs from the entry {seq} the hub received before: the terminal's audit log changed after it was uploaded.",
        $"操作履歴{seq}が、以前ハブが受信した操作履歴{seq}と異なります。送信後に端末の操作履歴が変更されています。");
}
