namespace CardAp.Edge.Store;

/// <summary>The sync_state keys the store itself owns; <see cref="OutboxState.SetState"/> refuses them.</summary>
internal static class StateKeys
{
    public const string TerminalId = "terminal.id";
    public const string MasterVersion = "master.version";
    public const string MasterCheckpoint = "master.checkpoint";
    public const string MasterMunicipality = "master.municipality";
    public const string MasterSnapshot = "master.snapshot";
    public const string MasterScope = "master.scope";
    public const string MasterStaging = "master.staging";
    public const string AckPrefix = "ack.";
    public const string LastSync = "sync.last";
    public const string RestorePending = "restore.pending";

    public static string Ack(string stream) => AckPrefix + stream;

    public static bool IsReserved(string key) =>
        key is TerminalId or MasterVersion or MasterCheckpoint or MasterMunicipality or MasterSnapshot or MasterScope or MasterStaging or LastSync or RestorePending
        || key.StartsWith(AckPrefix, StringComparison.Ordinal);
}
