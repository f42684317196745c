namespace CardAp.Shared.Services;

/// <summary>Whether an operation may run while the hub is unreachable.</summary>
/// <remarks>Ordered from loosest to tightest: tuning may move an operation up this order, never down.</remarks>
public enum OfflinePolicy
{
    /// <summary>Runs offline without limit (shelter reception, library loans).</summary>
    Allowed = 0,
    /// <summary>Runs offline up to a limit the module enforces (points redemption per card per day).</summary>
    Limited = 1,
    /// <summary>Refused with a clear message while the hub is unreachable.</summary>
    OnlineOnly = 2,
}

/// <summary>The names of <see cref="OfflinePolicy"/> as master data writes them, and what tuning may choose.</summary>
public static class OfflinePolicies
{
    /// <summary>The policy names, loosest first.</summary>
    public static IReadOnlyList<string> Names { get; } = Enum.GetNames<OfflinePolicy>();

    /// <summary>
    /// Reads a policy by name, ignoring case, as attendance definitions are read on the edge.
    /// Numbers are refused although <see cref="Enum.TryParse{TEnum}(string, bool, out TEnum)"/> takes
    /// them: "2" in master data is a typo far more often than a deliberate OnlineOnly.
    /// </summary>
    public static bool TryParse(string? text, out OfflinePolicy policy)
    {
        if (text is null || !Enum.TryParse(text, ignoreCase: true, out policy) || !Enum.IsDefined(policy) || int.TryParse(text, out _))
        {
            policy = OfflinePolicy.Allowed;
            return false;
        }
        return true;
    }

    /// <summary>
    /// The policies tuning may set for an operation whose module default is <paramref name="default"/>:
    /// the default or tighter, and <see cref="OfflinePolicy.Limited"/> only where the default is
    /// Limited, because only such an operation has a module that enforces a limit; elsewhere Limited
    /// would read as a restriction but change nothing.
    /// </summary>
    public static IReadOnlyList<OfflinePolicy> TuningChoices(OfflinePolicy @default) =>
        [.. Enum.GetValues<OfflinePolicy>().Where(p => p >= @default && (p != OfflinePolicy.Limited || @default == OfflinePolicy.Limited))];
}
