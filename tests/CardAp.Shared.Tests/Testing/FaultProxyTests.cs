using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using CardAp.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CardAp.Shared.Tests.Testing;

public class FaultProxyTests
{
    /// <summary>Bound on every wait that should end; generous so that a loaded CI machine does not fail tests.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Pass_forwards_a_large_random_payload_intact_both_ways()
    {
        await using var echo = LoopbackServer.Echo();
        await using var proxy = FaultProxy.Start(echo.EndPoint, seed: 1);
        var payload = RandomBytes(seed: 11, 8 * 1024 * 1024);

        using (var client = await ConnectAsync(proxy))
        {
            var reading = ReadToEndAsync(client);
            await client.SendAsync(payload, SocketFlags.None, Token);
            client.Shutdown(SocketShutdown.Send);
            var echoed = await reading.WaitAsync(Timeout, Token);
            Assert.Equal(SHA256.HashData(payload), SHA256.HashData(echoed));
        }

        await WaitUntilAsync(() => proxy.Counters.OpenConnections == 0);
        var counters = proxy.Counters;
        Assert.Equal(1, counters.ConnectionsAccepted);
        Assert.Equal(0, counters.ConnectionsCut);
        Assert.Equal(0, counters.ConnectionsRefused);
        Assert.Equal(payload.Length, counters.BytesClientToTarget);
        Assert.Equal(payload.Length, counters.BytesTargetToClient);
        Assert.Empty(proxy.Cuts);
    }

    [Fact]
    public async Task Pass_keeps_concurrent_connections_apart()
    {
        await using var echo = LoopbackServer.Echo();
        await using var proxy = FaultProxy.Start(echo.EndPoint, seed: 2);

        await Task.WhenAll(Enumerable.Range(0, 16).Select(async i =>
        {
            var payload = RandomBytes(seed: 100 + i, 512 * 1024);
            using var client = await ConnectAsync(proxy);
            var reading = ReadToEndAsync(client);
            await client.SendAsync(payload, SocketFlags.None, Token);
            client.Shutdown(SocketShutdown.Send);
            Assert.Equal(SHA256.HashData(payload), SHA256.HashData(await reading.WaitAsync(Timeout, Token)));
        }));

        await WaitUntilAsync(() => proxy.Counters.OpenConnections == 0);
        Assert.Equal(16, proxy.Counters.ConnectionsAccepted);
        Assert.Equal(16L * 512 * 1024, proxy.Counters.BytesTargetToClient);
    }

    [Fact]
    public async Task CutRandomly_resets_client_to_target_traffic_within_the_budget_range()
    {
        const int MinBytes = 1_000, MaxBytes = 5_000, Connections = 40;
        await using var sink = LoopbackServer.Sink();
        await using var proxy = FaultProxy.Start(sink.EndPoint, seed: 3,
            FaultMode.CutRandomly(MinBytes, MaxBytes, FaultDirections.ClientToTarget));
        var payload = RandomBytes(seed: 33, 64 * 1024);

        for (var i = 0; i < Connections; i++)
        {
            await AssertResetAsync(async () =>
            {
                using var client = await ConnectAsync(proxy);
                await client.SendAsync(payload, SocketFlags.None, Token);
                await client.ReceiveAsync(new byte[1], SocketFlags.None, Token);
            }, proxy);

            // The target saw a prefix of the stream, never more than the proxy forwarded.
            var received = await sink.Received(i).WaitAsync(Timeout, Token);
            var cut = Assert.Single(proxy.Cuts, c => c.ConnectionId == i + 1);
            Assert.True(received.Length <= cut.BytesClientToTarget, $"{received.Length} > {cut.BytesClientToTarget}; {proxy}");
            Assert.Equal(payload[..received.Length], received);
        }

        var cuts = proxy.Cuts;
        Assert.Equal(Connections, cuts.Count);
        Assert.All(cuts, c =>
        {
            Assert.Equal(FaultCutCause.Budget, c.Cause);
            Assert.Equal(FaultDirections.ClientToTarget, c.Direction);
            Assert.InRange(c.Budget!.Value, MinBytes, MaxBytes);
            Assert.Equal(c.Budget.Value, c.BytesClientToTarget);
            Assert.Equal(0, c.BytesTargetToClient);
        });
        // Forty draws from 1,000..5,000 that all coincide would mean the budget is not random.
        Assert.True(cuts.Select(c => c.Budget).Distinct().Count() > Connections / 2, proxy.ToString());
        await WaitUntilAsync(() => proxy.Counters.OpenConnections == 0);
        var counters = proxy.Counters;
        Assert.Equal(Connections, counters.ConnectionsAccepted);
        Assert.Equal(Connections, counters.ConnectionsCut);
        Assert.Equal(cuts.Sum(c => c.BytesClientToTarget), counters.BytesClientToTarget);
    }

