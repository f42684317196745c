using System.Security.Cryptography.X509Certificates;
using CardAp.Provision.Cli;
using CardAp.Provision.Tests;
using CardAp.Sync.Tests;
using Grpc.Net.Client;

namespace CardAp.SystemTests;

/// <summary>
/// Central IT's desk, once for all scenarios, made with cardap-provision as a process: the hub CA
/// (`ca init`), the hub's server certificate and an administrator acting for both municipalities.
/// Every scenario's hub runs with these certificates and enrols its terminals with this CA. The
/// municipalities' issuing keys belong to a hub's database, so each world makes its own.
/// </summary>
public sealed class CentralIt : IAsyncLifetime
{
    public const string Passphrase = "correct horse battery staple";
    public const string AdminId = "it-sato";

    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("cardap-system-it-");
    private X509Certificate2? _adminCertificate;
    private X509Certificate2? _hubCa;

    public string Root => _root.FullName;

    public string Ca => Path.Combine(Root, "ca");

    public string CaCertificatePath => Path.Combine(Ca, "hub-ca.pem");

    public string PassphraseFile => Path.Combine(Root, "pass.txt");

    public string ServerCertificatePath => Path.Combine(Root, "hub-server.pem");

    public string ServerKeyPath => Path.Combine(Root, "hub-server.key");

    private string AdminCertificatePath => Path.Combine(Root, AdminId + ".pem");

    private string AdminKeyPath => Path.Combine(Root, AdminId + ".key");

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await File.WriteAllTextAsync(PassphraseFile, Passphrase + "\n", Cancel);
        Require(await ProvisionAsync("ca", "init", "--ca", Ca));
        Require(await ProvisionAsync("ca", "issue-server", "--ca", Ca, "--host", "127.0.0.1", "--host", "localhost", "--out", ServerCertificatePath));
        Require(await ProvisionAsync("ca", "issue-admin", "--ca", Ca, "--id", AdminId, "--role", "central-it",
            "--municipality", SystemWorld.Chiyoda, "--municipality", SystemWorld.Sapporo, "--out", AdminCertificatePath));
        _hubCa = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(CaCertificatePath, Cancel));
        using var key = ProtectedKeys.ReadECDsa(AdminKeyPath, Passphrase);
        using var certificate = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(AdminCertificatePath, Cancel));
        using var withKey = certificate.CopyWithPrivateKey(key);
        // Through PKCS#12: on Linux, TLS takes a client certificate's key only from a loaded store.
        _adminCertificate = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), password: null);
    }

    public ValueTask DisposeAsync()
    {
        _adminCertificate?.Dispose();
        _hubCa?.Dispose();
        _root.Delete(recursive: true);
        return ValueTask.CompletedTask;
    }

    /// <summary>Runs cardap-provision with the passphrase file and <paramref name="args"/>, to its end.</summary>
    public Task<Run> ProvisionAsync(params string[] args) => ProvisionProcess.RunAsync(PassphraseFile, new Dictionary<string, string?>(), args, Cancel);

    /// <summary>Runs cardap-provision and fails the test, with its output, unless it exits 0.</summary>
    public async Task<Run> RequireAsync(params string[] args)
    {
        var run = await ProvisionAsync(args);
        Require(run);
        return run;
    }

    /// <summary>The options that reach <paramref name="hub"/> as the administrator.</summary>
    public string[] HubOptions(Uri hub) =>
    [
        "--hub", hub.ToString(), "--hub-ca", CaCertificatePath, "--admin-cert", AdminCertificatePath, "--admin-key", AdminKeyPath,
    ];

    /// <summary>A channel to <paramref name="hub"/> as the administrator, trusting only the hub CA. The caller disposes it.</summary>
    public GrpcChannel ConnectAdmin(Uri hub) => HubProcess.Channel(hub, _hubCa!, _adminCertificate!);

    private static void Require(Run run) => Assert.True(run.ExitCode == 0, run.ToString());
}
