using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace CardAp.VirtualCard.Jpki;

/// <summary>
/// A stand-in for J-LIS in tests and the demo: a self-signed RSA-2048 CA that issues JPKI user
/// authentication (and, optionally, signing) certificates onto new <see cref="JpkiApplet"/>s.
/// Subjects carry a random identifier and no personal data. Never a trust anchor outside tests.
/// </summary>
public sealed class JpkiTestAuthority : IDisposable
{
    private const int KeySize = 2048;
    private static readonly HashAlgorithmName Hash = HashAlgorithmName.SHA256;
    private static readonly RSASignaturePadding Padding = RSASignaturePadding.Pkcs1;

    private readonly X509Certificate2 _ca;
    private readonly RSA _caKey;

    /// <summary>Makes a new CA key and self-signed certificate.</summary>
    /// <param name="name">Distinguished name of the CA.</param>
    /// <param name="notBefore">Start of validity; default one day ago.</param>
    /// <param name="notAfter">End of validity; default ten years from now.</param>
    /// <param name="key">An RSA-2048 key to use instead of generating one (tests share keys to stay fast).</param>
    public JpkiTestAuthority(string name = "CN=CardAp Test JPKI CA, O=CardAp Test, C=JP", DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null, RSA? key = null)
    {
        _caKey = key is null ? RSA.Create(KeySize) : CopyPrivateKey(key);
        RequireKeySize(_caKey, nameof(key));
        var request = new CertificateRequest(new X500DistinguishedName(name), _caKey, Hash, Padding);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        using var selfSigned = request.CreateSelfSigned(notBefore ?? now.AddDays(-1), notAfter ?? now.AddYears(10));
        _ca = X509CertificateLoader.LoadCertificate(selfSigned.RawData);
    }

    private JpkiTestAuthority(X509Certificate2 ca, RSA caKey)
    {
        _ca = ca;
        _caKey = caKey;
    }

    /// <summary>The CA certificate (public part only): the trust anchor a verifier configures.</summary>
    public X509Certificate2 CaCertificate => X509CertificateLoader.LoadCertificate(_ca.RawData);

    /// <summary>
    /// Issues a card: a fresh (or given) RSA-2048 key, a user authentication certificate with a random
    /// positive serial, and optionally a signing certificate, all on a new <see cref="JpkiApplet"/>.
    /// </summary>
    /// <param name="authenticationPin">4 digits.</param>
    /// <param name="signingPin">6-16 characters A-Z 0-9.</param>
    /// <param name="notBefore">Start of the certificates' validity; default one day ago.</param>
    /// <param name="notAfter">End of validity; default five years from now (the real validity of a JPKI certificate).</param>
    /// <param name="withSigningCertificate">Also issue a signing certificate and key (a card of an adult has one).</param>
    /// <param name="authenticationKey">An RSA-2048 key to use instead of generating one.</param>
    /// <param name="signingKey">An RSA-2048 key for the signing certificate instead of generating one.</param>
    public JpkiIssuedCard IssueCard(
        string authenticationPin = "1234",
        string signingPin = "SIGN1234",
        DateTimeOffset? notBefore = null,
        DateTimeOffset? notAfter = null,
        bool withSigningCertificate = true,
        RSA? authenticationKey = null,
        RSA? signingKey = null)
    {
        var now = DateTimeOffset.UtcNow;
        var from = notBefore ?? now.AddDays(-1);
        var until = notAfter ?? now.AddYears(5);
        if (until <= from)
        {
            throw new ArgumentException("The certificate must end after it starts.", nameof(notAfter));
        }
        // A certificate may not outlive its issuer; .NET refuses to sign one that would.
        if (from < _ca.NotBefore.ToUniversalTime() || until > _ca.NotAfter.ToUniversalTime())
        {
            throw new ArgumentException($"The validity {from:u}..{until:u} lies outside the CA's {_ca.NotBefore.ToUniversalTime():u}..{_ca.NotAfter.ToUniversalTime():u}.", nameof(notBefore));
        }

        var authentication = Issue("JPKI User Authentication", authenticationKey, from, until,
            X509KeyUsageFlags.DigitalSignature, [new Oid("1.3.6.1.5.5.7.3.2", "Client Authentication")]);
        var signing = withSigningCertificate
            ? Issue("JPKI Digital Signature", signingKey, from, until, X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation, extendedUsages: null)
            : ((JpkiCertificateSet Set, X509Certificate2 Certificate)?)null;

        var applet = new JpkiApplet(authentication.Set, authenticationPin, signing?.Set, signingPin);
        return new JpkiIssuedCard(applet, CaCertificate, authentication.Certificate, signing?.Certificate);
    }

