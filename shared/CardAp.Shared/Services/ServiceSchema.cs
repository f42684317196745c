namespace CardAp.Shared.Services;

/// <summary>
/// What tuning (チューニング, master kind <see cref="Domain.MasterKinds.ServiceTuning"/>) may change in
/// one service: its settings, and per operation how far its offline policy and kiosk use may be
/// tightened. The edge builds its modules from it and the hub validates tuning rows against it, so
/// the two cannot disagree about what a row means.
/// </summary>
public sealed record ServiceSchema(
    string Id,
    string NameEn,
    string NameJa,
    IReadOnlyList<SettingDefinition> Settings,
    IReadOnlyList<OperationSchema> Operations)
{
    public SettingDefinition? Setting(string name) => Settings.FirstOrDefault(s => s.Name == name);

    public OperationSchema? Operation(string name) => Operations.FirstOrDefault(o => o.Name == name);
}

/// <summary>An operation as tuning sees it.</summary>
/// <param name="OfflineDefault">The module's default; tuning may tighten it, never loosen it.</param>
/// <param name="KioskAllowed">A resident alone (card + PIN, no operator) may run it; tuning may switch this off, never on.</param>
public sealed record OperationSchema(string Name, OfflinePolicy OfflineDefault = OfflinePolicy.Allowed, bool KioskAllowed = false);
