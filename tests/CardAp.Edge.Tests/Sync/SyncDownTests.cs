using CardAp.Edge.Store;
using CardAp.Sync.Contracts;
using Grpc.Core;

namespace CardAp.Edge.Tests.Sync;

/// <summary>Master data down: snapshot bootstrap, pages with their checkpoint, resume, reinitialise.</summary>
public sealed class SyncDownTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>250 rows the terminal (library + points) needs and 6 it must never get.</summary>
    private static void Seed(FakeHub hub)
    {
        for (var i = 1; i <= 150; i++)
        {
            hub.Put("cardStatus", $"131016/C{i:D4}", $$"""{"status":"suspended","n":{{i}}}""");
        }
        for (var i = 1; i <= 50; i++)
        {
            hub.Put("loanSummary", $"L{i:D3}", $$"""{"loans":{{i % 3}}}""");
            hub.Put("pointsBalance", $"P{i:D3}", $$"""{"balance":{{i * 10}}}""");
        }
        for (var i = 1; i <= 5; i++)
        {
            hub.Put("shelter", $"gym-{i}", """{"capacity":100}""");
        }
        hub.Put("terminal", "131016-T001", """{"site":"honcho","services":["library","points"],"status":"active"}""");
    }

    [Fact]
    public async Task A_new_terminal_bootstraps_from_a_snapshot_in_pages_and_then_pulls_from_its_as_of()
    {
        var hub = new FakeHub();
        Seed(hub);
        await using var rig = await SyncRig.StartAsync(hub);

        var outcome = await rig.Engine.SyncAsync(Cancel);

        Assert.True(outcome.Succeeded, outcome.Error?.Detail);
        Assert.Equal("NewTerminal", outcome.ReinitialiseReason);
        Assert.Equal(250, outcome.SnapshotRows);
        Assert.Equal(hub.ScopeRows(), rig.MasterRows());
        Assert.DoesNotContain(rig.MasterRows(), r => r.Kind is "shelter" or "terminal");
        Assert.Equal(hub.LastSeq, rig.Store.Master.Checkpoint);
        Assert.Equal(hub.Scope, rig.Store.Master.Scope);
        Assert.Equal(3, hub.CallCount("Snapshot")); // 100 rows a page
        var pull = Assert.Single(hub.Calls, c => c.Method == "Pull");
        Assert.Equal(hub.LastSeq, ((PullRequest)pull.Request).AfterSeq);
        Assert.Equal(hub.Scope, ((PullRequest)pull.Request).Scope);
        Assert.All(hub.Calls, c => Assert.True(c.Encoding == "gzip" && c.HasDeadline, $"{c.Method}: encoding {c.Encoding}, deadline {c.HasDeadline}"));
        var audit = rig.Store.Records.AuditAfter(0)[^1];
        Assert.Equal((MasterData.SnapshotAuditAction, "131016"), (audit.Action, audit.Subject));
        Assert.NotNull(rig.Engine.Status.LastSuccess);
        Assert.NotNull(rig.Store.Outbox.LastSync);
    }

    [Fact]
    public async Task Pages_are_applied_each_with_its_checkpoint_which_can_lie_beyond_the_last_change()
    {
        var hub = new FakeHub();
        Seed(hub);
        await using var rig = await SyncRig.StartAsync(hub, o => new() { TerminalId = o.TerminalId, Municipality = o.Municipality, PageSize = 10 });
        Assert.True((await rig.Engine.SyncAsync(Cancel)).Succeeded);
        var pullsBefore = hub.CallCount("Pull");

        for (var i = 1; i <= 22; i++)
        {
            hub.Put("cardStatus", $"131016/C{i:D4}", $$"""{"status":"revoked","n":{{i}}}""");
        }
        hub.Delete("loanSummary", "L001");
        hub.Delete("pointsBalance", "P002");
        hub.Delete("cardStatus", "131016/C0150");
        var lastInScope = hub.LastSeq;
        for (var i = 1; i <= 7; i++)
        {
            hub.Put("shelter", $"gym-{i}", """{"capacity":80}"""); // not this terminal's: the feed moves on without them
        }

        var outcome = await rig.Engine.SyncAsync(Cancel);

        Assert.True(outcome.Succeeded, outcome.Error?.Detail);
        Assert.Null(outcome.ReinitialiseReason);
        Assert.Equal(25, outcome.ChangesApplied);
        Assert.Equal(hub.ScopeRows(), rig.MasterRows());
        Assert.Null(rig.Store.Master.GetJson("loanSummary", "L001"));
        Assert.True(hub.LastSeq > lastInScope);
        Assert.Equal(hub.LastSeq, rig.Store.Master.Checkpoint);
        // Each page asked after the previous page's through_seq: 10 + 10 + 5 changes, the last page running to the head.
        var afters = hub.Calls.Where(c => c.Method == "Pull").Skip(pullsBefore).Select(c => ((PullRequest)c.Request).AfterSeq).ToList();
        Assert.Equal(3, afters.Count);
        Assert.True(afters.SequenceEqual(afters.Order()) && afters.Distinct().Count() == 3);
    }

    [Fact]
    public async Task After_a_failure_mid_pull_the_next_sync_resumes_from_the_last_applied_page()
    {
        var hub = new FakeHub();
        Seed(hub);
        await using var rig = await SyncRig.StartAsync(hub, o => new() { TerminalId = o.TerminalId, Municipality = o.Municipality, PageSize = 10 });
        Assert.True((await rig.Engine.SyncAsync(Cancel)).Succeeded);
        var snapshots = hub.CallCount("Snapshot");
        var changed = new List<long>();
        for (var i = 1; i <= 30; i++)
        {
            changed.Add(hub.Put("pointsBalance", $"P{i:D3}", $$"""{"balance":{{i * 1000}}}"""));
        }
        var pullsBefore = hub.CallCount("Pull");
        hub.BeforeCall = (method, n) => method == "Pull" && n == pullsBefore + 2
            ? throw new RpcException(new Status(StatusCode.Unavailable, "network lost"))
            : Task.CompletedTask;

        var failed = await rig.Engine.SyncAsync(Cancel);

        Assert.False(failed.Succeeded);
        Assert.Equal("HubUnreachable", failed.Error!.Reason);
        Assert.True(failed.Error.HubUnreachable);
        Assert.Equal(20, failed.ChangesApplied);
        Assert.Equal(changed[19], rig.Store.Master.Checkpoint);
        Assert.Equal("""{"balance":20000}""", rig.Store.Master.GetJson("pointsBalance", "P020"));
        Assert.Equal("""{"balance":210}""", rig.Store.Master.GetJson("pointsBalance", "P021")); // page 3 never arrived
        Assert.Equal("HubUnreachable", rig.Engine.Status.LastError?.Reason);
        Assert.Equal(1, rig.Engine.Status.ConsecutiveFailures);

        hub.BeforeCall = null;
        rig.Restart(); // resuming survives a restart: the checkpoint is in the database
        var resumed = await rig.Engine.SyncAsync(Cancel);

        Assert.True(resumed.Succeeded, resumed.Error?.Detail);
        Assert.Equal(10, resumed.ChangesApplied);
        var firstAfter = hub.Calls.Where(c => c.Method == "Pull").Skip(pullsBefore + 3).Select(c => ((PullRequest)c.Request).AfterSeq).First();
        Assert.Equal(changed[19], firstAfter);
        Assert.Equal(hub.ScopeRows(), rig.MasterRows());
        Assert.Equal(snapshots, hub.CallCount("Snapshot"));
    }

    [Fact]
    public async Task A_changed_scope_reinitialises_and_no_reader_ever_sees_half_a_set()
    {
        var hub = new FakeHub();
        Seed(hub);
        await using var rig = await SyncRig.StartAsync(hub, o => new() { TerminalId = o.TerminalId, Municipality = o.Municipality, PageSize = 20 });
        Assert.True((await rig.Engine.SyncAsync(Cancel)).Succeeded);
        var before = rig.MasterRows();
        var oldScope = rig.Store.Master.Scope;
        hub.Services = new(StringComparer.Ordinal) { "library", "shelter" }; // points goes, shelter comes
        var after = hub.ScopeRows();
        Assert.NotEqual(before, after);

        // While the snapshot's pages arrive, a reader keeps looking at the terminal's master set.
        var seen = new List<List<(string Kind, string Key, string Payload)>>();
        var snapshotPages = 0;
        hub.BeforeCall = (method, _) =>
        {
            if (method == "Snapshot")
            {
                snapshotPages++;
                seen.Add(rig.MasterRows());
            }
            return Task.CompletedTask;
        };
        using var stop = new CancellationTokenSource();
        var watcher = Task.Run(async () =>
        {
            var observed = new List<List<(string, string, string)>>();
            while (!stop.IsCancellationRequested)
            {
                observed.Add(rig.MasterRows());
                // Leave the two cores to the sync and the other tests.
                await Task.Delay(1, CancellationToken.None);
            }
            return observed;
        }, Cancel);

        var outcome = await rig.Engine.SyncAsync(Cancel);
        await stop.CancelAsync();
        var watched = await watcher;

        Assert.True(outcome.Succeeded, outcome.Error?.Detail);
        Assert.Equal("ScopeChanged", outcome.ReinitialiseReason);
        Assert.True(snapshotPages > 2, $"{snapshotPages} snapshot pages");
        Assert.All(seen, rows => Assert.Equal(before, rows));
        Assert.NotEmpty(watched);
        Assert.All(watched, rows => Assert.True(rows.SequenceEqual(before) || rows.SequenceEqual(after), $"a reader saw a set of {rows.Count} rows that is neither the old nor the new one"));
        Assert.Equal(after, rig.MasterRows());
        Assert.NotEqual(oldScope, rig.Store.Master.Scope);
        Assert.Equal(hub.Scope, rig.Store.Master.Scope);
    }

    [Fact]
    public async Task A_snapshot_cut_off_midway_leaves_the_old_set_and_its_staging_goes_at_the_next_start()
    {
        var hub = new FakeHub();
        Seed(hub);
        await using var rig = await SyncRig.StartAsync(hub, o => new() { TerminalId = o.TerminalId, Municipality = o.Municipality, PageSize = 50 });
        Assert.True((await rig.Engine.SyncAsync(Cancel)).Succeeded);
        var before = rig.MasterRows();
        var checkpoint = rig.Store.Master.Checkpoint;
        hub.Services = new(StringComparer.Ordinal) { "library" };
        var snapshotsBefore = hub.CallCount("Snapshot");
        hub.BeforeCall = (method, n) => method == "Snapshot" && n == snapshotsBefore + 2
            ? throw new RpcException(new Status(StatusCode.Unavailable, "cable pulled"))
            : Task.CompletedTask;

        var failed = await rig.Engine.SyncAsync(Cancel);

        Assert.False(failed.Succeeded);
        Assert.Equal(before, rig.MasterRows());
        Assert.Equal(checkpoint, rig.Store.Master.Checkpoint);
        Assert.Equal(100, rig.Store.Scalar("SELECT count(*) FROM master_staging")); // two pages staged, never applied

        rig.Restart();
        Assert.Equal(0, rig.Store.Scalar("SELECT count(*) FROM master_staging"));
        Assert.Equal(before, rig.MasterRows());

        hub.BeforeCall = null;
        var outcome = await rig.Engine.SyncAsync(Cancel);
        Assert.True(outcome.Succeeded, outcome.Error?.Detail);
        Assert.Equal(hub.ScopeRows(), rig.MasterRows());
    }

    [Fact]
    public async Task A_terminal_behind_the_tombstone_horizon_takes_a_snapshot_and_loses_the_deleted_rows()
    {
        var hub = new FakeHub();
        Seed(hub);
        await using var rig = await SyncRig.StartAsync(hub);
        Assert.True((await rig.Engine.SyncAsync(Cancel)).Succeeded);
        hub.Delete("cardStatus", "131016/C0001");
        hub.Delete("loanSummary", "L010");
        hub.PurgeTombstones();

        var outcome = await rig.Engine.SyncAsync(Cancel);

        Assert.True(outcome.Succeeded, outcome.Error?.Detail);
        Assert.Equal("BehindHorizon", outcome.ReinitialiseReason);
        Assert.Null(rig.Store.Master.GetJson("cardStatus", "131016/C0001"));
        Assert.Null(rig.Store.Master.GetJson("loanSummary", "L010"));
        Assert.Equal(hub.ScopeRows(), rig.MasterRows());
        Assert.Equal(hub.LastSeq, rig.Store.Master.Checkpoint);
    }

    [Fact]
    public async Task A_pull_that_answers_reinitialise_leads_to_a_snapshot()
    {
        var hub = new FakeHub();
        Seed(hub);
        await using var rig = await SyncRig.StartAsync(hub);
        Assert.True((await rig.Engine.SyncAsync(Cancel)).Succeeded);
        hub.Delete("pointsBalance", "P001");
        // The horizon moves between Hello and Pull: only Pull can tell.
        hub.BeforeCall = (method, _) =>
        {
            if (method == "Pull" && hub.Horizon == 0)
            {
                hub.PurgeTombstones();
            }
            return Task.CompletedTask;
        };

        var outcome = await rig.Engine.SyncAsync(Cancel);

        Assert.True(outcome.Succeeded, outcome.Error?.Detail);
        Assert.Equal("BehindHorizon", outcome.ReinitialiseReason);
        Assert.Null(rig.Store.Master.GetJson("pointsBalance", "P001"));
        Assert.Equal(hub.ScopeRows(), rig.MasterRows());
    }

    [Fact]
    public async Task A_malformed_page_applies_nothing_and_records_still_go_up()
    {
        var hub = new FakeHub();
        Seed(hub);
        await using var rig = await SyncRig.StartAsync(hub);
        Assert.True((await rig.Engine.SyncAsync(Cancel)).Succeeded);
        var checkpoint = rig.Store.Master.Checkpoint;
        hub.Put("cardStatus", "131016/C0001", "[1,2]"); // not a JSON object
        rig.Record();

        var outcome = await rig.Engine.SyncAsync(Cancel);

        Assert.False(outcome.Succeeded);
        Assert.Equal("HubProtocolError", outcome.Error!.Reason);
        Assert.Contains("JSON object", outcome.Error.Detail, StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(outcome.Error.MessageJa));
        Assert.Equal(checkpoint, rig.Store.Master.Checkpoint);
        Assert.Equal(1, hub.Through("transactions"));
        Assert.Equal(1, rig.Store.Outbox.AcknowledgedThrough(OutboxStreams.Transactions));
    }

    [Fact]
    public async Task A_hub_that_names_another_terminal_gets_nothing_and_gives_nothing()
    {
        var hub = new FakeHub { Terminal = "131016-T002" };
        Seed(hub);
        await using var rig = await SyncRig.StartAsync(hub);
        rig.Record();

        var outcome = await rig.Engine.SyncAsync(Cancel);

        Assert.False(outcome.Succeeded);
        Assert.Equal("HubIdentityMismatch", outcome.Error!.Reason);
        Assert.Contains("131016-T002", outcome.Error.MessageEn, StringComparison.Ordinal);
        Assert.Contains("端末ID", outcome.Error.MessageJa, StringComparison.Ordinal);
        Assert.Equal(["Hello"], hub.Calls.Select(c => c.Method));
        Assert.True(rig.Store.Master.IsEmpty);
        Assert.Equal(0, hub.Through("transactions"));
    }
}
