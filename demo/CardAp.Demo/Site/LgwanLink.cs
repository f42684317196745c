using System.Net;
using System.Net.Sockets;

namespace CardAp.Demo.Site;

/// <summary>
/// One terminal's network link to the hub, as a TCP relay on loopback that the demo can cut and
/// restore, like an LGWAN line going down at a shelter. It forwards bytes only, so mutual TLS runs
/// end to end between the terminal and the hub. Cut: open connections are reset and new ones
/// refused, which the terminal sees exactly as a dead line.
/// </summary>
public sealed class LgwanLink : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _hub;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private readonly List<(Socket Terminal, Socket Hub)> _open = [];
    private readonly Task _accepting;
    private volatile bool _up = true;

    public LgwanLink(IPEndPoint hub)
    {
        _hub = hub;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public bool IsUp => _up;

    public void Cut()
    {
        _up = false;
        lock (_gate)
        {
            foreach (var (terminal, hub) in _open)
            {
                Reset(terminal);
                Reset(hub);
            }
            _open.Clear();
        }
    }

    public void Restore() => _up = true;

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket terminal;
            try
            {
                terminal = await _listener.AcceptSocketAsync(_stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            if (!_up)
            {
                Reset(terminal);
                continue;
            }
            _ = RelayAsync(terminal);
        }
    }

    private async Task RelayAsync(Socket terminal)
    {
        var hub = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await hub.ConnectAsync(_hub, _stopping.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException)
        {
            Reset(terminal);
            hub.Dispose();
            return;
        }
        lock (_gate)
        {
            _open.Add((terminal, hub));
        }
        await Task.WhenAll(PumpAsync(terminal, hub), PumpAsync(hub, terminal));
        lock (_gate)
        {
            _open.Remove((terminal, hub));
        }
        terminal.Dispose();
        hub.Dispose();
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stopping.Token);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stopping.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            Reset(from);
            Reset(to);
        }
    }

    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
        catch (ObjectDisposedException)
        {
            // Closed by the other pump already.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        Cut();
        await _accepting;
        _stopping.Dispose();
    }
}
