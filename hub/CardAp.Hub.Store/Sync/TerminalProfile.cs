using System.Text.Json;
using CardAp.Hub.Store.Records;
using CardAp.Sync;

namespace CardAp.Hub.Store.Sync;

/// <summary>
/// What the hub's "terminal" master row (key = terminal id) says about a terminal for sync:
/// {"site": ..., "services": [...], "status": ...}. A terminal without a row (not enrolled yet), or
/// with a row that does not say, runs no services at an unknown site.
/// </summary>
public sealed record TerminalProfile(string Terminal, bool Registered, string? Site, IReadOnlySet<string> Services, string? Status)
{
    /// <summary>The site of usage records from a terminal whose row names none.</summary>
    public const string UnknownSite = "unknown";

    /// <summary>The site usage records carry: the row's site, or <see cref="UnknownSite"/>.</summary>
    public string UsageSite => Site is { Length: > 0 and <= UsageRecords.MaxIdLength } && !string.IsNullOrWhiteSpace(Site) ? Site : UnknownSite;

    /// <summary>The terminal's scope id (<see cref="SyncScope.Id"/> of its services).</summary>
    public string ScopeId => SyncScope.Id(Services);

    /// <summary>The profile of <paramref name="terminal"/> from its row's payload (null: no live row).</summary>
    public static TerminalProfile From(string terminal, string? payloadJson)
    {
        ArgumentNullException.ThrowIfNull(terminal);
        if (payloadJson is null)
        {
            return new TerminalProfile(terminal, false, null, new HashSet<string>(StringComparer.Ordinal), null);
        }
        using var document = JsonDocument.Parse(payloadJson);
        var root = document.RootElement;
        var services = new HashSet<string>(StringComparer.Ordinal);
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("services", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            // Only strings name services; anything else in the list cannot be a service the edge runs.
            foreach (var item in list.EnumerateArray().Where(i => i.ValueKind == JsonValueKind.String))
            {
                services.Add(item.GetString()!);
            }
        }
        return new TerminalProfile(terminal, true, Text(root, "site"), services, Text(root, "status"));
    }

    private static string? Text(JsonElement root, string name) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}
