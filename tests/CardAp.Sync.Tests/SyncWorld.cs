using System.Text.Json.Nodes;
using CardAp.Edge.Api;
using CardAp.Edge.Tests.Integration;
using CardAp.Hub.Api;
using CardAp.Hub.Security;
using CardAp.Hub.Tests.Host;
using CardAp.VirtualCard.InProcess;

namespace CardAp.Sync.Tests;

/// <summary>
/// One municipality's hub and one of its terminals, both real hosts on loopback, with the edge
/// reaching the hub over mutual TLS through a <see cref="FaultProxy"/> the test controls. The hub
/// holds the municipality, the terminal's row and the master data a counter needs; the edge
/// starts empty and gets everything by sync. Cards go into the edge's in-process readers.
/// </summary>
internal sealed class SyncWorld : IAsyncDisposable
{
    public const string Terminal = "131016-T001";
    public const string OperatorReader = "CardAp Virtual Reader 0";
    public const string ResidentReader = "CardAp Virtual Reader 1";

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("cardap-sync-");
    private readonly List<IDisposable> _channels = [];
    private int _requests;

    private SyncWorld(HubPki pki, HubHost hub, FaultProxy proxy)
    {
        Pki = pki;
        Hub = hub;
        Proxy = proxy;
    }

    public EdgeWorld Town { get; } = new();

    public HubPki Pki { get; }

    public HubHost Hub { get; }

    public FaultProxy Proxy { get; }

    public EdgeHost Edge { get; private set; } = null!;

    public ManualClock Clock { get; } = new(EdgeWorld.WorkingDay);

    public Admin.AdminClient CentralIt { get; private set; } = null!;