    [Fact]
    public async Task CutRandomly_resets_target_to_client_traffic_within_the_budget_range()
    {
        const int MinBytes = 1, MaxBytes = 16_384, Connections = 40;
        var payload = RandomBytes(seed: 44, 256 * 1024);
        await using var source = LoopbackServer.Source(payload);
        await using var proxy = FaultProxy.Start(source.EndPoint, seed: 4,
            FaultMode.CutRandomly(MinBytes, MaxBytes, FaultDirections.TargetToClient));

        for (var i = 0; i < Connections; i++)
        {
            var received = new MemoryStream();
            // With a small budget the reset can arrive before the client's connect has even completed.
            await AssertResetAsync(async () =>
            {
                using var client = await ConnectAsync(proxy);
                var buffer = new byte[8192];
                int n;
                while ((n = await client.ReceiveAsync(buffer, SocketFlags.None, Token)) > 0)
                {
                    received.Write(buffer, 0, n);
                }
            }, proxy);

            var cut = Assert.Single(proxy.Cuts, c => c.ConnectionId == i + 1);
            Assert.Equal(FaultDirections.TargetToClient, cut.Direction);
            Assert.InRange(cut.Budget!.Value, MinBytes, MaxBytes);
            Assert.Equal(cut.Budget.Value, cut.BytesTargetToClient);
            Assert.True(received.Length <= cut.BytesTargetToClient, $"{received.Length} > {cut.BytesTargetToClient}; {proxy}");
            Assert.Equal(payload[..(int)received.Length], received.ToArray());
        }
        Assert.Equal(Connections, proxy.Counters.ConnectionsCut);
    }

    [Fact]
    public async Task CutRandomly_cuts_every_one_of_a_thousand_concurrent_echo_connections_once()
    {
        const int Connections = 1_000, Message = 512;
        await using var echo = LoopbackServer.Echo();
        await using var proxy = FaultProxy.Start(echo.EndPoint, seed: 5, FaultMode.CutRandomly(minBytes: 1, maxBytes: 16_384));
        var payload = RandomBytes(seed: 55, 32 * 1024);
        using var parallel = new SemaphoreSlim(32);

        await Task.WhenAll(Enumerable.Range(0, Connections).Select(async _ =>
        {
            await parallel.WaitAsync(Token);
            try
            {
                await AssertResetAsync(async () =>
                {
                    using var client = await ConnectAsync(proxy);
                    // Lock-step messages keep both directions level, so either budget may run out first.
                    for (var offset = 0; offset < payload.Length; offset += Message)
                    {
                        await client.SendAsync(payload.AsMemory(offset, Message), SocketFlags.None, Token);
                        Assert.Equal(payload[offset..(offset + Message)], await ReadExactlyAsync(client, Message));
                    }
                }, proxy);
            }
            finally
            {
                parallel.Release();
            }
        }));

        await WaitUntilAsync(() => proxy.Counters.OpenConnections == 0);
        var cuts = proxy.Cuts;
        Assert.Equal(Connections, proxy.Counters.ConnectionsCut);
        Assert.Equal(Connections, cuts.Select(c => c.ConnectionId).Distinct().Count());
        Assert.All(cuts, c =>
        {
            Assert.InRange(c.Budget!.Value, 1, 16_384);
            var spent = c.Direction == FaultDirections.ClientToTarget ? c.BytesClientToTarget : c.BytesTargetToClient;
            Assert.Equal(c.Budget.Value, spent);
        });
        Assert.Contains(cuts, c => c.Direction == FaultDirections.ClientToTarget);
        Assert.Contains(cuts, c => c.Direction == FaultDirections.TargetToClient);
    }

