namespace CardAp.Edge.Store;

/// <summary>Why the audit chain is broken.</summary>
public enum AuditChainProblem
{
    /// <summary>The chain verifies.</summary>
    None,
    /// <summary>A sequence number is missing or out of order (an entry was deleted or renumbered).</summary>
    SequenceGap,
    /// <summary>An entry's prev_hash is not the hash of the entry before it (entries re-linked or re-ordered).</summary>
    PrevHashMismatch,
    /// <summary>An entry's stored hash does not match its content (the entry was altered).</summary>
    HashMismatch,
    /// <summary>The log ends before entries the outbox or the hub know of (the newest entries were removed).</summary>
    Truncated,
}
