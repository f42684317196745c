namespace CardAp.Edge.Store;

/// <summary>
/// What a stream still has to send: <see cref="Pending"/> records, the local time of the oldest,
/// the last sequence number written and the position the hub acknowledged.
/// </summary>
public sealed record OutboxBacklog(string Stream, long Pending, DateTimeOffset? Oldest, long LastSeq, long AcknowledgedThrough);
