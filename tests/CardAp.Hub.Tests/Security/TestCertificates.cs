using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace CardAp.Hub.Tests.Security;

/// <summary>Certificates the real CA would never issue: for the refusal tests.</summary>
internal static class TestCertificates
{
    /// <summary>A client certificate signed by <paramref name="ca"/> with exactly the given SAN URIs (none: no SAN).</summary>
    public static X509Certificate2 SignedBy(X509Certificate2 ca, params string[] sanUris)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=crafted, O=CardAp", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        if (sanUris.Length > 0)
        {
            var san = new SubjectAlternativeNameBuilder();
            foreach (var uri in sanUris)
            {
                san.AddUri(new Uri(uri, UriKind.Absolute));
            }
            request.CertificateExtensions.Add(san.Build());
        }
        var now = DateTimeOffset.UtcNow;
        using var issued = request.Create(ca, now.AddMinutes(-5), now.AddDays(30), RandomNumberGenerator.GetBytes(8));
        using var withKey = issued.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }
}
