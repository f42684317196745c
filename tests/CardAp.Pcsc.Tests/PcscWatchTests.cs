using CardAp.Card.Pcsc;
using CardAp.Card.Readers;

namespace CardAp.Pcsc.Tests;

/// <summary>The reader monitor (WatchAsync and ReaderMonitor) against the real pcscd and vpcd.</summary>
[Collection(PcscdFixture.CollectionName)]
public sealed class PcscWatchTests(PcscdFixture pcscd)
{
    private static readonly string Slot0 = PcscdFixture.ReaderName(0);
    private static readonly string Slot1 = PcscdFixture.ReaderName(1);

    [Fact]
    public async Task Watch_reports_current_state_first_then_insert_and_remove_per_reader()
    {
        pcscd.RequirePcscd();
        var ct = TestContext.Current.CancellationToken;
        await using var slot0 = await pcscd.InsertCardAsync(new EchoCard(), 0, ct);
        await pcscd.WaitForCardAsync(Slot1, present: false, ct);

        await using var log = new ReaderEventLog(pcscd.Readers, ct);

        // Current state: both readers, and the card already in slot 0 with its ATR.
        await log.WaitForAsync(ReaderEventKind.ReaderAdded, Slot1);
        Assert.Contains(log.Events, e => e.Kind == ReaderEventKind.ReaderAdded && e.ReaderName == Slot0);
        var present = await log.WaitForAsync(ReaderEventKind.CardInserted, Slot0, because: "the card was present before watching");
        Assert.Equal(EchoCard.DefaultAtr, present.Atr);

        // A warm reset through a connection is not a removal.
        using (var connection = pcscd.Readers.Connect(Slot0))
        {
            connection.Reconnect(PcscDisposition.Reset);
            connection.Disconnect(PcscDisposition.Reset);
        }

        var slot1 = await pcscd.InsertCardAsync(new EchoCard(), 1, ct);
        var inserted = await log.WaitForAsync(ReaderEventKind.CardInserted, Slot1);
        Assert.Equal(EchoCard.DefaultAtr, inserted.Atr);

        await slot1.DisposeAsync();
        await log.WaitForAsync(ReaderEventKind.CardRemoved, Slot1);

        Assert.DoesNotContain(log.Events, e => e.ReaderName == Slot0 && e.Kind is ReaderEventKind.CardRemoved or ReaderEventKind.ReaderRemoved);
        Assert.DoesNotContain(log.Events, e => e.Kind is ReaderEventKind.ServiceLost or ReaderEventKind.ServiceRestored);
        var first = log.Events.First(e => e.ReaderName == Slot1);
        Assert.Equal(ReaderEventKind.ReaderAdded, first.Kind);
    }

    [Fact]
    public async Task Watch_ends_quietly_when_cancelled()
    {
        pcscd.RequirePcscd();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var log = new ReaderEventLog(pcscd.Readers, cancel.Token);
        await log.WaitForAsync(ReaderEventKind.ReaderAdded, Slot0);

        var started = DateTime.UtcNow;
        await cancel.CancelAsync();
        // SCardCancel interrupts the blocking wait: the stream ends well before the poll timeout, without throwing.
        await log.Pump.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        Assert.True(log.Pump.IsCompletedSuccessfully);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(2), $"took {DateTime.UtcNow - started}");
        await log.DisposeAsync();
    }

    [Fact]
    public async Task Reader_monitor_raises_card_events_and_tracks_presence()
    {
        pcscd.RequirePcscd();
        var ct = TestContext.Current.CancellationToken;
        await pcscd.WaitForCardAsync(Slot1, present: false, ct);
        await using var monitor = new ReaderMonitor(pcscd.Readers);
        var inserted = new TaskCompletionSource<ReaderEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        var removed = new TaskCompletionSource<ReaderEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        var readerAdded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        monitor.ReaderAdded += (_, e) =>
        {
            if (e.ReaderName == Slot1)
            {
                readerAdded.TrySetResult();
            }
        };
        monitor.CardInserted += (_, e) =>
        {
            if (e.ReaderName == Slot1)
            {
                inserted.TrySetResult(e);
            }
        };
        monitor.CardRemoved += (_, e) =>
        {
            if (e.ReaderName == Slot1)
            {
                removed.TrySetResult(e);
            }
        };
        // A throwing subscriber must not stop the others or the monitor.
        monitor.EventReceived += (_, _) => throw new InvalidOperationException("bad subscriber");

        monitor.Start();
        Assert.True(monitor.IsRunning);
        await readerAdded.Task.WaitAsync(PcscdFixture.DefaultTimeout, ct);
        Assert.False(monitor.IsCardPresent(Slot1));

        var bridge = await pcscd.InsertCardAsync(new EchoCard(), 1, ct);
        var insertion = await inserted.Task.WaitAsync(PcscdFixture.DefaultTimeout, ct);
        Assert.Equal(EchoCard.DefaultAtr, insertion.Atr);
        Assert.True(monitor.IsCardPresent(Slot1));
        Assert.True(monitor.IsServiceAvailable);

        await bridge.DisposeAsync();
        await removed.Task.WaitAsync(PcscdFixture.DefaultTimeout, ct);
        Assert.False(monitor.IsCardPresent(Slot1));
        Assert.True(monitor.Readers.ContainsKey(Slot1));

        await monitor.StopAsync();
        Assert.False(monitor.IsRunning);
    }
}
