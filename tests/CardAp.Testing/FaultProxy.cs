using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace CardAp.Testing;

/// <summary>
/// A TCP proxy on loopback that a test steers to break the link between a client and a target, for fault tests
/// of sync (edge ↔ hub, gRPC over HTTP/2 with mutual TLS). It forwards bytes and never looks inside them, so
/// TLS runs end to end between client and target: point the client at <see cref="EndPoint"/> (keeping the host
/// name the target's certificate names, e.g. <c>https://localhost:{Port}</c>) and the proxy at the target.
/// </summary>
/// <remarks>
/// <para>
/// The model. The proxy listens on 127.0.0.1 on a free port. For each accepted connection it opens its own
/// connection to the target and runs two pumps, client → target and target → client, each reading from one
/// socket and writing to the other. The current <see cref="Mode"/> is consulted for every chunk read, so a new
/// mode takes effect on open connections at once, not only on new ones:
/// </para>
/// <list type="bullet">
/// <item><see cref="FaultMode.Pass"/>: bytes flow; an end of stream is passed on as a half-close and a reset
/// from one side as a reset to the other, so the proxy is invisible.</item>
/// <item><see cref="FaultMode.Refuse"/> / <see cref="FaultMode.RefuseGracefully"/>: a new connection is
/// accepted and closed at once (RST or FIN) without contacting the target. Open connections keep flowing.</item>
/// <item><see cref="FaultMode.Stall"/> / <see cref="FaultMode.StallFor"/>: pumps hold what they have read and
/// stop reading; sockets stay open, so the peers see silence, not an error, until the mode changes.</item>
/// <item><see cref="FaultMode.CutRandomly"/>: the byte-budget model below.</item>
/// <item><see cref="CutAll"/>: resets every open connection now, whatever the mode.</item>
/// </list>
/// <para>
/// Byte budgets. When a pump first forwards bytes under a <see cref="FaultKind.CutRandomly"/> mode that covers
/// its direction, it draws a budget B uniformly from [MinBytes, MaxBytes] and counts bytes from there. It
/// forwards exactly B bytes, splitting the chunk it holds, so the cut lands at an arbitrary offset within an
/// HTTP/2 frame or TLS record, and then closes both sockets abortively (linger 0, so each peer gets an RST)
/// and records a <see cref="FaultCut"/>. With both directions covered, whichever budget runs out first cuts
/// the connection. Assigning a new <see cref="FaultKind.CutRandomly"/> instance gives every connection fresh
/// budgets counted from that moment; any other mode drops them. "Forwarded" means handed to the kernel: an
/// abortive close discards what the kernel had not sent yet, so a peer receives a prefix of at most B bytes.
/// </para>
/// <para>
/// Reproducibility. All randomness comes from one <see cref="Random"/> seeded with <see cref="Seed"/>. The
/// accept loop, which runs one accept at a time, draws two seeds per accepted connection, one per direction,
/// and each pump draws its budgets from its own generator. So connection N gets the same budgets in every
/// run with the same seed and the same sequence of modes, however the pumps' threads interleave; put the seed
/// in the test's failure message.
/// </para>
/// <para>
/// Every control and counter is thread-safe and may be used while traffic flows. <see cref="DisposeAsync"/>
/// closes the listener, resets every connection and awaits every pump, so nothing outlives the proxy.
/// </para>
/// </remarks>
public sealed class FaultProxy : IAsyncDisposable
{
    private const int ChunkBytes = 16 * 1024;

    private readonly Socket _listener;
    private readonly Random _random;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _disposing = new();
    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<long, Connection> _connections = new();
    private readonly List<FaultCut> _cuts = [];
    private readonly Task _acceptLoop;

    private FaultMode _mode;
    private long _modeGeneration;
    private TaskCompletionSource _modeChanged = NewSignal();
    private ITimer? _stallTimer;
    private int _disposed;

