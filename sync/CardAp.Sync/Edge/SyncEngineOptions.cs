namespace CardAp.Sync.Edge;

/// <summary>How the edge's sync engine talks to the hub.</summary>
public sealed class SyncEngineOptions
{
    /// <summary>The most records one Push may carry (the protocol's limit).</summary>
    public const int MaxBatchSize = 1000;

    /// <summary>The largest page a Pull or Snapshot may ask for (the protocol's limit).</summary>
    public const int MaxPageSize = 5000;

    /// <summary>This terminal's id ("131016-T001"); Hello must name the same, or nothing is synced.</summary>
    public required string TerminalId { get; init; }

    /// <summary>This terminal's municipality code; Hello must name the same, or nothing is synced.</summary>
    public required string Municipality { get; init; }

    /// <summary>The edge's software version for the hub's fleet view (at most 64 characters are sent).</summary>
    public string SoftwareVersion { get; init; } = "unknown";

    /// <summary>Records per Push (1 to <see cref="MaxBatchSize"/>).</summary>
    public int BatchSize { get; init; } = 500;

    /// <summary>
    /// Uncompressed bytes per Push: a batch ends early rather than cross it, so a few large
    /// payloads never exceed the hub's 4 MiB message limit.
    /// </summary>
    public int MaxBatchBytes { get; init; } = 2 * 1024 * 1024;

    /// <summary>Rows per Pull or Snapshot page (1 to <see cref="MaxPageSize"/>).</summary>
    public int PageSize { get; init; } = 1000;

    /// <summary>The deadline of every call to the hub.</summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
