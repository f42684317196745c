using System.Reflection;
using CardAp.Shared.Domain;

namespace CardAp.Sync.Hub;

/// <summary>
/// The master kinds that can reach any terminal (<see cref="SyncScope"/>): the kinds the code knows
/// (<see cref="MasterKinds"/>) whose tombstones SyncScope sends. A snapshot reads only these, so
/// the administration kinds (registrations can run to hundreds of thousands of rows) are never read;
/// SyncScope still decides row by row.
/// </summary>
public static class ScopeKinds
{
    public static IReadOnlyList<string> Candidates { get; } = typeof(MasterKinds)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral && f.FieldType == typeof(string))
        .Select(f => (string)f.GetRawConstantValue()!)
        .Where(kind => SyncScope.Includes(new HashSet<string>(), kind, "-", null))
        .Order(StringComparer.Ordinal)
        .ToList();
}
