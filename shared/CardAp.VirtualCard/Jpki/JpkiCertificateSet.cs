namespace CardAp.VirtualCard.Jpki;

/// <summary>
/// One JPKI key with its certificates, as issued onto a card: the end-entity certificate (DER),
/// the CA certificate that issued it (DER) and the RSA-2048 private key (PKCS#8 DER).
/// </summary>
public sealed record JpkiCertificateSet(byte[] Certificate, byte[] CaCertificate, byte[] PrivateKey);
