using System.CommandLine;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CardAp.Hub.Api;
using Grpc.Net.Client;

namespace CardAp.Provision.Cli;

/// <summary>
/// How a command reaches the hub's admin API: its address, the CA that signed the hub's server
/// certificate, and this administrator's client certificate and (passphrase-protected) key, from
/// options or the environment (CARDAP_HUB, CARDAP_HUB_CA, CARDAP_ADMIN_CERT, CARDAP_ADMIN_KEY).
/// </summary>
public sealed class HubOptions
{
    public Option<string?> Hub { get; } = new("--hub") { Description = "The hub's address, e.g. https://hub.example.lg.jp:5001 (or CARDAP_HUB)." };

    public Option<FileInfo?> HubCa { get; } = new("--hub-ca") { Description = "The hub CA certificate (PEM) that signed the hub's server certificate (or CARDAP_HUB_CA)." };

    public Option<FileInfo?> AdminCertificate { get; } = new("--admin-cert") { Description = "Your administrator certificate (PEM), from `ca issue-admin` (or CARDAP_ADMIN_CERT)." };

    public Option<FileInfo?> AdminKey { get; } = new("--admin-key") { Description = "Its private key (encrypted PEM; the passphrase as for every key) (or CARDAP_ADMIN_KEY)." };

    public IEnumerable<Option> All => [Hub, HubCa, AdminCertificate, AdminKey];

    /// <summary>An admin API client over mutual TLS; the caller disposes the channel.</summary>
    public (GrpcChannel Channel, Admin.AdminClient Client) Connect(ParseResult result, string passphrase)
    {
        var address = result.GetValue(Hub) ?? Environment.GetEnvironmentVariable("CARDAP_HUB");
        var caPath = Path(result, HubCa, "CARDAP_HUB_CA", "--hub-ca");
        var certificatePath = Path(result, AdminCertificate, "CARDAP_ADMIN_CERT", "--admin-cert");
        var keyPath = Path(result, AdminKey, "CARDAP_ADMIN_KEY", "--admin-key");
        if (string.IsNullOrWhiteSpace(address) || !Uri.TryCreate(address, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
        {
            throw ProvisionException.Refused("HubAddressMissing", "The hub's https address is needed: --hub https://<host>:<port> or CARDAP_HUB.",
                "ハブの https アドレスが必要です。--hub https://<ホスト>:<ポート> または CARDAP_HUB を指定してください。");
        }
        return Connect(uri, caPath, certificatePath, keyPath, passphrase);
    }

    /// <summary>An admin API client over mutual TLS from the files themselves; the caller disposes the channel.</summary>
    public static (GrpcChannel Channel, Admin.AdminClient Client) Connect(Uri uri, string caPath, string certificatePath, string keyPath, string passphrase)
    {
        X509Certificate2 ca, client;
        try
        {
            ca = X509Certificate2.CreateFromPem(File.ReadAllText(caPath));
            using var key = ProtectedKeys.ReadECDsa(keyPath, passphrase);
            using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(certificatePath));
            using var withKey = certificate.CopyWithPrivateKey(key);
            // Through PKCS#12 so TLS can use the key on every platform.
            client = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), password: null);
        }
        catch (Exception e) when (e is CryptographicException or IOException or ArgumentException)
        {
            throw ProvisionException.Environment("CertificateUnreadable", $"The hub CA or your administrator certificate cannot be used: {e.Message}",
                $"ハブCA証明書または管理者証明書を使用できません: {e.Message}", e);
        }
        var handler = new SocketsHttpHandler();
        handler.SslOptions.ClientCertificates = [client];
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
        {
            if (certificate is null)
            {
                return false;
            }
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
        };
        // No receive limit: the peer is the hub proven by its CA, and a reply to a whole file (an import's
        // bad rows, a municipality's registrations) may pass the client's default of 4 MB.
        var channel = GrpcChannel.ForAddress(uri, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true, MaxReceiveMessageSize = null });
        return (channel, new Admin.AdminClient(channel));
    }

    private static string Path(ParseResult result, Option<FileInfo?> option, string variable, string name) =>
        result.GetValue(option)?.FullName ?? Environment.GetEnvironmentVariable(variable)
        ?? throw ProvisionException.Refused("HubCredentialsMissing", $"{name} (or {variable}) is needed to reach the hub.", $"ハブへの接続には {name}（または {variable}）が必要です。");
}
