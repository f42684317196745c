using CardAp.Shared.Domain;
using CardAp.Edge.Store;

namespace CardAp.Edge.Services.Modules;

/// <summary>Loads the attendance services that master data defines (市町村独自サービス).</summary>
public static class AttendanceDefinitions
{
    /// <summary>The master data kind holding one definition per service (key = service id).</summary>
    public const string Kind = MasterKinds.AttendanceDefinition;

    /// <summary>
    /// One module per valid definition, ordered by id. An invalid definition is skipped and its
    /// problems passed to <paramref name="onInvalid"/>, so one bad row does not stop the other
    /// services; without <paramref name="onInvalid"/> the first invalid definition throws
    /// <see cref="AttendanceDefinitionException"/>.
    /// </summary>
    public static IReadOnlyList<AttendanceModule> Load(MasterData master, Action<string>? onInvalid = null)
    {
        var modules = new List<AttendanceModule>();
        foreach (var row in master.Rows(Kind))
        {
            try
            {
                modules.Add(new AttendanceModule(AttendanceDefinition.Parse(row.Key, row.PayloadJson)));
            }
            catch (AttendanceDefinitionException ex) when (onInvalid is not null)
            {
                onInvalid(ex.Message);
            }
        }
        return [.. modules.OrderBy(m => m.Id, StringComparer.Ordinal)];
    }
}
