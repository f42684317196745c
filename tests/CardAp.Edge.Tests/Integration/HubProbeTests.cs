using CardAp.Edge.Hub;

namespace CardAp.Edge.Tests.Integration;

/// <summary>The edge reaches the hub only over mutual TLS, with its enrolment certificate.</summary>
public sealed class HubProbeTests
{
    [Fact]
    public async Task With_its_certificate_the_edge_sees_the_hub_and_with_a_foreign_one_it_stays_offline()
    {
        var directory = Directory.CreateTempSubdirectory("cardap-hubprobe-");
        try
        {
            using var hubPki = new TestPki("CardAp Hub CA");
            using var foreignPki = new TestPki("Not the hub");
            using var server = hubPki.Issue("hub", server: true);
            await using var hub = await HubStub.StartAsync(hubPki.Ca, server);
            var caPath = Path.Combine(directory.FullName, "hub-ca.pem");
            await File.WriteAllTextAsync(caPath, hubPki.Ca.ExportCertificatePem(), TestContext.Current.CancellationToken);
            using var terminal = hubPki.Issue("131016-T001", server: false);
            using var foreign = foreignPki.Issue("131016-T001", server: false);

            Assert.True(await ProbeAsync(directory.FullName, hub.Address, caPath, TestPki.WritePem(terminal, directory.FullName, "terminal")));
            Assert.False(await ProbeAsync(directory.FullName, hub.Address, caPath, TestPki.WritePem(foreign, directory.FullName, "foreign")));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            directory.Delete(recursive: true);
        }
    }

    private static async Task<bool> ProbeAsync(string directory, string hubAddress, string caPath, (string Certificate, string Key) client)
    {
        var edgeDirectory = Directory.CreateDirectory(Path.Combine(directory, Path.GetFileNameWithoutExtension(client.Certificate)));
        await using var edge = await EdgeHost.StartAsync(edgeDirectory.FullName, TimeProvider.System, new Dictionary<string, string?>
        {
            ["Edge:HubAddress"] = hubAddress,
            ["Edge:HubProbeInterval"] = "00:00:00.200",
            ["Edge:HubCaCertificatePath"] = caPath,
            ["Edge:HubClientCertificatePath"] = client.Certificate,
            ["Edge:HubClientKeyPath"] = client.Key,
        });
        var connectivity = edge.Get<HubConnectivity>();
        var deadline = DateTime.UtcNow.AddSeconds(4);
        while (DateTime.UtcNow < deadline)
        {
            if (connectivity.IsOnline)
            {
                return true;
            }
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
        return false;
    }
}
