using CardAp.Hub.Api;
using CardAp.Hub.Reports;

namespace CardAp.Hub.Dashboard;

// The dashboard's JSON (camelCase): the report classes' results as they are, flattened for a page.

/// <summary>Who is looking, and what the page needs to set its pickers: the hub's own day in Japan, not the browser's.</summary>
public sealed record DashboardMe(
    string Id,
    string Role,
    IReadOnlyList<DashboardMunicipality> Municipalities,
    string Today,
    int MaxDays,
    double StaleAfterMinutes,
    double ClockSkewAlarmSeconds,
    IReadOnlyList<DashboardService> Services);

/// <summary>A municipality the certificate names; <see cref="Name"/> is null when the hub does not have it (yet).</summary>
public sealed record DashboardMunicipality(string Code, string? Name);

public sealed record DashboardService(string Id, string NameJa, string NameEn);

public sealed record DashboardFigures(long Done, long Offline, long Refused, double OfflineShare)
{
    public static DashboardFigures Of(UsageFigures figures) => new(figures.Done, figures.Offline, figures.Refused, figures.OfflineShare);
}

public sealed record DashboardRow(IReadOnlyList<string> Keys, DashboardFigures Figures);

public sealed record DashboardTable(string Name, IReadOnlyList<string> Dimensions, IReadOnlyList<DashboardRow> Rows);

public sealed record DashboardRefusal(string Service, string Reason, long Count);

public sealed record DashboardUsage(
    IReadOnlyList<string> Municipalities,
    string From,
    string To,
    DashboardFigures Total,
    IReadOnlyList<DashboardTable> Tables,
    IReadOnlyList<DashboardRefusal> Refusals,
    DateTimeOffset GeneratedAt)
{
    public static DashboardUsage Of(UsageReport report) => new(
        [.. report.Municipalities.Select(m => m.Value)],
        Store.Records.UsageRecords.DayText(report.From),
        Store.Records.UsageRecords.DayText(report.To),
        DashboardFigures.Of(report.Total),
        [.. report.Tables.Select(t => new DashboardTable(
            t.Name,
            [.. t.Dimensions.Select(UsageDimensions.WireName)],
            [.. t.Rows.Select(r => new DashboardRow(r.Keys, DashboardFigures.Of(r.Figures)))]))],
        [.. report.Refusals.Select(r => new DashboardRefusal(r.Service, r.Reason, r.Count))],
        report.GeneratedAt);
}

/// <summary>The fleet view of one municipality, with the hub's time so the page measures silences by the hub's clock.</summary>
public sealed record DashboardFleet(string Municipality, DateTimeOffset HubTime, double StaleAfterMinutes, IReadOnlyList<DashboardTerminal> Terminals);

/// <summary>One terminal; the contact fields are null when it never called the hub.</summary>
public sealed record DashboardTerminal(
    string Terminal,
    string? Site,
    string? Status,
    bool Registered,
    DateTimeOffset? LastContactAt,
    string? SoftwareVersion,
    long? Backlog,
    long? ClockSkewMs,
    bool Stale,
    bool ClockSkewAlarm,
    long Quarantined)
{
    public static DashboardTerminal Of(FleetEntry entry)
    {
        var (terminal, quarantined) = entry;
        var contact = terminal.LastContact;
        return new DashboardTerminal(
            terminal.Terminal,
            terminal.Site,
            terminal.Status,
            terminal.Registered,
            contact?.LastContactAt,
            contact?.SoftwareVersion,
            contact?.Backlog,
            contact is null ? null : (long)contact.ClockSkew.TotalMilliseconds,
            terminal.Stale,
            terminal.ClockSkewAlarm,
            quarantined);
    }
}

/// <summary>A refusal as the page shows it: the hub's reason code and its English and Japanese text.</summary>
public sealed record DashboardProblem(string Reason, string Message, string MessageJa);
