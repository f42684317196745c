namespace CardAp.Sync.Hub;

/// <summary>The record streams a terminal pushes (PushRequest.stream); each has its own gap-free sequence.</summary>
public static class SyncStreams
{
    public const string Transactions = "transactions";
    public const string Audit = "audit";
    public const string Telemetry = "telemetry";

    public static IReadOnlyList<string> All { get; } = [Transactions, Audit, Telemetry];

    public static bool IsKnown(string? stream) => stream is Transactions or Audit or Telemetry;
}
