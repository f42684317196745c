using System.Text.Json;
using System.Text.Json.Nodes;

namespace CardAp.Shared.Services;

/// <summary>
/// The tuning schema of a municipality-defined attendance service (市町村独自サービス), read from its
/// definition (master kind <see cref="Domain.MasterKinds.AttendanceDefinition"/>, key = service id):
/// operation names, their offline policy ("offline", default Allowed) and kiosk use
/// ("kioskAllowed", default false); attendance services have no settings. The edge parses the full
/// definition strictly (roles, fields) and refuses what this reader would misread; this reader only
/// needs what tuning refers to, so the hub can check a tuning row without the edge's parser.
/// </summary>
public static class AttendanceSchemas
{
    public const string OperationsProperty = "operations";
    public const string OperationNameProperty = "name";
    public const string KioskAllowedProperty = "kioskAllowed";
    public const string OfflineProperty = "offline";
    public const string NameEnProperty = "nameEn";
    public const string NameJaProperty = "nameJa";

    /// <summary>
    /// The schema of the definition stored under <paramref name="key"/>, or null when the parts
    /// tuning refers to cannot be read (the edge does not offer such a service either).
    /// </summary>
    public static ServiceSchema? FromDefinition(string key, JsonObject definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        if (definition[OperationsProperty] is not JsonArray { Count: > 0 } operationNodes)
        {
            return null;
        }
        var operations = new List<OperationSchema>(operationNodes.Count);
        foreach (var node in operationNodes)
        {
            if (node is not JsonObject operation
                || Text(operation[OperationNameProperty]) is not { Length: > 0 } name
                || operations.Any(o => o.Name == name))
            {
                return null;
            }
            var kiosk = false;
            if (operation[KioskAllowedProperty] is { } kioskNode)
            {
                if (kioskNode.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
                {
                    return null;
                }
                kiosk = kioskNode.GetValue<bool>();
            }
            var offline = OfflinePolicy.Allowed;
            // The edge refuses Limited for attendance: there is no limit for a module to enforce.
            if (operation[OfflineProperty] is { } offlineNode
                && (!OfflinePolicies.TryParse(Text(offlineNode), out offline) || offline == OfflinePolicy.Limited))
            {
                return null;
            }
            operations.Add(new OperationSchema(name, offline, kiosk));
        }
        return new ServiceSchema(
            key,
            Text(definition[NameEnProperty]) ?? key,
            Text(definition[NameJaProperty]) ?? key,
            [],
            operations);
    }

    private static string? Text(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