    [Fact]
    public async Task The_same_seed_draws_the_same_budgets_for_the_same_connections()
    {
        async Task<long[]> BudgetsAsync(int seed)
        {
            await using var sink = LoopbackServer.Sink();
            await using var proxy = FaultProxy.Start(sink.EndPoint, seed,
                FaultMode.CutRandomly(1, 1_000_000, FaultDirections.ClientToTarget));
            var payload = RandomBytes(seed: 66, 2 * 1024 * 1024);
            for (var i = 0; i < 10; i++)
            {
                await AssertResetAsync(async () =>
                {
                    using var client = await ConnectAsync(proxy);
                    await client.SendAsync(payload, SocketFlags.None, Token);
                    await client.ReceiveAsync(new byte[1], SocketFlags.None, Token);
                }, proxy);
            }
            return [.. proxy.Cuts.OrderBy(c => c.ConnectionId).Select(c => c.Budget!.Value)];
        }

        var first = await BudgetsAsync(seed: 6);
        Assert.Equal(10, first.Length);
        Assert.Equal(first, await BudgetsAsync(seed: 6));
        Assert.NotEqual(first, await BudgetsAsync(seed: 7));
    }

    [Fact]
    public async Task Stall_holds_traffic_on_open_and_new_connections_until_released()
    {
        await using var echo = LoopbackServer.Echo();
        await using var proxy = FaultProxy.Start(echo.EndPoint, seed: 8);
        using var open = await ConnectAsync(proxy);
        await PingAsync(open, "before");
        // A pump counts after its send returns, which can be after the echo is already back.
        await WaitUntilAsync(() => proxy.Counters.BytesClientToTarget == 6);

        proxy.Mode = FaultMode.Stall;
        using var late = await ConnectAsync(proxy);
        await open.SendAsync("held"u8.ToArray(), SocketFlags.None, Token);
        await late.SendAsync("late"u8.ToArray(), SocketFlags.None, Token);
        var openReply = ReadExactlyAsync(open, 4);
        var lateReply = ReadExactlyAsync(late, 4);

        // Not a timing bound: the proxy may forward nothing at all until released.
        await Task.Delay(TimeSpan.FromMilliseconds(300), Token);
        Assert.False(openReply.IsCompleted);
        Assert.False(lateReply.IsCompleted);
        Assert.Equal(6, proxy.Counters.BytesClientToTarget);

        proxy.Mode = FaultMode.Pass;
        Assert.Equal("held"u8.ToArray(), await openReply.WaitAsync(Timeout, Token));
        Assert.Equal("late"u8.ToArray(), await lateReply.WaitAsync(Timeout, Token));
        Assert.Equal(0, proxy.Counters.ConnectionsCut);
        Assert.Equal(2, proxy.Counters.OpenConnections);
    }

    [Fact]
    public async Task StallFor_delays_traffic_then_releases_it_by_itself()
    {
        await using var echo = LoopbackServer.Echo();
        await using var proxy = FaultProxy.Start(echo.EndPoint, seed: 9);
        using var client = await ConnectAsync(proxy);
        await PingAsync(client, "warm");

        var stall = TimeSpan.FromMilliseconds(500);
        var clock = Stopwatch.StartNew();
        proxy.Mode = FaultMode.StallFor(stall);
        await PingAsync(client, "slow");

        // Only a lower bound, and a loose one: timers may fire a little early, never hundreds of ms early.
        Assert.True(clock.Elapsed >= stall - TimeSpan.FromMilliseconds(100), $"released after {clock.Elapsed}");
        Assert.Same(FaultMode.Pass, proxy.Mode);
        Assert.Equal(0, proxy.Counters.ConnectionsCut);
    }

