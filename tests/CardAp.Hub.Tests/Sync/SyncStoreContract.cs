using System.Globalization;
using System.Text.Json.Nodes;
using CardAp.Hub.Reports;
using CardAp.Hub.Store;
using CardAp.Hub.Store.Records;
using CardAp.Hub.Store.Sync;
using CardAp.Hub.Tests.Store;
using CardAp.Shared.Domain;
using CardAp.Sync;
using CardAp.Sync.Contracts;
using CardAp.Sync.Hub;

namespace CardAp.Hub.Tests.Sync;

/// <summary>
/// The hub's sync store, unchanged on every engine: ingest (idempotent, gap, chain, quarantine, usage
/// records in the same transaction), stream positions, the scoped feed and the snapshot.
/// </summary>
public abstract class SyncStoreContract<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : HubDatabaseFixture
{
    private static int _nextCode = 30_000;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private SyncIngest Ingest => new(fixture.Database);

    private MasterStore Master => new(fixture.Database);

    private SyncFeed Feed => new(fixture.Database, Master);

    [Fact]
    public async Task A_batch_is_stored_once_however_often_it_is_pushed()
    {
        var (municipality, terminal) = await NewTerminalAsync();

        var first = await Ingest.PushAsync(municipality, terminal, SyncRecords.Push(SyncRecords.Transactions(1, 5)), Ct);
        var again = await Ingest.PushAsync(municipality, terminal, SyncRecords.Push(SyncRecords.Transactions(1, 5)), Ct);
        var overlapping = await Ingest.PushAsync(municipality, terminal, SyncRecords.Push(SyncRecords.Transactions(4, 8)), Ct);

        Assert.Equal((5L, 5, 0), (first.AcknowledgedThrough, first.Stored, first.Duplicates));
        Assert.Equal((5L, 0, 5), (again.AcknowledgedThrough, again.Stored, again.Duplicates));
        Assert.Equal((8L, 3, 2), (overlapping.AcknowledgedThrough, overlapping.Stored, overlapping.Duplicates));
        Assert.Equal(8, await CountAsync("edge_transactions", municipality, terminal));
        Assert.Equal(8, await new UsageRecords(fixture.Database).CountAsync(municipality, SyncRecords.Day, SyncRecords.Day, Ct));
        Assert.Equal([new StreamPositionRow("transactions", 8), new StreamPositionRow("audit", 0), new StreamPositionRow("telemetry", 0)],
            await Ingest.PositionsAsync(municipality, terminal, Ct));
    }

