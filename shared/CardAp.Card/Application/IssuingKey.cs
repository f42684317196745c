using System.Security.Cryptography;

namespace CardAp.Card.Application;

/// <summary>
/// The public half of a municipality's issuing key: master data at every edge, enough to
/// verify card certificates offline and, inside the applet, to check the issuer's EXTERNAL AUTHENTICATE.
/// </summary>
public sealed class IssuerPublicKey
{
    private readonly ECDsa _key;

    public IssuerPublicKey(IssuerReference reference, ReadOnlySpan<byte> subjectPublicKeyInfo)
    {
        Reference = reference;
        _key = ECDsa.Create();
        try
        {
            _key.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out _);
        }
        catch (CryptographicException e)
        {
            throw new ArgumentException($"Issuing key {reference} is not a valid public key: {e.Message}", nameof(subjectPublicKeyInfo), e);
        }
        if (_key.KeySize != 256)
        {
            throw new ArgumentException($"Issuing key {reference} must be ECDSA P-256, got {_key.KeySize} bits.", nameof(subjectPublicKeyInfo));
        }
        SubjectPublicKeyInfo = subjectPublicKeyInfo.ToArray();
    }

    public IssuerReference Reference { get; }

    public byte[] SubjectPublicKeyInfo { get; }

    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        signature.Length == CardApSpec.SignatureLength && _key.VerifyData(data, signature, HashAlgorithmName.SHA256);
}

/// <summary>
/// A municipality's issuing key (private). Lives with central IT (provisioning), never at an edge.
/// It signs card certificates and authenticates the issuer to cards for writing.
/// </summary>
public sealed class IssuingKey : IDisposable
{
    private readonly ECDsa _key;

    private IssuingKey(IssuerReference reference, ECDsa key)
    {
        Reference = reference;
        _key = key;
        PublicKey = new IssuerPublicKey(reference, key.ExportSubjectPublicKeyInfo());
    }

    public IssuerReference Reference { get; }

    public IssuerPublicKey PublicKey { get; }

    public static IssuingKey Create(IssuerReference reference) => new(reference, ECDsa.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>Loads a key exported with <see cref="ExportPkcs8"/>.</summary>
    public static IssuingKey Import(IssuerReference reference, ReadOnlySpan<byte> pkcs8)
    {
        var key = ECDsa.Create();
        key.ImportPkcs8PrivateKey(pkcs8, out _);
        if (key.KeySize != 256)
        {
            key.Dispose();
            throw new ArgumentException($"Issuing key {reference} must be ECDSA P-256.", nameof(pkcs8));
        }
        return new IssuingKey(reference, key);
    }

    public byte[] ExportPkcs8() => _key.ExportPkcs8PrivateKey();

    public byte[] Sign(ReadOnlySpan<byte> data) => _key.SignData(data, HashAlgorithmName.SHA256);

    public void Dispose() => _key.Dispose();
}
