namespace CardAp.Edge.Store;

/// <summary>An audit log entry as stored, with its place in the hash chain.</summary>
public sealed record StoredAuditEntry(
    long Seq,
    DateTimeOffset LocalTime,
    string Action,
    string Outcome,
    string? Operator,
    string? Subject,
    string DetailJson,
    byte[] PrevHash,
    byte[] Hash);