    [Fact]
    public async Task Concurrent_pushes_of_one_batch_store_it_once()
    {
        var (municipality, terminal) = await NewTerminalAsync();
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ =>
            Task.Run(() => new SyncIngest(fixture.SecondInstance()).PushAsync(municipality, terminal, SyncRecords.Push(SyncRecords.Transactions(1, 40)), Ct), Ct)));

        Assert.All(outcomes, o => Assert.Equal(40, o.AcknowledgedThrough));
        Assert.Equal(40, outcomes.Sum(o => o.Stored));
        Assert.Equal(3 * 40, outcomes.Sum(o => o.Duplicates));
        Assert.Equal(40, await CountAsync("edge_transactions", municipality, terminal));
        Assert.Equal(40, await new UsageRecords(fixture.Database).CountAsync(municipality, SyncRecords.Day, SyncRecords.Day, Ct));
    }

    [Fact]
    public async Task A_batch_after_a_gap_is_refused_with_the_hubs_position_and_stores_nothing()
    {
        var (municipality, terminal) = await NewTerminalAsync();
        var fromTwo = await Assert.ThrowsAsync<StreamGapException>(() => Ingest.PushAsync(municipality, terminal, SyncRecords.Push(SyncRecords.Transactions(2, 3)), Ct));
        Assert.Equal((0L, 2L), (fromTwo.Through, fromTwo.FirstSeq));

        await Ingest.PushAsync(municipality, terminal, SyncRecords.Push(SyncRecords.Transactions(1, 3)), Ct);
        var gap = await Assert.ThrowsAsync<StreamGapException>(() => Ingest.PushAsync(municipality, terminal, SyncRecords.Push(SyncRecords.Transactions(5, 9)), Ct));

        Assert.Equal((3L, 5L, "transactions"), (gap.Through, gap.FirstSeq, gap.Stream));
        Assert.Equal(3, await CountAsync("edge_transactions", municipality, terminal));
        Assert.Equal(3, await new UsageRecords(fixture.Database).CountAsync(municipality, SyncRecords.Day, SyncRecords.Day, Ct));
        Assert.Equal(3, (await Ingest.PositionsAsync(municipality, terminal, Ct))[0].Through);
    }

    [Fact]
    public async Task Streams_and_terminals_have_their_own_positions()
    {
        var (municipality, terminal) = await NewTerminalAsync();
        var other = municipality.Value + "-T002";
        await Ingest.PushAsync(municipality, terminal, SyncRecords.Push(SyncRecords.Transactions(1, 3)), Ct);
        await Ingest.PushAsync(municipality, terminal, SyncRecords.Push([SyncRecords.Telemetry(1), SyncRecords.Telemetry(2)]), Ct);
        var otherFirst = await Ingest.PushAsync(municipality, other, SyncRecords.Push(SyncRecords.Transactions(1, 2)), Ct);

        Assert.Equal((2L, 2), (otherFirst.AcknowledgedThrough, otherFirst.Stored));
        Assert.Equal([3L, 0L, 2L], (await Ingest.PositionsAsync(municipality, terminal, Ct)).Select(p => p.Through));
        Assert.Equal(2, await CountAsync("edge_telemetry", municipality, terminal));
    }

    [Fact]
    public async Task The_audit_chain_continues_across_batches_and_a_break_is_refused_and_audited_once()
    {
        var (municipality, terminal) = await NewTerminalAsync();
        var log = new AuditLogWriter();
        Assert.Equal(3, (await Ingest.PushAsync(municipality, terminal, SyncRecords.Push(log.Next(3)), Ct)).AcknowledgedThrough);
        Assert.Equal(6, (await Ingest.PushAsync(municipality, terminal, SyncRecords.Push(log.Next(3)), Ct)).AcknowledgedThrough);

        var next = log.Next(2);
        var tampered = next.Select(e => e.Clone()).ToList();
        tampered[1].DetailJson = """{"reader":"R9"}""";
        var refused = await Assert.ThrowsAsync<AuditChainBrokenException>(() => Ingest.PushAsync(municipality, terminal, SyncRecords.Push(tampered), Ct));
        await Assert.ThrowsAsync<AuditChainBrokenException>(() => Ingest.PushAsync(municipality, terminal, SyncRecords.Push(tampered), Ct));

        Assert.Equal((8L, AuditChainFault.HashMismatch, 6L), (refused.Break.Seq, refused.Break.Fault, refused.Through));
        Assert.Equal(6, await CountAsync("edge_audit", municipality, terminal));
        var audit = (await new HubAuditStore(fixture.Database).ListAsync(municipality, 10, Ct)).Where(a => a.Action == SyncIngest.ChainBrokenAction).ToList();
        var entry = Assert.Single(audit);
        Assert.Equal(terminal, entry.Actor);
        Assert.Equal(8, (long)entry.Detail()["seq"]!);
        Assert.Equal("HashMismatch", (string)entry.Detail()["fault"]!);

        // The untampered batch continues the chain; a later, different break is audited again.
        Assert.Equal(8, (await Ingest.PushAsync(municipality, terminal, SyncRecords.Push(next), Ct)).AcknowledgedThrough);
        var otherLog = new AuditLogWriter();
        var foreign = Enumerable.Range(0, 9).Select(_ => otherLog.Next("sign-out")).Skip(8).ToList();
        await Assert.ThrowsAsync<AuditChainBrokenException>(() => Ingest.PushAsync(municipality, terminal, SyncRecords.Push(foreign), Ct));
        Assert.Equal(2, (await new HubAuditStore(fixture.Database).ListAsync(municipality, 10, Ct)).Count(a => a.Action == SyncIngest.ChainBrokenAction));
    }

    [Fact]
    public async Task A_held_audit_entry_sent_again_with_other_content_is_refused()
    {
        var (municipality, terminal) = await NewTerminalAsync();
        await Ingest.PushAsync(municipality, terminal, SyncRecords.Push(new AuditLogWriter().Next(3)), Ct);
        var rewritten = new AuditLogWriter();
        var entries = new List<AuditRecord> { rewritten.Next(), rewritten.Next("sign-out"), rewritten.Next(), rewritten.Next() };

        var refused = await Assert.ThrowsAsync<AuditChainBrokenException>(() => Ingest.PushAsync(municipality, terminal, SyncRecords.Push(entries), Ct));

        Assert.Equal((2L, AuditChainFault.Forked), (refused.Break.Seq, refused.Break.Fault));
        Assert.Equal(3, await CountAsync("edge_audit", municipality, terminal));
    }

    [Fact]
    public async Task Unusable_records_are_quarantined_with_their_reason_and_still_acknowledged()
    {
        var (municipality, terminal) = await NewTerminalAsync();
        await Master.UpsertAsync(municipality, MasterKinds.AttendanceDefinition, "kenshin", new JsonObject { ["operations"] = new JsonArray(new JsonObject { ["name"] = "checkin" }) }, Ct);
        var outcome = await Ingest.PushAsync(municipality, terminal, SyncRecords.Push(
        [
            SyncRecords.Transaction(1),
            SyncRecords.Transaction(2, service: "karaoke"),
            SyncRecords.Transaction(3, payload: "{broken"),
            SyncRecords.Transaction(4, at: new DateTimeOffset(1990, 1, 1, 9, 0, 0, SyncRecords.Japan)),
            SyncRecords.Transaction(5, service: "kenshin", operation: "checkin"),
        ]), Ct);

        Assert.Equal((5L, 2, 0), (outcome.AcknowledgedThrough, outcome.Stored, outcome.Duplicates));
        Assert.Equal(["UnknownService", "BadJson", "ImpossibleTime"], outcome.Quarantined.Select(q => QuarantineReasons.CodeOf(q.Reason)));
        Assert.Equal([2L, 3L, 4L], outcome.Quarantined.Select(q => q.Seq));
        Assert.Equal(2, await CountAsync("edge_transactions", municipality, terminal));
        Assert.Equal(2, await new UsageRecords(fixture.Database).CountAsync(municipality, SyncRecords.Day, SyncRecords.Day, Ct));

        var quarantine = await Ingest.QuarantineAsync(municipality, 10, Ct);
        Assert.Equal([2L, 3L, 4L], quarantine.Select(q => q.Seq).Order());
        var karaoke = quarantine.Single(q => q.Seq == 2);
        Assert.Equal(("transactions", terminal, "UnknownService (karaoke)"), (karaoke.Stream, karaoke.Terminal, karaoke.Reason));
        Assert.Equal("karaoke", (string)JsonNode.Parse(karaoke.RecordJson)!["service"]!);
        Assert.Equal(3, (await Ingest.QuarantineCountsAsync(municipality, Ct))[terminal]);

        // Acknowledged means held: the same batch again is all duplicates, and nothing is quarantined twice.
        var again = await Ingest.PushAsync(municipality, terminal, SyncRecords.Push(SyncRecords.Transactions(1, 5)), Ct);
        Assert.Equal((0, 5), (again.Stored, again.Duplicates));
        Assert.Equal(3, (await Ingest.QuarantineAsync(municipality, 10, Ct)).Count);
    }

    [Fact]
    public async Task Telemetry_is_stored_and_a_value_that_is_not_a_number_quarantined()
    {
        var (municipality, terminal) = await NewTerminalAsync();
        var outcome = await Ingest.PushAsync(municipality, terminal, SyncRecords.Push([SyncRecords.Telemetry(1, 12.25), SyncRecords.Telemetry(2, double.NaN)]), Ct);

        Assert.Equal((2L, 1), (outcome.AcknowledgedThrough, outcome.Stored));
        Assert.Equal(12.25, Convert.ToDouble(await ScalarAsync("SELECT value FROM edge_telemetry WHERE municipality = @m AND terminal = @t", municipality, terminal), CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Transactions_and_refused_operations_become_usage_records_at_the_terminals_site()
    {
        var (municipality, terminal) = await NewTerminalAsync(site: "honcho");
        var unregistered = municipality.Value + "-T009";
        await Ingest.PushAsync(municipality, terminal, SyncRecords.Push(
        [
            SyncRecords.Transaction(1),
            SyncRecords.Transaction(2, offline: true),
            SyncRecords.Transaction(3, training: true),
            SyncRecords.Transaction(4, service: "points", operation: "use"),
        ]), Ct);
        var log = new AuditLogWriter();
        var audit = await Ingest.PushAsync(municipality, terminal, SyncRecords.Push(
        [
            log.Next(),
            log.Refused("library", "borrow", "CardSuspended"),
            log.Refused("library", "borrow", "CardSuspended", training: true),
            log.Refused("points", "use", "OutsideHours"),
            log.Next("sign-in", "refused", """{"reason":"PinWrong"}"""),
            log.Refused("library", "renew", reason: null),
        ]), Ct);
        await Ingest.PushAsync(municipality, unregistered, SyncRecords.Push(SyncRecords.Transactions(1, 2)), Ct);

        Assert.Equal(6, audit.AcknowledgedThrough);
        Assert.Equal(6, await CountAsync("edge_audit", municipality, terminal)); // the unusable entry stays in the chain
        Assert.Equal("NoRefusalReason (detail_json.reason)", Assert.Single(audit.Quarantined).Reason);

        var report = await new UsageReports(new UsageRecords(fixture.Database), TimeProvider.System).BuildAsync([municipality], SyncRecords.Day, SyncRecords.Day, Ct);
        Assert.Equal(new UsageFigures(Done: 5, Offline: 1, Refused: 2), report.Total);
        Assert.Equal(
            new Dictionary<(string, string), long> { [("library", "CardSuspended")] = 1, [("points", "OutsideHours")] = 1 },
            report.Refusals.ToDictionary(r => (r.Service, r.Reason), r => r.Count));
        Assert.Equal(
            new Dictionary<string, long> { ["honcho"] = 5, [TerminalProfile.UnknownSite] = 2 },
            report.Table(UsageDimension.Site)!.Rows.ToDictionary(r => r.Keys[0], r => r.Figures.Done + r.Figures.Refused));
        // Training records are kept, only left out of the figures.
        Assert.Equal(9, await new UsageRecords(fixture.Database).CountAsync(municipality, SyncRecords.Day, SyncRecords.Day, Ct));
    }

    [Fact]
    public async Task An_online_only_redemption_is_decided_once_against_the_central_balance_of_all_terminals()
    {
        var (municipality, terminal) = await NewTerminalAsync(site: "honcho");
        var other = municipality.Value + "-T002";
        await Master.UpsertAsync(municipality, MasterKinds.PointsBalance, "M-1", new JsonObject { ["balance"] = 100 }, Ct);
        // Another terminal's records after the balance row move it: 100 + 50 - 30 = 120.
        await Ingest.PushAsync(municipality, other, SyncRecords.Push([Points(1, "accrue", 50), Points(2, "redeem", 30)]), Ct);

        var batch = SyncRecords.Push([Points(1, "redeem", 100, confirm: true), Points(2, "redeem", 30, confirm: true), Points(3, "redeem", 500, confirm: true, training: true)]);
        var first = await Ingest.PushAsync(municipality, terminal, batch, Ct);
        var retry = await Ingest.PushAsync(municipality, terminal, batch, Ct);

        Assert.Equal([(1L, true), (2L, false), (3L, true)], first.Decisions.Select(d => (d.Seq, d.Accepted)));
        var refused = first.Decisions[1];
        Assert.Equal(CentralChecks.InsufficientCentralBalance, refused.Reason);
        Assert.Contains("20 points", refused.MessageEn, StringComparison.Ordinal);
        Assert.Contains("残高 20", refused.MessageJa, StringComparison.Ordinal);
        Assert.Equal((0, 3), (retry.Stored, retry.Duplicates));
        Assert.Equal(first.Decisions, retry.Decisions);
        Assert.Equal(first.Decisions, await Ingest.DecisionsAsync(municipality, terminal, [3, 1, 2, 4], Ct));

        // A new balance row from central IT is the new base: 40, and the refused redemption never counted.
        await Master.UpsertAsync(municipality, MasterKinds.PointsBalance, "M-1", new JsonObject { ["balance"] = 40 }, Ct);
        var later = await Ingest.PushAsync(municipality, terminal, SyncRecords.Push([Points(4, "redeem", 40, confirm: true), Points(5, "redeem", 1, confirm: true)]), Ct);
        Assert.Equal([(4L, true), (5L, false)], later.Decisions.Select(d => (d.Seq, d.Accepted)));

        // Every record is held; the refused ones count as refusals with the hub's reason, not as done.
        Assert.Equal(5, await CountAsync("edge_transactions", municipality, terminal));
        var report = await new UsageReports(new UsageRecords(fixture.Database), TimeProvider.System).BuildAsync([municipality], SyncRecords.Day, SyncRecords.Day, Ct);
        Assert.Equal(new UsageFigures(Done: 4, Offline: 0, Refused: 2), report.Total);
        Assert.Equal((CentralChecks.InsufficientCentralBalance, 2L), (Assert.Single(report.Refusals).Reason, report.Refusals[0].Count));
    }

    [Fact]
    public async Task A_certificate_request_is_accepted_only_while_the_hub_holds_a_valid_registration_and_an_unusable_one_is_refused()
    {
        var (municipality, terminal) = await NewTerminalAsync();
        await Master.UpsertAsync(municipality, MasterKinds.SealRegistration, "S-1", new JsonObject { ["status"] = "registered" }, Ct);
        await Master.UpsertAsync(municipality, MasterKinds.SealRegistration, "S-2", new JsonObject { ["status"] = "abolished" }, Ct);
        TransactionRecord Request(long seq, string member)
        {
            var record = SyncRecords.Transaction(seq, "seal", "request-certificate");
            (record.Member, record.Confirm) = (member, true);
            return record;
        }
        var unknown = SyncRecords.Transaction(4, "no-such-service", "x");
        unknown.Confirm = true;
        var ordinary = SyncRecords.Transaction(5, "seal", "request-certificate");
        ordinary.Member = "S-2";

        var outcome = await Ingest.PushAsync(municipality, terminal, SyncRecords.Push([Request(1, "S-1"), Request(2, "S-2"), Request(3, "S-9"), unknown, ordinary]), Ct);

        Assert.Equal([(1L, true, (string?)null), (2L, false, CentralChecks.SealRegistrationNotCurrent), (3L, false, CentralChecks.SealRegistrationNotCurrent), (4L, false, CentralChecks.Quarantined)],
            outcome.Decisions.Select(d => (d.Seq, d.Accepted, d.Reason)));
        Assert.Contains("abolished", outcome.Decisions[1].MessageEn, StringComparison.Ordinal);
        Assert.Contains(Assert.Single(outcome.Quarantined).Reason, outcome.Decisions[3].MessageEn, StringComparison.Ordinal);
        // Record 5 was no online-only operation: stored as done, no decision taken; asked about, the hub says it holds it.
        Assert.Equal(DecisionRow.Accept(5), Assert.Single(await Ingest.DecisionsAsync(municipality, terminal, [5], Ct)));
    }

    private static TransactionRecord Points(long seq, string operation, long amount, bool confirm = false, bool training = false)
    {
        var record = SyncRecords.Transaction(seq, "points", operation, training: training);
        (record.HasAmount, record.Amount, record.Confirm) = (true, amount, confirm);
        return record;
    }

    [Fact]
    public async Task The_feed_carries_only_the_terminals_scope_and_never_another_municipalitys_rows()
    {
        var (municipality, _) = await NewTerminalAsync();
        var (other, _) = await NewTerminalAsync();
        await WriteMixedRowsAsync(municipality);
        await WriteMixedRowsAsync(other);
        var library = new HashSet<string> { "library" };

        var page = await Feed.ChangesAsync(municipality, library, 0, 1000, cancellationToken: Ct);

        Assert.Equal(ExpectedForLibrary, page.Changes.Select(c => (c.Kind, c.Key, c.Deleted)).Order().ToList());
        Assert.All(page.Changes, c => Assert.Equal(municipality, c.Municipality));
        Assert.Equal(page.Changes.Select(c => c.ChangeSeq).Order(), page.Changes.Select(c => c.ChangeSeq));
        Assert.Equal(await Master.LastSequenceAsync(municipality, Ct), page.ThroughSeq);
        Assert.False(page.HasMore);
    }

    [Fact]
    public async Task A_page_out_of_scope_still_moves_the_checkpoint_and_reads_a_bounded_number_of_rows()
    {
        var (municipality, _) = await NewTerminalAsync();
        await Master.ApplyAsync(municipality, Enumerable.Range(0, 45)
            .Select(i => MasterEdit.Upsert(MasterKinds.Registration, $"C-{i:0000}/library", new JsonObject { ["member"] = "M" + i }))
            .Append(MasterEdit.Upsert(MasterKinds.IssuerKey, "k1", new JsonObject { ["key"] = "AA" }))
            .ToList(), Ct);
        var library = new HashSet<string> { "library" };

        var pages = new List<FeedPage>();
        long after = 0;
        do
        {
            pages.Add(await Feed.ChangesAsync(municipality, library, after, limit: 5, maxScan: 20, cancellationToken: Ct));
            after = pages[^1].ThroughSeq;
        }
        while (pages[^1].HasMore && pages.Count < 10);

        Assert.Equal([20L, 40L, 46L], pages.Select(p => p.ThroughSeq));
        Assert.Equal([0, 0, 1], pages.Select(p => p.Changes.Count));
        Assert.Equal((MasterKinds.IssuerKey, 46L), (pages[^1].Changes[0].Kind, pages[^1].Changes[0].ChangeSeq));
        Assert.False(pages[^1].HasMore);
    }

    [Fact]
    public async Task A_full_page_stops_at_its_last_change_and_the_next_page_goes_on_from_there()
    {
        var (municipality, _) = await NewTerminalAsync();
        await Master.ApplyAsync(municipality, Enumerable.Range(0, 12)
            .Select(i => MasterEdit.Upsert(i % 2 == 0 ? MasterKinds.LoanSummary : MasterKinds.PointsBalance, $"C-{i:0000}", new JsonObject { ["n"] = i }))
            .ToList(), Ct);
        var library = new HashSet<string> { "library" };

        var first = await Feed.ChangesAsync(municipality, library, 0, limit: 3, cancellationToken: Ct);
        var second = await Feed.ChangesAsync(municipality, library, first.ThroughSeq, limit: 3, cancellationToken: Ct);
        var rest = await Feed.ChangesAsync(municipality, library, second.ThroughSeq, limit: 3, cancellationToken: Ct);

        Assert.Equal([1L, 3L, 5L], first.Changes.Select(c => c.ChangeSeq));
        Assert.Equal((5L, true), (first.ThroughSeq, first.HasMore));
        Assert.Equal([7L, 9L, 11L], second.Changes.Select(c => c.ChangeSeq));
        Assert.Equal((0, 12L, false), (rest.Changes.Count, rest.ThroughSeq, rest.HasMore));
    }

    [Fact]
    public async Task Snapshot_pages_give_exactly_the_live_set_in_scope()
    {
        var (municipality, _) = await NewTerminalAsync();
        var (other, _) = await NewTerminalAsync();
        await WriteMixedRowsAsync(municipality);
        await WriteMixedRowsAsync(other);
        await Master.ApplyAsync(municipality, Enumerable.Range(0, 30)
            .Select(i => MasterEdit.Upsert(i % 3 == 0 ? MasterKinds.PointsBalance : MasterKinds.LoanSummary, $"S-{i:0000}", new JsonObject { ["n"] = i }))
            .ToList(), Ct);
        var library = new HashSet<string> { "library" };

        var rows = new List<MasterRow>();
        var after = (Kind: string.Empty, Key: string.Empty);
        var pages = 0;
        while (true)
        {
            var chunk = await Feed.SnapshotAsync(municipality, library, after.Kind, after.Key, limit: 4, maxScan: 6, cancellationToken: Ct);
            rows.AddRange(chunk.Rows);
            pages++;
            Assert.True(chunk.Rows.Count <= 4);
            if (chunk.ResumeAfter is not { } resume)
            {
                break;
            }
            after = resume;
        }

        var expected = ExpectedForLibrary.Where(e => !e.Deleted).Select(e => (e.Kind, e.Key))
            .Concat(Enumerable.Range(0, 30).Where(i => i % 3 != 0).Select(i => (MasterKinds.LoanSummary, $"S-{i:0000}")))
            .Order().ToList();
        Assert.Equal(expected, rows.Select(r => (r.Kind, r.Key)).Order().ToList());
        Assert.Equal(rows.Count, rows.Select(r => (r.Kind, r.Key)).Distinct().Count());
        Assert.All(rows, r => Assert.False(r.Deleted));
        Assert.All(rows, r => Assert.Equal(municipality, r.Municipality));
        Assert.True(pages > expected.Count / 4, "pages are bounded by the limit and the scan");
    }

    [Fact]
    public async Task The_head_is_the_last_sequence_and_the_tombstone_horizon()
    {
        var (municipality, _) = await NewTerminalAsync();
        await Master.ApplyAsync(municipality, [MasterEdit.Upsert(MasterKinds.IssuerKey, "a", new JsonObject { ["k"] = 1 }), MasterEdit.Upsert(MasterKinds.IssuerKey, "b", new JsonObject { ["k"] = 2 })], Ct);
        await using (var connection = await fixture.Database.OpenAsync(Ct))
        {
            await HubDatabase.ExecuteAsync(connection, null, "UPDATE municipality_sequences SET purged_seq = 1 WHERE municipality = @m", Ct, ("@m", municipality.Value));
        }
        Assert.Equal(new FeedHead(2, 1), await Feed.HeadAsync(municipality, Ct));
        await Assert.ThrowsAsync<UnknownMunicipalityException>(() => Feed.HeadAsync(NewCode(), Ct));
        await Assert.ThrowsAsync<UnknownMunicipalityException>(() => Ingest.PushAsync(NewCode(), "999999-T1", SyncRecords.Push(SyncRecords.Transactions(1, 1)), Ct));
    }

    /// <summary>What a terminal running only the library gets of <see cref="WriteMixedRowsAsync"/>: written by hand, not by SyncScope.</summary>
    private static readonly List<(string Kind, string Key, bool Deleted)> ExpectedForLibrary =
    [
        (MasterKinds.CardStatus, "C-0001", false),
        (MasterKinds.Closure, "all-2026-12-29", false),
        (MasterKinds.Closure, "library-2026-11-03", false),
        (MasterKinds.IssuerKey, "k1", false),
        (MasterKinds.LoanSummary, "C-0001", false),
        (MasterKinds.LoanSummary, "C-0002", true),
        (MasterKinds.PointsBalance, "C-0002", true),
        (MasterKinds.ServiceTuning, "library", false),
        (MasterKinds.ServiceHours, "library", false),
    ];

    // Every kind of row: common, the library's, the points service's, administration; and tombstones.
    private async Task WriteMixedRowsAsync(MunicipalityCode municipality)
    {
        await Master.ApplyAsync(municipality,
        [
            MasterEdit.Upsert(MasterKinds.IssuerKey, "k1", new JsonObject { ["key"] = "AA" }),
            MasterEdit.Upsert(MasterKinds.CardStatus, "C-0001", new JsonObject { ["status"] = "active" }),
            MasterEdit.Upsert(MasterKinds.ServiceTuning, "library", new JsonObject { ["loanDays"] = 14 }),
            MasterEdit.Upsert(MasterKinds.ServiceTuning, "points", new JsonObject { ["rate"] = 1 }),
            MasterEdit.Upsert(MasterKinds.ServiceHours, "library", new JsonObject { ["service"] = "library" }),
            MasterEdit.Upsert(MasterKinds.ServiceHours, "points", new JsonObject { ["service"] = "points" }),
            MasterEdit.Upsert(MasterKinds.Closure, "all-2026-12-29", new JsonObject { ["date"] = "2026-12-29" }),
            MasterEdit.Upsert(MasterKinds.Closure, "library-2026-11-03", new JsonObject { ["service"] = "library" }),
            MasterEdit.Upsert(MasterKinds.Closure, "points-2026-11-03", new JsonObject { ["service"] = "points" }),
            MasterEdit.Upsert(MasterKinds.LoanSummary, "C-0001", new JsonObject { ["loans"] = 2 }),
            MasterEdit.Upsert(MasterKinds.LoanSummary, "C-0002", new JsonObject { ["loans"] = 1 }),
            MasterEdit.Upsert(MasterKinds.PointsBalance, "C-0001", new JsonObject { ["balance"] = 100 }),
            MasterEdit.Upsert(MasterKinds.PointsBalance, "C-0002", new JsonObject { ["balance"] = 5 }),
            MasterEdit.Upsert(MasterKinds.Registration, "C-0001/library", new JsonObject { ["name"] = "山田太郎" }),
            MasterEdit.Upsert(MasterKinds.Site, "honcho", new JsonObject { ["name"] = "本庁舎" }),
            MasterEdit.Upsert(MasterKinds.Operator, "op-1", new JsonObject { ["name"] = "佐藤" }),
            MasterEdit.Upsert("futureKind", "x", new JsonObject { ["x"] = 1 }),
        ], Ct);
        await Master.ApplyAsync(municipality,
        [
            MasterEdit.Delete(MasterKinds.LoanSummary, "C-0002"),
            MasterEdit.Delete(MasterKinds.PointsBalance, "C-0002"),
            MasterEdit.Delete(MasterKinds.Operator, "op-1"),
        ], Ct);
    }

    private async Task<(MunicipalityCode Municipality, string Terminal)> NewTerminalAsync(string? site = null)
    {
        var code = NewCode();
        await new MunicipalityStore(fixture.Database).AddAsync(code, $"同期市 {code.Value}", Ct);
        var terminal = code.Value + "-T001";
        if (site is not null)
        {
            await Master.UpsertAsync(code, MasterKinds.Terminal, terminal,
                new JsonObject { ["site"] = site, ["services"] = new JsonArray("library", "points"), ["status"] = "active" }, Ct);
        }
        return (code, terminal);
    }

    private static MunicipalityCode NewCode() =>
        MunicipalityCode.FromFiveDigits(Interlocked.Increment(ref _nextCode).ToString(CultureInfo.InvariantCulture));

    private async Task<long> CountAsync(string table, MunicipalityCode municipality, string terminal) =>
        Convert.ToInt64(await ScalarAsync($"SELECT count(*) FROM {table} WHERE municipality = @m AND terminal = @t", municipality, terminal), CultureInfo.InvariantCulture);

    private async Task<object?> ScalarAsync(string sql, MunicipalityCode municipality, string terminal)
    {
        await using var connection = await fixture.Database.OpenAsync(Ct);
        return await HubDatabase.ScalarAsync(connection, null, sql, Ct, ("@m", municipality.Value), ("@t", terminal));
    }
}

public sealed class SqliteSyncStoreTests(SqliteFixture fixture) : SyncStoreContract<SqliteFixture>(fixture);

public sealed class PostgresSyncStoreTests(PostgresFixture fixture) : SyncStoreContract<PostgresFixture>(fixture);

public sealed class SqlServerSyncStoreTests(SqlServerFixture fixture) : SyncStoreContract<SqlServerFixture>(fixture);
