namespace CardAp.Edge.Store;

/// <summary>
/// The hub's decision on an online-only transaction (ADR 0011): accepted, or refused with the hub's
/// machine-readable reason and its words for the clerk in English and Japanese.
/// </summary>
public sealed record StoredDecision(long Seq, bool Accepted, string? Reason, string? MessageEn, string? MessageJa);
