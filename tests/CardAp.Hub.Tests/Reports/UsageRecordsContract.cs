using System.Globalization;
using System.Text.Json.Nodes;
using CardAp.Hub.Reports;
using CardAp.Hub.Store;
using CardAp.Hub.Store.Records;
using CardAp.Hub.Store.Sync;
using CardAp.Hub.Tests.Sync;
using CardAp.Sync.Contracts;
using CardAp.Hub.Tests.Store;
using CardAp.Shared.Domain;
using CardAp.Testing;

namespace CardAp.Hub.Tests.Reports;

/// <summary>
/// Usage records, reports, the fleet view and retention, run unchanged against every engine. The
/// expected figures are computed here from the generated records with LINQ, never typed by hand.
/// </summary>
public abstract class UsageRecordsContract<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : HubDatabaseFixture
{
    private static int _nextCode = 20_000;

    private CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Report_figures_match_the_generated_records_and_leave_training_out()
    {
        var municipality = await NewMunicipalityAsync();
        var records = UsageData.Generate(municipality, new DateOnly(2026, 10, 1), days: 31, count: 3_000, seed: 7);
        await new UsageRecords(fixture.Database).AddAsync(records, Ct);

        var report = await Reports().BuildAsync([municipality], new DateOnly(2026, 10, 1), new DateOnly(2026, 10, 31), Ct);

        var counted = records.Where(r => !r.Training).ToList();
        Assert.True(counted.Count < records.Count, "the generated data must contain training records");
        Assert.Equal(UsageData.Figures(counted), report.Total);
        AssertTable(report, counted, r => [r.Service], UsageDimension.Service);
        AssertTable(report, counted, r => [UsageData.Day(r)], UsageDimension.Day);
        AssertTable(report, counted, r => [r.Service, UsageData.Day(r)], UsageDimension.Service, UsageDimension.Day);
        AssertTable(report, counted, r => [UsageData.Day(r)[..7]], UsageDimension.Month);
        AssertTable(report, counted, r => [r.OccurredAt.ToOffset(TimeSpan.FromHours(9)).Hour.ToString("00", CultureInfo.InvariantCulture)], UsageDimension.HourOfDay);
        AssertTable(report, counted, r => [r.Site], UsageDimension.Site);
        AssertTable(report, counted, r => [r.Terminal], UsageDimension.Terminal);
        AssertTable(report, counted, r => [r.Municipality.Value], UsageDimension.Municipality);

        var refusals = counted.Where(r => r.Outcome == UsageOutcome.Refused)
            .GroupBy(r => (r.Service, r.Reason!))
            .ToDictionary(g => g.Key, g => (long)g.Count());
        Assert.Equal(refusals, report.Refusals.ToDictionary(r => (r.Service, r.Reason), r => r.Count));
        Assert.True(report.Total.Offline > 0 && report.Total.Offline < report.Total.Done, "the generated data must mix online and offline");

        // The counts kept at upload equal a recount from the records.
        await new UsageRecords(fixture.Database).RebuildRollupAsync(municipality, new DateOnly(2026, 10, 1), new DateOnly(2026, 10, 31), Ct);
        var recounted = await Reports().BuildAsync([municipality], new DateOnly(2026, 10, 1), new DateOnly(2026, 10, 31), Ct);
        Assert.Equal(report.Total, recounted.Total);
        Assert.Equal(report.Tables.SelectMany(t => t.Rows.Select(r => (t.Name, string.Join('|', r.Keys), r.Figures))),
            recounted.Tables.SelectMany(t => t.Rows.Select(r => (t.Name, string.Join('|', r.Keys), r.Figures))));
        Assert.Equal(report.Refusals, recounted.Refusals);
    }

    [Fact]
    public async Task A_report_covers_its_period_only_and_its_municipalities_only()
    {
        var mine = await NewMunicipalityAsync();
        var other = await NewMunicipalityAsync();
        var store = new UsageRecords(fixture.Database);
        var all = UsageData.Generate(mine, new DateOnly(2026, 9, 25), days: 14, count: 800, seed: 11);
        await store.AddAsync(all, Ct);
        await store.AddAsync(UsageData.Generate(other, new DateOnly(2026, 10, 1), days: 5, count: 300, seed: 12), Ct);

        var report = await Reports().BuildAsync([mine], new DateOnly(2026, 10, 1), new DateOnly(2026, 10, 3), Ct);

        var expected = all.Where(r => !r.Training && string.CompareOrdinal(UsageData.Day(r), "2026-10-01") >= 0 && string.CompareOrdinal(UsageData.Day(r), "2026-10-03") <= 0).ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(UsageData.Figures(expected), report.Total);
        Assert.Equal([mine.Value], report.Table(UsageDimension.Municipality)!.Rows.Select(r => r.Keys[0]));
        Assert.All(report.Table(UsageDimension.Day)!.Rows, row => Assert.InRange(row.Keys[0], "2026-10-01", "2026-10-03"));
    }