    private long _accepted;
    private long _refused;
    private long _cut;
    private long _upstreamFailures;
    private long _bytesClientToTarget;
    private long _bytesTargetToClient;

    private FaultProxy(EndPoint target, int seed, FaultMode mode, TimeProvider time)
    {
        Target = target;
        Seed = seed;
        _random = new Random(seed);
        _mode = mode;
        _time = time;
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen(512);
        }
        catch
        {
            _listener.Dispose();
            throw;
        }
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>
    /// Starts a proxy on 127.0.0.1 (free port) forwarding to <paramref name="target"/>.
    /// </summary>
    /// <param name="target">Where every accepted connection is forwarded.</param>
    /// <param name="seed">Seeds every random choice; the same seed reproduces the same budgets.</param>
    /// <param name="mode">The initial mode; <see cref="FaultMode.Pass"/> by default.</param>
    /// <param name="time">Drives <see cref="FaultMode.StallFor"/>; the system clock by default.</param>
    public static FaultProxy Start(EndPoint target, int seed, FaultMode? mode = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        return new FaultProxy(target, seed, mode ?? FaultMode.Pass, time ?? TimeProvider.System);
    }

    /// <summary>Where clients connect: 127.0.0.1 and the port the system chose.</summary>
    public IPEndPoint EndPoint { get; }

    public int Port => EndPoint.Port;

    public EndPoint Target { get; }

    public int Seed { get; }

    /// <summary>The current plan; assigning one applies it to open and new connections at once.</summary>
    public FaultMode Mode
    {
        get
        {
            lock (_gate)
            {
                return _mode;
            }
        }
        set => SetMode(value, onlyInGeneration: null);
    }

    public FaultProxyCounters Counters => new(
        Interlocked.Read(ref _accepted),
        Interlocked.Read(ref _refused),
        Interlocked.Read(ref _cut),
        Interlocked.Read(ref _upstreamFailures),
        _connections.Count,
        Interlocked.Read(ref _bytesClientToTarget),
        Interlocked.Read(ref _bytesTargetToClient));

    /// <summary>Every cut so far, in the order the proxy made them.</summary>
    public IReadOnlyList<FaultCut> Cuts
    {
        get
        {
            lock (_gate)
            {
                return [.. _cuts];
            }
        }
    }

    /// <summary>Resets every open connection now (RST to both peers), whatever the mode.</summary>
    /// <returns>How many connections this call cut.</returns>
    public int CutAll()
    {
        var cut = 0;
        foreach (var connection in _connections.Values)
        {
            if (connection.Abort(FaultCutCause.CutAll, FaultDirections.None, budget: null))
            {
                cut++;
            }
        }
        return cut;
    }

    public override string ToString() => $"FaultProxy {EndPoint} -> {Target}, seed {Seed}, {Mode}";

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _disposing.CancelAsync();
        lock (_gate)
        {
            _stallTimer?.Dispose();
            _stallTimer = null;
        }
        _listener.Dispose();
        await _acceptLoop;
        // The accept loop has ended, so no connection can be added behind this snapshot.
        var connections = _connections.Values.ToArray();
        foreach (var connection in connections)
        {
            connection.Abort(cause: null, FaultDirections.None, budget: null);
        }
        await Task.WhenAll(connections.Select(c => c.Completion));
        _disposing.Dispose();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void SetMode(FaultMode mode, long? onlyInGeneration)
    {
        ArgumentNullException.ThrowIfNull(mode);
        TaskCompletionSource changed;
        lock (_gate)
        {
            // A StallFor timer that fires after the test assigned something else must not undo it.
            if (onlyInGeneration is { } expected && expected != _modeGeneration)
            {
                return;
            }
            _stallTimer?.Dispose();
            _stallTimer = null;
            _mode = mode;
            var generation = ++_modeGeneration;
            if (mode is { Kind: FaultKind.Stall, StallDuration: { } duration, Then: { } then } && Volatile.Read(ref _disposed) == 0)
            {
                _stallTimer = _time.CreateTimer(_ => SetMode(then, generation), null, duration, Timeout.InfiniteTimeSpan);
            }
            changed = _modeChanged;
            _modeChanged = NewSignal();
        }
        changed.TrySetResult();
    }