    public CardAp.Hub.Api.Reports.ReportsClient Reports { get; private set; } = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public static async Task<SyncWorld> StartAsync(int seed = 1, IDictionary<string, string?>? edgeSettings = null)
    {
        var pki = new HubPki();
        var hub = await HubHost.StartAsync(pki);
        var proxy = FaultProxy.Start(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, hub.Address.Port), seed);
        var world = new SyncWorld(pki, hub, proxy);
        await world.SeedHubAsync();
        await world.StartEdgeAsync(edgeSettings);
        return world;
    }

    /// <summary>Central IT registers the municipality, its terminal and the master data of EdgeWorld.</summary>
    private async Task SeedHubAsync()
    {
        var central = Channel(Pki.Ca.IssueAdminCertificate("it-1", CallerRole.CentralIt, [MunicipalityFixture.Chiyoda]));
        CentralIt = new Admin.AdminClient(central);
        Reports = new CardAp.Hub.Api.Reports.ReportsClient(central);
        await CentralIt.AddMunicipalityAsync(new AddMunicipalityRequest { Municipality = "131016", Name = "千代田区" }, cancellationToken: Cancel);
        await PutAsync("terminal", Terminal, new JsonObject
        {
            ["site"] = "honcho",
            ["services"] = new JsonArray("library", "points", "seal", "shelter", "checkup"),
            ["status"] = "active",
        });
        foreach (var row in Town.MasterData())
        {
            await CentralIt.PutMasterAsync(new PutMasterRequest { Municipality = "131016", Kind = row.Kind, Key = row.Key, PayloadJson = row.PayloadJson }, cancellationToken: Cancel);
        }
    }

    private async Task StartEdgeAsync(IDictionary<string, string?>? settings)
    {
        using var certificate = Pki.Ca.IssueTerminalCertificate(Terminal);
        var certificatePath = Path.Combine(_directory.FullName, "terminal.pem");
        var keyPath = Path.Combine(_directory.FullName, "terminal.key");
        CertificatePem.Write(certificate, certificatePath, keyPath);
        var config = new Dictionary<string, string?>
        {
            ["Edge:Readers"] = "Virtual",
            ["Edge:HubAddress"] = $"https://127.0.0.1:{Proxy.Port}",
            ["Edge:HubCaCertificatePath"] = Pki.CaCertificatePath,
            ["Edge:HubClientCertificatePath"] = certificatePath,
            ["Edge:HubClientKeyPath"] = keyPath,
            ["Edge:HubProbeInterval"] = "00:00:01",
            // Tests sync on demand; the interval only has to stay out of the way.
            ["Edge:Sync:Interval"] = "01:00:00",
            ["Edge:Sync:CallTimeout"] = "00:00:05",
            ["Edge:Sync:BackoffBase"] = "00:00:01",
            ["Edge:Sync:BackoffMax"] = "00:00:02",
            ["Store:TerminalId"] = Terminal,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            config[key] = value;
        }
        Edge = await EdgeHost.StartAsync(Path.Combine(_directory.FullName, "edge"), Clock, config);
    }

    public Task PutAsync(string kind, string key, JsonObject payload) =>
        CentralIt.PutMasterAsync(new PutMasterRequest { Municipality = "131016", Kind = kind, Key = key, PayloadJson = payload.ToJsonString() }, cancellationToken: Cancel).ResponseAsync;

    public Task<SyncNowReply> SyncAsync() => Edge.Client.SyncNowAsync(new SyncNowRequest(), cancellationToken: Cancel).ResponseAsync;

    /// <summary>
    /// Syncs until a run succeeds (the first calls after the network returns may still fail),
    /// giving up after <paramref name="attempts"/> runs. Returns every run's reply.
    /// </summary>
    public async Task<IReadOnlyList<SyncNowReply>> SyncUntilSucceededAsync(int attempts = 20, int pauseMs = 250)
    {
        var replies = new List<SyncNowReply>();
        for (var i = 0; i < attempts; i++)
        {
            var reply = await SyncAsync();
            replies.Add(reply);
            if (reply.Succeeded)
            {
                return replies;
            }
            await Task.Delay(pauseMs, Cancel);
        }
        throw new Xunit.Sdk.XunitException($"No sync succeeded in {attempts} runs; the last said: {replies[^1].MessageEn} ({replies[^1].Problem})");
    }

    /// <summary>Waits until the edge's hub probe sees the hub as <paramref name="online"/> (it probes every second here).</summary>
    public async Task WaitUntilOnlineIsAsync(bool online)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await Edge.Client.GetStatusAsync(new StatusRequest(), cancellationToken: Cancel)).Online != online)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The edge did not see the hub as {(online ? "online" : "offline")} within 30 s.");
            }
            await Task.Delay(100, Cancel);
        }
    }

    public InProcessCardReaders Readers => (InProcessCardReaders)Edge.Get<CardAp.Card.Readers.ICardReaders>();

    /// <summary>Signs a librarian in with an operator card in reader 0.</summary>
    public async Task<string> SignInAsync(string id = "staff-1", string role = "librarian")
    {
        Readers.Remove(OperatorReader);
        Readers.Insert(OperatorReader, Town.Operator(id, role));
        return (await Edge.Client.SignInAsync(new SignInRequest { Reader = OperatorReader, Pin = "1111" }, cancellationToken: Cancel)).Session;
    }

    public void InsertResident(string cardNumber)
    {
        Readers.Remove(ResidentReader);
        Readers.Insert(ResidentReader, Town.Resident(cardNumber));
    }

    public Task<OperationReply> ExecuteAsync(string session, string service, string operation, params (string Key, string Value)[] fields) =>
        ExecuteAsync(Request(session, service, operation, fields));

    public Task<OperationReply> ExecuteAsync(OperationRequest request) => Edge.Client.ExecuteAsync(request, cancellationToken: Cancel).ResponseAsync;

    /// <summary>An operation on the resident's card in reader 1, with its PIN and a new request id.</summary>
    public OperationRequest Request(string session, string service, string operation, params (string Key, string Value)[] fields)
    {
        var request = new OperationRequest
        {
            RequestId = $"req-{Interlocked.Increment(ref _requests)}",
            Session = session,
            Service = service,
            Operation = operation,
            Reader = ResidentReader,
            Pin = EdgeWorld.ResidentPin,
        };
        foreach (var (key, value) in fields)
        {
            request.Fields[key] = value;
        }
        return request;
    }

    private Grpc.Net.Client.GrpcChannel Channel(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate)
    {
        var channel = Hub.Channel(certificate);
        _channels.Add(channel);
        return channel;
    }

    public async ValueTask DisposeAsync()
    {
        if (Edge is not null)
        {
            await Edge.DisposeAsync();
        }
        await Proxy.DisposeAsync();
        _channels.ForEach(c => c.Dispose());
        await Hub.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Town.Dispose();
        Pki.Dispose();
        _directory.Delete(recursive: true);
    }
}