    /// <summary>The CA with its private key as PKCS#12, so a demo can keep one authority across runs.</summary>
    public byte[] ExportPkcs12(string? password)
    {
        using var withKey = _ca.CopyWithPrivateKey(_caKey);
        return withKey.Export(X509ContentType.Pkcs12, password);
    }

    /// <exception cref="CryptographicException">Not a PKCS#12 with an RSA-2048 CA certificate and its key, or the wrong password.</exception>
    public static JpkiTestAuthority FromPkcs12(byte[] pkcs12, string? password)
    {
        using var loaded = X509CertificateLoader.LoadPkcs12(pkcs12, password, X509KeyStorageFlags.Exportable);
        var key = loaded.GetRSAPrivateKey() ?? throw new CryptographicException("The PKCS#12 holds no RSA private key.");
        var ownKey = CopyPrivateKey(key);
        key.Dispose();
        RequireKeySize(ownKey, nameof(pkcs12));
        return new JpkiTestAuthority(X509CertificateLoader.LoadCertificate(loaded.RawData), ownKey);
    }

    public void Dispose()
    {
        _ca.Dispose();
        _caKey.Dispose();
    }

    private (JpkiCertificateSet Set, X509Certificate2 Certificate) Issue(
        string purpose, RSA? givenKey, DateTimeOffset from, DateTimeOffset until, X509KeyUsageFlags usage, OidCollection? extendedUsages)
    {
        using var key = givenKey is null ? RSA.Create(KeySize) : CopyPrivateKey(givenKey);
        RequireKeySize(key, nameof(givenKey));
        // No name, address or My Number: a random identifier is all the subject says about the holder.
        var holder = Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
        var subject = new X500DistinguishedName($"CN={holder}, OU={purpose}, O=CardAp Test, C=JP");
        var request = new CertificateRequest(subject, key, Hash, Padding);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, true));
        if (extendedUsages is not null)
        {
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(extendedUsages, false));
        }
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_ca, includeKeyIdentifier: true, includeIssuerAndSerial: false));

        using var issued = request.Create(_ca.SubjectName, X509SignatureGenerator.CreateForRSA(_caKey, Padding), from, until, RandomSerial());
        var set = new JpkiCertificateSet(issued.RawData, _ca.RawData, key.ExportPkcs8PrivateKey());
        return (set, X509CertificateLoader.LoadCertificate(issued.RawData));
    }

    /// <summary>16 random bytes with the top bit clear: a positive DER INTEGER that does not shrink.</summary>
    private static byte[] RandomSerial()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x01);
        return serial;
    }

    /// <summary>Copies a key so the caller's instance may be disposed or shared independently.</summary>
    private static RSA CopyPrivateKey(RSA key)
    {
        var copy = RSA.Create();
        copy.ImportParameters(key.ExportParameters(includePrivateParameters: true));
        return copy;
    }

    private static void RequireKeySize(RSA key, string parameter)
    {
        if (key.KeySize != KeySize)
        {
            throw new ArgumentException($"JPKI keys are RSA-{KeySize}; got {key.KeySize} bits.", parameter);
        }
    }
}
