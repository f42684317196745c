namespace CardAp.Edge.Store;

/// <summary>
/// A request id was recorded before for a different transaction (another service, operation,
/// card, member or training flag): a client bug, never a retry. Nothing was written.
/// </summary>
public sealed class RequestIdConflictException : InvalidOperationException
{
    public RequestIdConflictException(string requestId, long originalSeq, IReadOnlyList<string> differences)
        : base($"Request id '{requestId}' was already used for transaction {originalSeq} with a different {string.Join(", ", differences)}; a retry must repeat the original request.")
    {
        RequestId = requestId;
        OriginalSeq = originalSeq;
        Differences = differences;
    }

    public string RequestId { get; }

    public long OriginalSeq { get; }

    public IReadOnlyList<string> Differences { get; }
}
