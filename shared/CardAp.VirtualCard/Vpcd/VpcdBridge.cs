using System.Buffers.Binary;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CardAp.VirtualCard.Vpcd;

/// <summary>Where a <see cref="VpcdBridge"/> connects and how eagerly it retries.</summary>
public sealed class VpcdBridgeOptions
{
    /// <summary>vpcd listens on 35963 for its first slot ("Virtual PCD 00 00"), 35964 for the second...</summary>
    public const int BasePort = 35963;

    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The vpcd slot; the port is <see cref="BasePort"/> + slot unless <see cref="Port"/> is set.</summary>
    public int Slot { get; init; }

    public int? Port { get; init; }

    /// <summary>First delay before retrying a refused connection (pcscd, which hosts vpcd, not up yet).</summary>
    public TimeSpan RetryMinDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Longest delay between connection attempts.</summary>
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    internal int EffectivePort => Port ?? BasePort + Slot;
}

/// <summary>
/// Puts an <see cref="ISmartCard"/> into a vpcd virtual reader: the card side of vpcd's TCP protocol.
/// While inserted it keeps a connection to vpcd, retrying until pcscd (which hosts vpcd) is up and
/// reconnecting after pcscd restarts; removing closes the socket, which vpcd sees as card removal.
/// </summary>
/// <remarks>
/// Wire format: each message is a 2-byte big-endian length then the payload. A 1-byte payload is a
/// control code (0 power off, 1 power on, 2 reset: no reply; 4 get ATR: reply with the ATR); anything
/// longer is a command APDU answered with the response APDU. The card's exceptions never reach the
/// socket: a throwing <see cref="ISmartCard.Process"/> is answered 6F 00.
/// </remarks>
public sealed class VpcdBridge : IAsyncDisposable
{
    private const byte PowerOff = 0;
    private const byte PowerOn = 1;
    private const byte ResetCode = 2;
    private const byte GetAtr = 4;
    private const int MaxPayload = ushort.MaxValue;

    // TCP_QUICKACK (IPPROTO_TCP = 6, option 12). vpcd writes length and payload in two sends without
    // TCP_NODELAY, so delayed ACKs on our side would cost ~40 ms per APDU. Linux resets it after
    // reads, hence it is set before every read.
    private const int IpProtoTcp = 6;
    private const int TcpQuickAck = 12;
    private static readonly byte[] QuickAckOn = BitConverter.GetBytes(1);
    private static readonly byte[] NoPreciseDiagnosis = [0x6F, 0x00];

    private readonly VpcdBridgeOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private CancellationTokenSource? _stop;
    private Task? _loop;
    private Socket? _socket;
    private TaskCompletionSource _firstConnection = NewSignal();
    private volatile bool _connected;
    private int _connectionCount;
    private bool _disposed;

    public VpcdBridge(ISmartCard card, int slot = 0, ILogger? logger = null)
        : this(card, new VpcdBridgeOptions { Slot = slot }, logger)
    {
    }

