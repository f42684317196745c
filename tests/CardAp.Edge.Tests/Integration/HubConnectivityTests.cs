using CardAp.Edge.Hub;
using CardAp.Edge.Options;
using Microsoft.Extensions.Logging.Abstractions;

namespace CardAp.Edge.Tests.Integration;

/// <summary>
/// The probe against a hub that answers slowly now and then (a hub just restarted, a machine out of CPU):
/// a slow answer is not an outage, and a failure older than the hub's last answer does not make the terminal
/// offline; an unanswered hub still does. The offline flag of every record follows <see cref="HubConnectivity.IsOnline"/>.
/// </summary>
public sealed class HubConnectivityTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    // Longer than the probe's bound: the probe gives up on this check.
    private static readonly TimeSpan Slow = HubConnectivity.ProbeTimeout + TimeSpan.FromSeconds(2);

    /// <summary>
    /// Each health check the stub receives, in order: the test decides per check whether it answers at once or
    /// too late, and sees when it arrived. When check N+1 arrives, the probe has dealt with check N.
    /// </summary>
    private sealed class Checks
    {
        private readonly TaskCompletionSource[] _arrived = [.. Enumerable.Range(0, 10).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously))];
        private readonly TaskCompletionSource[] _released = [.. Enumerable.Range(0, 10).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously))];

        public required ISet<int> SlowOnes { get; init; }

        public async Task BeforeCheck(int n)
        {
            if (n > _arrived.Length)
            {
                return;
            }
            _arrived[n - 1].TrySetResult();
            await _released[n - 1].Task;
            if (SlowOnes.Contains(n))
            {
                await Task.Delay(Slow);
            }
        }

        public Task Arrived(int n) => _arrived[n - 1].Task.WaitAsync(TimeSpan.FromSeconds(30), Cancel);

        public void Release(int n) => _released[n - 1].TrySetResult();
    }

    private static HubConnectivity Probe(HubStub hub) => new(
        Microsoft.Extensions.Options.Options.Create(new EdgeOptions { Municipality = "131016", HubAddress = hub.Address, HubProbeInterval = TimeSpan.FromMilliseconds(50) }),
        TimeProvider.System, NullLogger<HubConnectivity>.Instance);

    [Fact]
    public async Task A_probe_that_times_out_after_sync_reached_the_hub_leaves_the_terminal_online()
    {
        var checks = new Checks { SlowOnes = new HashSet<int> { 1 } };
        await using var hub = await HubStub.StartAsync(beforeCheck: checks.BeforeCheck);
        using var connectivity = Probe(hub);
        await connectivity.StartAsync(Cancel);
        try
        {
            // The hub has just started: the probe's first check is slow, and meanwhile a sync gets through.
            await checks.Arrived(1);
            connectivity.ReportContact(true);
            checks.Release(1);

            await checks.Arrived(2);
            Assert.True(connectivity.IsOnline, "the probe's timeout is older than sync's answer, so it does not make the terminal offline");
            checks.Release(2);

            // The same for any attempt: a failure that began before the hub's last answer is stale news.
            var mark = connectivity.ContactMark;
            connectivity.ReportContact(true);
            connectivity.ReportContact(false, mark);
            Assert.True(connectivity.IsOnline);
            connectivity.ReportContact(false, connectivity.ContactMark);
            Assert.False(connectivity.IsOnline);
        }
        finally
        {
            await connectivity.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task One_slow_answer_keeps_the_terminal_online_and_a_hub_that_stays_silent_makes_it_offline()
    {
        var checks = new Checks { SlowOnes = new HashSet<int> { 2, 4, 5 } };
        await using var hub = await HubStub.StartAsync(beforeCheck: checks.BeforeCheck);
        using var connectivity = Probe(hub);
        await connectivity.StartAsync(Cancel);
        try
        {
            checks.Release(1);
            await checks.Arrived(2);
            Assert.True(connectivity.IsOnline);

            // One check goes unanswered in time: the probe asks again before it counts.
            checks.Release(2);
            await checks.Arrived(3);
            Assert.True(connectivity.IsOnline, "one slow answer is not an outage");
            checks.Release(3);

            // Two in a row: the hub is unreachable as far as the terminal can tell, and its records say offline.
            await checks.Arrived(4);
            Assert.True(connectivity.IsOnline);
            checks.Release(4);
            await checks.Arrived(5);
            checks.Release(5);
            await checks.Arrived(6);
            Assert.False(connectivity.IsOnline, "a hub that answers nothing within two probes is unreachable");
            checks.Release(6);
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (!connectivity.IsOnline && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20, Cancel);
            }
            Assert.True(connectivity.IsOnline, "it answers again");
        }
        finally
        {
            await connectivity.StopAsync(CancellationToken.None);
        }
    }
}
