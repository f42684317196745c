namespace CardAp.VirtualCard.State;

/// <summary>The content of one transparent EF; <see cref="Fid"/> is 4 hex digits, e.g. "0101".</summary>
public sealed record FileState(string Fid, byte[] Content);
