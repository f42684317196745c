using System.Globalization;
using CardAp.Hub.Errors;
using CardAp.Hub.Options;
using CardAp.Hub.Reports;
using CardAp.Hub.Reports.Output;
using CardAp.Hub.Security;
using CardAp.Hub.Store.Records;
using CardAp.Hub.Store.Sync;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace CardAp.Hub.Api;

/// <summary>A report file as the hub hands it out: suggested name, content type and bytes.</summary>
public sealed record ReportFile(string FileName, string ContentType, byte[] Content);

/// <summary>One terminal of the fleet view with its records in the sync quarantine.</summary>
public sealed record FleetEntry(FleetTerminal Terminal, long Quarantined);

/// <summary>
/// What a report request means, for both ways into the reports: the gRPC report API and the
/// dashboard. Each checks the caller (an administrator, acting only for municipalities its
/// certificate names, through <see cref="TenantScope"/>), validates the request with the same
/// messages, and calls the report classes, so the two cannot differ in figures or in who may see them.
/// Refusals are the hub's usual RpcExceptions (INVALID_ARGUMENT naming the field, PERMISSION_DENIED).
/// </summary>
public sealed class ReportQueries(UsageReports reports, FleetView fleet, SyncIngest sync, IOptions<FleetOptions> fleetOptions)
{
    /// <summary>The CSV "table" that holds the refusals by service and reason.</summary>
    public const string RefusalsTable = "refusals";

    public const int DefaultChartWidth = 1200;
    public const int DefaultChartHeight = 600;

    public FleetOptions Fleet => fleetOptions.Value;

    /// <summary>The usage report of the municipalities over local days <paramref name="from"/> to <paramref name="to"/> (yyyy-MM-dd, inclusive).</summary>
    /// <exception cref="RpcException">PERMISSION_DENIED for a terminal or another municipality; INVALID_ARGUMENT for a bad request.</exception>
    public async Task<UsageReport> UsageAsync(
        CallerIdentity caller, IReadOnlyCollection<string> municipalities, string? from, string? to, CancellationToken cancellationToken)
    {
        TenantScope.RequireAdmin(caller);
        if (municipalities.Count == 0)
        {
            throw Invalid("municipalities", "name at least one municipality.", "団体コードを1つ以上指定してください。");
        }
        var codes = municipalities.Select(m => TenantScope.Require(caller, m)).Distinct().ToList();
        var first = ParseDay("from", from);
        var last = ParseDay("to", to);
        if (last < first)
        {
            throw Invalid("to", "is before from.", "開始日より前の日付です。");
        }
        if (last.DayNumber - first.DayNumber + 1 > UsageRecords.MaxDays)
        {
            throw Invalid("to", $"the period is longer than {UsageRecords.MaxDays} days.", $"期間が{UsageRecords.MaxDays}日を超えています。");
        }
        return await reports.BuildAsync(codes, first, last, cancellationToken);
    }

    /// <summary>One table of the report, or <see cref="RefusalsTable"/>, as CSV (UTF-8 with BOM).</summary>
    /// <exception cref="RpcException">INVALID_ARGUMENT when the report has no such table.</exception>
    public static ReportFile Csv(UsageReport report, string? table)
    {
        ArgumentNullException.ThrowIfNull(report);
        var content = table == RefusalsTable ? UsageCsv.Refusals(report) : UsageCsv.Table(report, Table(report, table));
        return new ReportFile(FileName(report, table!, "csv"), "text/csv; charset=utf-8", content);
    }

    /// <summary>The chart size asked for, 0 taking the default; checked before any report is built.</summary>
    /// <exception cref="RpcException">INVALID_ARGUMENT outside <see cref="UsageChart.MinSize"/>..<see cref="UsageChart.MaxSize"/>.</exception>
    public static (int Width, int Height) ChartSize(int width, int height)
    {
        width = width == 0 ? DefaultChartWidth : width;
        height = height == 0 ? DefaultChartHeight : height;
        if (width is < UsageChart.MinSize or > UsageChart.MaxSize || height is < UsageChart.MinSize or > UsageChart.MaxSize)
        {
            throw Invalid("width/height", $"must be {UsageChart.MinSize} to {UsageChart.MaxSize} pixels.", $"{UsageChart.MinSize}~{UsageChart.MaxSize}ピクセルで指定してください。");
        }
        return (width, height);
    }

    /// <summary>One table of the report as a PNG chart, of a size from <see cref="ChartSize"/>.</summary>
    /// <exception cref="RpcException">INVALID_ARGUMENT when the report has no such table.</exception>
    public static ReportFile Chart(UsageReport report, string? table, (int Width, int Height) size)
    {
        ArgumentNullException.ThrowIfNull(report);
        var content = UsageChart.Png(report, Table(report, table), size.Width, size.Height);
        return new ReportFile(FileName(report, table!, "png"), "image/png", content);
    }

    /// <summary>Every terminal of the municipality with its last contact, flags (Hub:Fleet) and quarantined records.</summary>
    /// <exception cref="RpcException">PERMISSION_DENIED for a terminal or another municipality; INVALID_ARGUMENT for a malformed code.</exception>
    public async Task<IReadOnlyList<FleetEntry>> FleetAsync(CallerIdentity caller, string? municipality, CancellationToken cancellationToken)
    {
        var code = TenantScope.Require(TenantScope.RequireAdmin(caller), municipality);
        var options = fleetOptions.Value;
        var quarantined = await sync.QuarantineCountsAsync(code, cancellationToken);
        var terminals = await fleet.ListAsync(code, options.StaleAfter, options.ClockSkewAlarm, cancellationToken);
        return [.. terminals.Select(t => new FleetEntry(t, quarantined.GetValueOrDefault(t.Terminal)))];
    }

    /// <exception cref="RpcException">INVALID_ARGUMENT naming the tables there are.</exception>
    public static UsageTable Table(UsageReport report, string? name)
    {
        ArgumentNullException.ThrowIfNull(report);
        return report.Tables.FirstOrDefault(t => t.Name == name)
            ?? throw Invalid("table", $"'{name}' is not a table of the report; one of: {string.Join(", ", report.Tables.Select(t => t.Name))}.",
                $"'{name}'という表はありません。指定できる表: {string.Join(", ", report.Tables.Select(t => t.Name))}");
    }

    public static RpcException Invalid(string field, string problemEn, string problemJa) =>
        HubRefusal.Create(StatusCode.InvalidArgument, "InvalidArgument", $"{field}: {problemEn}", $"{field}: {problemJa}");

    private static DateOnly ParseDay(string field, string? value) =>
        DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
            ? day
            : throw Invalid(field, $"'{value}' is not a day as yyyy-MM-dd.", $"'{value}'は日付(yyyy-MM-dd)ではありません。");

    private static string FileName(UsageReport report, string table, string extension) =>
        $"usage-{string.Join('_', report.Municipalities.Select(m => m.Value))}-{UsageRecords.DayText(report.From)}-{UsageRecords.DayText(report.To)}-{table}.{extension}";
}
