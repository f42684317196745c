using CardAp.Hub.Errors;
using CardAp.Hub.Options;
using CardAp.Hub.Reports;
using CardAp.Hub.Security;
using CardAp.Hub.Store.Records;
using CardAp.Hub.Store.Sync;
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
    ReportQueries queries,
    Retention retention,
    SyncIngest sync,
    IOptions<RetentionOptions> retentionOptions,
    ILogger<ReportService> logger) : Reports.ReportsBase
{
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
        var usage = request.Usage ?? throw ReportQueries.Invalid("usage", "is required.", "必須です。");
        return File(ReportQueries.Csv(await BuildAsync(usage, context), request.Table));
    }

    public override async Task<FileReply> RenderUsageChart(RenderUsageChartRequest request, ServerCallContext context)
    {
        var usage = request.Usage ?? throw ReportQueries.Invalid("usage", "is required.", "必須です。");
        var size = ReportQueries.ChartSize(request.Width, request.Height);
        return File(ReportQueries.Chart(await BuildAsync(usage, context), request.Table, size));
    }

    public override async Task<FleetReply> GetFleet(FleetRequest request, ServerCallContext context)
    {
        var reply = new FleetReply();
        foreach (var (terminal, quarantined) in await queries.FleetAsync(Admin(context), request.Municipality, context.CancellationToken))
        {
            var status = new TerminalStatus
            {
                Terminal = terminal.Terminal,
                Site = terminal.Site ?? string.Empty,
                Status = terminal.Status ?? string.Empty,
                Registered = terminal.Registered,
                Stale = terminal.Stale,
                ClockSkewAlarm = terminal.ClockSkewAlarm,
                Quarantined = quarantined,
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
            throw ReportQueries.Invalid("limit", $"must be 0 (for {DefaultQuarantinePage}) or 1 to {SyncIngest.MaxQuarantinePage}.", $"0({DefaultQuarantinePage}件)または1~{SyncIngest.MaxQuarantinePage}で指定してください。");
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

    private Task<UsageReport> BuildAsync(UsageRequest request, ServerCallContext context) =>
        queries.UsageAsync(Admin(context), request.Municipalities, request.From, request.To, context.CancellationToken);

    private CallerIdentity Admin(ServerCallContext context) => TenantScope.RequireAdmin(callers.GetCaller(context));

    private static FileReply File(ReportFile file) =>
        new() { FileName = file.FileName, ContentType = file.ContentType, Content = ByteString.CopyFrom(file.Content) };

    private static Api.Figures Figures(UsageFigures figures) => new()
    {
        Done = figures.Done,
        Offline = figures.Offline,
        Refused = figures.Refused,
        OfflineShare = figures.OfflineShare,
    };
}
