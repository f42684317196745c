namespace CardAp.Edge.Store;

/// <summary>The record streams; each has its own gap-free sequence and outbox entries.</summary>
public static class OutboxStreams
{
    public const string Transactions = "transactions";
    public const string Audit = "audit";
    public const string Telemetry = "telemetry";

    public static IReadOnlyList<string> All { get; } = [Transactions, Audit, Telemetry];

    /// <summary>The table holding a stream's records.</summary>
    internal static string Table(string stream) => stream switch
    {
        Transactions => "transactions",
        Audit => "audit_log",
        Telemetry => "telemetry",
        _ => throw new ArgumentException($"Unknown stream '{stream}'; the streams are {string.Join(", ", All)}.", nameof(stream)),
    };
}
