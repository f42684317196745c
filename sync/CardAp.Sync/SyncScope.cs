using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CardAp.Shared.Domain;
using CardAp.Shared.Services;

namespace CardAp.Sync;

/// <summary>
/// Which master rows a terminal receives (least data at the edge): rows every terminal needs
/// (issuing keys, JPKI anchors, card and operator status, closures of all services), rows of the
/// services the terminal runs, and nothing the hub keeps for administration (sites, terminals,
/// operators, residents' registrations) or does not know. Tombstones of edge kinds are always
/// sent: deleting a row the terminal does not hold is harmless, and a delete carries no payload
/// to decide by.
/// </summary>
public static class SyncScope
{
    /// <summary>The version of these rules; part of <see cref="Id"/>, so a change of rules reinitialises terminals.</summary>
    public const int RulesVersion = 1;

    private static readonly HashSet<string> Common = new(StringComparer.Ordinal)
    {
        MasterKinds.IssuerKey, MasterKinds.JpkiAnchor, MasterKinds.CardStatus, MasterKinds.OperatorStatus,
    };

    /// <summary>Kinds whose rows all belong to one built-in service.</summary>
    private static readonly Dictionary<string, string> ServiceOfKind = new(StringComparer.Ordinal)
    {
        [MasterKinds.LoanSummary] = LibrarySchema.Id,
        [MasterKinds.PointsBalance] = PointsSchema.Id,
        [MasterKinds.Shelter] = ShelterSchema.Id,
        [MasterKinds.SealRegistration] = SealSchema.Id,
    };

    /// <summary>Kinds keyed by the service id.</summary>
    private static readonly HashSet<string> KeyedByService = new(StringComparer.Ordinal)
    {
        MasterKinds.ServiceTuning, MasterKinds.AttendanceDefinition,
    };

    /// <summary>Kinds whose payload names the service ("service"); closures without one apply to all.</summary>
    private static readonly HashSet<string> ServiceInPayload = new(StringComparer.Ordinal)
    {
        MasterKinds.JpkiLink, MasterKinds.ServiceHours, MasterKinds.Closure,
    };

    /// <summary>Whether a terminal running <paramref name="services"/> receives this row (or tombstone).</summary>
    public static bool Includes(IReadOnlySet<string> services, string kind, string key, string? payloadJson)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (Common.Contains(kind))
        {
            return true;
        }
        var edgeKind = ServiceOfKind.ContainsKey(kind) || KeyedByService.Contains(kind) || ServiceInPayload.Contains(kind);
        if (!edgeKind)
        {
            return false;
        }
        if (payloadJson is null)
        {
            return true;
        }
        if (ServiceOfKind.TryGetValue(kind, out var service))
        {
            return services.Contains(service);
        }
        if (KeyedByService.Contains(kind))
        {
            return services.Contains(key);
        }
        var named = ServiceNamedIn(payloadJson);
        return named is null ? kind == MasterKinds.Closure : services.Contains(named);
    }

    /// <summary>
    /// A short, stable id of a terminal's scope: its services (in any order) and the rules
    /// version. The terminal keeps the id its master set was built for; a different id means
    /// it must take a snapshot.
    /// </summary>
    public static string Id(IEnumerable<string> services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var text = $"v{RulesVersion}:" + string.Join(',', services.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
    }

    private static string? ServiceNamedIn(string payloadJson)
    {
        try
        {
            using var document = JsonDocument.Parse(payloadJson);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("service", out var service)
                && service.ValueKind == JsonValueKind.String
                ? service.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
