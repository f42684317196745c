using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CardAp.Shared.Domain;

namespace CardAp.Hub.Security;

/// <summary>
/// The hub's own certificate authority (ADR 0007): an ECDSA P-256 root that issues the hub's
/// server certificate and the client certificates that name terminals and administrators.
/// Provisioning holds it; the hub itself needs only its certificate (to trust clients).
/// </summary>
public sealed class HubCertificateAuthority : IDisposable
{
    public static readonly TimeSpan DefaultCaLifetime = TimeSpan.FromDays(3653);
    public static readonly TimeSpan DefaultLeafLifetime = TimeSpan.FromDays(825);

    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    private readonly TimeProvider _clock;

    private HubCertificateAuthority(X509Certificate2 certificate, TimeProvider clock)
    {
        if (!certificate.HasPrivateKey || certificate.GetECDsaPrivateKey() is null)
        {
            throw new ArgumentException($"The CA certificate '{certificate.Subject}' needs its ECDSA private key.", nameof(certificate));
        }
        Certificate = certificate;
        _clock = clock;
    }

    /// <summary>The CA certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>A new self-signed root.</summary>
    public static HubCertificateAuthority Create(string name = "CardAp Hub CA", TimeSpan? lifetime = null, TimeProvider? clock = null)
    {
        clock ??= TimeProvider.System;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={name}, O=CardAp"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        var now = clock.GetUtcNow();
        var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now + (lifetime ?? DefaultCaLifetime));
        return new HubCertificateAuthority(certificate, clock);
    }

    /// <summary>The CA from its PEM certificate and PEM private key (PKCS#8 or SEC1).</summary>
    public static HubCertificateAuthority FromPem(string certificatePem, string privateKeyPem, TimeProvider? clock = null) =>
        new(CertificatePem.Import(certificatePem, privateKeyPem), clock ?? TimeProvider.System);

    /// <summary>The hub's TLS server certificate for the given host names and IP addresses.</summary>
    public X509Certificate2 IssueServerCertificate(IEnumerable<string> hosts, TimeSpan? lifetime = null)
    {
        var names = hosts.ToList();
        if (names.Count == 0)
        {
            throw new ArgumentException("A server certificate needs at least one host name or IP address.", nameof(hosts));
        }
        var san = new SubjectAlternativeNameBuilder();
        foreach (var host in names)
        {
            if (IPAddress.TryParse(host, out var address))
            {
                san.AddIpAddress(address);
            }
            else
            {
                san.AddDnsName(host);
            }
        }
        return Issue($"CN={names[0]}, O=CardAp", san, ServerAuthOid, lifetime);
    }

    /// <summary>The server certificate for a hub reached as localhost / 127.0.0.1.</summary>
    public X509Certificate2 IssueLocalServerCertificate() => IssueServerCertificate(["localhost", "127.0.0.1"]);

    /// <summary>A terminal's client certificate: <c>urn:cardap:terminal:131016-T001</c>.</summary>
    public X509Certificate2 IssueTerminalCertificate(string terminalId, TimeSpan? lifetime = null) =>
        IssueClientCertificate(CallerIdentity.Terminal(terminalId), lifetime);

    /// <summary>An administrator's client certificate with role and municipalities.</summary>
    public X509Certificate2 IssueAdminCertificate(string adminId, CallerRole role, IEnumerable<MunicipalityCode> municipalities, TimeSpan? lifetime = null) =>
        IssueClientCertificate(CallerIdentity.Admin(adminId, role, municipalities), lifetime);

    /// <summary>A client certificate naming <paramref name="identity"/> in its SAN URI.</summary>
    public X509Certificate2 IssueClientCertificate(CallerIdentity identity, TimeSpan? lifetime = null)
    {
        ArgumentNullException.ThrowIfNull(identity);
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(identity.ToUri());
        var kind = identity.Kind == CallerKind.Terminal ? "terminal" : "admin";
        return Issue($"CN={identity.Id}, OU={kind}, O=CardAp", san, ClientAuthOid, lifetime);
    }

    /// <summary>The CA certificate alone (no key), as handed to terminals and the hub to trust.</summary>
    public string ExportCertificatePem() => Certificate.ExportCertificatePem();

    public string ExportPrivateKeyPem() => CertificatePem.ExportPrivateKey(Certificate);

    private X509Certificate2 Issue(string subject, SubjectAlternativeNameBuilder san, string usageOid, TimeSpan? lifetime)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName(subject), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usageOid)], critical: false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        request.CertificateExtensions.Add(san.Build(critical: false));

        var now = _clock.GetUtcNow();
        var notBefore = now.AddMinutes(-5);
        var notAfter = now + (lifetime ?? DefaultLeafLifetime);
        if (notAfter > Certificate.NotAfter.ToUniversalTime())
        {
            notAfter = Certificate.NotAfter.ToUniversalTime();
        }
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var issued = request.Create(Certificate, notBefore, notAfter, serial);
        using var withKey = issued.CopyWithPrivateKey(key);
        // Through PKCS#12 so the key outlives this method and TLS can use it on every platform.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), password: null);
    }

    public void Dispose() => Certificate.Dispose();
}
