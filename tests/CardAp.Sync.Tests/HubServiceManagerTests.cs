using CardAp.Hub.Api;
using CardAp.Hub.Security;
using CardAp.Hub.Tests.Host;

namespace CardAp.Sync.Tests;

/// <summary>
/// The built cardap-hub under systemd as a Type=notify unit (deploy/systemd/cardap-hub.service):
/// the test binds the notify socket and passes it in NOTIFY_SOCKET. The edge's twin is
/// CardAp.Edge.Tests' ServiceManagerTests.
/// </summary>
public sealed class HubServiceManagerTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Tells_systemd_ready_only_once_it_serves_and_stopping_on_sigterm_then_exits_cleanly()
    {
        using var pki = new HubPki();
        using var notify = new NotifySocket(pki.Directory);
        await using var hub = await HubProcess.StartAsync(pki, HubProcess.FreePort(),
            environment: new Dictionary<string, string?> { ["NOTIFY_SOCKET"] = notify.Path }, waitUntilServing: false);

        // Migrations run before it: READY=1 means the schema is current and mutual TLS answers.
        await notify.WaitForAsync("READY=1", TimeSpan.FromSeconds(60));
        using (var certificate = pki.Ca.IssueAdminCertificate("it-1", CallerRole.CentralIt, [MunicipalityFixture.Chiyoda]))
        using (var channel = HubProcess.Channel(hub.Address, pki.Ca.Certificate, certificate))
        {
            var me = await new Admin.AdminClient(channel).WhoAmIAsync(new WhoAmIRequest(), deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: Cancel);
            Assert.Equal("it-1", me.Id);
        }

        hub.Terminate();
        await notify.WaitForAsync("STOPPING=1", TimeSpan.FromSeconds(10));
        Assert.True(await hub.WaitForExitAsync(TimeSpan.FromSeconds(40)), "cardap-hub did not exit within its shutdown timeout after SIGTERM");
        Assert.Equal(0, hub.ExitCode);
        Assert.Equal(["READY=1", "STOPPING=1"], notify.Received);
    }
}
