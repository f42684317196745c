using System.Buffers.Binary;
using CardAp.Hub.Api;
using CardAp.Hub.Reports;
using CardAp.Hub.Security;
using CardAp.Hub.Store;
using CardAp.Hub.Store.Records;
using CardAp.Hub.Tests.Reports;
using CardAp.Shared.Domain;
using Grpc.Core;

namespace CardAp.Hub.Tests.Host;

/// <summary>
/// The report API through a real hub (Kestrel, mutual TLS) on SQLite: figures against generated
/// records, CSV and PNG forms, the fleet view, retention, and tenancy of every report call.
/// </summary>
public sealed class ReportApiTests : TwoMunicipalityHub
{
    private HubDatabase _database = null!;
    private IReadOnlyList<UsageRecord> _chiyodaRecords = [];

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();

        // Until sync uploads records, the test writes them through the store, as sync will.
        _database = new HubDatabase(HubEngine.Sqlite, Pki.Settings()["Hub:Database:ConnectionString"]!);
        var records = new UsageRecords(_database);
        _chiyodaRecords = UsageData.Generate(Chiyoda, new DateOnly(2026, 10, 1), days: 31, count: 1_500, seed: 31);
        await records.AddAsync(_chiyodaRecords, Cancel);
        await records.AddAsync(UsageData.Generate(Sapporo, new DateOnly(2026, 10, 1), days: 31, count: 700, seed: 32), Cancel);
    }

    [Fact]
    public async Task Usage_through_the_api_matches_the_generated_records()
    {
        var reports = ReportsOf(Chiyoda);
        var reply = await reports.GetUsageAsync(October(Chiyoda), cancellationToken: Cancel);

        var counted = _chiyodaRecords.Where(r => !r.Training).ToList();
        var expected = UsageData.Figures(counted);
        Assert.Equal((expected.Done, expected.Offline, expected.Refused), (reply.Total.Done, reply.Total.Offline, reply.Total.Refused));
        Assert.Equal(expected.OfflineShare, reply.Total.OfflineShare, 10);
        Assert.Equal(UsageReports.StandardTables.Count, reply.Tables.Count);
        var perService = reply.Tables.Single(t => t.Name == "service");
        Assert.Equal(
            counted.GroupBy(r => r.Service).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key, UsageData.Figures(g).Done)),
            perService.Rows.Select(r => (r.Keys[0], r.Figures.Done)));
        Assert.Equal(counted.Count(r => r.Outcome == UsageOutcome.Refused), reply.Refusals.Sum(r => r.Count));
        Assert.Equal(["131016"], reply.Municipalities);
    }

    [Fact]
    public async Task A_table_exports_as_csv_with_a_bom_and_the_refusals_too()
    {
        var reports = ReportsOf(Chiyoda);
        var csv = await reports.ExportUsageCsvAsync(new ExportUsageRequest { Usage = October(Chiyoda), Table = "service-day" }, cancellationToken: Cancel);

        Assert.Equal("text/csv; charset=utf-8", csv.ContentType);
        Assert.Equal("usage-131016-2026-10-01-2026-10-31-service-day.csv", csv.FileName);
        var bytes = csv.Content.ToByteArray();
        Assert.Equal([0xEF, 0xBB, 0xBF], bytes[..3]);
        var lines = System.Text.Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("サービス (Service)", lines[0], StringComparison.Ordinal);
        var pairs = _chiyodaRecords.Where(r => !r.Training).Select(r => (r.Service, UsageData.Day(r))).Distinct().Count();
        Assert.Equal(pairs + 1, lines.Length);

        var refusals = await reports.ExportUsageCsvAsync(new ExportUsageRequest { Usage = October(Chiyoda), Table = "refusals" }, cancellationToken: Cancel);
        var text = System.Text.Encoding.UTF8.GetString(refusals.Content.Span[3..]);
        Assert.Contains("理由 (Reason)", text, StringComparison.Ordinal);
        Assert.Contains("CardSuspended", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_table_renders_as_a_png_of_the_requested_size()
    {
        var reports = ReportsOf(Chiyoda);
        var chart = await reports.RenderUsageChartAsync(
            new RenderUsageChartRequest { Usage = October(Chiyoda), Table = "day", Width = 900, Height = 450 }, cancellationToken: Cancel);

        Assert.Equal("image/png", chart.ContentType);
        var png = chart.Content.Span;
        Assert.True(png[..8].SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }));
        Assert.Equal(900, BinaryPrimitives.ReadInt32BigEndian(png[16..20]));
        Assert.Equal(450, BinaryPrimitives.ReadInt32BigEndian(png[20..24]));

        var standard = await reports.RenderUsageChartAsync(new RenderUsageChartRequest { Usage = October(Chiyoda), Table = "service-day" }, cancellationToken: Cancel);
        Assert.Equal(1200, BinaryPrimitives.ReadInt32BigEndian(standard.Content.Span[16..20]));
    }

    [Fact]
    public async Task Bad_report_requests_are_invalid_argument_naming_the_field()
    {
        var reports = ReportsOf(Chiyoda);
        (Func<Task> Call, string Field)[] calls =
        [
            (async () => await reports.GetUsageAsync(new UsageRequest { Municipalities = { "131016" }, From = "2026/10/01", To = "2026-10-31" }, cancellationToken: Cancel), "from"),
            (async () => await reports.GetUsageAsync(new UsageRequest { Municipalities = { "131016" }, From = "2026-10-31", To = "2026-10-01" }, cancellationToken: Cancel), "to"),
            (async () => await reports.GetUsageAsync(new UsageRequest { Municipalities = { "131016" }, From = "2024-01-01", To = "2026-10-01" }, cancellationToken: Cancel), "to"),
            (async () => await reports.GetUsageAsync(new UsageRequest { From = "2026-10-01", To = "2026-10-31" }, cancellationToken: Cancel), "municipalities"),
            (async () => await reports.GetUsageAsync(new UsageRequest { Municipalities = { "131017" }, From = "2026-10-01", To = "2026-10-31" }, cancellationToken: Cancel), "municipality"),
            (async () => await reports.ExportUsageCsvAsync(new ExportUsageRequest { Usage = October(Chiyoda), Table = "weather" }, cancellationToken: Cancel), "table"),
            (async () => await reports.ExportUsageCsvAsync(new ExportUsageRequest { Table = "service" }, cancellationToken: Cancel), "usage"),
            (async () => await reports.RenderUsageChartAsync(new RenderUsageChartRequest { Usage = October(Chiyoda), Table = "day", Width = 50, Height = 400 }, cancellationToken: Cancel), "width"),
        ];
        foreach (var (call, field) in calls)
        {
            var e = await Assert.ThrowsAsync<RpcException>(call);
            Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
            Assert.StartsWith(field, e.Status.Detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Every_report_call_for_the_other_municipality_is_refused_and_leaks_nothing()
    {
        var reports = ReportsOf(Chiyoda);
        var calls = new Func<Task>[]
        {
            async () => await reports.GetUsageAsync(October(Sapporo), cancellationToken: Cancel),
            async () => await reports.GetUsageAsync(new UsageRequest { Municipalities = { "131016", "011002" }, From = "2026-10-01", To = "2026-10-31" }, cancellationToken: Cancel),
            async () => await reports.ExportUsageCsvAsync(new ExportUsageRequest { Usage = October(Sapporo), Table = "service" }, cancellationToken: Cancel),
            async () => await reports.ExportUsageCsvAsync(new ExportUsageRequest { Usage = October(Sapporo), Table = "refusals" }, cancellationToken: Cancel),
            async () => await reports.RenderUsageChartAsync(new RenderUsageChartRequest { Usage = October(Sapporo), Table = "day" }, cancellationToken: Cancel),
            async () => await reports.GetFleetAsync(new FleetRequest { Municipality = "011002" }, cancellationToken: Cancel),
            async () => await reports.RunRetentionAsync(new RetentionRequest { DryRun = true }, cancellationToken: Cancel),
        };
        foreach (var call in calls)
        {
            var e = await Assert.ThrowsAsync<RpcException>(call);
            Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
        }

        var terminal = Channel(Pki.Ca.IssueTerminalCertificate("131016-T001"));
        var refused = await Assert.ThrowsAsync<RpcException>(async () =>
            await new CardAp.Hub.Api.Reports.ReportsClient(terminal).GetUsageAsync(October(Chiyoda), cancellationToken: Cancel));
        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
    }

    [Fact]
    public async Task Central_IT_sees_both_municipalities_side_by_side()
    {
        var central = Channel(Pki.Ca.IssueAdminCertificate("it-2", CallerRole.CentralIt, [Chiyoda, Sapporo]));
        var reply = await new CardAp.Hub.Api.Reports.ReportsClient(central).GetUsageAsync(
            new UsageRequest { Municipalities = { "131016", "011002" }, From = "2026-10-01", To = "2026-10-31" }, cancellationToken: Cancel);

        var rows = reply.Tables.Single(t => t.Name == "municipality").Rows;
        Assert.Equal(["011002", "131016"], rows.Select(r => r.Keys[0]));
        Assert.Equal(UsageData.Figures(_chiyodaRecords.Where(r => !r.Training)).Done, rows[1].Figures.Done);
    }

    [Fact]
    public async Task The_fleet_view_shows_contacts_and_flags_silent_and_unregistered_terminals()
    {
        using (var central = Channel(Pki.Ca.IssueAdminCertificate("it-3", CallerRole.CentralIt, [Chiyoda])))
        {
            var admin = new Admin.AdminClient(central);
            foreach (var (terminal, site) in new[] { ("131016-T001", "honcho"), ("131016-T002", "library-1") })
            {
                await admin.PutMasterAsync(new PutMasterRequest
                {
                    Municipality = "131016", Kind = MasterKinds.Terminal, Key = terminal, PayloadJson = $$"""{"site":"{{site}}","status":"active"}""",
                }, cancellationToken: Cancel);
            }
        }
        var contacts = new TerminalContacts(_database);
        await contacts.RecordAsync(Chiyoda, "131016-T001", "1.4.0", backlog: 12, DateTimeOffset.UtcNow.AddMinutes(5), Cancel);
        await contacts.RecordAsync(Chiyoda, "131016-T009", "1.3.2", backlog: 0, DateTimeOffset.UtcNow, Cancel);

        var reports = ReportsOf(Chiyoda);
        var fleet = (await reports.GetFleetAsync(new FleetRequest { Municipality = "131016" }, cancellationToken: Cancel)).Terminals;

        Assert.Equal(["131016-T001", "131016-T002", "131016-T009"], fleet.Select(t => t.Terminal));
        var t1 = fleet[0];
        Assert.Equal(("honcho", "active", true, "1.4.0", 12L, false), (t1.Site, t1.Status, t1.Registered, t1.SoftwareVersion, t1.Backlog, t1.Stale));
        Assert.InRange(t1.ClockSkewMs, 4 * 60_000, 6 * 60_000);
        Assert.True(t1.ClockSkewAlarm);
        Assert.True(fleet[1].Stale);
        Assert.Null(fleet[1].LastContactAt);
        Assert.False(fleet[2].Registered);
        Assert.False(fleet[2].ClockSkewAlarm);
    }

    [Fact]
    public async Task Central_IT_previews_retention_and_a_municipality_admin_cannot_run_it()
    {
        var central = Channel(Pki.Ca.IssueAdminCertificate("it-4", CallerRole.CentralIt, [Chiyoda]));
        var preview = await new CardAp.Hub.Api.Reports.ReportsClient(central).RunRetentionAsync(new RetentionRequest { DryRun = true }, cancellationToken: Cancel);
        Assert.True(preview.DryRun);
        Assert.Equal(0, preview.Records); // five years by default: October's records stay
        Assert.Equal(UsageRecords.DayText(UsageRecords.LocalDay(DateTimeOffset.UtcNow).AddDays(-1827)), preview.RecordsBefore);

        var reports = ReportsOf(Chiyoda);
        var e = await Assert.ThrowsAsync<RpcException>(async () => await reports.RunRetentionAsync(new RetentionRequest { DryRun = true }, cancellationToken: Cancel));
        Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
    }

    private static UsageRequest October(MunicipalityCode municipality) =>
        new() { Municipalities = { municipality.Value }, From = "2026-10-01", To = "2026-10-31" };

    private CardAp.Hub.Api.Reports.ReportsClient ReportsOf(MunicipalityCode municipality) => new(AdminChannel(municipality));
}
