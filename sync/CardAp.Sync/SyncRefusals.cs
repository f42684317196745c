namespace CardAp.Sync;

/// <summary>
/// The protocol's refusal reasons (the cardap-reason trailer) and extra trailer that both ends act
/// on, in one place so the hub and the edge cannot drift apart.
/// </summary>
public static class SyncRefusals
{
    /// <summary>A Push starts past the hub's position + 1; resend from the position the hub names.</summary>
    public const string StreamGap = "StreamGap";

    /// <summary>An audit entry does not continue the hub's copy of the terminal's chain.</summary>
    public const string AuditChainBroken = "AuditChainBroken";

    /// <summary>The terminal's services changed during a snapshot; start it again.</summary>
    public const string ScopeChanged = "ScopeChanged";

    /// <summary>On <see cref="StreamGap"/> and <see cref="AuditChainBroken"/>: how far the hub holds the stream (decimal).</summary>
    public const string AcknowledgedThroughTrailer = "cardap-acknowledged-through";
}
