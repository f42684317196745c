using CardAp.Edge.Api;
using CardAp.Edge.Hub;
using CardAp.Edge.Options;
using CardAp.Edge.Sync;
using CardAp.Edge.Tests.Backup;
using CardAp.Edge.Tests.Integration;
using CardAp.Edge.Tests.Store;
using CardAp.Sync.Edge;
using Grpc.Core;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CardAp.Edge.Tests.Sync;

/// <summary>Sync hosted in the edge: backoff, the run when the hub comes back, "sync now" and status in the terminal API, settings.</summary>
public sealed class SyncHostingTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>Always the top of the jitter range, so each wait shows its ceiling.</summary>
    private sealed class TopOfRange : Random
    {
        public override double NextDouble() => 1.0;
    }

    private sealed class Fixed(double value) : Random
    {
        public override double NextDouble() => value;
    }

    [Fact]
    public void Backoff_doubles_from_its_base_up_to_its_cap_with_the_wait_anywhere_below()
    {
        var @base = TimeSpan.FromSeconds(5);
        var max = TimeSpan.FromMinutes(1);

        Assert.Equal([5, 10, 20, 40, 60, 60], Enumerable.Range(1, 6).Select(n => SyncBackoff.Ceiling(n, @base, max).TotalSeconds));
        Assert.Equal(max, SyncBackoff.Ceiling(10_000, @base, max));
        Assert.Equal(TimeSpan.Zero, SyncBackoff.Delay(3, @base, max, new Fixed(0)));
        Assert.Equal(TimeSpan.FromSeconds(5), SyncBackoff.Delay(3, @base, max, new Fixed(0.25)));
        Assert.Equal(TimeSpan.FromSeconds(20), SyncBackoff.Delay(3, @base, max, new TopOfRange()));
        var spread = Enumerable.Range(0, 200).Select(_ => SyncBackoff.Delay(4, @base, max, Random.Shared)).ToList();
        Assert.All(spread, d => Assert.InRange(d, TimeSpan.Zero, TimeSpan.FromSeconds(40)));
        Assert.True(spread.Distinct().Count() > 100, "full jitter spreads the waits");
        Assert.Throws<ArgumentOutOfRangeException>(() => SyncBackoff.Ceiling(0, @base, max));
    }

    [Fact]
    public async Task While_the_hub_is_unreachable_sync_backs_off_and_it_runs_at_once_when_the_hub_is_back()
    {
        var clock = new ManualTimeProvider(TempStore.T0);
        var hub = new FakeHub { BeforeCall = (_, _) => throw new RpcException(new Status(StatusCode.Unavailable, "LGWAN down")) };
        var host = await SyncRig.HostAsync(hub);
        using var store = new TempStore();
        var edge = new EdgeOptions { Municipality = "131016", HubAddress = SyncRig.AddressOf(host) };
        var connectivity = new HubConnectivity(Microsoft.Extensions.Options.Options.Create(edge), clock, NullLogger<HubConnectivity>.Instance);
        var settings = new EdgeSyncOptions { Interval = TimeSpan.FromHours(1), BackoffBase = TimeSpan.FromSeconds(1), BackoffMax = TimeSpan.FromSeconds(4) };
        using var service = new SyncBackgroundService(Microsoft.Extensions.Options.Options.Create(edge), Microsoft.Extensions.Options.Options.Create(settings), Microsoft.Extensions.Options.Options.Create(store.Options),
            new EdgeSyncStore(store.Master, store.Outbox, store.Records, clock), connectivity, clock, NullLoggerFactory.Instance, new TopOfRange());
        try
        {
            store.Records.RecordTransaction(TempStore.Transaction("offline-1"), TempStore.Audit());
            connectivity.ReportContact(true);
            await service.StartAsync(Cancel);

            foreach (var (failures, wait) in new[] { (1, 1), (2, 2), (3, 4), (4, 4) })
            {
                var due = await clock.WaitForTimerAsync();
                var status = service.Status;
                Assert.Equal(failures, status.Engine.ConsecutiveFailures);
                Assert.Equal("HubUnreachable", status.Engine.LastError?.Reason);
                Assert.Equal(TimeSpan.FromSeconds(wait), due - clock.GetUtcNow());
                Assert.Equal(due, status.NextAttempt);
                Assert.False(connectivity.IsOnline); // what sync saw is what the pipeline's offline flag follows
                clock.AdvanceTo(due);
            }

            // The hub answers again and the probe notices: sync runs now, not after its backoff.
            var waiting = await clock.WaitForTimerAsync();
            hub.BeforeCall = null;
            connectivity.ReportContact(true);
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (service.Status.Engine.LastSuccess is null && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20, Cancel);
            }

            Assert.NotNull(service.Status.Engine.LastSuccess);
            Assert.True(clock.GetUtcNow() < waiting, "the run came before the backoff ended");
            Assert.Equal(0, service.Status.Engine.ConsecutiveFailures);
            Assert.Equal(1, hub.Through("transactions"));
            var next = await clock.WaitForTimerAsync();
            Assert.Equal(settings.Interval, next - clock.GetUtcNow());
            Assert.True(connectivity.IsOnline);
        }
        finally
        {
            await service.StopAsync(CancellationToken.None);
            await host.StopAsync(CancellationToken.None);
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task Sync_now_in_the_terminal_api_runs_over_mutual_tls_and_the_status_shows_it()
    {
        var directory = Directory.CreateTempSubdirectory("cardap-syncnow-");
        try
        {
            using var pki = new TestPki("CardAp Hub CA");
            using var server = pki.Issue("hub", server: true);
            using var terminal = pki.Issue("131016-T001", server: false);
            var hub = new FakeHub();
            hub.Put("cardStatus", "131016/C0001", """{"status":"revoked"}""");
            hub.Put("pointsBalance", "P001", """{"balance":300}""");
            var host = await SyncRig.HostAsync(hub, pki.Ca, server);
            await using var _ = host;
            var caPath = Path.Combine(directory.FullName, "hub-ca.pem");
            await File.WriteAllTextAsync(caPath, pki.Ca.ExportCertificatePem(), Cancel);
            var (certificate, key) = TestPki.WritePem(terminal, directory.FullName, "terminal");
            await using var edge = await EdgeHost.StartAsync(directory.FullName, TimeProvider.System, new Dictionary<string, string?>
            {
                ["Edge:Readers"] = "Virtual",
                ["Edge:HubAddress"] = SyncRig.AddressOf(host),
                ["Edge:HubCaCertificatePath"] = caPath,
                ["Edge:HubClientCertificatePath"] = certificate,
                ["Edge:HubClientKeyPath"] = key,
                ["Edge:Sync:Interval"] = "01:00:00",
            });
            hub.Put("pointsBalance", "P002", """{"balance":50}""");

            var reply = await edge.Client.SyncNowAsync(new SyncNowRequest(), cancellationToken: Cancel);

            Assert.True(reply.Succeeded, reply.Problem?.MessageEn);
            Assert.Null(reply.Problem);
            Assert.Contains("同期が完了しました", reply.MessageJa, StringComparison.Ordinal);
            Assert.Equal("""{"balance":50}""", edge.Get<CardAp.Edge.Store.MasterData>().GetJson("pointsBalance", "P002"));
            var status = await edge.Client.GetStatusAsync(new StatusRequest(), cancellationToken: Cancel);
            Assert.True(status.Sync.Configured);
            Assert.False(status.Sync.Running);
            Assert.NotNull(status.Sync.LastSuccess);
            Assert.Null(status.Sync.LastError);
            Assert.Equal(hub.LastSeq, status.Sync.MasterCheckpoint);
            Assert.True(status.Sync.ClockSkewKnown);
            Assert.NotNull(status.Sync.NextAttempt);
            Assert.Equal(0, status.Sync.Backlog);
            Assert.True(hub.CallCount("Hello") >= 1);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Without_a_hub_sync_now_says_so_in_both_languages_and_the_status_shows_it_off()
    {
        var directory = Directory.CreateTempSubdirectory("cardap-nosync-");
        try
        {
            await using var edge = await EdgeHost.StartAsync(directory.FullName, TimeProvider.System, new Dictionary<string, string?> { ["Edge:Readers"] = "Virtual" });

            var reply = await edge.Client.SyncNowAsync(new SyncNowRequest(), cancellationToken: Cancel);

            Assert.False(reply.Succeeded);
            Assert.Equal("SyncNotConfigured", reply.Problem.Reason);
            Assert.Contains("offline", reply.MessageEn, StringComparison.Ordinal);
            Assert.Contains("オフライン", reply.MessageJa, StringComparison.Ordinal);
            var status = await edge.Client.GetStatusAsync(new StatusRequest(), cancellationToken: Cancel);
            Assert.False(status.Sync.Configured);
            Assert.Null(status.Sync.LastError);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void Sync_settings_are_checked_at_start_naming_each_setting()
    {
        var validator = new EdgeSyncOptionsValidator();

        Assert.True(validator.Validate(null, new EdgeSyncOptions()).Succeeded);
        var result = validator.Validate(null, new EdgeSyncOptions
        {
            Interval = TimeSpan.Zero,
            BatchSize = 1001,
            PageSize = 0,
            CallTimeout = TimeSpan.FromHours(1),
            BackoffBase = TimeSpan.FromMinutes(5),
            BackoffMax = TimeSpan.FromMinutes(1),
        });

        Assert.False(result.Succeeded);
        var failures = string.Join('\n', result.Failures!);
        foreach (var setting in new[] { "Edge:Sync:Interval", "Edge:Sync:BatchSize", "Edge:Sync:PageSize", "Edge:Sync:CallTimeout", "Edge:Sync:BackoffMax" })
        {
            Assert.Contains(setting, failures, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_bad_sync_setting_stops_the_edge_at_start()
    {
        var directory = Directory.CreateTempSubdirectory("cardap-badsync-");
        try
        {
            var e = await Assert.ThrowsAsync<OptionsValidationException>(() => EdgeHost.StartAsync(directory.FullName, TimeProvider.System,
                new Dictionary<string, string?> { ["Edge:Readers"] = "Virtual", ["Edge:Sync:BatchSize"] = "5000" }));
            Assert.Contains("Edge:Sync:BatchSize must be 1 to 1000", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            directory.Delete(recursive: true);
        }
    }
}
