using CardAp.Edge.Options;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.Extensions.Options;

namespace CardAp.Edge.Hub;

/// <summary>
/// Whether the hub is reachable now, from a periodic gRPC health probe and from what sync
/// observes (<see cref="ReportContact"/>). Online-only operations are refused while it is not;
/// everything else keeps working. With no hub configured the terminal is offline by definition.
/// </summary>
public sealed class HubConnectivity(IOptions<EdgeOptions> options, TimeProvider clock, ILogger<HubConnectivity> logger) : BackgroundService
{
    private readonly Lock _gate = new();
    private volatile bool _online;

    public bool IsOnline => _online;

    public DateTimeOffset? LastContact { get; private set; }

    /// <summary>Raised when the hub becomes reachable after it was not (sync runs at once instead of waiting out its backoff).</summary>
    public event EventHandler? BecameReachable;

    /// <summary>
    /// Records an observation of the hub: it answered (<paramref name="reachable"/>) or no answer came.
    /// Raises <see cref="BecameReachable"/> on the change from unreachable to reachable.
    /// </summary>
    public void ReportContact(bool reachable)
    {
        bool wasOnline;
        lock (_gate)
        {
            wasOnline = _online;
            _online = reachable;
            if (reachable)
            {
                LastContact = clock.GetUtcNow();
            }
        }
        if (wasOnline == reachable)
        {
            return;
        }
        logger.LogWarning("Hub is now {State}", reachable ? "reachable (online)" : "unreachable (offline)");
        if (reachable)
        {
            BecameReachable?.Invoke(this, EventArgs.Empty);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var address = options.Value.HubAddress;
        if (string.IsNullOrEmpty(address))
        {
            logger.LogInformation("No hub address configured: the terminal runs offline.");
            return;
        }
        using var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = HubHttpHandler.Create(options.Value), DisposeHttpClient = true });
        var client = new Grpc.Health.V1.Health.HealthClient(channel);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // A real-time bound: the probe must not hang, whatever the business clock says.
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(3));
                var reply = await client.CheckAsync(new HealthCheckRequest(), cancellationToken: timeout.Token);
                ReportContact(reply.Status == HealthCheckResponse.Types.ServingStatus.Serving);
            }
            catch (Grpc.Core.RpcException e)
            {
                logger.LogDebug("Hub probe failed: {Status}", e.StatusCode);
                ReportContact(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (OperationCanceledException)
            {
                logger.LogDebug("Hub probe timed out");
                ReportContact(false);
            }
            try
            {
                await Task.Delay(options.Value.HubProbeInterval, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
