using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace CardAp.Hub.Security;

/// <summary>
/// PEM in and out for certificates and their ECDSA keys: how the CA, the hub's server
/// certificate and enrolment bundles travel as files.
/// </summary>
public static class CertificatePem
{
    /// <summary>The private key as PKCS#8 PEM ("BEGIN PRIVATE KEY").</summary>
    public static string ExportPrivateKey(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        using var key = certificate.GetECDsaPrivateKey()
            ?? throw new ArgumentException($"Certificate '{certificate.Subject}' has no ECDSA private key.", nameof(certificate));
        return key.ExportPkcs8PrivateKeyPem();
    }

    /// <summary>Writes the certificate and its key as two PEM files.</summary>
    public static void Write(X509Certificate2 certificate, string certificatePath, string privateKeyPath)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(privateKeyPath, ExportPrivateKey(certificate));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(privateKeyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    /// <summary>
    /// A certificate with its private key from PEM text. The result is re-imported from PKCS#12 so
    /// that its key is usable by TLS on every platform (Windows refuses ephemeral keys there).
    /// </summary>
    /// <exception cref="CryptographicException">The PEM is malformed.</exception>
    /// <exception cref="ArgumentException">The key does not match the certificate.</exception>
    public static X509Certificate2 Import(string certificatePem, string privateKeyPem)
    {
        using var loaded = X509Certificate2.CreateFromPem(certificatePem, privateKeyPem);
        return X509CertificateLoader.LoadPkcs12(loaded.Export(X509ContentType.Pkcs12), password: null);
    }

    /// <summary>As <see cref="Import"/>, from two files.</summary>
    public static X509Certificate2 Load(string certificatePath, string privateKeyPath) =>
        Import(File.ReadAllText(certificatePath), File.ReadAllText(privateKeyPath));

    /// <summary>A certificate without a key (e.g. the CA to trust) from a PEM file.</summary>
    public static X509Certificate2 LoadCertificate(string certificatePath) =>
        X509Certificate2.CreateFromPem(File.ReadAllText(certificatePath));
}
