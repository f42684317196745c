using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using CardAp.Edge.Options;

namespace CardAp.Edge.Hub;

/// <summary>
/// The HTTP handler for calls to the hub: over https it presents this terminal's client
/// certificate (mutual TLS) and trusts only a hub certificate that chains to the configured hub
/// CA, never the machine's public roots.
/// </summary>
public static class HubHttpHandler
{
    public static SocketsHttpHandler Create(EdgeOptions options)
    {
        var handler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true };
        if (options.HubClientCertificatePath is not { Length: > 0 } certificatePath
            || options.HubClientKeyPath is not { Length: > 0 } keyPath
            || options.HubCaCertificatePath is not { Length: > 0 } caPath)
        {
            return handler;
        }
        // Round-trip through PKCS#12: on some platforms a PEM-loaded key cannot be used by TLS directly.
        using var pem = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        var client = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        var hubCa = X509CertificateLoader.LoadCertificateFromFile(caPath);
        handler.SslOptions.ClientCertificates = [client];
        handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => client;
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None
            && certificate is X509Certificate2 server
            && ChainsTo(server, hubCa);
        return handler;
    }

    private static bool ChainsTo(X509Certificate2 server, X509Certificate2 hubCa)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(hubCa);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        return chain.Build(server);
    }
}
