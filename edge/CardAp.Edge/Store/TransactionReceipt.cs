namespace CardAp.Edge.Store;

/// <summary>
/// What recording a transaction produced: its sequence number, the sequence number of its audit
/// entry, and whether the request id had been recorded before (then both are the original ones
/// and nothing was written).
/// </summary>
public sealed record TransactionReceipt(long Seq, long AuditSeq, bool Duplicate);
