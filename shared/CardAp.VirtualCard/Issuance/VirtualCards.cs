using CardAp.Card.Application;
using CardAp.Card.Issuing;
using CardAp.VirtualCard.Applets;
using CardAp.VirtualCard.Jpki;

namespace CardAp.VirtualCard.Issuance;

/// <summary>
/// Makes virtual cards the way real ones come to be: a blank card with the CardAp applet
/// installed for a municipality's issuing key, then issued through the issuer's APDUs
/// (<see cref="CardIssuer"/>), exactly the path provisioning takes with a real card.
/// </summary>
public static class VirtualCards
{
    /// <summary>The transport PIN a blank applet carries until the issuer sets the resident's PIN.</summary>
    public const string TransportPin = "0000";

    /// <summary>A card as delivered for a municipality: the applet knows the issuing public key, nothing else.</summary>
    public static VirtualSmartCard Blank(IssuerPublicKey issuer, JpkiApplet? jpki = null) =>
        jpki is null
            ? new VirtualSmartCard(new CardApApplet(issuer.SubjectPublicKeyInfo, TransportPin))
            : new VirtualSmartCard(new CardApApplet(issuer.SubjectPublicKeyInfo, TransportPin), jpki);

    /// <summary>Issues a resident's (or operator's) card and registers the given services on it.</summary>
    public static VirtualSmartCard Issue(IssuingKey issuingKey, CardHeader header, string pin, IEnumerable<ServiceRegistration>? services = null, JpkiApplet? jpki = null)
    {
        var card = Blank(issuingKey.PublicKey, jpki);
        var transport = new SmartCardTransport(card);
        var issuer = new CardIssuer(issuingKey);
        issuer.Issue(transport, header, pin);
        foreach (var service in services ?? [])
        {
            issuer.AddService(transport, service);
        }
        card.Reset();
        return card;
    }
}
