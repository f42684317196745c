namespace CardAp.Sync.Hub;

/// <summary>The sizes the protocol allows (sync.proto), and what the hub does with a 0 limit.</summary>
public static class SyncLimits
{
    /// <summary>A page (Pull changes, Snapshot rows) when the request says 0.</summary>
    public const int DefaultPage = 1000;

    /// <summary>The largest page a request may ask for.</summary>
    public const int MaxPage = 5000;

    /// <summary>The most records one Push may carry (the gRPC message limit, 4 MiB, may cap a batch sooner).</summary>
    public const int MaxBatch = 1000;

    /// <summary>The most sequence numbers one Decisions request may ask about.</summary>
    public const int MaxDecisionsPerCall = 1000;

    /// <summary>The longest JSON document (payload, detail) a record may carry to be usable.</summary>
    public const int MaxJsonLength = 64 * 1024;

    /// <summary>
    /// The most master rows one Pull or Snapshot page reads, in scope or not, so a page of a terminal
    /// that needs few of a large municipality's rows (e.g. after a registration import) stays cheap;
    /// the page then ends early and its checkpoint or page token still moves forward.
    /// </summary>
    public const int MaxScanRows = 10_000;

    /// <summary>The page size for a requested limit, or null when the limit is out of range.</summary>
    public static int? Page(int requested) => requested switch
    {
        0 => DefaultPage,
        >= 1 and <= MaxPage => requested,
        _ => null,
    };
}
