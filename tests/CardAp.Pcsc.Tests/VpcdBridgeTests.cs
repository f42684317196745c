using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using CardAp.VirtualCard;
using CardAp.VirtualCard.Vpcd;

namespace CardAp.Pcsc.Tests;

/// <summary>
/// The bridge's side of the vpcd wire protocol, byte for byte, against a listener playing vpcd
/// (no pcscd needed; the end-to-end path is covered by the pcscd tests).
/// </summary>
public sealed class VpcdBridgeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Answers_get_atr_and_apdus_and_resets_on_power_on_and_reset_without_replying()
    {
        var ct = TestContext.Current.CancellationToken;
        using var vpcd = new TcpListener(IPAddress.Loopback, 0);
        vpcd.Start();
        var card = new EchoCard();
        await using var bridge = new VpcdBridge(card, Options(vpcd));
        var inserted = bridge.InsertAsync(ct);
        using var socket = await vpcd.AcceptSocketAsync(ct).AsTask().WaitAsync(Timeout, ct);
        await inserted.WaitAsync(Timeout, ct);
        Assert.True(bridge.IsConnected);

        Assert.Equal(EchoCard.DefaultAtr, await ExchangeAsync(socket, [4], ct));

        // Control codes 1 (power on), 2 (reset), 0 (power off) get no reply: the next frame read
        // must be the answer to the get-ATR sent after them.
        await SendAsync(socket, [1], ct);
        await SendAsync(socket, [2], ct);
        await SendAsync(socket, [0], ct);
        Assert.Equal(EchoCard.DefaultAtr, await ExchangeAsync(socket, [4], ct));
        Assert.Equal(2, card.ResetCount);

        await SendAsync(socket, [1], ct);
        Assert.Equal(new byte[] { 0xAB, 0x90, 0x00 }, await ExchangeAsync(socket, [0x00, EchoCard.Echo, 0x00, 0x00, 0x01, 0xAB], ct));
        Assert.Equal(new byte[] { 0x6F, 0x00 }, await ExchangeAsync(socket, [0x00, EchoCard.Throw, 0x00, 0x00], ct));
        Assert.Equal(new byte[] { 0x6D, 0x00 }, await ExchangeAsync(socket, [0x00, 0x55, 0x00, 0x00], ct));
        Assert.Equal(3, card.ResetCount);
    }

    [Fact]
    public async Task A_card_answering_garbage_gets_6F00_instead()
    {
        var ct = TestContext.Current.CancellationToken;
        using var vpcd = new TcpListener(IPAddress.Loopback, 0);
        vpcd.Start();
        await using var bridge = new VpcdBridge(new ShortAnswerCard(), Options(vpcd));
        var inserted = bridge.InsertAsync(ct);
        using var socket = await vpcd.AcceptSocketAsync(ct).AsTask().WaitAsync(Timeout, ct);

        Assert.Equal(new byte[] { 0x6F, 0x00 }, await ExchangeAsync(socket, [0x00, 0x01, 0x00, 0x00], ct));
        Assert.Empty(await ExchangeAsync(socket, [4], ct));
        Assert.True(bridge.IsConnected);
    }

    [Fact]
    public async Task Reconnects_after_vpcd_drops_the_connection_and_stays_away_after_removal()
    {
        var ct = TestContext.Current.CancellationToken;
        using var vpcd = new TcpListener(IPAddress.Loopback, 0);
        vpcd.Start();
        await using var bridge = new VpcdBridge(new EchoCard(), Options(vpcd));
        _ = bridge.InsertAsync(ct);

        using (var first = await vpcd.AcceptSocketAsync(ct).AsTask().WaitAsync(Timeout, ct))
        {
            Assert.Equal(EchoCard.DefaultAtr, await ExchangeAsync(first, [4], ct));
        }

        using var second = await vpcd.AcceptSocketAsync(ct).AsTask().WaitAsync(Timeout, ct);
        Assert.Equal(EchoCard.DefaultAtr, await ExchangeAsync(second, [4], ct));
        Assert.Equal(2, bridge.ConnectionCount);

        await bridge.RemoveAsync();
        Assert.False(bridge.IsInserted);
        Assert.False(bridge.IsConnected);
        // vpcd sees the close (card removal) at once ...
        var buffer = new byte[2];
        var read = await second.ReceiveAsync(buffer, SocketFlags.None, ct).AsTask().WaitAsync(Timeout, ct);
        Assert.Equal(0, read);
        // ... and the bridge does not come back.
        var again = vpcd.AcceptSocketAsync(ct).AsTask();
        await Task.Delay(400, ct);
        Assert.False(again.IsCompleted);
    }

    [Fact]
    public async Task Insert_keeps_retrying_until_vpcd_listens()
    {
        var ct = TestContext.Current.CancellationToken;
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        await using var bridge = new VpcdBridge(new EchoCard(), new VpcdBridgeOptions { Port = port });
        var inserted = bridge.InsertAsync(ct);
        await Task.Delay(300, ct);
        Assert.False(inserted.IsCompleted);
        Assert.True(bridge.IsInserted);
        Assert.False(bridge.IsConnected);

        using var vpcd = new TcpListener(IPAddress.Loopback, port);
        vpcd.Start();
        using var socket = await vpcd.AcceptSocketAsync(ct).AsTask().WaitAsync(Timeout, ct);
        await inserted.WaitAsync(Timeout, ct);
        Assert.Equal(EchoCard.DefaultAtr, await ExchangeAsync(socket, [4], ct));
    }

    [Fact]
    public void Options_are_validated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new VpcdBridge(new EchoCard(), slot: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new VpcdBridge(new EchoCard(), new VpcdBridgeOptions { Port = 70000 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new VpcdBridge(new EchoCard(), new VpcdBridgeOptions { RetryMinDelay = TimeSpan.Zero }));
        Assert.Equal(35964, new VpcdBridge(new EchoCard(), slot: 1).Port);
    }

    private static VpcdBridgeOptions Options(TcpListener listener) =>
        new() { Port = ((IPEndPoint)listener.LocalEndpoint).Port };

    private static async Task SendAsync(Socket socket, byte[] payload, CancellationToken ct)
    {
        var frame = new byte[2 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(frame, (ushort)payload.Length);
        payload.CopyTo(frame, 2);
        await socket.SendAsync(frame, SocketFlags.None, ct);
    }

    private static async Task<byte[]> ExchangeAsync(Socket socket, byte[] payload, CancellationToken ct)
    {
        await SendAsync(socket, payload, ct);
        var header = await ReceiveAsync(socket, 2, ct);
        return await ReceiveAsync(socket, BinaryPrimitives.ReadUInt16BigEndian(header), ct);
    }

    private static async Task<byte[]> ReceiveAsync(Socket socket, int length, CancellationToken ct)
    {
        var buffer = new byte[length];
        var filled = 0;
        while (filled < length)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, ct).AsTask().WaitAsync(Timeout, ct);
            Assert.True(read > 0, "the bridge closed the connection");
            filled += read;
        }
        return buffer;
    }

    /// <summary>A broken card: one-byte responses (no status word) and an ATR getter that throws.</summary>
    private sealed class ShortAnswerCard : ISmartCard
    {
        public byte[] Atr => throw new InvalidOperationException("no ATR");

        public void Reset()
        {
        }

        public byte[] Process(ReadOnlySpan<byte> command) => [0x90];
    }
}
