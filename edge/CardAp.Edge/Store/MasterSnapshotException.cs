namespace CardAp.Edge.Store;

/// <summary>A master data snapshot was refused; <see cref="Problems"/> names each problem (by row index where it has one). Nothing was changed.</summary>
public sealed class MasterSnapshotException : Exception
{
    public MasterSnapshotException(IReadOnlyList<string> problems, Exception? innerException = null)
        : base(Describe(problems), innerException)
    {
        Problems = problems;
    }

    public IReadOnlyList<string> Problems { get; }

    private static string Describe(IReadOnlyList<string> problems) =>
        "The master data snapshot was not imported; nothing was changed. " +
        (problems.Count == 1 ? problems[0] : $"{problems.Count} problems: " + string.Join(" ", problems.Select((p, i) => $"({i + 1}) {p}")));
}
