using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using CardAp.Hub.Options;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Options;

namespace CardAp.Hub.Security;

/// <summary>
/// Configures Kestrel for mutual TLS only: one HTTPS endpoint, HTTP/2 (and HTTP/1.1 for the
/// dashboard's browsers), a client certificate required and accepted only when it chains to the
/// hub CA. The certificates load on first use, after the options have passed start-up validation
/// (Kestrel's options are built earlier).
/// </summary>
public sealed class HubTls : IDisposable
{
    private readonly IConfiguration _configuration;
    private readonly IOptions<DashboardOptions> _dashboard;
    private readonly ILogger<HubTls> _logger;
    private readonly Lazy<X509Certificate2> _serverCertificate;
    private readonly Lazy<ClientCertificateTrust> _trust;

    public HubTls(IOptions<HubOptions> options, IOptions<DashboardOptions> dashboard, IConfiguration configuration, ILogger<HubTls> logger, TimeProvider clock)
    {
        _configuration = configuration;
        _dashboard = dashboard;
        _logger = logger;
        _serverCertificate = new(() => CertificatePem.Load(options.Value.ServerCertificatePath, options.Value.ServerKeyPath));
        _trust = new(() => new ClientCertificateTrust(CertificatePem.LoadCertificate(options.Value.CaCertificatePath), clock));
    }

    public X509Certificate2 ServerCertificate => _serverCertificate.Value;

    public ClientCertificateTrust Trust => _trust.Value;

    public void Configure(KestrelServerOptions kestrel)
    {
        // Read raw: a bad URL is reported by the options validator, which runs before Kestrel binds.
        var url = _configuration[$"{HubOptions.Section}:{nameof(HubOptions.ListenUrl)}"] ?? new HubOptions().ListenUrl;
        if (!HubListenAddress.TryParse(url, out var listen, out _))
        {
            return;
        }
        if (listen.Localhost)
        {
            kestrel.ListenLocalhost(listen.Port, ConfigureEndpoint);
        }
        else
        {
            kestrel.Listen(listen.Address!, listen.Port, ConfigureEndpoint);
        }
    }

    private void ConfigureEndpoint(ListenOptions listen)
    {
        // gRPC needs HTTP/2. The dashboard also answers HTTP/1.1, for browsers and download tools that do
        // not negotiate h2 (ALPN picks h2 whenever the client offers it). Either way the client
        // certificate is required in the handshake, before a byte of HTTP is read.
        listen.Protocols = _dashboard.Value.Enabled ? HttpProtocols.Http1AndHttp2 : HttpProtocols.Http2;
        listen.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificateSelector = (_, _) => ServerCertificate,
            ClientCertificateMode = ClientCertificateMode.RequireCertificate,
            CheckCertificateRevocation = false,
            SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            ClientCertificateValidation = (certificate, _, _) => Validate(certificate),
        });
    }

    private bool Validate(X509Certificate2 certificate)
    {
        var problem = Trust.Check(certificate);
        if (problem is not null)
        {
            _logger.LogWarning("TLS client certificate refused: {Problem}", problem);
            return false;
        }
        return true;
    }

    public void Dispose()
    {
        if (_serverCertificate.IsValueCreated)
        {
            _serverCertificate.Value.Dispose();
        }
        if (_trust.IsValueCreated)
        {
            _trust.Value.HubCa.Dispose();
        }
    }
}