    public VpcdBridge(ISmartCard card, VpcdBridgeOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(card);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(options.Slot);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Host, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.RetryMinDelay, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.RetryMaxDelay, options.RetryMinDelay, nameof(options));
        if (options.EffectivePort is <= 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.EffectivePort, "The vpcd port must be 1..65535.");
        }
        Card = card;
        _options = options;
        _logger = logger ?? NullLogger.Instance;
    }

    public ISmartCard Card { get; }

    public string Host => _options.Host;

    public int Port => _options.EffectivePort;

    /// <summary>True between <see cref="InsertAsync"/> and <see cref="RemoveAsync"/>, whether or not vpcd is reachable.</summary>
    public bool IsInserted
    {
        get
        {
            lock (_gate)
            {
                return _loop is not null;
            }
        }
    }

    /// <summary>True while a TCP connection to vpcd is open.</summary>
    public bool IsConnected => _connected;

    /// <summary>How many times a connection to vpcd was established (more than one means it reconnected).</summary>
    public int ConnectionCount => Volatile.Read(ref _connectionCount);

    /// <summary>
    /// Inserts the card: starts connecting to vpcd (and keeps reconnecting) and completes once the
    /// first connection is up. Cancelling <paramref name="cancellationToken"/> only stops the wait;
    /// the card stays inserted until <see cref="RemoveAsync"/>. Inserting twice is harmless.
    /// </summary>
    public Task InsertAsync(CancellationToken cancellationToken = default)
    {
        Task connected;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_loop is null)
            {
                _firstConnection = NewSignal();
                _stop = new CancellationTokenSource();
                var token = _stop.Token;
                _loop = Task.Run(() => RunAsync(token), CancellationToken.None);
            }
            connected = _firstConnection.Task;
        }
        return connected.WaitAsync(cancellationToken);
    }

    /// <summary>Removes the card: closes the connection (vpcd reports the card gone) and stops reconnecting.</summary>
    public async Task RemoveAsync()
    {
        Task? loop;
        CancellationTokenSource? stop;
        lock (_gate)
        {
            loop = _loop;
            stop = _stop;
            _loop = null;
            _stop = null;
            // Closing at once makes vpcd's next presence poll fail, instead of waiting for the loop to notice.
            // Shutdown first so vpcd gets an orderly FIN rather than a reset.
            if (_socket is { } socket)
            {
                try
                {
                    socket.Shutdown(SocketShutdown.Both);
                }
                catch (SocketException)
                {
                    // Already closed by the peer.
                }
                socket.Dispose();
            }
        }
        if (loop is null || stop is null)
        {
            return;
        }
        await stop.CancelAsync();
        await loop;
        stop.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await RemoveAsync();
        lock (_gate)
        {
            _disposed = true;
        }
    }

    public override string ToString() => $"vpcd bridge {Host}:{Port} ({(IsConnected ? "connected" : IsInserted ? "connecting" : "removed")})";

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task RunAsync(CancellationToken stop)
    {
        var delay = _options.RetryMinDelay;
        var announcedWaiting = false;
        while (!stop.IsCancellationRequested)
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(Host, Port, stop);
                lock (_gate)
                {
                    if (stop.IsCancellationRequested)
                    {
                        break;
                    }
                    _socket = socket;
                }
                _connected = true;
                Interlocked.Increment(ref _connectionCount);
                _firstConnection.TrySetResult();
                announcedWaiting = false;
                delay = _options.RetryMinDelay;
                _logger.LogInformation("Virtual card connected to vpcd at {Host}:{Port}", Host, Port);
                await ServeAsync(socket, stop);
                _logger.LogInformation("vpcd at {Host}:{Port} closed the connection; reconnecting", Host, Port);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                if (stop.IsCancellationRequested)
                {
                    break;
                }
                if (ex is not (SocketException or ObjectDisposedException or IOException))
                {
                    // Nothing may end an inserted card's connection loop for good.
                    _logger.LogError(ex, "vpcd bridge to {Host}:{Port} failed; reconnecting", Host, Port);
                }
                else if (_connected)
                {
                    _logger.LogInformation("Connection to vpcd at {Host}:{Port} dropped ({Reason}); reconnecting", Host, Port, ex.Message);
                }
                else if (!announcedWaiting)
                {
                    _logger.LogInformation("vpcd at {Host}:{Port} not reachable ({Reason}); retrying until pcscd is up", Host, Port, ex.Message);
                    announcedWaiting = true;
                }
            }
            finally
            {
                _connected = false;
                lock (_gate)
                {
                    if (ReferenceEquals(_socket, socket))
                    {
                        _socket = null;
                    }
                }
                socket.Dispose();
            }
            try
            {
                await Task.Delay(delay, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.RetryMaxDelay.Ticks));
        }
    }

    /// <summary>Answers vpcd until it closes the connection.</summary>
    private async Task ServeAsync(Socket socket, CancellationToken stop)
    {
        var header = new byte[2];
        var payload = new byte[MaxPayload];
        while (true)
        {
            if (!await ReceiveExactlyAsync(socket, header, stop))
            {
                return;
            }
            var length = BinaryPrimitives.ReadUInt16BigEndian(header);
            if (!await ReceiveExactlyAsync(socket, payload.AsMemory(0, length), stop))
            {
                return;
            }
            var reply = Handle(payload.AsSpan(0, length));
            if (reply is not null)
            {
                await SendAsync(socket, reply, stop);
            }
        }
    }

    private byte[]? Handle(ReadOnlySpan<byte> message)
    {
        if (message.Length == 0)
        {
            _logger.LogWarning("vpcd sent an empty message; ignored");
            return null;
        }
        if (message.Length == 1)
        {
            return HandleControl(message[0]);
        }
        byte[] response;
        try
        {
            response = Card.Process(message);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "The virtual card threw while processing {Command}; answering 6F00", Convert.ToHexString(message));
            return NoPreciseDiagnosis;
        }
        if (response is null || response.Length is < 2 or > MaxPayload)
        {
            _logger.LogError("The virtual card answered {Length} bytes to {Command}; answering 6F00", response?.Length, Convert.ToHexString(message));
            return NoPreciseDiagnosis;
        }
        return response;
    }

    private byte[]? HandleControl(byte code)
    {
        try
        {
            switch (code)
            {
                case GetAtr:
                    return Card.Atr.ToArray();
                case PowerOn:
                case ResetCode:
                    // Power-on and reset both start a fresh card session. Power-off needs nothing:
                    // no command can arrive before the next power-on, which resets.
                    Card.Reset();
                    return null;
                case PowerOff:
                    return null;
                default:
                    _logger.LogWarning("vpcd sent unknown control code {Code}; ignored", code);
                    return null;
            }
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "The virtual card failed handling vpcd control code {Code}", code);
            return code == GetAtr ? [] : null;
        }
    }

    private static async Task<bool> ReceiveExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken stop)
    {
        var filled = 0;
        while (filled < buffer.Length)
        {
            if (OperatingSystem.IsLinux())
            {
                socket.SetRawSocketOption(IpProtoTcp, TcpQuickAck, QuickAckOn);
            }
            var read = await socket.ReceiveAsync(buffer[filled..], SocketFlags.None, stop);
            if (read == 0)
            {
                return false;
            }
            filled += read;
        }
        return true;
    }

    private static async Task SendAsync(Socket socket, byte[] payload, CancellationToken stop)
    {
        // One send for header and payload, so vpcd gets the message in one segment.
        var frame = new byte[2 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(frame, (ushort)payload.Length);
        payload.CopyTo(frame, 2);
        var sent = 0;
        while (sent < frame.Length)
        {
            sent += await socket.SendAsync(frame.AsMemory(sent), SocketFlags.None, stop);
        }
    }
}
