using CardAp.Card.Pcsc;
using CardAp.Card.Readers;
using CardAp.VirtualCard.Vpcd;

namespace CardAp.Pcsc.Tests;

/// <summary>The monitor and the vpcd bridge riding through a pcscd restart.</summary>
[Collection(PcscdFixture.CollectionName)]
public sealed class PcscdRestartTests(PcscdFixture pcscd)
{
    private static readonly string Slot0 = PcscdFixture.ReaderName(0);
    private static readonly string Slot1 = PcscdFixture.ReaderName(1);

    [Fact]
    public async Task Watch_reports_service_lost_and_restored_and_card_events_resume_after_a_pcscd_restart()
    {
        pcscd.RequirePcscd();
        if (!PcscdFixture.PcscdOwned)
        {
            Assert.Skip("Restarting pcscd needs CARDAP_PCSCD_OWNED=1 (set by build.ps1 when it started pcscd): it would disturb a pcscd this run does not own.");
        }
        if (!OperatingSystem.IsLinux())
        {
            Assert.Skip("The restart test drives the Linux pcscd daemon.");
        }
        var ct = TestContext.Current.CancellationToken;
        var slot0 = await pcscd.InsertCardAsync(new EchoCard(), 0, ct);
        try
        {
            var logger = new TestLogger<PcscReaders>();
            using var readers = new PcscReaders(logger: logger);
            await using var log = new ReaderEventLog(readers, ct);
            await log.WaitForAsync(ReaderEventKind.CardInserted, Slot0);

            await PcscdProcess.StopAsync(TimeSpan.FromSeconds(10), ct);
            await log.WaitForAsync(ReaderEventKind.ServiceLost, string.Empty, TimeSpan.FromSeconds(5));
            // What the monitor knew is withdrawn with the service.
            await log.WaitForAsync(ReaderEventKind.CardRemoved, Slot0, TimeSpan.FromSeconds(1));
            await log.WaitForAsync(ReaderEventKind.ReaderRemoved, Slot0, TimeSpan.FromSeconds(1));

            await PcscdProcess.StartAsync(TimeSpan.FromSeconds(10), ct);
            await log.WaitForAsync(ReaderEventKind.ServiceRestored, string.Empty, TimeSpan.FromSeconds(10));
            await log.WaitForAsync(ReaderEventKind.ReaderAdded, Slot0, TimeSpan.FromSeconds(5));
            // The bridge reconnects to the new vpcd by itself, so the card shows up again.
            await log.WaitForAsync(ReaderEventKind.CardInserted, Slot0, because: "the vpcd bridge reconnects after the restart");
            Assert.True(slot0.ConnectionCount >= 2, $"bridge connected {slot0.ConnectionCount} time(s)");
            Assert.Equal(1, log.Events.Count(e => e.Kind == ReaderEventKind.ServiceLost));

            // Card events resume, and the shared PcscReaders works on a fresh context.
            var slot1 = await pcscd.InsertCardAsync(new EchoCard(), 1, ct);
            await log.WaitForAsync(ReaderEventKind.CardInserted, Slot1);
            await slot1.DisposeAsync();
            await log.WaitForAsync(ReaderEventKind.CardRemoved, Slot1);
            Assert.Contains(Slot1, pcscd.Readers.ListReaders());
            using var connection = pcscd.Readers.Connect(Slot0);
            Assert.Equal(new byte[] { 0x07, 0x90, 0x00 }, connection.Transmit([0x00, EchoCard.Echo, 0x00, 0x00, 0x01, 0x07]));
            TestContext.Current.TestOutputHelper?.WriteLine(log.Describe());
            TestContext.Current.TestOutputHelper?.WriteLine(string.Join(Environment.NewLine, logger.Lines));
        }
        finally
        {
            // Never leave the rest of the run without pcscd.
            if (!PcscdProcess.IsRunning)
            {
                await PcscdProcess.StartAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
            }
            await slot0.DisposeAsync();
        }
    }
    [Fact]
    public async Task With_pcscd_down_calls_fail_typed_watch_starts_with_service_lost_and_the_bridge_waits_for_pcscd()
    {
        pcscd.RequirePcscd();
        if (!PcscdFixture.PcscdOwned)
        {
            Assert.Skip("Stopping pcscd needs CARDAP_PCSCD_OWNED=1 (set by build.ps1 when it started pcscd): it would disturb a pcscd this run does not own.");
        }
        if (!OperatingSystem.IsLinux())
        {
            Assert.Skip("The restart test drives the Linux pcscd daemon.");
        }
        var ct = TestContext.Current.CancellationToken;
        await PcscdProcess.StopAsync(TimeSpan.FromSeconds(10), ct);
        var bridge = new VpcdBridge(new EchoCard(), 0);
        try
        {
            Assert.False(PcscReaders.IsServiceAvailable(out var probe));
            Assert.Equal(PcscError.NoService, Assert.IsType<PcscException>(probe).Error);
            var list = Assert.Throws<PcscException>(() => pcscd.Readers.ListReaders());
            Assert.Equal("SCARD_E_NO_SERVICE", list.Name);
            var connect = Assert.Throws<PcscException>(() => pcscd.Readers.Connect(Slot0));
            Assert.Equal(PcscError.NoService, connect.Error);

            var inserted = bridge.InsertAsync(ct);
            await using var log = new ReaderEventLog(pcscd.Readers, ct);
            await log.WaitForAsync(ReaderEventKind.ServiceLost, string.Empty, TimeSpan.FromSeconds(5));
            Assert.Equal(ReaderEventKind.ServiceLost, log.Events[0].Kind);
            Assert.False(inserted.IsCompleted, "nothing listens on the vpcd port while pcscd is down");

            await PcscdProcess.StartAsync(TimeSpan.FromSeconds(10), ct);
            await inserted.WaitAsync(PcscdFixture.DefaultTimeout, ct);
            await log.WaitForAsync(ReaderEventKind.ServiceRestored, string.Empty);
            await log.WaitForAsync(ReaderEventKind.CardInserted, Slot0);
            Assert.Contains(Slot1, pcscd.Readers.ListReaders());
        }
        finally
        {
            if (!PcscdProcess.IsRunning)
            {
                await PcscdProcess.StartAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
            }
            await bridge.DisposeAsync();
        }
    }
}
