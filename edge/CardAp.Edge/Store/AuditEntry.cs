using System.Text.Json.Nodes;

namespace CardAp.Edge.Store;

/// <summary>
/// An audit log entry (操作履歴): an operation, sign-in, refusal or setting change.
/// <paramref name="Outcome"/> is "ok", "refused", "failed"...; <paramref name="Subject"/> what it
/// concerned (a card reference, a setting, a file). The detail must not hold PINs or passwords
/// (refused, see ADR 0004).
/// </summary>
public sealed record AuditEntry(
    DateTimeOffset LocalTime,
    string Action,
    string Outcome,
    string? Operator,
    string? Subject,
    JsonObject? Detail = null)
{
    public const string Ok = "ok";
    public const string Refused = "refused";
    public const string Failed = "failed";

    /// <summary>An online-only operation recorded and waiting for the hub's decision (ADR 0011).</summary>
    public const string Pending = "pending";

    /// <summary>The hub refused an online-only operation; the transaction itself is the refusal's record.</summary>
    public const string HubRefused = "hub-refused";
}
