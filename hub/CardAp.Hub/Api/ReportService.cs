using System.Globalization;
using CardAp.Hub.Errors;
using CardAp.Hub.Options;
using CardAp.Hub.Reports;
using CardAp.Hub.Reports.Output;
using CardAp.Hub.Security;
using CardAp.Hub.Store.Records;
using CardAp.Hub.Store.Sync;
using CardAp.Shared.Domain;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace CardAp.Hub.Api;

/// <summary>
/// The report API: usage statistics, their CSV and PNG forms, the fleet view and retention.
/// Administrators only; every municipality a request names passes <see cref="TenantScope"/> first.
/// </summary>
public sealed class ReportService(
    ICallerAccessor callers,
    UsageReports reports,
    FleetView fleet,
    Retention retention,
    SyncIngest sync,
    IOptions<FleetOptions> fleetOptions,
    IOptions<RetentionOptions> retentionOptions,
    ILogger<ReportService> logger) : Reports.ReportsBase
{
    private const string RefusalsTable = "refusals";
    private const int DefaultWidth = 1200;
    private const int DefaultHeight = 600;
    private const int DefaultQuarantinePage = 100;

    public override async Task<UsageReply> GetUsage(UsageRequest request, ServerCallContext context)
    {
        var report = await BuildAsync(request, context);
        var reply = new UsageReply
        {
            From = request.From,
            To = request.To,
            Total = Figures(report.Total),
            GeneratedAt = Timestamp.FromDateTimeOffset(report.GeneratedAt),
        };
        reply.Municipalities.AddRange(report.Municipalities.Select(m => m.Value));
        foreach (var table in report.Tables)
        {
            var message = new UsageTableMessage { Name = table.Name };
            message.Dimensions.AddRange(table.Dimensions.Select(UsageDimensions.WireName));
            foreach (var row in table.Rows)
            {
                var rowMessage = new UsageRowMessage { Figures = Figures(row.Figures) };
                rowMessage.Keys.AddRange(row.Keys);
                message.Rows.Add(rowMessage);
            }
            reply.Tables.Add(message);
        }
        reply.Refusals.AddRange(report.Refusals.Select(r => new RefusalMessage { Service = r.Service, Reason = r.Reason, Count = r.Count }));
        return reply;
    }

    public override async Task<FileReply> ExportUsageCsv(ExportUsageRequest request, ServerCallContext context)
    {
        var usage = request.Usage ?? throw Invalid("usage", "is required.", "必須です。");
        var report = await BuildAsync(usage, context);
        var content = request.Table == RefusalsTable ? UsageCsv.Refusals(report) : UsageCsv.Table(report, FindTable(report, request.Table));
        return new FileReply { FileName = FileName(report, request.Table, "csv"), ContentType = "text/csv; charset=utf-8", Content = ByteString.CopyFrom(content) };
    }

    public override async Task<FileReply> RenderUsageChart(RenderUsageChartRequest request, ServerCallContext context)
    {
        var usage = request.Usage ?? throw Invalid("usage", "is required.", "必須です。");
        var width = request.Width == 0 ? DefaultWidth : request.Width;
        var height = request.Height == 0 ? DefaultHeight : request.Height;
        if (width is < UsageChart.MinSize or > UsageChart.MaxSize || height is < UsageChart.MinSize or > UsageChart.MaxSize)
        {
            throw Invalid("width/height", $"must be {UsageChart.MinSize} to {UsageChart.MaxSize} pixels.", $"{UsageChart.MinSize}~{UsageChart.MaxSize}ピクセルで指定してください。");
        }
        var report = await BuildAsync(usage, context);
        var content = UsageChart.Png(report, FindTable(report, request.Table), width, height);
        return new FileReply { FileName = FileName(report, request.Table, "png"), ContentType = "image/png", Content = ByteString.CopyFrom(content) };
    }

    public override async Task<FleetReply> GetFleet(FleetRequest request, ServerCallContext context)
    {
        var municipality = TenantScope.Require(Admin(context), request.Municipality);
        var options = fleetOptions.Value;
        var reply = new FleetReply();
        var quarantined = await sync.QuarantineCountsAsync(municipality, context.CancellationToken);
        foreach (var terminal in await fleet.ListAsync(municipality, options.StaleAfter, options.ClockSkewAlarm, context.CancellationToken))
        {
            var status = new TerminalStatus
            {
                Terminal = terminal.Terminal,
                Site = terminal.Site ?? string.Empty,
                Status = terminal.Status ?? string.Empty,
                Registered = terminal.Registered,
                Stale = terminal.Stale,
                ClockSkewAlarm = terminal.ClockSkewAlarm,
                Quarantined = quarantined.GetValueOrDefault(terminal.Terminal),
            };
            if (terminal.LastContact is { } contact)
            {
                status.LastContactAt = Timestamp.FromDateTimeOffset(contact.LastContactAt);
                status.SoftwareVersion = contact.SoftwareVersion;
                status.Backlog = contact.Backlog;
                status.ClockSkewMs = (long)contact.ClockSkew.TotalMilliseconds;
            }
            reply.Terminals.Add(status);
        }
        return reply;
    }

    public override async Task<RetentionReply> RunRetention(RetentionRequest request, ServerCallContext context)
    {
        var caller = Admin(context);
        if (caller.Role != CallerRole.CentralIt)
        {
            throw HubRefusal.PermissionDenied("NotCentralIt", "Only central IT may run the retention purge.", "保存期間を過ぎたデータの削除は中央のシステム管理者のみ行えます。");
        }
        var result = await retention.RunAsync(retentionOptions.Value.Policy, request.DryRun, caller.Municipalities, caller.Id, context.CancellationToken);
        logger.LogInformation("Retention {Mode} by {Caller}: {Records} record(s), {Tombstones} tombstone(s)",
            request.DryRun ? "preview" : "run", caller.Id, result.Records, result.Tombstones);
        var reply = new RetentionReply
        {
            DryRun = result.DryRun,
            RecordsBefore = UsageRecords.DayText(result.RecordsBefore),
            TombstonesBefore = Timestamp.FromDateTimeOffset(result.TombstonesBefore),
            Records = result.Records,
            Tombstones = result.Tombstones,
            Uploads = result.Uploads,
        };
        reply.Municipalities.AddRange(result.Municipalities.Select(m => new MunicipalityPurgeMessage
        {
            Municipality = m.Municipality.Value,
            Records = m.Records,
            Tombstones = m.Tombstones,
            PurgedThroughSeq = m.PurgedThroughSeq,
            Uploads = m.Uploads,
        }));
        return reply;
    }

    public override async Task<QuarantineReply> ListQuarantine(QuarantineRequest request, ServerCallContext context)
    {
        var municipality = TenantScope.Require(Admin(context), request.Municipality);
        var limit = request.Limit == 0 ? DefaultQuarantinePage : request.Limit;
        if (limit is < 1 or > SyncIngest.MaxQuarantinePage)
        {
            throw Invalid("limit", $"must be 0 (for {DefaultQuarantinePage}) or 1 to {SyncIngest.MaxQuarantinePage}.", $"0({DefaultQuarantinePage}件)または1~{SyncIngest.MaxQuarantinePage}で指定してください。");
        }
        var reply = new QuarantineReply();
        reply.Records.AddRange((await sync.QuarantineAsync(municipality, limit, context.CancellationToken)).Select(q => new QuarantinedRecordMessage
        {
            Terminal = q.Terminal,
            Stream = q.Stream,
            Seq = q.Seq,
            Reason = q.Reason,
            RecordJson = q.RecordJson,
            ReceivedAt = Timestamp.FromDateTimeOffset(q.ReceivedAt),
        }));
        return reply;
    }

    private async Task<UsageReport> BuildAsync(UsageRequest request, ServerCallContext context)
    {
        var caller = Admin(context);
        if (request.Municipalities.Count == 0)
        {
            throw Invalid("municipalities", "name at least one municipality.", "団体コードを1つ以上指定してください。");
        }
        var municipalities = request.Municipalities.Select(m => TenantScope.Require(caller, m)).Distinct().ToList();
        var from = ParseDay("from", request.From);
        var to = ParseDay("to", request.To);
        if (to < from)
        {
            throw Invalid("to", "is before from.", "開始日より前の日付です。");
        }
        if (to.DayNumber - from.DayNumber + 1 > UsageRecords.MaxDays)
        {
            throw Invalid("to", $"the period is longer than {UsageRecords.MaxDays} days.", $"期間が{UsageRecords.MaxDays}日を超えています。");
        }
        return await reports.BuildAsync(municipalities, from, to, context.CancellationToken);
    }

    private CallerIdentity Admin(ServerCallContext context) => TenantScope.RequireAdmin(callers.GetCaller(context));

    private static UsageTable FindTable(UsageReport report, string name) =>
        report.Tables.FirstOrDefault(t => t.Name == name)
        ?? throw Invalid("table", $"'{name}' is not a table of the report; one of: {string.Join(", ", report.Tables.Select(t => t.Name))}.",
            $"'{name}'という表はありません。指定できる表: {string.Join(", ", report.Tables.Select(t => t.Name))}");

    private static DateOnly ParseDay(string field, string value) =>
        DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
            ? day
            : throw Invalid(field, $"'{value}' is not a day as yyyy-MM-dd.", $"'{value}'は日付(yyyy-MM-dd)ではありません。");

    private static string FileName(UsageReport report, string table, string extension) =>
        $"usage-{string.Join('_', report.Municipalities.Select(m => m.Value))}-{UsageRecords.DayText(report.From)}-{UsageRecords.DayText(report.To)}-{table}.{extension}";

    private static Api.Figures Figures(UsageFigures figures) => new()
    {
        Done = figures.Done,
        Offline = figures.Offline,
        Refused = figures.Refused,
        OfflineShare = figures.OfflineShare,
    };

    private static RpcException Invalid(string field, string problemEn, string problemJa) =>
        HubRefusal.Create(StatusCode.InvalidArgument, "InvalidArgument", $"{field}: {problemEn}", $"{field}: {problemJa}");
}
