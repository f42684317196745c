namespace CardAp.Edge.Store;

/// <summary>
/// The verifier's answer: valid with the number of entries checked, or the first broken link: the
/// sequence number where the chain breaks, the kind of problem and a sentence saying what was found.
/// </summary>
public sealed record AuditChainResult(bool IsValid, long Count, long? BrokenAt, AuditChainProblem Problem, string Message)
{
    public static AuditChainResult Valid(long count) =>
        new(true, count, null, AuditChainProblem.None, $"The audit log verifies: {count} entries, each linked to the one before.");

    public static AuditChainResult Broken(long count, long brokenAt, AuditChainProblem problem, string message) =>
        new(false, count, brokenAt, problem, message);
}
