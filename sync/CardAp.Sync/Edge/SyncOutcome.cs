namespace CardAp.Sync.Edge;

/// <summary>
/// Why a sync did not complete, for the clerk (English and Japanese) and for IT
/// (<see cref="Reason"/>, <see cref="Detail"/>). <see cref="HubUnreachable"/> means no answer
/// came back at all (network, hub down, deadline), as opposed to an answer that refused.
/// </summary>
public sealed record SyncError(string Reason, string MessageEn, string MessageJa, string? Detail = null, bool HubUnreachable = false);

/// <summary>A record the hub kept in quarantine (still acknowledged) and why.</summary>
public sealed record QuarantinedRecord(string Stream, long Seq, string Reason);

/// <summary>
/// The result of one sync. <see cref="Pushed"/> counts records newly acknowledged per stream;
/// <see cref="ClockSkew"/> is the hub's clock minus the terminal's (null before a Hello answered).
/// <see cref="HubReached"/> is true when the hub answered at least one call.
/// </summary>
public sealed record SyncOutcome(
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt,
    SyncError? Error,
    bool HubReached,
    long ChangesApplied,
    long SnapshotRows,
    string? ReinitialiseReason,
    IReadOnlyDictionary<string, long> Pushed,
    IReadOnlyList<QuarantinedRecord> Quarantined,
    TimeSpan? ClockSkew)
{
    public bool Succeeded => Error is null;

    /// <summary>An outcome without any call to the hub (sync not configured, or stopping).</summary>
    public static SyncOutcome NotRun(DateTimeOffset at, SyncError error) =>
        new(at, at, error, false, 0, 0, null, new Dictionary<string, long>(StringComparer.Ordinal), [], null);
}

/// <summary>What a running sync is doing: <see cref="Phase"/> ("hello", "pull", "snapshot", "push:&lt;stream&gt;") and how far.</summary>
public sealed record SyncProgress(string Phase, long Done, long Total);

/// <summary>The sync engine's state for the terminal's status display and the logs.</summary>
public sealed record SyncStatus(
    bool Running,
    SyncProgress? Progress,
    DateTimeOffset? LastSuccess,
    DateTimeOffset? LastAttempt,
    SyncError? LastError,
    int ConsecutiveFailures,
    long Backlog,
    TimeSpan? ClockSkew,
    long MasterCheckpoint);
