using CardAp.Edge.Store;

namespace CardAp.Edge.Tests.Store;

public sealed class OutboxStateTests
{
    [Fact]
    public void Backlog_counts_each_stream_and_knows_the_oldest_pending_record()
    {
        using var store = new TempStore();
        for (var i = 0; i < 5; i++)
        {
            store.Records.RecordTransaction(TempStore.Transaction($"t{i}", at: TempStore.T0.AddMinutes(i)), TempStore.Audit(at: TempStore.T0.AddMinutes(i)));
        }
        store.Records.RecordAudit(TempStore.Audit("sign-in", at: TempStore.T0.AddHours(1)));

        var backlog = store.Outbox.Backlog();

        Assert.Equal(
            [
                new OutboxBacklog(OutboxStreams.Transactions, 5, TempStore.T0, 5, 0),
                new OutboxBacklog(OutboxStreams.Audit, 6, TempStore.T0, 6, 0),
                new OutboxBacklog(OutboxStreams.Telemetry, 0, null, 0, 0),
            ],
            backlog);
    }

    [Fact]
    public void Acknowledge_removes_entries_through_the_position_and_remembers_it()
    {
        using var store = new TempStore();
        for (var i = 0; i < 5; i++)
        {
            store.Records.RecordTransaction(TempStore.Transaction($"t{i}", at: TempStore.T0.AddMinutes(i)), TempStore.Audit());
        }

        Assert.Equal(3, store.Outbox.Acknowledge(OutboxStreams.Transactions, 3));

        Assert.Equal([4L, 5L], store.Outbox.Pending(OutboxStreams.Transactions));
        Assert.Equal(3, store.Outbox.AcknowledgedThrough(OutboxStreams.Transactions));
        Assert.Equal(new OutboxBacklog(OutboxStreams.Transactions, 2, TempStore.T0.AddMinutes(3), 5, 3), store.Outbox.Backlog(OutboxStreams.Transactions));
        Assert.Equal(5, store.Outbox.Backlog(OutboxStreams.Audit).Pending);
        // The records themselves stay.
        Assert.Equal(5, store.Records.TransactionsAfter(0).Count);
    }

    [Fact]
    public void An_older_acknowledgement_changes_nothing_and_a_future_one_is_refused()
    {
        using var store = new TempStore();
        for (var i = 0; i < 5; i++)
        {
            store.Records.RecordAudit(TempStore.Audit());
        }
        store.Outbox.Acknowledge(OutboxStreams.Audit, 4);

        Assert.Equal(0, store.Outbox.Acknowledge(OutboxStreams.Audit, 2));
        Assert.Equal(4, store.Outbox.AcknowledgedThrough(OutboxStreams.Audit));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => store.Outbox.Acknowledge(OutboxStreams.Audit, 6));
        Assert.Contains("written only up to 5", e.Message, StringComparison.Ordinal);
        Assert.Equal([5L], store.Outbox.Pending(OutboxStreams.Audit));
        Assert.Throws<ArgumentException>(() => store.Outbox.Acknowledge("invoices", 1));
    }

    [Fact]
    public void Sync_state_keeps_values_and_guards_the_stores_own_keys()
    {
        using var store = new TempStore();

        Assert.Null(store.Outbox.LastSync);
        store.Outbox.RecordSync(TempStore.T0);
        store.Outbox.SetState("sync.cursor", "abc");
        store.Outbox.SetState("sync.cursor", "def");

        Assert.Equal(TempStore.T0, store.Outbox.LastSync);
        Assert.Equal("def", store.Outbox.GetState("sync.cursor"));
        Assert.Equal("131016-T001", store.Outbox.GetState("terminal.id"));
        Assert.Throws<ArgumentException>(() => store.Outbox.SetState("terminal.id", "other"));
        Assert.Throws<ArgumentException>(() => store.Outbox.SetState("ack.audit", "100"));
        Assert.Throws<ArgumentException>(() => store.Outbox.SetState("master.checkpoint", "100"));
    }
}