    private (FaultMode Mode, Task Changed) ReadMode()
    {
        lock (_gate)
        {
            return (_mode, _modeChanged.Task);
        }
    }

    private void RecordCut(FaultCut cut)
    {
        Interlocked.Increment(ref _cut);
        lock (_gate)
        {
            _cuts.Add(cut);
        }
    }

    private async Task AcceptLoopAsync()
    {
        var token = _disposing.Token;
        while (!token.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                // A client that gave up while still in the backlog (ECONNABORTED) is no reason to stop.
                continue;
            }

            var id = Interlocked.Increment(ref _accepted);
            // Drawn for every connection, refused or not, so connection N's budgets depend on N alone.
            var clientToTargetSeed = _random.Next();
            var targetToClientSeed = _random.Next();

            var mode = Mode;
            if (mode.Kind == FaultKind.Refuse)
            {
                Interlocked.Increment(ref _refused);
                Close(client, abortive: mode.Reset);
                continue;
            }

            client.NoDelay = true;
            var connection = new Connection(this, id, client, clientToTargetSeed, targetToClientSeed);
            _connections[id] = connection;
            connection.Completion = connection.RunAsync();
        }
    }

    private static void Close(Socket socket, bool abortive)
    {
        try
        {
            if (abortive)
            {
                socket.LingerState = new LingerOption(true, 0);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already reset or closed: closing is all that is left to do.
        }
        socket.Dispose();
    }

    private sealed class Connection
    {
        private readonly FaultProxy _proxy;
        private readonly long _id;
        private readonly Socket _client;
        private readonly Socket _upstream;
        private readonly int _clientToTargetSeed;
        private readonly int _targetToClientSeed;
        private readonly TaskCompletionSource _ended = NewSignal();
        private int _closed;
        private long _bytesClientToTarget;
        private long _bytesTargetToClient;

        public Connection(FaultProxy proxy, long id, Socket client, int clientToTargetSeed, int targetToClientSeed)
        {
            _proxy = proxy;
            _id = id;
            _client = client;
            _clientToTargetSeed = clientToTargetSeed;
            _targetToClientSeed = targetToClientSeed;
            // Created before connecting so that an abort during the connect closes it and ends the connect.
            _upstream = proxy.Target is IPEndPoint ip
                ? new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
                : new Socket(SocketType.Stream, ProtocolType.Tcp);
            _upstream.NoDelay = true;
        }

        public Task Completion { get; set; } = Task.CompletedTask;

        public async Task RunAsync()
        {
            try
            {
                try
                {
                    await _upstream.ConnectAsync(_proxy.Target, _proxy._disposing.Token);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
                {
                    if (Volatile.Read(ref _closed) == 0)
                    {
                        Interlocked.Increment(ref _proxy._upstreamFailures);
                    }
                    Abort(cause: null, FaultDirections.None, budget: null);
                    return;
                }
                await Task.WhenAll(
                    PumpAsync(_client, _upstream, FaultDirections.ClientToTarget, _clientToTargetSeed),
                    PumpAsync(_upstream, _client, FaultDirections.TargetToClient, _targetToClientSeed));
                if (Interlocked.Exchange(ref _closed, 1) == 0)
                {
                    // Both ends finished their streams: an orderly close, like the peers'.
                    _client.Dispose();
                    _upstream.Dispose();
                    _ended.TrySetResult();
                }
            }
            catch (Exception)
            {
                // A bug here must not leave sockets behind or fault DisposeAsync.
                Abort(cause: null, FaultDirections.None, budget: null);
            }
            finally
            {
                _proxy._connections.TryRemove(_id, out _);
            }
        }

        /// <summary>
        /// Resets both sockets unless the connection is already closed; with a cause, counts and records the cut.
        /// </summary>
        /// <returns>Whether this call closed the connection.</returns>
        public bool Abort(FaultCutCause? cause, FaultDirections direction, long? budget)
        {
            if (Interlocked.Exchange(ref _closed, 1) != 0)
            {
                return false;
            }
            if (cause is { } c)
            {
                _proxy.RecordCut(new FaultCut(_id, c, direction, budget,
                    Interlocked.Read(ref _bytesClientToTarget), Interlocked.Read(ref _bytesTargetToClient)));
            }
            // Closing the sockets also ends any receive or send a pump is waiting on.
            Close(_client, abortive: true);
            Close(_upstream, abortive: true);
            _ended.TrySetResult();
            return true;
        }

        private async Task PumpAsync(Socket source, Socket destination, FaultDirections direction, int seed)
        {
            var buffer = new byte[ChunkBytes];
            var random = new Random(seed);
            FaultMode? budgetMode = null;
            long budget = 0;
            long spent = 0;
            try
            {
                while (true)
                {
                    var received = await source.ReceiveAsync(buffer, SocketFlags.None);
                    var offset = 0;
                    // Runs once for an end of stream too, so that a stall also holds back the FIN.
                    do
                    {
                        var mode = await WaitWhileStalledAsync();
                        if (mode is null)
                        {
                            return;
                        }
                        if (received == 0)
                        {
                            break;
                        }
                        if (mode.Kind == FaultKind.CutRandomly && mode.Directions.HasFlag(direction))
                        {
                            if (!ReferenceEquals(budgetMode, mode))
                            {
                                budgetMode = mode;
                                budget = random.NextInt64(mode.MinBytes, mode.MaxBytes + 1);
                                spent = 0;
                            }
                        }
                        else
                        {
                            budgetMode = null;
                        }

                        var take = received - offset;
                        if (budgetMode is not null)
                        {
                            if (spent >= budget)
                            {
                                Abort(FaultCutCause.Budget, direction, budget);
                                return;
                            }
                            take = (int)Math.Min(take, budget - spent);
                        }
                        await SendAllAsync(destination, buffer.AsMemory(offset, take));
                        offset += take;
                        Count(direction, take);
                        if (budgetMode is not null && (spent += take) >= budget)
                        {
                            Abort(FaultCutCause.Budget, direction, budget);
                            return;
                        }
                    }
                    while (offset < received);

                    if (received == 0)
                    {
                        destination.Shutdown(SocketShutdown.Send);
                        return;
                    }
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                // One peer reset (or this proxy closed the sockets): pass the reset on to the other peer.
                Abort(cause: null, FaultDirections.None, budget: null);
            }
        }

        /// <summary>The mode to forward under, once it is not a stall; null when the connection has ended.</summary>
        private async Task<FaultMode?> WaitWhileStalledAsync()
        {
            while (true)
            {
                var (mode, changed) = _proxy.ReadMode();
                if (mode.Kind != FaultKind.Stall)
                {
                    return mode;
                }
                await Task.WhenAny(changed, _ended.Task);
                if (_ended.Task.IsCompleted)
                {
                    return null;
                }
            }
        }

        private static async Task SendAllAsync(Socket socket, ReadOnlyMemory<byte> bytes)
        {
            while (!bytes.IsEmpty)
            {
                var sent = await socket.SendAsync(bytes, SocketFlags.None);
                bytes = bytes[sent..];
            }
        }

        private void Count(FaultDirections direction, int bytes)
        {
            if (direction == FaultDirections.ClientToTarget)
            {
                Interlocked.Add(ref _bytesClientToTarget, bytes);
                Interlocked.Add(ref _proxy._bytesClientToTarget, bytes);
            }
            else
            {
                Interlocked.Add(ref _bytesTargetToClient, bytes);
                Interlocked.Add(ref _proxy._bytesTargetToClient, bytes);
            }
        }
    }
}
