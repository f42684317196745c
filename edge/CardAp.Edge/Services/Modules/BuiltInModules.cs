namespace CardAp.Edge.Services.Modules;

/// <summary>The services built into the edge; attendance services come from master data (<see cref="AttendanceDefinitions"/>).</summary>
public static class BuiltInModules
{
    /// <summary>Library, shelter reception, local points and seal registration. The modules are stateless.</summary>
    public static IReadOnlyList<IServiceModule> All { get; } =
    [
        new LibraryModule(),
        new ShelterModule(),
        new PointsModule(),
        new SealModule(),
    ];

    /// <summary>Ids taken by the built-in modules, which an attendance definition may not reuse.</summary>
    public static IReadOnlySet<string> Ids { get; } = new HashSet<string>(All.Select(m => m.Id), StringComparer.Ordinal);
}
