using CardAp.Edge.Options;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.Extensions.Options;

namespace CardAp.Edge.Hub;

/// <summary>
/// Whether the hub is reachable now, from a periodic gRPC health probe. Online-only operations
/// are refused while it is not; everything else keeps working. With no hub configured the
/// terminal is offline by definition.
/// </summary>
public sealed class HubConnectivity(IOptions<EdgeOptions> options, TimeProvider clock, ILogger<HubConnectivity> logger) : BackgroundService
{
    private volatile bool _online;

    public bool IsOnline => _online;

    public DateTimeOffset? LastContact { get; private set; }

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
            var wasOnline = _online;
            try
            {
                // A real-time bound: the probe must not hang, whatever the business clock says.
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(3));
                var reply = await client.CheckAsync(new HealthCheckRequest(), cancellationToken: timeout.Token);
                _online = reply.Status == HealthCheckResponse.Types.ServingStatus.Serving;
                LastContact = clock.GetUtcNow();
            }
            catch (Grpc.Core.RpcException e)
            {
                _online = false;
                logger.LogDebug("Hub probe failed: {Status}", e.StatusCode);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (OperationCanceledException)
            {
                _online = false;
                logger.LogDebug("Hub probe timed out");
            }
            if (wasOnline != _online)
            {
                logger.LogWarning("Hub is now {State}", _online ? "reachable (online)" : "unreachable (offline)");
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
