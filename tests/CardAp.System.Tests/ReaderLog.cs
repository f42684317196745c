using CardAp.Edge.Api;
using Grpc.Core;

namespace CardAp.SystemTests;

/// <summary>
/// What one edge has seen of its readers, through its own WatchReaders stream. The edge ends an operator's
/// session when the card leaves the reader it signed in on; all edges here share vpcd's readers, so before a
/// sign-in the test waits until the edge has seen the card change, else the removal could arrive after the
/// sign-in and end the new session.
/// </summary>
internal sealed class ReaderLog : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<(string Kind, string Reader)> _events = [];
    private readonly Task _watching;

    public ReaderLog(Terminal.TerminalClient client)
    {
        _watching = WatchAsync(client);
    }

    /// <summary>How many events of <paramref name="kind"/> (e.g. "CardInserted") the edge reported for <paramref name="reader"/>.</summary>
    public int Count(string kind, string reader)
    {
        lock (_events)
        {
            return _events.Count(e => e.Kind == kind && e.Reader == reader);
        }
    }

    private async Task WatchAsync(Terminal.TerminalClient client)
    {
        try
        {
            using var call = client.WatchReaders(new WatchReadersRequest(), cancellationToken: _stop.Token);
            await foreach (var e in call.ResponseStream.ReadAllAsync(_stop.Token))
            {
                lock (_events)
                {
                    _events.Add((e.Kind, e.Reader));
                }
            }
        }
        catch (Exception e) when (e is RpcException or OperationCanceledException)
        {
            // The edge stopped (or was killed), or the test is done with it.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _watching;
        _stop.Dispose();
    }
}