    [Fact]
    public async Task Central_IT_reports_several_municipalities_with_one_row_each()
    {
        var first = await NewMunicipalityAsync();
        var second = await NewMunicipalityAsync();
        var store = new UsageRecords(fixture.Database);
        var a = UsageData.Generate(first, new DateOnly(2026, 11, 1), days: 3, count: 200, seed: 21);
        var b = UsageData.Generate(second, new DateOnly(2026, 11, 1), days: 3, count: 300, seed: 22);
        await store.AddAsync(a, Ct);
        await store.AddAsync(b, Ct);

        var report = await Reports().BuildAsync([second, first], new DateOnly(2026, 11, 1), new DateOnly(2026, 11, 3), Ct);

        Assert.Equal([first, second], report.Municipalities);
        var rows = report.Table(UsageDimension.Municipality)!.Rows;
        Assert.Equal([first.Value, second.Value], rows.Select(r => r.Keys[0]));
        Assert.Equal(UsageData.Figures(a.Where(r => !r.Training)), rows[0].Figures);
        Assert.Equal(UsageData.Figures(b.Where(r => !r.Training)), rows[1].Figures);
    }

    [Fact]
    public async Task An_upload_retried_after_an_outage_is_stored_once()
    {
        var municipality = await NewMunicipalityAsync();
        var store = new UsageRecords(fixture.Database);
        var records = UsageData.Generate(municipality, new DateOnly(2026, 8, 3), days: 2, count: 120, seed: 3);

        Assert.Equal(60, await store.AddAsync(records.Take(60).ToList(), Ct));
        Assert.Equal(60, await store.AddAsync(records, Ct));
        Assert.Equal(0, await store.AddAsync(records, Ct));

        Assert.Equal(records.Count, await store.CountAsync(municipality, new DateOnly(2026, 8, 1), new DateOnly(2026, 8, 31), Ct));
        var report = await Reports().BuildAsync([municipality], new DateOnly(2026, 8, 1), new DateOnly(2026, 8, 31), Ct);
        Assert.Equal(UsageData.Figures(records.Where(r => !r.Training)), report.Total);
    }

    [Fact]
    public async Task A_bad_record_stores_nothing_of_its_batch_and_names_the_record()
    {
        var municipality = await NewMunicipalityAsync();
        var store = new UsageRecords(fixture.Database);
        var records = UsageData.Generate(municipality, new DateOnly(2026, 7, 1), days: 1, count: 10, seed: 5).ToList();
        records[6] = records[6] with { Outcome = UsageOutcome.Refused, Reason = null };

        var refused = await Assert.ThrowsAsync<ArgumentException>(() => store.AddAsync(records, Ct));
        Assert.Contains("record 7", refused.Message, StringComparison.Ordinal);
        Assert.Contains("reason", refused.Message, StringComparison.Ordinal);

        var unknown = records.Take(3).Append(records[0] with { Municipality = NewCode(), Seq = 999 }).ToList();
        await Assert.ThrowsAsync<UnknownMunicipalityException>(() => store.AddAsync(unknown, Ct));
        Assert.Equal(0, await store.CountAsync(municipality, new DateOnly(2026, 7, 1), new DateOnly(2026, 7, 1), Ct));
    }

    [Fact]
    public async Task Bad_periods_are_refused()
    {
        var municipality = await NewMunicipalityAsync();
        var reports = Reports();
        await Assert.ThrowsAsync<ArgumentException>(() => reports.BuildAsync([municipality], new DateOnly(2026, 2, 1), new DateOnly(2026, 1, 31), Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => reports.BuildAsync([municipality], new DateOnly(2025, 1, 1), new DateOnly(2026, 12, 31), Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => reports.BuildAsync([], new DateOnly(2026, 1, 1), new DateOnly(2026, 1, 31), Ct));
    }

    [Fact]
    public async Task The_fleet_view_keeps_each_terminals_last_contact()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 11, 26, 1, 0, 0, TimeSpan.Zero));
        var database = new HubDatabase(fixture.Database.Engine, fixture.Database.ConnectionStringForTests, clock);
        var municipality = await NewMunicipalityAsync();
        var contacts = new TerminalContacts(database);