    [Fact]
    public async Task StallFor_does_not_override_a_mode_the_test_set_meanwhile()
    {
        await using var echo = LoopbackServer.Echo();
        await using var proxy = FaultProxy.Start(echo.EndPoint, seed: 10);

        proxy.Mode = FaultMode.StallFor(TimeSpan.FromMilliseconds(50));
        proxy.Mode = FaultMode.Refuse;
        await Task.Delay(TimeSpan.FromMilliseconds(300), Token);

        Assert.Same(FaultMode.Refuse, proxy.Mode);
    }

    [Fact]
    public async Task Refuse_resets_new_connections_without_reaching_the_target_and_keeps_open_ones()
    {
        await using var echo = LoopbackServer.Echo();
        await using var proxy = FaultProxy.Start(echo.EndPoint, seed: 12);
        using var open = await ConnectAsync(proxy);
        await PingAsync(open, "open");

        proxy.Mode = FaultMode.Refuse;
        var e = await Assert.ThrowsAsync<SocketException>(async () =>
        {
            // The reset may come before the client's connect completes, or on its first read.
            using var refused = await ConnectAsync(proxy);
            await refused.ReceiveAsync(new byte[1], SocketFlags.None, Token).AsTask().WaitAsync(Timeout, Token);
        });
        Assert.Equal(SocketError.ConnectionReset, e.SocketErrorCode);
        await PingAsync(open, "stay");

        proxy.Mode = FaultMode.RefuseGracefully;
        using (var hungUp = await ConnectAsync(proxy))
        {
            Assert.Equal(0, await hungUp.ReceiveAsync(new byte[1], SocketFlags.None, Token).AsTask().WaitAsync(Timeout, Token));
        }

        proxy.Mode = FaultMode.Pass;
        using var again = await ConnectAsync(proxy);
        await PingAsync(again, "back");

        var counters = proxy.Counters;
        Assert.Equal(4, counters.ConnectionsAccepted);
        Assert.Equal(2, counters.ConnectionsRefused);
        Assert.Equal(0, counters.ConnectionsCut);
        Assert.Equal(2, echo.Accepted);
    }

    [Fact]
    public async Task CutAll_resets_every_open_connection_and_new_ones_still_pass()
    {
        await using var echo = LoopbackServer.Echo();
        await using var proxy = FaultProxy.Start(echo.EndPoint, seed: 13);
        var clients = new List<Socket>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var client = await ConnectAsync(proxy);
                clients.Add(client);
                await PingAsync(client, $"c{i}");
            }

            Assert.Equal(3, proxy.CutAll());

            foreach (var client in clients)
            {
                await AssertResetAsync(async () => await client.ReceiveAsync(new byte[1], SocketFlags.None, Token), proxy);
            }
            Assert.All(proxy.Cuts, c => Assert.Equal(FaultCutCause.CutAll, c.Cause));
            Assert.Equal(3, proxy.Counters.ConnectionsCut);
            await WaitUntilAsync(() => proxy.Counters.OpenConnections == 0);
            Assert.Equal(0, proxy.CutAll());

            using var fresh = await ConnectAsync(proxy);
            await PingAsync(fresh, "next");
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task A_target_that_is_down_resets_the_client()
    {
        IPEndPoint nobody;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            nobody = (IPEndPoint)probe.LocalEndPoint!;
        }
        await using var proxy = FaultProxy.Start(nobody, seed: 14);

        await AssertResetAsync(async () =>
        {
            using var client = await ConnectAsync(proxy);
            await client.ReceiveAsync(new byte[1], SocketFlags.None, Token);
        }, proxy);

