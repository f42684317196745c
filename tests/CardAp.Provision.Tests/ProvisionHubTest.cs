using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using CardAp.Hub.Api;
using CardAp.Hub.Tests.Host;
using CardAp.Provision.Cli;
using Grpc.Net.Client;

namespace CardAp.Provision.Tests;

/// <summary>
/// The set-up every provisioning test starts from, through cardap-provision run as a process: a hub
/// CA (`ca init`), the hub's server certificate and a central-IT administrator for 131016, and the
/// real hub on loopback with mutual TLS using them. Each test gets its own folder, CA and hub.
/// </summary>
public abstract class ProvisionHubTest : IAsyncLifetime
{
    protected const string Passphrase = "correct horse battery staple";
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("cardap-provision-");
    private HubPki _pki = null!;

    protected static CancellationToken Cancel => TestContext.Current.CancellationToken;

    protected string Root => _root.FullName;

    protected string Ca => Path.Combine(Root, "ca");

    protected string PassphraseFile => Path.Combine(Root, "pass.txt");

    private protected HubHost HubHost { get; private set; } = null!;

    public virtual async ValueTask InitializeAsync()
    {
        await File.WriteAllTextAsync(PassphraseFile, Passphrase + "\n", Cancel);
        Assert.Equal(0, (await ProvisionAsync("ca", "init", "--ca", Ca)).ExitCode);
        Assert.Equal(0, (await ProvisionAsync("ca", "issue-server", "--ca", Ca, "--host", "127.0.0.1", "--host", "localhost", "--out", Path.Combine(Root, "hub-server.pem"))).ExitCode);
        Assert.Equal(0, (await ProvisionAsync("ca", "issue-admin", "--ca", Ca, "--id", "it-sato", "--role", "central-it", "--municipality", "131016", "--out", Path.Combine(Root, "it-sato.pem"))).ExitCode);
        _pki = new HubPki();
        HubHost = await HubHost.StartAsync(_pki, new Dictionary<string, string?>
        {
            ["Hub:CaCertificatePath"] = Path.Combine(Ca, "hub-ca.pem"),
            ["Hub:ServerCertificatePath"] = Path.Combine(Root, "hub-server.pem"),
            ["Hub:ServerKeyPath"] = Path.Combine(Root, "hub-server.key"),
        });
    }

    public virtual async ValueTask DisposeAsync()
    {
        await HubHost.DisposeAsync();
        _pki.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _root.Delete(recursive: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>The options that reach the hub as the administrator it-sato.</summary>
    protected string[] Hub() =>
    [
        "--hub", HubHost.Address.ToString(), "--hub-ca", Path.Combine(Ca, "hub-ca.pem"),
        "--admin-cert", Path.Combine(Root, "it-sato.pem"), "--admin-key", Path.Combine(Root, "it-sato.key"),
    ];

    /// <summary>
    /// The admin API as it-sato, straight from the test (not through the tool), to set up rows and to
    /// check what the tool did. The channel trusts only the CA from `ca init`.
    /// </summary>
    protected (GrpcChannel Channel, Admin.AdminClient Client) Admin()
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
        var channel = GrpcChannel.ForAddress(HubHost.Address, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
        return (channel, new Admin.AdminClient(channel));
    }

    /// <summary>Runs cardap-provision with the passphrase file and <paramref name="args"/>, to its end.</summary>
    protected async Task<Run> ProvisionAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "cardap-provision.dll"));
        start.ArgumentList.Add("--passphrase-file");
        start.ArgumentList.Add(PassphraseFile);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(Cancel);
        var error = process.StandardError.ReadToEndAsync(Cancel);
        await process.WaitForExitAsync(Cancel);
        return new Run(process.ExitCode, await output, await error);
    }

    protected sealed record Run(int ExitCode, string Output, string Error)
    {
        public JsonObject? Json => Output.TrimStart().StartsWith('{') ? JsonNode.Parse(Output)!.AsObject() : null;

        public override string ToString() => $"exit {ExitCode}: {Output} {Error}";
    }
}
