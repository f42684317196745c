using System.Reflection;
using System.Threading.Channels;
using CardAp.Edge.Hub;
using CardAp.Edge.Options;
using CardAp.Edge.Store;
using CardAp.Sync.Edge;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Options;
using SyncContract = CardAp.Sync.Contracts.Sync;

namespace CardAp.Edge.Sync;

/// <summary>What the terminal shows about sync: whether a hub is configured, the engine's state, and when the next run is due.</summary>
public sealed record EdgeSyncStatus(bool Configured, SyncStatus Engine, DateTimeOffset? NextAttempt);

/// <summary>
/// Runs the sync engine against the hub: at start, every <see cref="EdgeSyncOptions.Interval"/>
/// while it succeeds, on demand (<see cref="SyncNowAsync"/>), and at once when the hub becomes
/// reachable again; after a failure it waits with exponential backoff and full jitter. Local
/// operations never wait on it: they write to SQLite and sync picks the records up later.
/// With no hub address (<see cref="EdgeOptions.HubAddress"/>) it does nothing.
/// </summary>
public sealed class SyncBackgroundService(
    IOptions<EdgeOptions> edgeOptions,
    IOptions<EdgeSyncOptions> syncOptions,
    IOptions<EdgeStoreOptions> storeOptions,
    IEdgeSyncStore store,
    HubConnectivity hub,
    TimeProvider clock,
    ILoggerFactory loggers,
    Random? jitter = null) : BackgroundService
{
    private readonly Lazy<HubLink?> _link = new(() => HubLink.Create(edgeOptions.Value, syncOptions.Value, storeOptions.Value, store, clock, loggers));
    // One pending wake-up is enough: several requests that arrive during a run are all served by the next one.
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Lock _gate = new();
    private readonly List<TaskCompletionSource<SyncOutcome>> _waiters = [];
    private readonly ILogger _logger = loggers.CreateLogger<SyncBackgroundService>();
    private volatile bool _reportingContact;
    private bool _stopped;
    private int _failures;
    private long _nextAttemptTicks = -1;

    /// <summary>True when a hub address is configured.</summary>
    public bool Configured => !string.IsNullOrEmpty(edgeOptions.Value.HubAddress);

    public EdgeSyncStatus Status
    {
        get
        {
            var next = Interlocked.Read(ref _nextAttemptTicks);
            var engine = Configured ? _link.Value?.Engine.Status : null;
            return new EdgeSyncStatus(Configured,
                engine ?? new SyncStatus(false, null, store.LastSuccess, null, null, 0, store.Backlog(), null, store.MasterCheckpoint),
                next < 0 ? null : new DateTimeOffset(next, TimeSpan.Zero));
        }
    }

    /// <summary>
    /// Asks for a sync now and waits for its outcome. A run already under way finishes first; the
    /// run that serves this request starts after it, so records written before the request go up.
    /// </summary>
    public async Task<SyncOutcome> SyncNowAsync(CancellationToken cancellationToken)
    {
        if (!Configured)
        {
            return SyncOutcome.NotRun(clock.GetUtcNow(), SyncErrors.NotConfigured());
        }
        var waiter = new TaskCompletionSource<SyncOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_stopped)
            {
                return SyncOutcome.NotRun(clock.GetUtcNow(), SyncErrors.Stopping());
            }
            _waiters.Add(waiter);
        }
        _wake.Writer.TryWrite(true);
        return await waiter.Task.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Pushes an online-only transaction to the hub and keeps the hub's decision (ADR 0011), waiting
    /// at most <see cref="EdgeSyncOptions.ConfirmTimeout"/>. True when the decision is held here now;
    /// false when none came (no hub configured, unreachable, too slow, a refused push): the record
    /// stays undecided, and a retry of the operation or the next sync settles it.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<bool> TryConfirmAsync(long seq, CancellationToken cancellationToken)
    {
        if (!Configured || _link.Value is not { } link)
        {
            return false;
        }
        // Real time, like the calls' own deadlines: this bounds how long a clerk waits on the network.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(syncOptions.Value.ConfirmTimeout);
        var mark = hub.ContactMark;
        try
        {
            await link.Engine.ConfirmAsync(seq, timeout.Token);
            hub.ReportContact(true);
            return store.Decision(seq) is not null;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // A slow answer is not a lost network; a refused connection is.
            var unreachable = !timeout.IsCancellationRequested && e is RpcException { StatusCode: StatusCode.Unavailable or StatusCode.DeadlineExceeded };
            _logger.LogWarning(e, "Online-only transaction {Seq} is not settled with the hub yet ({Why}); a retry or the next sync settles it",
                seq, timeout.IsCancellationRequested ? "no answer in time" : e.Message);
            if (unreachable)
            {
                hub.ReportContact(false, mark);
            }
            return false;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var link = Configured ? _link.Value : null;
        if (link is null)
        {
            _logger.LogInformation("No hub address (Edge:HubAddress): sync is off; records stay on this terminal.");
            Stop();
            return;
        }
        hub.BecameReachable += OnHubReachable;
        try
        {
            await Task.Yield();
            var options = syncOptions.Value;
            while (!stoppingToken.IsCancellationRequested)
            {
                List<TaskCompletionSource<SyncOutcome>> served;
                lock (_gate)
                {
                    served = [.. _waiters];
                    _waiters.Clear();
                }
                // This run serves every wake-up so far.
                _wake.Reader.TryRead(out _);
                SyncOutcome outcome;
                var mark = hub.ContactMark;
                try
                {
                    outcome = await link.Engine.SyncAsync(stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    foreach (var waiter in served)
                    {
                        waiter.TrySetResult(SyncOutcome.NotRun(clock.GetUtcNow(), SyncErrors.Stopping()));
                    }
                    break;
                }
                catch (Exception e)
                {
                    // An exception out of here would stop the host, and with it the counter: sync trouble must never do that.
                    _logger.LogError(e, "Sync failed unexpectedly; it is retried with backoff");
                    outcome = SyncOutcome.NotRun(clock.GetUtcNow(), SyncErrors.Local(e.Message));
                }
                ReportContact(outcome, mark);
                foreach (var waiter in served)
                {
                    waiter.TrySetResult(outcome);
                }
                _failures = outcome.Succeeded ? 0 : _failures + 1;
                var delay = outcome.Succeeded ? options.Interval : SyncBackoff.Delay(_failures, options.BackoffBase, options.BackoffMax, jitter ?? Random.Shared);
                Interlocked.Exchange(ref _nextAttemptTicks, (clock.GetUtcNow() + delay).UtcTicks);
                await WaitAsync(delay, stoppingToken);
            }
        }
        finally
        {
            hub.BecameReachable -= OnHubReachable;
            Stop();
        }
    }

    public override void Dispose()
    {
        if (_link.IsValueCreated && _link.Value is { } link)
        {
            link.Engine.Dispose();
            link.Channel.Dispose();
        }
        base.Dispose();
    }

    private async Task WaitAsync(TimeSpan delay, CancellationToken stoppingToken)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var timer = Task.Delay(delay, clock, wait.Token);
        var woken = _wake.Reader.WaitToReadAsync(wait.Token).AsTask();
        await Task.WhenAny(timer, woken);
        await wait.CancelAsync();
    }

    // What sync saw is fresher than the last probe: the offline flag and online-only operations follow it.
    // Unless the hub answered something else since this run began (a run can wait out its call timeout).
    private void ReportContact(SyncOutcome outcome, long mark)
    {
        if (outcome.HubReached)
        {
            _reportingContact = true;
            try
            {
                hub.ReportContact(true);
            }
            finally
            {
                _reportingContact = false;
            }
        }
        else if (outcome.Error?.HubUnreachable == true)
        {
            hub.ReportContact(false, mark);
        }
    }

    private void OnHubReachable(object? sender, EventArgs e)
    {
        // The sync that just reached the hub needs no second run.
        if (!_reportingContact)
        {
            _wake.Writer.TryWrite(true);
        }
    }

    private void Stop()
    {
        List<TaskCompletionSource<SyncOutcome>> waiting;
        lock (_gate)
        {
            _stopped = true;
            waiting = [.. _waiters];
            _waiters.Clear();
        }
        foreach (var waiter in waiting)
        {
            waiter.TrySetResult(SyncOutcome.NotRun(clock.GetUtcNow(), SyncErrors.Stopping()));
        }
    }

    private sealed record HubLink(GrpcChannel Channel, SyncEngine Engine)
    {
        public static HubLink? Create(EdgeOptions edge, EdgeSyncOptions sync, EdgeStoreOptions storeOptions, IEdgeSyncStore store, TimeProvider clock, ILoggerFactory loggers)
        {
            if (string.IsNullOrEmpty(edge.HubAddress))
            {
                return null;
            }
            var channel = HubChannel.ForSync(edge);
            var engine = new SyncEngine(new SyncContract.SyncClient(channel), store, new SyncEngineOptions
            {
                TerminalId = storeOptions.TerminalId,
                Municipality = edge.Municipality,
                SoftwareVersion = typeof(SyncBackgroundService).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown",
                BatchSize = sync.BatchSize,
                PageSize = sync.PageSize,
                CallTimeout = sync.CallTimeout,
            }, clock, loggers.CreateLogger<SyncEngine>());
            return new HubLink(channel, engine);
        }
    }
}
