using System.Security.Cryptography;
using CardAp.Card.Iso7816;
using CardAp.Card.Tlv;
using CardAp.Shared.Domain;
using static CardAp.Card.Application.CardApSpec;

namespace CardAp.Card.Application;

/// <summary>
/// The card-verifiable certificate in the certificate EF: the card's P-256 public key and
/// validity, signed by the municipality's issuing key. Compact on purpose (about 170 bytes):
/// it is read on every identification.
/// </summary>
public sealed record CardCertificate(
    IssuerReference Issuer,
    CardNumber Holder,
    byte[] PublicPoint,
    DateOnly ValidFrom,
    DateOnly ValidUntil,
    byte[] Body,
    byte[] Signature)
{
    private const byte Profile = 1;

    /// <summary>Builds and signs a certificate for a card key.</summary>
    public static CardCertificate Issue(IssuingKey issuer, CardNumber holder, ReadOnlySpan<byte> publicPoint, DateOnly validFrom, DateOnly validUntil)
    {
        if (publicPoint.Length != PublicPointLength || publicPoint[0] != 0x04)
        {
            throw new ArgumentException("The card key must be an uncompressed P-256 point.", nameof(publicPoint));
        }
        var point = publicPoint.ToArray();
        var body = new TlvWriter().WriteConstructed(Tags.CertificateBody, w => w
            .Write(Tags.Profile, Profile)
            .Write(Tags.IssuerReference, issuer.Reference.ToString())
            .Write(Tags.HolderReference, holder.Value)
            .WriteConstructed(Tags.PublicKey, k => k.Write(Tags.EcPoint, point))
            .Write(Tags.ValidFrom, CardDates.Format(validFrom))
            .Write(Tags.ValidUntil, CardDates.Format(validUntil))).ToArray();
        return new CardCertificate(issuer.Reference, holder, point, validFrom, validUntil, body, issuer.Sign(body));
    }

    public byte[] Encode()
    {
        var signature = BerTlv.Encode(Tags.Signature, Signature);
        return BerTlv.Encode(Tags.Certificate, [.. Body, .. signature]);
    }

    public static CardCertificate Decode(ReadOnlyMemory<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            throw new CardProtocolException("The card's certificate EF is empty: the card was never issued.");
        }
        var parts = BerTlv.ParseSingle(bytes, Tags.Certificate).Children();
        if (parts.Count != 2 || parts[0].Tag != Tags.CertificateBody || parts[1].Tag != Tags.Signature)
        {
            throw new CardProtocolException("The card certificate must hold exactly a body (7F4E) and a signature (5F37).");
        }
        var bodyContent = parts[0].Value;
        var f = bodyContent.Length == 0 ? [] : BerTlv.Parse(bodyContent);
        var profile = f.Require(Tags.Profile, "Certificate profile").Value.Span;
        if (profile.Length != 1 || profile[0] != Profile)
        {
            throw new CardProtocolException($"Certificate profile {Convert.ToHexString(profile)} is not supported.");
        }
        var keyObjects = f.Require(Tags.PublicKey, "Certificate public key").Children();
        var point = keyObjects.Require(Tags.EcPoint, "Certificate EC point").Value.ToArray();
        if (point.Length != PublicPointLength || point[0] != 0x04)
        {
            throw new CardProtocolException("The certificate's public key is not an uncompressed P-256 point.");
        }
        IssuerReference issuer;
        try
        {
            issuer = IssuerReference.Parse(f.Require(Tags.IssuerReference, "Issuer reference").ValueAsAscii());
        }
        catch (FormatException e)
        {
            throw new CardProtocolException("The certificate names a malformed issuer: " + e.Message, e);
        }
        // The signed bytes are the body object exactly as encoded on the card.
        var body = BerTlv.Encode(Tags.CertificateBody, bodyContent.Span);
        return new CardCertificate(
            issuer,
            CardHeader.Ascii(() => CardNumber.Parse(f.Require(Tags.HolderReference, "Holder reference").ValueAsAscii())),
            point,
            CardDates.Parse(f.Require(Tags.ValidFrom, "Certificate start").Value.Span, "Certificate start"),
            CardDates.Parse(f.Require(Tags.ValidUntil, "Certificate end").Value.Span, "Certificate end"),
            body,
            parts[1].Value.ToArray());
    }

    /// <summary>True when the issuing key signed this certificate.</summary>
    public bool IsSignedBy(IssuerPublicKey issuer) => issuer.Reference == Issuer && issuer.Verify(Body, Signature);

    /// <summary>Verifies a signature made by the card's private key (INTERNAL AUTHENTICATE).</summary>
    public bool VerifyCardSignature(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != SignatureLength)
        {
            return false;
        }
        try
        {
            using var key = ECDsa.Create(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = PublicPoint[1..33], Y = PublicPoint[33..65] },
            });
            return key.VerifyData(data, signature, HashAlgorithmName.SHA256);
        }
        catch (CryptographicException)
        {
            // A point not on the curve: a certificate no honest issuer signs.
            return false;
        }
    }
}
