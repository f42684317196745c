using CardAp.Card.Iso7816;
using CardAp.Card.Pcsc;
using CardAp.Card.Readers;

namespace CardAp.Pcsc.Tests;

/// <summary>Readers, connections and transmits through the real pcscd and vpcd.</summary>
[Collection(PcscdFixture.CollectionName)]
public sealed class PcscReaderTests(PcscdFixture pcscd)
{
    private static readonly string Slot0 = PcscdFixture.ReaderName(0);
    private static readonly string Slot1 = PcscdFixture.ReaderName(1);

    [Fact]
    public void Both_vpcd_readers_are_listed()
    {
        pcscd.RequirePcscd();

        var readers = pcscd.Readers.ListReaders();

        Assert.Contains("Virtual PCD 00 00", readers);
        Assert.Contains("Virtual PCD 00 01", readers);
    }

    [Fact]
    public async Task Connects_to_a_virtual_card_and_exchanges_apdus()
    {
        pcscd.RequirePcscd();
        var ct = TestContext.Current.CancellationToken;
        var card = new EchoCard();
        await using var bridge = await pcscd.InsertCardAsync(card, 0, ct);

        var state = pcscd.Readers.GetReaderState(Slot0);
        Assert.True(state.IsCardPresent);
        Assert.Equal(EchoCard.DefaultAtr, state.Atr);

        using var connection = pcscd.Readers.Connect(Slot0);
        Assert.Equal(Slot0, connection.ReaderName);
        Assert.Equal(EchoCard.DefaultAtr, connection.Atr);
        // The ATR's TD1 = 81 announces T=1 only.
        Assert.Equal(CardProtocol.T1, connection.Protocol);
        Assert.True(card.ResetCount >= 1, "vpcd powers the card on, which resets it");

        var echoed = connection.Transmit([0x00, EchoCard.Echo, 0x00, 0x00, 0x03, 0xCA, 0xFE, 0x42]);
        Assert.Equal(new byte[] { 0xCA, 0xFE, 0x42, 0x90, 0x00 }, echoed);

        var unknown = connection.Transmit([0x00, 0x77, 0x00, 0x00]);
        Assert.Equal(new byte[] { 0x6D, 0x00 }, unknown);

        var big = EchoCard.Pattern(255);
        var bigEcho = connection.Transmit([0x00, EchoCard.Echo, 0x00, 0x00, 0xFF, .. big]);
        Assert.Equal([.. big, 0x90, 0x00], bigEcho);

        var status = connection.Status();
        Assert.Equal(Slot0, status.ReaderName);
        Assert.Equal(EchoCard.DefaultAtr, status.Atr);
        Assert.Equal(CardProtocol.T1, status.Protocol);
        Assert.True(status.State >= PcscCardState.Powered, $"state {status.State}");
    }

    [Fact]
    public async Task A_card_that_throws_gets_6F00_and_the_bridge_keeps_working()
    {
        pcscd.RequirePcscd();
        var ct = TestContext.Current.CancellationToken;
        await using var bridge = await pcscd.InsertCardAsync(new EchoCard(), 0, ct);
        using var connection = pcscd.Readers.Connect(Slot0);

        Assert.Equal(new byte[] { 0x6F, 0x00 }, connection.Transmit([0x00, EchoCard.Throw, 0x00, 0x00]));
        Assert.Equal(new byte[] { 0x01, 0x90, 0x00 }, connection.Transmit([0x00, EchoCard.Echo, 0x00, 0x00, 0x01, 0x01]));
        Assert.True(bridge.IsConnected);
        Assert.Equal(1, bridge.ConnectionCount);
    }

    [Fact]
    public async Task Apdu_channel_over_pcsc_follows_61xx_and_6Cxx()
    {
        pcscd.RequirePcscd();
        var ct = TestContext.Current.CancellationToken;
        await using var bridge = await pcscd.InsertCardAsync(new EchoCard(), 0, ct);
        using var connection = pcscd.Readers.Connect(Slot0);
        var channel = new ApduChannel(connection);

        // 400 bytes: 61 00, then GET RESPONSE for 256 (answered 61 90), then for 144.
        var chained = channel.Transmit(new CommandApdu(0x00, EchoCard.Chained, 0x01, 0x90, ne: 256));
        Assert.True(chained.IsSuccess, chained.ToString());
        Assert.Equal(EchoCard.Pattern(400), chained.Data.ToArray());
        Assert.Equal(3, channel.ExchangeCount);

        var exact = channel.Transmit(new CommandApdu(0x00, EchoCard.ExactLe, 0x00, 0x08, ne: 256));
        Assert.True(exact.IsSuccess, exact.ToString());
        Assert.Equal(EchoCard.Pattern(8), exact.Data.ToArray());
        Assert.Equal(5, channel.ExchangeCount);
    }

