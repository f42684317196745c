using CardAp.Edge.Options;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.Extensions.Options;

namespace CardAp.Edge.Hub;

/// <summary>
/// Whether the hub is reachable now, from a periodic gRPC health probe and from what sync
/// observes (<see cref="ReportContact(bool)"/>). Online-only operations are refused while it is not;
/// everything else keeps working. With no hub configured the terminal is offline by definition.
/// </summary>
/// <remarks>
/// A failed attempt speaks only for the time it took. If the hub answered anything after the attempt
/// began (a sync got through while the probe waited on a handshake with a hub that had just started),
/// that answer is fresher and the failure changes nothing (<see cref="ReportContact(bool, long)"/>).
/// And a probe that got no answer within its bound while the hub was reachable is tried again at once
/// before it counts: a busy hub or a starved CPU makes one call slow, a lost network keeps them all
/// unanswered. A refused or reset connection counts at once. So a record is flagged offline when the
/// hub is unreachable, not when one answer was slow.
/// </remarks>
public sealed class HubConnectivity(IOptions<EdgeOptions> options, TimeProvider clock, ILogger<HubConnectivity> logger) : BackgroundService
{
    private readonly Lock _gate = new();
    private volatile bool _online;
    private long _contacts;

    /// <summary>How long one probe waits for the hub's answer (real time, whatever the business clock says).</summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);

    public bool IsOnline => _online;

    public DateTimeOffset? LastContact { get; private set; }

    /// <summary>Raised when the hub becomes reachable after it was not (sync runs at once instead of waiting out its backoff).</summary>
    public event EventHandler? BecameReachable;

    /// <summary>
    /// Records an observation of the hub: it answered (<paramref name="reachable"/>) or no answer came.
    /// Raises <see cref="BecameReachable"/> on the change from unreachable to reachable.
    /// </summary>
    public void ReportContact(bool reachable) => Report(reachable, since: null);

    /// <summary>
    /// Where the observations stand now: take it before an attempt to reach the hub and pass it to
    /// <see cref="ReportContact(bool, long)"/> with the attempt's outcome.
    /// </summary>
    public long ContactMark => Interlocked.Read(ref _contacts);

    /// <summary>
    /// Records the outcome of an attempt that began at <paramref name="since"/> (<see cref="ContactMark"/>):
    /// as <see cref="ReportContact(bool)"/>, except that a failure is ignored when the hub answered
    /// anything after the attempt began, which is fresher news than the failure.
    /// </summary>
    public void ReportContact(bool reachable, long since) => Report(reachable, since);

    private void Report(bool reachable, long? since)
    {
        bool wasOnline;
        lock (_gate)
        {
            if (!reachable && since is { } mark && Interlocked.Read(ref _contacts) != mark)
            {
                logger.LogDebug("A failed attempt to reach the hub is older than the hub's last answer: ignored");
                return;
            }
            if (reachable)
            {
                Interlocked.Increment(ref _contacts);
            }
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
        var unanswered = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            var mark = ContactMark;
            var timedOut = false;
            try
            {
                // A real-time bound: the probe must not hang, whatever the business clock says.
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                timeout.CancelAfter(ProbeTimeout);
                try
                {
                    var reply = await client.CheckAsync(new HealthCheckRequest(), cancellationToken: timeout.Token);
                    ReportContact(reply.Status == HealthCheckResponse.Types.ServingStatus.Serving, mark);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested && timeout.IsCancellationRequested
                    && e is OperationCanceledException or Grpc.Core.RpcException { StatusCode: Grpc.Core.StatusCode.Cancelled or Grpc.Core.StatusCode.DeadlineExceeded })
                {
                    // grpc-dotnet reports the timeout's cancellation as an RpcException (Cancelled).
                    timedOut = true;
                }
            }
            catch (Grpc.Core.RpcException e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogDebug("Hub probe failed: {Status}", e.StatusCode);
                ReportContact(false, mark);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Grpc.Core.RpcException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            unanswered = timedOut ? unanswered + 1 : 0;
            if (timedOut)
            {
                if (unanswered == 1 && _online)
                {
                    // One slow answer is not an outage: ask again now; a second silence counts.
                    logger.LogDebug("Hub probe got no answer within {Timeout}; probing again", ProbeTimeout);
                    continue;
                }
                logger.LogDebug("Hub probe timed out");
                ReportContact(false, mark);
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
