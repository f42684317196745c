using CardAp.Card.Readers;

namespace CardAp.Edge.Readers;

/// <summary>Watches the configured readers for the life of the host and publishes every event.</summary>
public sealed class ReaderWatcher(ICardReaders readers, ReaderEventHub hub, ILogger<ReaderWatcher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var e in readers.WatchAsync(stoppingToken))
            {
                logger.LogInformation("Reader event: {Kind} {Reader}", e.Kind, e.ReaderName);
                hub.Publish(e);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // host shutting down
        }
    }
}
