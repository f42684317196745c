using CardAp.Hub.Store;
using CardAp.Hub.Store.Records;
using CardAp.Shared.Domain;

namespace CardAp.Hub.Reports;

/// <summary>One terminal in the fleet view: its master row (if any) and its last contact (if any).</summary>
public sealed record FleetTerminal(
    string Terminal,
    string? Site,
    string? Status,
    bool Registered,
    TerminalContact? LastContact,
    bool Stale,
    bool ClockSkewAlarm);

/// <summary>
/// The fleet view of a municipality: every terminal the hub knows (kind "terminal" master rows)
/// and every terminal that made contact, flagged when it has not called for a while or its clock is off.
/// </summary>
public sealed class FleetView(IMasterStore master, TerminalContacts contacts, TimeProvider clock)
{
    public async Task<IReadOnlyList<FleetTerminal>> ListAsync(
        MunicipalityCode municipality, TimeSpan staleAfter, TimeSpan clockSkewAlarm, CancellationToken cancellationToken = default)
    {
        var rows = (await master.ListAsync(municipality, MasterKinds.Terminal, cancellationToken)).ToDictionary(r => r.Key, StringComparer.Ordinal);
        var contacted = (await contacts.ListAsync(municipality, cancellationToken)).ToDictionary(c => c.Terminal, StringComparer.Ordinal);
        var now = clock.GetUtcNow();
        return rows.Keys.Union(contacted.Keys, StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .Select(id =>
            {
                var payload = rows.GetValueOrDefault(id)?.Payload();
                var contact = contacted.GetValueOrDefault(id);
                return new FleetTerminal(
                    id,
                    payload?["site"]?.GetValueKind() == System.Text.Json.JsonValueKind.String ? (string?)payload["site"] : null,
                    payload?["status"]?.GetValueKind() == System.Text.Json.JsonValueKind.String ? (string?)payload["status"] : null,
                    payload is not null,
                    contact,
                    contact is null || now - contact.LastContactAt > staleAfter,
                    contact is not null && contact.ClockSkew.Duration() > clockSkewAlarm);
            })
            .ToList();
    }
}
