using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using CardAp.Hub.Api;
using CardAp.Hub.Tests.Host;
using CardAp.Provision.Cli;
using Grpc.Net.Client;

namespace CardAp.Provision.Tests;

/// <summary>
/// Central IT's desk for a test: through cardap-provision run as a process, a hub CA, the hub's
/// server certificate and an administrator (central IT for <see cref="Municipalities"/>), and the
/// real hub on loopback with that certificate. Tests run the tool against it with <see cref="ProvisionAsync(string[])"/>.
/// </summary>
public class ProvisionWorld(params string[] municipalities) : IAsyncLifetime
{
    public const string Passphrase = "correct horse battery staple";

    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("cardap-provision-");
    private HubPki _pki = null!;
    private HubHost _hub = null!;
    private GrpcChannel? _adminChannel;

    public IReadOnlyList<string> Municipalities => municipalities;

    public string Root => _root.FullName;

    public string Ca => Path.Combine(Root, "ca");

    public string PassphraseFile => Path.Combine(Root, "pass.txt");

    public string Keys => Path.Combine(Root, "keys");

    internal HubHost HubHost => _hub;

    protected static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public virtual async ValueTask InitializeAsync()
    {
        await File.WriteAllTextAsync(PassphraseFile, Passphrase + "\n", Cancel);
        Require(await ProvisionAsync("ca", "init", "--ca", Ca));
        Require(await ProvisionAsync("ca", "issue-server", "--ca", Ca, "--host", "127.0.0.1", "--host", "localhost", "--out", Path.Combine(Root, "hub-server.pem")));
        Require(await ProvisionAsync(["ca", "issue-admin", "--ca", Ca, "--id", "it-sato", "--role", "central-it",
            .. municipalities.SelectMany(m => new[] { "--municipality", m }), "--out", Path.Combine(Root, "it-sato.pem")]));
        _pki = new HubPki();
        _hub = await HubHost.StartAsync(_pki, new Dictionary<string, string?>
        {
            ["Hub:CaCertificatePath"] = Path.Combine(Ca, "hub-ca.pem"),
            ["Hub:ServerCertificatePath"] = Path.Combine(Root, "hub-server.pem"),
            ["Hub:ServerKeyPath"] = Path.Combine(Root, "hub-server.key"),
        });
    }

    public virtual async ValueTask DisposeAsync()
    {
        _adminChannel?.Dispose();
        if (_hub is not null)
        {
            await _hub.DisposeAsync();
        }
        _pki?.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _root.Delete(recursive: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>The options that reach the hub as it-sato.</summary>
    public string[] Hub() =>
    [
        "--hub", _hub.Address.ToString(), "--hub-ca", Path.Combine(Ca, "hub-ca.pem"),
        "--admin-cert", Path.Combine(Root, "it-sato.pem"), "--admin-key", Path.Combine(Root, "it-sato.key"),
    ];

    /// <summary>
    /// A channel to the admin API as it-sato, straight from the test (not through the tool), to set up
    /// rows and to check what the tool did. It trusts only the CA from `ca init`. The caller disposes it.
    /// </summary>
    public (GrpcChannel Channel, Admin.AdminClient Client) ConnectAdmin()
    {
        var ca = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(Ca, "hub-ca.pem")));
        using var key = ProtectedKeys.ReadECDsa(Path.Combine(Root, "it-sato.key"), Passphrase);
        using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(Root, "it-sato.pem")));
        using var withKey = certificate.CopyWithPrivateKey(key);
        var client = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), password: null);
        var handler = new SocketsHttpHandler();
        handler.SslOptions.ClientCertificates = [client];
        handler.SslOptions.RemoteCertificateValidationCallback = (_, server, _, _) =>
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return server is not null && chain.Build(X509CertificateLoader.LoadCertificate(server.GetRawCertData()));
        };
        var channel = GrpcChannel.ForAddress(_hub.Address, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
        return (channel, new Admin.AdminClient(channel));
    }

    /// <summary>The admin API as it-sato on one channel kept for the world's life (see <see cref="ConnectAdmin"/>).</summary>
    public Admin.AdminClient Admin
    {
        get
        {
            if (_adminChannel is null)
            {
                (_adminChannel, _) = ConnectAdmin();
            }
            return new Admin.AdminClient(_adminChannel);
        }
    }

    public async Task<IReadOnlyDictionary<string, JsonObject>> MasterAsync(string municipality, string kind) =>
        (await Admin.ListMasterAsync(new ListMasterRequest { Municipality = municipality, Kind = kind }, cancellationToken: Cancel)).Rows
            .ToDictionary(r => r.Key, r => JsonNode.Parse(r.PayloadJson)!.AsObject());

    public Task<Run> ProvisionAsync(params string[] args) => ProvisionAsync(new Dictionary<string, string?>(), args);

    /// <summary>Runs cardap-provision (with --passphrase-file) as a process with extra environment variables.</summary>
    public Task<Run> ProvisionAsync(IReadOnlyDictionary<string, string?> environment, params string[] args) =>
        ProvisionProcess.RunAsync(PassphraseFile, environment, args, Cancel);

    public static void Require(Run run) => Assert.True(run.ExitCode == 0, run.ToString());
}
