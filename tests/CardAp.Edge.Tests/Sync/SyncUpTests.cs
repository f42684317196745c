using System.Text.Json.Nodes;
using CardAp.Edge.Backup;
using CardAp.Edge.Store;
using CardAp.Edge.Tests.Backup;
using CardAp.Sync.Contracts;
using Grpc.Core;

namespace CardAp.Edge.Tests.Sync;

/// <summary>Records up: batches in order, the outbox moving only on the hub's acknowledgement, gaps, quarantine, restores.</summary>
public sealed class SyncUpTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static List<long> FirstSeqs(FakeHub hub, string stream, int skip = 0) =>
        [.. hub.Calls.Where(c => c.Method == "Push" && ((PushRequest)c.Request).Stream == stream).Skip(skip)
            .Select(c => ((PushRequest)c.Request) switch
            {
                { Stream: "transactions" } r => r.Transactions[0].Seq,
                { Stream: "audit" } r => r.Audit[0].Seq,
                var r => r.Telemetry[0].Seq,
            })];

    private static int Pushes(FakeHub hub, string stream) => hub.Calls.Count(c => c.Method == "Push" && ((PushRequest)c.Request).Stream == stream);

    [Fact]
    public async Task Every_stream_goes_up_in_order_and_the_outbox_moves_only_as_far_as_the_hub_acknowledges()
    {
        var hub = new FakeHub { StorePerPush = 4 }; // the hub takes four records of each batch of ten
        await using var rig = await SyncRig.StartAsync(hub);
        for (var i = 0; i < 25; i++)
        {
            rig.Record(offline: i % 2 == 0);
        }
        rig.Store.Records.RecordTelemetry(Store.TempStore.T0, "reader.latency", 4.5, new JsonObject { ["reader"] = "0" });

        var outcome = await rig.Engine.SyncAsync(Cancel);

        Assert.True(outcome.Succeeded, outcome.Error?.Detail);
        Assert.Equal([1, 5, 9, 13, 17, 21, 25], FirstSeqs(hub, "transactions"));
        Assert.Equal(25, outcome.Pushed["transactions"]);
        Assert.Equal(rig.Store.Records.LastSeq(OutboxStreams.Audit), outcome.Pushed["audit"]); // 25 and the first snapshot's entry
        Assert.Equal(1, outcome.Pushed["telemetry"]);
        foreach (var stream in OutboxStreams.All)
        {
            Assert.Equal(rig.Store.Records.LastSeq(stream), hub.Through(stream));
            Assert.Equal(hub.Through(stream), rig.Store.Outbox.AcknowledgedThrough(stream));
            Assert.Equal(0, rig.Store.Outbox.Backlog(stream).Pending);
        }
        var local = rig.Store.Records.TransactionsAfter(0, 100);
        var pushed = hub.Records<TransactionRecord>("transactions");
        Assert.Equal(local.Select(t => (t.Seq, t.Id, t.Offline, t.Amount, t.AuditSeq)),
            pushed.Select(t => (t.Seq, t.Id, t.Offline, t.HasAmount ? t.Amount : (long?)null, t.AuditSeq == 0 ? (long?)null : t.AuditSeq)));
        Assert.Equal(local.Select(t => t.LocalTime), pushed.Select(t => t.OccurredAt.ToDateTimeOffset()));
        Assert.Equal(13, pushed.Count(t => t.Offline));
        Assert.Equal(0, rig.Engine.Status.Backlog);
    }

    [Fact]
    public async Task A_lost_acknowledgement_keeps_the_outbox_and_the_next_hello_settles_it_without_resending()
    {
        var hub = new FakeHub();
        await using var rig = await SyncRig.StartAsync(hub);
        for (var i = 0; i < 8; i++)
        {
            rig.Record();
        }
        hub.AfterPush = request => request.Stream == "transactions"
            ? throw new RpcException(new Status(StatusCode.Unavailable, "the reply never came"))
            : Task.CompletedTask;

        var failed = await rig.Engine.SyncAsync(Cancel);

        Assert.False(failed.Succeeded);
        Assert.Equal(8, hub.Through("transactions")); // the hub stored the batch...
        Assert.Equal(0, rig.Store.Outbox.AcknowledgedThrough(OutboxStreams.Transactions)); // ...but no answer, no forgetting
        Assert.Equal(8, rig.Store.Outbox.Backlog(OutboxStreams.Transactions).Pending);

        hub.AfterPush = null;
        var pushesBefore = Pushes(hub, "transactions");
        var outcome = await rig.Engine.SyncAsync(Cancel);

        Assert.True(outcome.Succeeded, outcome.Error?.Detail);
        Assert.Equal(pushesBefore, Pushes(hub, "transactions")); // Hello said the hub holds them: nothing sent twice
        Assert.Equal(8, rig.Store.Outbox.AcknowledgedThrough(OutboxStreams.Transactions));
        Assert.Equal(0, rig.Store.Outbox.Backlog(OutboxStreams.Transactions).Pending);
        Assert.Equal(rig.Store.Records.LastSeq(OutboxStreams.Audit), hub.Through("audit"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_stream_gap_refusal_resends_from_the_position_the_hub_holds(bool positionInTrailer)
    {
        var hub = new FakeHub { NamePositionInRefusals = positionInTrailer };
        await using var rig = await SyncRig.StartAsync(hub);
        for (var i = 0; i < 12; i++)
        {
            rig.Record();
        }
        Assert.True((await rig.Engine.SyncAsync(Cancel)).Succeeded);
        for (var i = 0; i < 3; i++)
        {
            rig.Record();
        }
        var pushes = Pushes(hub, "transactions");
        var forgotten = false;
        // Between Hello and Push the hub loses records 6 to 12 (restored from its own backup).
        hub.BeforeCall = (method, _) =>
        {
            if (method == "Push" && !forgotten)
            {
                forgotten = true;
                hub.TruncateStream("transactions", 5);
            }
            return Task.CompletedTask;
        };

        var outcome = await rig.Engine.SyncAsync(Cancel);

        Assert.True(outcome.Succeeded, outcome.Error?.Detail);
        Assert.Equal([13, 6], FirstSeqs(hub, "transactions", skip: pushes));
        Assert.Equal(15, hub.Through("transactions"));
        Assert.Equal(rig.Store.Records.TransactionsAfter(0, 100).Select(t => t.Id), hub.Records<TransactionRecord>("transactions").Select(t => t.Id));
        Assert.Equal(15, rig.Store.Outbox.AcknowledgedThrough(OutboxStreams.Transactions));
    }

    [Fact]
    public async Task A_quarantined_record_is_acknowledged_and_reported_and_does_not_hold_up_the_stream()
    {
        var hub = new FakeHub { Quarantine = t => t.Service == "mystery" ? "unknown service 'mystery'" : null };
        await using var rig = await SyncRig.StartAsync(hub);
        rig.Record();
        rig.Record(service: "mystery");
        rig.Record();

        var outcome = await rig.Engine.SyncAsync(Cancel);

        Assert.True(outcome.Succeeded, outcome.Error?.Detail);
        Assert.Equal([new CardAp.Sync.Edge.QuarantinedRecord("transactions", 2, "unknown service 'mystery'")], outcome.Quarantined);
        Assert.Equal(3, rig.Store.Outbox.AcknowledgedThrough(OutboxStreams.Transactions));
        Assert.Equal(0, rig.Store.Outbox.Backlog(OutboxStreams.Transactions).Pending);
        Assert.Equal(3, hub.Through("transactions"));
    }

    [Fact]
    public async Task The_audit_chain_arrives_intact_and_a_broken_link_stops_only_that_stream()
    {
        var hub = new FakeHub();
        await using var rig = await SyncRig.StartAsync(hub);
        rig.Record();
        rig.Store.Records.RecordAudit(Store.TempStore.Audit("sign-in", detail: new JsonObject { ["reader"] = "CardAp Virtual Reader 0", ["名前"] = "受付" }));
        Assert.True((await rig.Engine.SyncAsync(Cancel)).Succeeded); // the fake hub recomputes every hash

        var sent = hub.Through("audit");
        Assert.Equal(rig.Store.Records.LastSeq(OutboxStreams.Audit), sent);

        // Someone rewrites the newest audit entry with raw SQL before it is sent.
        rig.Record();
        rig.Store.Execute("DROP TRIGGER audit_log_no_update; UPDATE audit_log SET action = 'tampered' WHERE seq = (SELECT max(seq) FROM audit_log)");

        var outcome = await rig.Engine.SyncAsync(Cancel);

        Assert.False(outcome.Succeeded);
        Assert.Equal("AuditChainBroken", outcome.Error!.Reason);
        Assert.Contains("操作履歴", outcome.Error.MessageJa, StringComparison.Ordinal); // the hub's own words
        Assert.Equal(sent, hub.Through("audit"));
        Assert.Equal(sent, rig.Store.Outbox.AcknowledgedThrough(OutboxStreams.Audit));
        Assert.Equal(2, hub.Through("transactions")); // the other streams went on
    }

    [Fact]
    public async Task After_a_restore_records_that_would_reuse_numbers_the_hub_already_holds_are_held_back()
    {
        var hub = new FakeHub();
        await using var rig = await SyncRig.StartAsync(hub);
        for (var i = 0; i < 3; i++)
        {
            rig.Record();
        }
        var backup = await BackupTestKit.Service(rig.Store, TimeProvider.System).BackupNowAsync(Cancel);
        rig.Record();
        rig.Record();
        Assert.True((await rig.Engine.SyncAsync(Cancel)).Succeeded);
        var lost = hub.Records<TransactionRecord>("transactions")[3].Id;
        rig.Store.Database.Dispose();
        BackupRestore.Restore(backup.Path, rig.Store.DatabasePath);
        rig.Restart();
        rig.Record(); // number 4 again, but another transaction

        var outcome = await rig.Engine.SyncAsync(Cancel);

        Assert.False(outcome.Succeeded);
        Assert.Equal("RestoredBehindHub", outcome.Error!.Reason);
        Assert.False(string.IsNullOrWhiteSpace(outcome.Error.MessageJa));
        Assert.Equal(lost, hub.Records<TransactionRecord>("transactions")[3].Id);
        Assert.Equal(4, rig.Store.Outbox.Backlog(OutboxStreams.Transactions).Pending); // nothing forgotten, the new record waits
        Assert.Equal(0, rig.Store.Outbox.AcknowledgedThrough(OutboxStreams.Transactions));
        Assert.NotNull(rig.Store.Outbox.RestoredThrough());
    }

    [Fact]
    public async Task After_a_restore_that_the_hub_agrees_with_the_mark_goes_and_new_records_go_up()
    {
        var hub = new FakeHub();
        await using var rig = await SyncRig.StartAsync(hub);
        for (var i = 0; i < 3; i++)
        {
            rig.Record();
        }
        Assert.True((await rig.Engine.SyncAsync(Cancel)).Succeeded);
        var backup = await BackupTestKit.Service(rig.Store, TimeProvider.System).BackupNowAsync(Cancel);
        rig.Store.Database.Dispose();
        BackupRestore.Restore(backup.Path, rig.Store.DatabasePath);
        rig.Restart();
        rig.Record();

        var outcome = await rig.Engine.SyncAsync(Cancel);

        Assert.True(outcome.Succeeded, outcome.Error?.Detail);
        Assert.Null(rig.Store.Outbox.RestoredThrough());
        Assert.Equal(4, hub.Through("transactions"));
    }

    [Fact]
    public async Task A_hub_holding_more_than_the_terminal_ever_wrote_stops_that_push()
    {
        var hub = new FakeHub();
        await using (var first = await SyncRig.StartAsync(hub))
        {
            first.Record();
            first.Record();
            Assert.True((await first.Engine.SyncAsync(Cancel)).Succeeded);
        }
        await using var replaced = await SyncRig.StartAsync(hub); // a new, empty database under the same terminal
        replaced.Record();

        var outcome = await replaced.Engine.SyncAsync(Cancel);

        Assert.False(outcome.Succeeded);
        Assert.Equal("HubAheadOfTerminal", outcome.Error!.Reason);
        Assert.Equal(1, Pushes(hub, "transactions")); // only the first database's push
        Assert.Equal(1, replaced.Store.Outbox.Backlog(OutboxStreams.Transactions).Pending);
    }

    [Fact]
    public async Task A_sync_cancelled_mid_call_stops_without_counting_as_a_failure_or_forgetting_anything()
    {
        var hub = new FakeHub();
        await using var rig = await SyncRig.StartAsync(hub);
        rig.Record();
        var pushing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        hub.BeforeCall = async (method, _) =>
        {
            if (method == "Push")
            {
                pushing.TrySetResult();
                await release.Task;
                throw new RpcException(new Status(StatusCode.Cancelled, "the terminal went away"));
            }
        };
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(Cancel);

        var run = rig.Engine.SyncAsync(stopping.Token);
        await pushing.Task.WaitAsync(TimeSpan.FromSeconds(30), Cancel);
        await stopping.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        release.SetResult();
        var status = rig.Engine.Status;
        Assert.False(status.Running);
        Assert.Null(status.LastError);
        Assert.Equal(0, status.ConsecutiveFailures);
        Assert.Equal(1, rig.Store.Outbox.Backlog(OutboxStreams.Transactions).Pending);
    }

    [Fact]
    public async Task Only_one_sync_runs_at_a_time_and_local_transactions_never_wait_for_it()
    {
        var hub = new FakeHub();
        await using var rig = await SyncRig.StartAsync(hub);
        rig.Record();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstHello = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        hub.BeforeCall = async (method, n) =>
        {
            if (method == "Hello" && n == 0)
            {
                firstHello.TrySetResult();
                await release.Task;
            }
        };

        var first = rig.Engine.SyncAsync(Cancel);
        await firstHello.Task.WaitAsync(TimeSpan.FromSeconds(30), Cancel);
        var second = rig.Engine.SyncAsync(Cancel);
        // While the first sync hangs on the hub, the counter keeps recording.
        var local = rig.Record();
        Assert.Equal(2, local);
        Assert.True(rig.Engine.Status.Running);
        await Task.Delay(200, Cancel);
        Assert.False(first.IsCompleted);
        Assert.Equal(1, hub.CallCount("Hello")); // the second waits its turn
        release.SetResult();
        var outcomes = await Task.WhenAll(first, second);

        Assert.All(outcomes, o => Assert.True(o.Succeeded, o.Error?.Detail));
        Assert.Equal(2, hub.CallCount("Hello"));
        Assert.Equal(1, hub.MaxConcurrentCalls);
        Assert.True(outcomes[1].StartedAt >= outcomes[0].FinishedAt);
        Assert.Equal(2, hub.Through("transactions"));
        Assert.False(rig.Engine.Status.Running);
    }
}
