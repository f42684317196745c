using System.Security.Cryptography.X509Certificates;

namespace CardAp.VirtualCard.Jpki;

/// <summary>
/// What <see cref="JpkiTestAuthority.IssueCard"/> produced: the applet to install on a virtual card,
/// and what a verifier needs: the CA certificate as trust anchor, the user authentication certificate
/// and its serial number (upper-case hex, as <see cref="X509Certificate2.SerialNumber"/> gives it).
/// </summary>
public sealed record JpkiIssuedCard(
    JpkiApplet Applet,
    X509Certificate2 CaCertificate,
    X509Certificate2 AuthenticationCertificate,
    X509Certificate2? SigningCertificate)
{
    public string SerialNumber => AuthenticationCertificate.SerialNumber;
}