        await WaitUntilAsync(() => proxy.Counters.OpenConnections == 0);
        Assert.Equal(1, proxy.Counters.UpstreamFailures);
        Assert.Equal(0, proxy.Counters.ConnectionsCut);
    }

    [Fact]
    public async Task DisposeAsync_closes_the_listener_and_stalled_connections()
    {
        await using var echo = LoopbackServer.Echo();
        await using var proxy = FaultProxy.Start(echo.EndPoint, seed: 15);
        var port = proxy.Port;
        using var client = await ConnectAsync(proxy);
        await PingAsync(client, "ping");
        proxy.Mode = FaultMode.Stall;
        await client.SendAsync("wait"u8.ToArray(), SocketFlags.None, Token);

        await proxy.DisposeAsync().AsTask().WaitAsync(Timeout, Token);

        await AssertResetAsync(async () => await client.ReceiveAsync(new byte[1], SocketFlags.None, Token), proxy);
        using var late = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var e = await Assert.ThrowsAsync<SocketException>(async () => await late.ConnectAsync(IPAddress.Loopback, port, Token));
        Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);
        Assert.Equal(0, proxy.Counters.OpenConnections);
    }

    [Fact]
    public async Task Http2_client_with_retries_gets_through_random_cuts_and_fails_fast_when_refused()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        await using var app = builder.Build();
        app.MapPost("/echo", async (HttpContext context) =>
        {
            context.Response.ContentType = "application/octet-stream";
            await context.Request.Body.CopyToAsync(context.Response.Body, context.RequestAborted);
        });
        await app.StartAsync(Token);
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

        await using var proxy = FaultProxy.Start(new IPEndPoint(IPAddress.Loopback, address.Port), seed: 16,
            FaultMode.CutRandomly(minBytes: 1, maxBytes: 16_384));
        using var http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = Timeout })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{proxy.Port}"),
            // Prior-knowledge HTTP/2 without TLS (h2c), as Kestrel serves it here.
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = Timeout,
        };

        const int Requests = 30;
        var attempts = 0;
        for (var i = 0; i < Requests; i++)
        {
            attempts += await EchoWithRetriesAsync(http, RandomBytes(seed: 1600 + i, 2_048), maxAttempts: 100);
        }
        Assert.True(proxy.Counters.ConnectionsCut > 0, $"no cut in {attempts} attempts; {proxy}");
        Assert.True(attempts > Requests, $"no request needed a retry; {proxy}");

        proxy.Mode = FaultMode.Refuse;
        proxy.CutAll();
        var refusedBefore = proxy.Counters.ConnectionsRefused;
        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAsync<HttpRequestException>(
            () => EchoWithRetriesAsync(http, RandomBytes(seed: 1700, 2_048), maxAttempts: 5));
        // "Fast" against the 30 s request timeout it would otherwise wait out.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        // The first attempt may go to the pooled connection that was just cut; the next ones are refused.
        Assert.True(proxy.Counters.ConnectionsRefused - refusedBefore >= 4, proxy.Counters.ToString());

        await app.StopAsync(Token);
    }

    /// <summary>Posts until one answer comes back whole; returns how many attempts it took.</summary>
    private static async Task<int> EchoWithRetriesAsync(HttpClient http, byte[] body, int maxAttempts)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var response = await http.PostAsync("/echo", new ByteArrayContent(body), Token);
                response.EnsureSuccessStatusCode();
                var echoed = await response.Content.ReadAsByteArrayAsync(Token);
                Assert.Equal(SHA256.HashData(body), SHA256.HashData(echoed));
                return attempt;
            }
            // SocketsHttpHandler lets a bare SocketException (ENOTCONN, from reading the socket's remote end
            // point) escape when the peer resets right after the connect, so that counts as a connection error too.
            catch (Exception e) when (e is HttpRequestException or IOException or SocketException && attempt < maxAttempts)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(10), Token);
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
                throw new HttpRequestException($"Gave up after {attempt} attempts.", e);
            }
        }
    }

    private static byte[] RandomBytes(int seed, int length)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static async Task<Socket> ConnectAsync(FaultProxy proxy)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(proxy.EndPoint, Token).AsTask().WaitAsync(Timeout, Token);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task PingAsync(Socket client, string text)
    {
        var bytes = System.Text.Encoding.ASCII.GetBytes(text);
        await client.SendAsync(bytes, SocketFlags.None, Token);
        Assert.Equal(bytes, await ReadExactlyAsync(client, bytes.Length).WaitAsync(Timeout, Token));
    }

    private static async Task<byte[]> ReadExactlyAsync(Socket socket, int length)
    {
        var buffer = new byte[length];
        var read = 0;
        while (read < length)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, Token);
            if (n == 0)
            {
                throw new EndOfStreamException($"Got {read} of {length} bytes.");
            }
            read += n;
        }
        return buffer;
    }

    private static async Task<byte[]> ReadToEndAsync(Socket socket)
    {
        var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        int n;
        while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, Token)) > 0)
        {
            received.Write(buffer, 0, n);
        }
        return received.ToArray();
    }

    /// <summary>The client's side of a cut: a reset (or a write into an already reset connection).</summary>
    private static async Task AssertResetAsync(Func<Task> io, FaultProxy proxy)
    {
        var e = await Assert.ThrowsAsync<SocketException>(async () => await io().WaitAsync(Timeout, Token));
        Assert.True(e.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown or SocketError.ConnectionAborted,
            $"{e.SocketErrorCode}: {e.Message}; {proxy}");
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < Timeout, "condition not met in time");
            await Task.Delay(TimeSpan.FromMilliseconds(10), Token);
        }
    }

    /// <summary>A TCP server on loopback running one handler per connection, in accept order.</summary>
    private sealed class LoopbackServer : IAsyncDisposable
    {
        private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        private readonly Func<Socket, Task<byte[]>> _handler;
        private readonly ConcurrentDictionary<int, TaskCompletionSource<byte[]>> _received = new();
        private readonly ConcurrentBag<Socket> _sockets = [];
        private readonly ConcurrentBag<Task> _handlers = [];
        private readonly Task _acceptLoop;
        private int _accepted;

        private LoopbackServer(Func<Socket, Task<byte[]>> handler)
        {
            _handler = handler;
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen(512);
            EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
            _acceptLoop = AcceptLoopAsync();
        }

        public IPEndPoint EndPoint { get; }

        public int Accepted => Volatile.Read(ref _accepted);

        /// <summary>Writes back whatever arrives, and ends its stream when the client ends its own.</summary>
        public static LoopbackServer Echo() => new(async socket =>
        {
            var buffer = new byte[64 * 1024];
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None)) > 0)
            {
                await socket.SendAsync(buffer.AsMemory(0, n), SocketFlags.None);
            }
            socket.Shutdown(SocketShutdown.Send);
            return [];
        });

        /// <summary>Keeps what arrives until end of stream or reset; see <see cref="Received"/>.</summary>
        public static LoopbackServer Sink() => new(async socket =>
        {
            var received = new MemoryStream();
            var buffer = new byte[64 * 1024];
            try
            {
                int n;
                while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None)) > 0)
                {
                    received.Write(buffer, 0, n);
                }
            }
            catch (SocketException)
            {
                // A reset ends the stream too; what arrived before it is the point.
            }
            return received.ToArray();
        });

        /// <summary>Sends <paramref name="payload"/> to each connection, then waits for it to close.</summary>
        public static LoopbackServer Source(byte[] payload) => new(async socket =>
        {
            await socket.SendAsync(payload, SocketFlags.None);
            await socket.ReceiveAsync(new byte[1], SocketFlags.None);
            return [];
        });

        /// <summary>What the <paramref name="index"/>th connection (0-based) received, once it has ended.</summary>
        public Task<byte[]> Received(int index) => Slot(index).Task;

        public async ValueTask DisposeAsync()
        {
            _listener.Dispose();
            await _acceptLoop;
            foreach (var socket in _sockets)
            {
                socket.Dispose();
            }
            await Task.WhenAll(_handlers);
        }

        private TaskCompletionSource<byte[]> Slot(int index) =>
            _received.GetOrAdd(index, _ => new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously));

        private async Task AcceptLoopAsync()
        {
            while (true)
            {
                Socket socket;
                try
                {
                    socket = await _listener.AcceptAsync();
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    return;
                }
                _sockets.Add(socket);
                var slot = Slot(Interlocked.Increment(ref _accepted) - 1);
                _handlers.Add(HandleAsync(socket, slot));
            }
        }

        private async Task HandleAsync(Socket socket, TaskCompletionSource<byte[]> slot)
        {
            try
            {
                slot.TrySetResult(await _handler(socket));
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                slot.TrySetResult([]);
            }
            finally
            {
                socket.Dispose();
            }
        }
    }
}
