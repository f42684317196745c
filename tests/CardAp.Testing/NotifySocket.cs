using System.Net.Sockets;
using System.Text;

namespace CardAp.Testing;

/// <summary>
/// What systemd does for a Type=notify service: a Unix datagram socket whose path goes to the
/// service in NOTIFY_SOCKET, on which it reads the service's state messages (READY=1, STOPPING=1...).
/// </summary>
public sealed class NotifySocket : IDisposable
{
    private readonly Socket _socket;
    private readonly List<string> _received = [];

    /// <summary>Binds <c>notify.sock</c> in <paramref name="directory"/> (keep it short: Unix socket paths end at 108 bytes).</summary>
    public NotifySocket(string directory)
    {
        Path = System.IO.Path.Combine(directory, "notify.sock");
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        _socket.Bind(new UnixDomainSocketEndPoint(Path));
    }

    /// <summary>The value for NOTIFY_SOCKET.</summary>
    public string Path { get; }

    /// <summary>Every message received so far, in order.</summary>
    public IReadOnlyList<string> Received => _received;

    /// <summary>
    /// Reads messages until one carries the line <paramref name="assignment"/> (e.g. "READY=1") and
    /// returns that message; fails naming what came instead when <paramref name="timeout"/> passes.
    /// </summary>
    public async Task<string> WaitForAsync(string assignment, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[4096];
        while (true)
        {
            int length;
            try
            {
                length = await _socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"No {assignment} on {Path} within {timeout}; received: [{string.Join(" | ", _received)}]");
            }
            var message = Encoding.UTF8.GetString(buffer, 0, length);
            _received.Add(message);
            if (message.Split('\n').Contains(assignment, StringComparer.Ordinal))
            {
                return message;
            }
        }
    }

    public void Dispose()
    {
        _socket.Dispose();
        File.Delete(Path);
    }
}
