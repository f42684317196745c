using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using CardAp.Hub.Api;
using CardAp.Hub.Errors;
using CardAp.Hub.Security;
using CardAp.Hub.Store;
using CardAp.Hub.Store.Records;
using CardAp.Hub.Tests.Host;
using CardAp.Shared.Domain;
using CardAp.Sync;
using CardAp.Sync.Contracts;
using CardAp.Sync.Hub;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using ReportsClient = CardAp.Hub.Api.Reports.ReportsClient;
using SyncClient = CardAp.Sync.Contracts.Sync.SyncClient;

namespace CardAp.Hub.Tests.Sync;

/// <summary>
/// The sync API through a real hub (Kestrel, mutual TLS, SQLite), called with terminal certificates
/// from the hub CA: identity and scope, pushes, refusals, reinitialise and snapshot paging.
/// </summary>
public sealed class SyncApiTests : IAsyncLifetime
{
    private const string T001 = "131016-T001";

    private static readonly MunicipalityCode Chiyoda = MunicipalityCode.Parse("131016");
    private static readonly MunicipalityCode Sapporo = MunicipalityCode.Parse("011002");

    private readonly HubPki _pki = new();
    private readonly List<GrpcChannel> _channels = [];
    private HubHost _hub = null!;
    private HubDatabase _database = null!;
    private MasterStore _master = null!;
    private Admin.AdminClient _centralIt = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _hub = await HubHost.StartAsync(_pki);
        _centralIt = new Admin.AdminClient(Channel(_pki.Ca.IssueAdminCertificate("it-1", CallerRole.CentralIt, [Chiyoda, Sapporo])));
        await _centralIt.AddMunicipalityAsync(new AddMunicipalityRequest { Municipality = "131016", Name = "千代田区" }, cancellationToken: Cancel);
        await _centralIt.AddMunicipalityAsync(new AddMunicipalityRequest { Municipality = "011002", Name = "札幌市" }, cancellationToken: Cancel);
        // Master rows go in through the store, as an import would put them, so the tests do not depend on the admin API's validation.
        _database = new HubDatabase(HubEngine.Sqlite, _pki.Settings()["Hub:Database:ConnectionString"]!);
        _master = new MasterStore(_database);
        await SetTerminalAsync(T001, "honcho", ["library"]);
        await WriteRowsAsync(Chiyoda);
        await WriteRowsAsync(Sapporo);
    }

    public async ValueTask DisposeAsync()
    {
        _channels.ForEach(c => c.Dispose());
        await _hub.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _pki.Dispose();
    }

    [Fact]
    public async Task Hello_records_the_contact_and_answers_scope_feed_and_positions()
    {
        var sync = Terminal(T001);
        await sync.PushAsync(SyncRecords.Push(SyncRecords.Transactions(1, 4)), cancellationToken: Cancel);
        var sent = DateTimeOffset.UtcNow.AddSeconds(90);

        var hello = await sync.HelloAsync(new HelloRequest { SoftwareVersion = "1.4.0", Backlog = 7, Checkpoint = 0, TerminalTime = Timestamp.FromDateTimeOffset(sent) }, cancellationToken: Cancel);

        Assert.Equal(("131016", T001), (hello.Municipality, hello.Terminal));
        Assert.Equal(SyncScope.Id(["library"]), hello.Scope);
        Assert.Equal(await _master.LastSequenceAsync(Chiyoda, Cancel), hello.LastSeq);
        Assert.Equal(0, hello.Horizon);
        Assert.Equal([("transactions", 4L), ("audit", 0L), ("telemetry", 0L)], hello.Streams.Select(s => (s.Stream, s.Through)));
        Assert.InRange(hello.HubTime.ToDateTimeOffset(), sent.AddSeconds(-120), sent);

        var fleet = await new ReportsClient(Channel(_pki.Ca.IssueAdminCertificate("it-1", CallerRole.CentralIt, [Chiyoda])))
            .GetFleetAsync(new FleetRequest { Municipality = "131016" }, cancellationToken: Cancel);
        var status = fleet.Terminals.Single(t => t.Terminal == T001);
        Assert.Equal(("1.4.0", 7L, "honcho"), (status.SoftwareVersion, status.Backlog, status.Site));
        Assert.InRange(status.ClockSkewMs, 60_000, 91_000);
    }

    [Fact]
    public async Task Responses_are_gzip_compressed()
    {
        // The gRPC client hides grpc-encoding from the call's headers, so a handler below it looks.
        var seen = new ResponseEncodings(ClientHandler(_pki.Ca.IssueTerminalCertificate(T001)));
        using var channel = GrpcChannel.ForAddress(_hub.Address, new GrpcChannelOptions { HttpHandler = seen, DisposeHttpClient = true });
        var sync = new SyncClient(channel);

        var reply = await sync.PullAsync(new PullRequest { Scope = SyncScope.Id(["library"]) }, cancellationToken: Cancel);
        await sync.HelloAsync(Hello(), cancellationToken: Cancel);

        // The admin API on the same channel does not compress: the probe sees what the server chose.
        await new Admin.AdminClient(channel).WhoAmIAsync(new WhoAmIRequest(), cancellationToken: Cancel);

        Assert.NotEmpty(reply.Changes);
        Assert.Equal(["gzip", "gzip", null], seen.Encodings);
    }

    [Fact]
    public async Task An_administrator_certificate_is_refused_every_sync_call()
    {
        foreach (var role in new[] { CallerRole.CentralIt, CallerRole.MunicipalityAdmin })
        {
            var admin = new SyncClient(Channel(_pki.Ca.IssueAdminCertificate("adm", role, [Chiyoda])));
            Func<Task>[] calls =
            [
                () => admin.HelloAsync(Hello(), cancellationToken: Cancel).ResponseAsync,
                () => admin.PullAsync(new PullRequest(), cancellationToken: Cancel).ResponseAsync,
                () => admin.SnapshotAsync(new SnapshotRequest(), cancellationToken: Cancel).ResponseAsync,
                () => admin.PushAsync(SyncRecords.Push(SyncRecords.Transactions(1, 1)), cancellationToken: Cancel).ResponseAsync,
            ];
            foreach (var call in calls)
            {
                var refused = await AssertRefused(call, StatusCode.PermissionDenied, SyncService.NotATerminalReason);
                Assert.Contains("同期は端末専用", Japanese(refused), StringComparison.Ordinal);
            }
        }
        Assert.Equal(0, await UsageCountAsync(Chiyoda));
    }

    [Fact]
    public async Task A_retired_terminal_and_a_revoked_certificate_are_refused()
    {
        var certificate = _pki.Ca.IssueTerminalCertificate(T001);
        var sync = new SyncClient(Channel(certificate));
        await sync.HelloAsync(Hello(), cancellationToken: Cancel);

        await SetTerminalAsync(T001, "honcho", ["library"], status: "retired");
        await AssertRefused(() => sync.PullAsync(new PullRequest(), cancellationToken: Cancel).ResponseAsync, StatusCode.Unauthenticated, RevocationGate.TerminalRevokedReason);
        await AssertRefused(() => sync.PushAsync(SyncRecords.Push(SyncRecords.Transactions(1, 1)), cancellationToken: Cancel).ResponseAsync,
            StatusCode.Unauthenticated, RevocationGate.TerminalRevokedReason);
        Assert.Equal(0, await UsageCountAsync(Chiyoda));

        await SetTerminalAsync(T001, "honcho", ["library"], status: "active");
        await sync.HelloAsync(Hello(), cancellationToken: Cancel);
        await _centralIt.RevokeCertificateAsync(new RevokeCertificateRequest { Serial = certificate.SerialNumber, Subject = "urn:cardap:terminal:" + T001, Reason = "lost" }, cancellationToken: Cancel);
        await AssertRefused(() => sync.HelloAsync(Hello(), cancellationToken: Cancel).ResponseAsync, StatusCode.Unauthenticated, RevocationGate.CertificateRevokedReason);
    }

    [Fact]
    public async Task Pull_and_snapshot_carry_only_the_terminals_municipality_services_and_edge_kinds()
    {
        var sync = Terminal(T001);
        var pulled = await PullAllAsync(sync, SyncScope.Id(["library"]), after: 0, limit: 3);
        var snapshot = await SnapshotAllAsync(sync, limit: 2);

        // Written out by hand: the rows of WriteRowsAsync a library-only terminal needs.
        (string Kind, string Key)[] expectedLive =
        [
            (MasterKinds.CardStatus, "C-0001"), (MasterKinds.Closure, "all"), (MasterKinds.Closure, "library"), (MasterKinds.IssuerKey, "k1"),
            (MasterKinds.LoanSummary, "C-0001"), (MasterKinds.ServiceTuning, "library"),
        ];
        Assert.Equal(expectedLive.Order(), snapshot.Rows.Select(r => (r.Kind, r.Key)).Order());
        Assert.Equal(expectedLive.Append((MasterKinds.LoanSummary, "C-0002")).Order(), pulled.Select(c => (c.Kind, c.Key)).Order());
        Assert.True(pulled.Single(c => c.Key == "C-0002").Deleted);
        // Chiyoda's payloads, never Sapporo's (both municipalities wrote the same keys).
        Assert.All(snapshot.Rows, r => Assert.Contains("131016", r.PayloadJson, StringComparison.Ordinal));
        Assert.All(pulled.Where(c => !c.Deleted), c => Assert.Contains("131016", c.PayloadJson, StringComparison.Ordinal));

        // A Sapporo terminal gets Sapporo's rows: the municipality comes from its certificate alone.
        await SetTerminalAsync("011002-T001", "chuo", ["library"]);
        var sapporo = await SnapshotAllAsync(Terminal("011002-T001"), limit: 100);
        Assert.Equal(expectedLive.Order(), sapporo.Rows.Select(r => (r.Kind, r.Key)).Order());
        Assert.All(sapporo.Rows, r => Assert.Contains("011002", r.PayloadJson, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_terminal_without_a_master_row_gets_only_the_common_rows()
    {
        var sync = Terminal("131016-T404");
        var hello = await sync.HelloAsync(Hello(), cancellationToken: Cancel);
        Assert.Equal(SyncScope.Id([]), hello.Scope);
        var snapshot = await SnapshotAllAsync(sync, limit: 100);
        Assert.Equal([(MasterKinds.CardStatus, "C-0001"), (MasterKinds.Closure, "all"), (MasterKinds.IssuerKey, "k1")],
            snapshot.Rows.Select(r => (r.Kind, r.Key)).Order());
    }

    [Fact]
    public async Task A_push_is_stored_once_and_its_usage_shows_in_the_report_api()
    {
        var sync = Terminal(T001);
        var batch = SyncRecords.Push([SyncRecords.Transaction(1), SyncRecords.Transaction(2, offline: true), SyncRecords.Transaction(3, training: true)]);
        var first = await sync.PushAsync(batch, cancellationToken: Cancel);
        var again = await sync.PushAsync(batch, cancellationToken: Cancel);
        var log = new AuditLogWriter();
        var audit = await sync.PushAsync(SyncRecords.Push([log.Next(), log.Refused("library", "borrow", "CardSuspended"), log.Refused("library", "borrow", "CardSuspended")]),
            cancellationToken: Cancel);

        Assert.Equal((3L, 3, 0), (first.AcknowledgedThrough, first.Stored, first.Duplicates));
        Assert.Equal((3L, 0, 3), (again.AcknowledgedThrough, again.Stored, again.Duplicates));
        Assert.Equal((3L, 3), (audit.AcknowledgedThrough, audit.Stored));

        var day = UsageRecords.DayText(SyncRecords.Day);
        var reports = new ReportsClient(Channel(_pki.Ca.IssueAdminCertificate("clerk", CallerRole.MunicipalityAdmin, [Chiyoda])));
        var usage = await reports.GetUsageAsync(new UsageRequest { Municipalities = { "131016" }, From = day, To = day }, cancellationToken: Cancel);
        Assert.Equal((2L, 1L, 2L), (usage.Total.Done, usage.Total.Offline, usage.Total.Refused));
        Assert.Equal([("library", "CardSuspended", 2L)], usage.Refusals.Select(r => (r.Service, r.Reason, r.Count)));
        Assert.Equal(["honcho"], usage.Tables.Single(t => t.Name == "site").Rows.Select(r => r.Keys[0]));
    }

    [Fact]
    public async Task A_gap_is_refused_with_the_hubs_position()
    {
        var sync = Terminal(T001);
        await sync.PushAsync(SyncRecords.Push(SyncRecords.Transactions(1, 3)), cancellationToken: Cancel);

        var refused = await AssertRefused(() => sync.PushAsync(SyncRecords.Push(SyncRecords.Transactions(6, 8)), cancellationToken: Cancel).ResponseAsync,
            StatusCode.FailedPrecondition, SyncRefusals.StreamGap);

        Assert.Equal("3", refused.Trailers.GetValue(SyncRefusals.AcknowledgedThroughTrailer));
        Assert.Contains("send again from 4", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("4番から送り直してください", Japanese(refused), StringComparison.Ordinal);
        Assert.Equal(3, await UsageCountAsync(Chiyoda));
        Assert.Equal(8, (await sync.PushAsync(SyncRecords.Push(SyncRecords.Transactions(4, 8)), cancellationToken: Cancel)).AcknowledgedThrough);
    }

    [Fact]
    public async Task A_broken_audit_chain_is_refused_and_written_to_the_municipalitys_audit()
    {
        var sync = Terminal(T001);
        var log = new AuditLogWriter();
        await sync.PushAsync(SyncRecords.Push(log.Next(2)), cancellationToken: Cancel);
        var next = log.Next(2);
        next[0].Action = "sign-out"; // altered after it was hashed

        var refused = await AssertRefused(() => sync.PushAsync(SyncRecords.Push(next), cancellationToken: Cancel).ResponseAsync,
            StatusCode.FailedPrecondition, SyncRefusals.AuditChainBroken);

        Assert.Equal("2", refused.Trailers.GetValue(SyncRefusals.AcknowledgedThroughTrailer));
        Assert.Contains("entry 3", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("操作履歴3", Japanese(refused), StringComparison.Ordinal);
        var chiyoda = await _centralIt.ListAuditAsync(new ListAuditRequest { Municipality = "131016" }, cancellationToken: Cancel);
        var entry = chiyoda.Entries.Single(e => e.Action == "sync.audit-chain-broken");
        Assert.Equal((T001, "terminal 131016-T001 audit entry 3"), (entry.Actor, entry.Subject));
        var sapporo = await _centralIt.ListAuditAsync(new ListAuditRequest { Municipality = "011002" }, cancellationToken: Cancel);
        Assert.DoesNotContain(sapporo.Entries, e => e.Action == "sync.audit-chain-broken");
        var hello = await sync.HelloAsync(Hello(), cancellationToken: Cancel);
        Assert.Equal(2, hello.Streams.Single(s => s.Stream == "audit").Through);
    }

    [Fact]
    public async Task A_quarantined_record_is_acknowledged_with_its_reason()
    {
        var sync = Terminal(T001);
        var reply = await sync.PushAsync(SyncRecords.Push([SyncRecords.Transaction(1), SyncRecords.Transaction(2, service: "karaoke"), SyncRecords.Transaction(3)]),
            cancellationToken: Cancel);

        Assert.Equal((3L, 2, 0), (reply.AcknowledgedThrough, reply.Stored, reply.Duplicates));
        var quarantined = Assert.Single(reply.Quarantined);
        Assert.Equal((2L, "UnknownService (karaoke)"), (quarantined.Seq, quarantined.Reason));
        Assert.Equal(2, await UsageCountAsync(Chiyoda));

        var reports = new ReportsClient(Channel(_pki.Ca.IssueAdminCertificate("it-1", CallerRole.CentralIt, [Chiyoda])));
        var listed = await reports.ListQuarantineAsync(new QuarantineRequest { Municipality = "131016" }, cancellationToken: Cancel);
        var row = Assert.Single(listed.Records);
        Assert.Equal((T001, "transactions", 2L, "UnknownService (karaoke)"), (row.Terminal, row.Stream, row.Seq, row.Reason));
        Assert.Contains("karaoke", row.RecordJson, StringComparison.Ordinal);
        var fleet = await reports.GetFleetAsync(new FleetRequest { Municipality = "131016" }, cancellationToken: Cancel);
        Assert.Equal(1, fleet.Terminals.Single(t => t.Terminal == T001).Quarantined);
    }

    [Fact]
    public async Task Pull_answers_reinitialise_behind_the_tombstone_horizon()
    {
        var sync = Terminal(T001);
        var scope = SyncScope.Id(["library"]);
        var checkpoint = (await sync.PullAsync(new PullRequest { Scope = scope, AfterSeq = 0 }, cancellationToken: Cancel)).ThroughSeq;
        await _master.DeleteAsync(Chiyoda, MasterKinds.LoanSummary, "C-0001", Cancel);

        // A month later the nightly retention purges the tombstones.
        var later = new HubDatabase(HubEngine.Sqlite, _pki.Settings()["Hub:Database:ConnectionString"]!, new FixedClock(DateTimeOffset.UtcNow.AddDays(30)));
        var purged = (await new Retention(later).RunAsync(new RetentionPolicy(400, 7), dryRun: false, cancellationToken: Cancel)).Municipalities.Single(m => m.Municipality == Chiyoda);

        var behind = await sync.PullAsync(new PullRequest { Scope = scope, AfterSeq = checkpoint }, cancellationToken: Cancel);
        Assert.True(behind.Reinitialise);
        Assert.Equal(SyncService.BehindHorizon, behind.ReinitialiseReason);
        Assert.Empty(behind.Changes);
        var hello = await sync.HelloAsync(Hello(), cancellationToken: Cancel);
        Assert.Equal(purged.PurgedThroughSeq, hello.Horizon);
        Assert.True(hello.Horizon > checkpoint);

        // From the horizon on, the feed serves again.
        Assert.False((await sync.PullAsync(new PullRequest { Scope = scope, AfterSeq = hello.Horizon }, cancellationToken: Cancel)).Reinitialise);
        var ahead = await sync.PullAsync(new PullRequest { Scope = scope, AfterSeq = hello.LastSeq + 5 }, cancellationToken: Cancel);
        Assert.Equal((true, SyncService.CheckpointAhead), (ahead.Reinitialise, ahead.ReinitialiseReason));
    }

    [Fact]
    public async Task Pull_answers_reinitialise_after_a_scope_change_and_the_snapshot_follows_the_new_scope()
    {
        var sync = Terminal(T001);
        var oldScope = SyncScope.Id(["library"]);
        var first = await sync.PullAsync(new PullRequest { Scope = oldScope }, cancellationToken: Cancel);
        Assert.False(first.Reinitialise);
        Assert.True((await sync.PullAsync(new PullRequest { Scope = string.Empty }, cancellationToken: Cancel)).Reinitialise);

        await SetTerminalAsync(T001, "honcho", ["library", "points"]);
        var changed = await sync.PullAsync(new PullRequest { Scope = oldScope, AfterSeq = first.ThroughSeq }, cancellationToken: Cancel);

        Assert.Equal((true, SyncRefusals.ScopeChanged), (changed.Reinitialise, changed.ReinitialiseReason));
        var hello = await sync.HelloAsync(Hello(), cancellationToken: Cancel);
        Assert.Equal(SyncScope.Id(["points", "library"]), hello.Scope);
        var snapshot = await SnapshotAllAsync(sync, limit: 100);
        Assert.Equal(hello.Scope, snapshot.Scope);
        Assert.Contains(snapshot.Rows, r => (r.Kind, r.Key) == (MasterKinds.PointsBalance, "C-0001"));
        Assert.Contains(snapshot.Rows, r => (r.Kind, r.Key) == (MasterKinds.ServiceTuning, "points"));
        Assert.False((await sync.PullAsync(new PullRequest { Scope = hello.Scope, AfterSeq = snapshot.AsOfSeq }, cancellationToken: Cancel)).Reinitialise);
    }

    [Fact]
    public async Task Snapshot_paging_gives_exactly_the_live_set_as_of_its_first_page()
    {
        await _master.ApplyAsync(Chiyoda, Enumerable.Range(0, 60)
            .Select(i => MasterEdit.Upsert(i % 4 == 0 ? MasterKinds.PointsBalance : MasterKinds.LoanSummary, $"L-{i:000}", new JsonObject { ["n"] = i }))
            .ToList(), Cancel);
        await _master.ApplyAsync(Chiyoda, Enumerable.Range(0, 60).Where(i => i % 5 == 0).Select(i => MasterEdit.Delete(MasterKinds.LoanSummary, $"L-{i:000}")).ToList(), Cancel);
        var sync = Terminal(T001);
        var asOf = await _master.LastSequenceAsync(Chiyoda, Cancel);

        var pages = new List<SnapshotPage>();
        var token = string.Empty;
        do
        {
            pages.Add(await sync.SnapshotAsync(new SnapshotRequest { PageToken = token, Limit = 7 }, cancellationToken: Cancel));
            token = pages[^1].NextPageToken;
            if (pages.Count == 2)
            {
                // Written while the snapshot is read: it comes through the feed after as_of_seq.
                await _master.UpsertAsync(Chiyoda, MasterKinds.LoanSummary, "L-999", new JsonObject { ["n"] = 999 }, Cancel);
            }
        }
        while (token.Length > 0);

        Assert.All(pages, p => Assert.Equal(asOf, p.AsOfSeq));
        Assert.All(pages, p => Assert.InRange(p.Rows.Count, 0, 7));
        var rows = pages.SelectMany(p => p.Rows).ToList();
        Assert.Equal(rows.Select(r => (r.Kind, r.Key)).Distinct().Count(), rows.Count);
        var expected = new List<(string, string)> { (MasterKinds.CardStatus, "C-0001"), (MasterKinds.Closure, "all"), (MasterKinds.Closure, "library"), (MasterKinds.IssuerKey, "k1"),
            (MasterKinds.LoanSummary, "C-0001"), (MasterKinds.ServiceTuning, "library") };
        expected.AddRange(Enumerable.Range(0, 60).Where(i => i % 4 != 0 && i % 5 != 0).Select(i => (MasterKinds.LoanSummary, $"L-{i:000}")));
        var got = rows.Select(r => (r.Kind, r.Key)).ToHashSet();
        got.Remove((MasterKinds.LoanSummary, "L-999"));
        Assert.Equal(expected.Order(), got.Order());
        var after = await sync.PullAsync(new PullRequest { Scope = pages[0].Scope, AfterSeq = asOf }, cancellationToken: Cancel);
        Assert.Equal([(MasterKinds.LoanSummary, "L-999")], after.Changes.Select(c => (c.Kind, c.Key)));
    }

    [Fact]
    public async Task A_snapshot_token_from_another_scope_or_no_snapshot_is_refused()
    {
        var sync = Terminal(T001);
        var first = await sync.SnapshotAsync(new SnapshotRequest { Limit = 1 }, cancellationToken: Cancel);
        Assert.NotEmpty(first.NextPageToken);
        await AssertRefused(() => sync.SnapshotAsync(new SnapshotRequest { PageToken = "garbage" }, cancellationToken: Cancel).ResponseAsync,
            StatusCode.InvalidArgument, "InvalidArgument", "page_token");

        await SetTerminalAsync(T001, "honcho", ["library", "points"]);
        await AssertRefused(() => sync.SnapshotAsync(new SnapshotRequest { PageToken = first.NextPageToken }, cancellationToken: Cancel).ResponseAsync,
            StatusCode.Aborted, SyncRefusals.ScopeChanged);
    }

    [Fact]
    public async Task Limits_and_malformed_requests_are_refused_naming_the_field()
    {
        var sync = Terminal(T001);
        var scope = SyncScope.Id(["library"]);
        (Func<Task> Call, string Field)[] cases =
        [
            (() => sync.PullAsync(new PullRequest { Scope = scope, Limit = 5001 }, cancellationToken: Cancel).ResponseAsync, "limit"),
            (() => sync.PullAsync(new PullRequest { Scope = scope, Limit = -1 }, cancellationToken: Cancel).ResponseAsync, "limit"),
            (() => sync.PullAsync(new PullRequest { Scope = scope, AfterSeq = -1 }, cancellationToken: Cancel).ResponseAsync, "after_seq"),
            (() => sync.SnapshotAsync(new SnapshotRequest { Limit = 5001 }, cancellationToken: Cancel).ResponseAsync, "limit"),
            (() => sync.HelloAsync(new HelloRequest { TerminalTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow) }, cancellationToken: Cancel).ResponseAsync, "software_version"),
            (() => sync.HelloAsync(new HelloRequest { SoftwareVersion = "1.0" }, cancellationToken: Cancel).ResponseAsync, "terminal_time"),
            (() => sync.HelloAsync(Hello(backlog: -1), cancellationToken: Cancel).ResponseAsync, "backlog"),
            (() => sync.PushAsync(new PushRequest { Stream = "logs" }, cancellationToken: Cancel).ResponseAsync, "stream"),
            (() => sync.PushAsync(new PushRequest { Stream = "audit", Transactions = { SyncRecords.Transaction(1) } }, cancellationToken: Cancel).ResponseAsync, "transactions"),
            (() => sync.PushAsync(SyncRecords.Push([SyncRecords.Transaction(1), SyncRecords.Transaction(3)]), cancellationToken: Cancel).ResponseAsync, "transactions.seq"),
            (() => sync.PushAsync(SyncRecords.Push(SyncRecords.Transactions(1, SyncLimits.MaxBatch + 1)), cancellationToken: Cancel).ResponseAsync, "transactions"),
        ];
        foreach (var (call, field) in cases)
        {
            var refused = await AssertRefused(call, StatusCode.InvalidArgument, "InvalidArgument", field + ":");
            Assert.StartsWith(field + ":", Japanese(refused), StringComparison.Ordinal);
        }
        Assert.Equal(0, await UsageCountAsync(Chiyoda));
    }

    [Fact]
    public async Task A_terminal_of_a_municipality_not_on_the_hub_is_told_so()
    {
        var sync = Terminal("472018-T001");
        var refused = await AssertRefused(() => sync.HelloAsync(Hello(), cancellationToken: Cancel).ResponseAsync, StatusCode.FailedPrecondition, SyncService.UnknownMunicipalityReason);
        Assert.Contains("472018", Japanese(refused), StringComparison.Ordinal);
        await AssertRefused(() => sync.PushAsync(SyncRecords.Push(SyncRecords.Transactions(1, 1)), cancellationToken: Cancel).ResponseAsync,
            StatusCode.FailedPrecondition, SyncService.UnknownMunicipalityReason);
    }

    private static HelloRequest Hello(long backlog = 0) => new()
    {
        SoftwareVersion = "1.4.0",
        Backlog = backlog,
        TerminalTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
    };

    private static async Task<List<MasterChange>> PullAllAsync(SyncClient sync, string scope, long after, int limit)
    {
        var changes = new List<MasterChange>();
        PullReply reply;
        do
        {
            reply = await sync.PullAsync(new PullRequest { Scope = scope, AfterSeq = after, Limit = limit }, cancellationToken: Cancel);
            Assert.False(reply.Reinitialise);
            Assert.All(reply.Changes, c => Assert.True(c.Seq > after && c.Seq <= reply.ThroughSeq));
            changes.AddRange(reply.Changes);
            after = reply.ThroughSeq;
        }
        while (reply.HasMore);
        return changes;
    }

    private static async Task<SnapshotPage> SnapshotAllAsync(SyncClient sync, int limit)
    {
        var all = new SnapshotPage();
        var token = string.Empty;
        do
        {
            var page = await sync.SnapshotAsync(new SnapshotRequest { PageToken = token, Limit = limit }, cancellationToken: Cancel);
            all.AsOfSeq = page.AsOfSeq;
            all.Scope = page.Scope;
            all.Rows.AddRange(page.Rows);
            token = page.NextPageToken;
        }
        while (token.Length > 0);
        return all;
    }

    // Every kind of row, each payload naming its municipality; Chiyoda and Sapporo write the same keys.
    private async Task WriteRowsAsync(MunicipalityCode municipality)
    {
        JsonObject Payload(string? service = null)
        {
            var payload = new JsonObject { ["municipality"] = municipality.Value };
            if (service is not null)
            {
                payload["service"] = service;
            }
            return payload;
        }
        await _master.ApplyAsync(municipality,
        [
            MasterEdit.Upsert(MasterKinds.IssuerKey, "k1", Payload()),
            MasterEdit.Upsert(MasterKinds.CardStatus, "C-0001", Payload()),
            MasterEdit.Upsert(MasterKinds.ServiceTuning, "library", Payload()),
            MasterEdit.Upsert(MasterKinds.ServiceTuning, "points", Payload()),
            MasterEdit.Upsert(MasterKinds.Closure, "all", Payload()),
            MasterEdit.Upsert(MasterKinds.Closure, "library", Payload("library")),
            MasterEdit.Upsert(MasterKinds.Closure, "points", Payload("points")),
            MasterEdit.Upsert(MasterKinds.LoanSummary, "C-0001", Payload()),
            MasterEdit.Upsert(MasterKinds.LoanSummary, "C-0002", Payload()),
            MasterEdit.Upsert(MasterKinds.PointsBalance, "C-0001", Payload()),
            MasterEdit.Upsert(MasterKinds.Registration, "C-0001/library", Payload()),
            MasterEdit.Upsert(MasterKinds.Site, "honcho", Payload()),
            MasterEdit.Upsert(MasterKinds.Operator, "op-1", Payload()),
        ], Cancel);
        await _master.DeleteAsync(municipality, MasterKinds.LoanSummary, "C-0002", Cancel);
        await _master.DeleteAsync(municipality, MasterKinds.Registration, "C-0001/library", Cancel);
    }

    private Task SetTerminalAsync(string terminal, string site, string[] services, string status = "active") =>
        _master.UpsertAsync(MunicipalityCode.Parse(terminal[..6]), MasterKinds.Terminal, terminal,
            new JsonObject { ["site"] = site, ["services"] = new JsonArray(services.Select(s => (JsonNode?)s).ToArray()), ["status"] = status }, Cancel);

    private Task<long> UsageCountAsync(MunicipalityCode municipality) =>
        new UsageRecords(_database).CountAsync(municipality, SyncRecords.Day.AddDays(-1), SyncRecords.Day.AddDays(1), Cancel);

    private SyncClient Terminal(string terminal) => new(Channel(_pki.Ca.IssueTerminalCertificate(terminal)));

    private GrpcChannel Channel(X509Certificate2 certificate)
    {
        var channel = _hub.Channel(certificate);
        _channels.Add(channel);
        return channel;
    }

    private static string Japanese(RpcException refused) => Encoding.UTF8.GetString(refused.Trailers.GetValueBytes(HubRefusal.MessageJaTrailer)!);

    private static async Task<RpcException> AssertRefused(Func<Task> call, StatusCode code, string reason, string? detailStart = null)
    {
        var refused = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal(code, refused.StatusCode);
        Assert.Equal(reason, refused.Trailers.GetValue(HubRefusal.ReasonTrailer));
        if (detailStart is not null)
        {
            Assert.StartsWith(detailStart, refused.Status.Detail, StringComparison.Ordinal);
        }
        return refused;
    }

    private SocketsHttpHandler ClientHandler(X509Certificate2 certificate)
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, server, _, _) =>
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(_hub.HubCa);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return server is X509Certificate2 presented && chain.Build(presented);
        };
        handler.SslOptions.ClientCertificates = [certificate];
        handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate;
        return handler;
    }

    /// <summary>Notes the grpc-encoding of every response.</summary>
    private sealed class ResponseEncodings(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        public List<string?> Encodings { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            Encodings.Add(response.Headers.TryGetValues("grpc-encoding", out var values) ? values.Single() : null);
            return response;
        }
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