        await contacts.RecordAsync(municipality, "T001", "1.0.0", backlog: 40, clock.Now.AddSeconds(3), Ct);
        clock.Now = clock.Now.AddMinutes(10);
        await contacts.RecordAsync(municipality, "T001", "1.1.0", backlog: 0, clock.Now.AddMilliseconds(-1500), Ct);
        await contacts.RecordAsync(municipality, "T002", "1.0.0", backlog: 7, clock.Now, Ct);

        var fleet = await contacts.ListAsync(municipality, Ct);
        Assert.Equal(["T001", "T002"], fleet.Select(c => c.Terminal));
        Assert.Equal(clock.Now, fleet[0].LastContactAt);
        Assert.Equal("1.1.0", fleet[0].SoftwareVersion);
        Assert.Equal(0, fleet[0].Backlog);
        Assert.Equal(TimeSpan.FromMilliseconds(-1500), fleet[0].ClockSkew);
        Assert.Equal(7, fleet[1].Backlog);
        Assert.Empty(await contacts.ListAsync(await NewMunicipalityAsync(), Ct));
    }

    [Fact]
    public async Task Retention_purges_old_records_and_tombstones_and_reports_what_it_did()
    {
        var (clock, database, municipality) = await RetentionHubAsync();
        var master = new MasterStore(database);
        await master.UpsertAsync(municipality, "site", "old", new JsonObject { ["name"] = "旧分室" }, Ct);
        var oldDelete = await master.DeleteAsync(municipality, "site", "old", Ct);
        await master.UpsertAsync(municipality, "site", "kept", new JsonObject { ["name"] = "本庁" }, Ct);

        var records = new UsageRecords(database);
        var all = UsageData.Generate(municipality, new DateOnly(2025, 1, 1), days: 400, count: 2_000, seed: 9);
        await records.AddAsync(all, Ct);

        clock.Now = new DateTimeOffset(2026, 1, 20, 3, 0, 0, TimeSpan.Zero);
        var recentDelete = await master.DeleteAsync(municipality, "site", "kept", Ct);
        var policy = new RetentionPolicy(RecordDays: 365, TombstoneDays: 30);
        var retention = new Retention(database);

        var preview = await retention.RunAsync(policy, dryRun: true, cancellationToken: Ct);
        var cutoff = new DateOnly(2025, 1, 20);
        var expected = all.Count(r => string.CompareOrdinal(UsageData.Day(r), UsageRecords.DayText(cutoff)) < 0);
        Assert.True(expected > 0);
        Assert.Equal(cutoff, preview.RecordsBefore);
        Assert.Equal(expected, preview.Records);
        Assert.Equal(1, preview.Tombstones);
        Assert.Equal(all.Count, await records.CountAsync(municipality, new DateOnly(2025, 1, 1), new DateOnly(2025, 12, 31), Ct) +
            await records.CountAsync(municipality, new DateOnly(2026, 1, 1), new DateOnly(2026, 2, 28), Ct));

        var run = await retention.RunAsync(policy, dryRun: false, cancellationToken: Ct);
        Assert.Equal(expected, run.Records);
        Assert.Equal(1, run.Tombstones);
        Assert.Equal(oldDelete.ChangeSeq, Assert.Single(run.Municipalities).PurgedThroughSeq);
        Assert.Equal(oldDelete.ChangeSeq, await retention.PurgedThroughAsync(municipality, Ct));
        Assert.Equal(0, await records.CountAsync(municipality, new DateOnly(2025, 1, 1), cutoff.AddDays(-1), Ct));
        Assert.Equal(all.Count - expected, await records.CountAsync(municipality, cutoff, new DateOnly(2025, 12, 31), Ct) +
            await records.CountAsync(municipality, new DateOnly(2026, 1, 1), new DateOnly(2026, 2, 28), Ct));
        var feed = await master.ChangesAfterAsync(municipality, 0, 100, Ct);
        Assert.Equal([recentDelete.ChangeSeq], feed.Select(r => r.ChangeSeq));

        var audit = Assert.Single(await new HubAuditStore(database).ListAsync(municipality, 10, Ct), e => e.Action == "retention.purge");
        Assert.Equal("hub", audit.Actor);
        Assert.Equal(expected, (long)audit.Detail()["records"]!);
        Assert.Equal(1, (long)audit.Detail()["tombstones"]!);

        var again = await retention.RunAsync(policy, dryRun: false, cancellationToken: Ct);
        var elsewhere = await retention.RunAsync(policy with { RecordDays = 31 }, dryRun: true, [NewCode()], cancellationToken: Ct);
        Assert.Empty(again.Municipalities);
        Assert.Empty(elsewhere.Municipalities);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => retention.RunAsync(policy with { RecordDays = 1 }, dryRun: true, cancellationToken: Ct));
    }

    [Fact]
    public async Task Retention_purges_the_terminals_uploads_of_the_same_age_and_keeps_their_stream_positions()
    {
        var (clock, database, municipality) = await RetentionHubAsync();
        var ingest = new SyncIngest(database);
        var terminal = municipality.Value + "-T001";
        TransactionRecord Record(long seq, string service = "library", bool confirm = false)
        {
            var record = SyncRecords.Transaction(seq, service, at: clock.Now);
            record.Confirm = confirm;
            return record;
        }
        PushRequest Old() => SyncRecords.Push([Record(1), Record(2, confirm: true), Record(3, "no-such-service")]);
        await ingest.PushAsync(municipality, terminal, Old(), Ct);
        clock.Now = new DateTimeOffset(2026, 1, 20, 3, 0, 0, TimeSpan.Zero);
        await ingest.PushAsync(municipality, terminal, SyncRecords.Push([Record(4), Record(5, confirm: true)]), Ct);
        var retention = new Retention(database);
        var policy = new RetentionPolicy(RecordDays: 365, TombstoneDays: 30);

        var preview = await retention.RunAsync(policy, dryRun: true, cancellationToken: Ct);
        var run = await retention.RunAsync(policy, dryRun: false, cancellationToken: Ct);

        // Received on 2025-01-10, before the cut-off (2025-01-20): transactions 1 and 2, the decision on 2, the quarantined 3.
        Assert.Equal((4L, 4L), (preview.Uploads, run.Uploads));
        Assert.Equal(2, run.Records);
        Assert.Equal([DecisionRow.Accept(5)], await ingest.DecisionsAsync(municipality, terminal, [2, 5], Ct));
        Assert.Empty(await ingest.QuarantineAsync(municipality, 10, Ct));
        Assert.Equal(4, (long)Assert.Single(await new HubAuditStore(database).ListAsync(municipality, 10, Ct), e => e.Action == "retention.purge").Detail()["uploads"]!);
        // The stream position stays: the old batch sent again late is a duplicate, never stored again.
        var retry = await ingest.PushAsync(municipality, terminal, Old(), Ct);
        Assert.Equal((5L, 0, 3), (retry.AcknowledgedThrough, retry.Stored, retry.Duplicates));
        Assert.Equal(0, (await retention.RunAsync(policy, dryRun: true, cancellationToken: Ct)).Uploads);
    }

    // Its own database: retention runs over every municipality of the hub. One municipality, on 2025-01-10.
    private async Task<(ManualClock Clock, HubDatabase Database, MunicipalityCode Municipality)> RetentionHubAsync()
    {
        var clock = new ManualClock(new DateTimeOffset(2025, 1, 10, 3, 0, 0, TimeSpan.Zero));
        var empty = await fixture.CreateDatabaseAsync();
        var database = new HubDatabase(empty.Engine, empty.ConnectionStringForTests, clock);
        await database.MigrateAsync(Ct);
        var municipality = NewCode();
        await new MunicipalityStore(database).AddAsync(municipality, "保存期間市", Ct);
        return (clock, database, municipality);
    }

    private UsageReports Reports() => new(new UsageRecords(fixture.Database), TimeProvider.System);

    private static void AssertTable(UsageReport report, IEnumerable<UsageRecord> records, Func<UsageRecord, string[]> key, params UsageDimension[] dimensions)
    {
        var expected = records.GroupBy(r => string.Join('|', key(r)), StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (g.Key, UsageData.Figures(g)))
            .ToList();
        var table = report.Table(dimensions);
        Assert.NotNull(table);
        Assert.Equal(expected, table.Rows.Select(r => (string.Join('|', r.Keys), r.Figures)).ToList());
    }

    private static MunicipalityCode NewCode() =>
        MunicipalityCode.FromFiveDigits(Interlocked.Increment(ref _nextCode).ToString(CultureInfo.InvariantCulture));

    private async Task<MunicipalityCode> NewMunicipalityAsync()
    {
        var code = NewCode();
        await new MunicipalityStore(fixture.Database).AddAsync(code, $"統計市 {code.Value}", Ct);
        return code;
    }
}

public sealed class SqliteUsageRecordsTests(SqliteFixture fixture) : UsageRecordsContract<SqliteFixture>(fixture);

public sealed class PostgresUsageRecordsTests(PostgresFixture fixture) : UsageRecordsContract<PostgresFixture>(fixture);

public sealed class SqlServerUsageRecordsTests(SqlServerFixture fixture) : UsageRecordsContract<SqlServerFixture>(fixture);