    [Fact]
    public async Task Connecting_to_an_empty_reader_fails_with_no_smartcard()
    {
        pcscd.RequirePcscd();
        var ct = TestContext.Current.CancellationToken;
        await pcscd.WaitForCardAsync(Slot1, present: false, ct);

        var ex = Assert.Throws<PcscException>(() => pcscd.Readers.Connect(Slot1));

        Assert.Equal(PcscError.NoSmartCard, ex.Error);
        Assert.Equal("SCARD_E_NO_SMARTCARD", ex.Name);
        Assert.Contains(Slot1, ex.Message, StringComparison.Ordinal);
        Assert.True(ex.IsCardGone);
    }

    [Fact]
    public void Connecting_to_an_unknown_reader_fails_with_unknown_reader()
    {
        pcscd.RequirePcscd();

        var ex = Assert.Throws<PcscException>(() => pcscd.Readers.Connect("No Such Reader 42 00"));
        Assert.Equal(PcscError.UnknownReader, ex.Error);
        Assert.Equal("SCARD_E_UNKNOWN_READER", ex.Name);

        var state = Assert.Throws<PcscException>(() => pcscd.Readers.GetReaderState("No Such Reader 42 00"));
        Assert.Equal(PcscError.UnknownReader, state.Error);
    }

    [Fact]
    public async Task Transmit_after_the_card_is_pulled_fails_with_a_pcsc_exception()
    {
        pcscd.RequirePcscd();
        var ct = TestContext.Current.CancellationToken;
        var bridge = await pcscd.InsertCardAsync(new EchoCard(), 0, ct);
        using var connection = pcscd.Readers.Connect(Slot0);
        Assert.Equal(new byte[] { 0x90, 0x00 }, connection.Transmit([0x00, EchoCard.Echo, 0x00, 0x00]));

        await bridge.DisposeAsync();
        Assert.False(bridge.IsConnected);

        var ex = Assert.Throws<PcscException>(() => connection.Transmit([0x00, EchoCard.Echo, 0x00, 0x00]));
        Assert.True(ex.IsCardGone, ex.Message);

        // Once pcscd has noticed the removal, the handle reports it as a typed error too; dispose stays quiet.
        await pcscd.WaitForCardAsync(Slot0, present: false, ct);
        var status = Assert.Throws<PcscException>(connection.Status);
        Assert.True(status.IsCardGone, status.Message);
        connection.Dispose();
        Assert.True(connection.IsDisposed);
    }

    [Fact]
    public async Task Two_connections_to_the_same_card_share_it_and_disconnect_with_reset_resets_it()
    {
        pcscd.RequirePcscd();
        var ct = TestContext.Current.CancellationToken;
        var card = new EchoCard();
        await using var bridge = await pcscd.InsertCardAsync(card, 0, ct);

        using var first = pcscd.Readers.Connect(Slot0);
        using var second = pcscd.Readers.Connect(Slot0);
        Assert.Equal(new byte[] { 0x01, 0x90, 0x00 }, first.Transmit([0x00, EchoCard.Echo, 0x00, 0x00, 0x01, 0x01]));
        Assert.Equal(new byte[] { 0x02, 0x90, 0x00 }, second.Transmit([0x00, EchoCard.Echo, 0x00, 0x00, 0x01, 0x02]));

        var resetsBefore = card.ResetCount;
        second.Disconnect(PcscDisposition.Leave);
        first.Disconnect(PcscDisposition.Reset);
        Assert.True(card.ResetCount > resetsBefore, "SCARD_RESET_CARD reaches the card as a vpcd reset");
        Assert.Throws<ObjectDisposedException>(() => first.Transmit([0x00, EchoCard.Echo, 0x00, 0x00]));
    }
    [Fact]
    public async Task Apdu_round_trips_do_not_wait_for_delayed_acks()
    {
        pcscd.RequirePcscd();
        var ct = TestContext.Current.CancellationToken;
        await using var bridge = await pcscd.InsertCardAsync(new EchoCard(), 0, ct);
        using var connection = pcscd.Readers.Connect(Slot0);
        connection.Transmit([0x00, EchoCard.Echo, 0x00, 0x00]);

        // vpcd sends length and payload separately without TCP_NODELAY; unless the bridge sets
        // TCP_QUICKACK before each read, every APDU stalls ~40 ms on a delayed ACK (100 APDUs >= 4 s).
        // Typical here is ~0.5 ms per APDU; the bound only catches that stall, it is not a benchmark.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 100; i++)
        {
            connection.Transmit([0x00, EchoCard.Echo, 0x00, 0x00, 0x02, (byte)i, 0x5A]);
        }
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"100 APDUs took {clock.Elapsed.TotalMilliseconds:F0} ms");
    }
}
