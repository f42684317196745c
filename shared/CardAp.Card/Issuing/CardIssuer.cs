using CardAp.Card.Application;
using CardAp.Card.Iso7816;
using CardAp.Card.Readers;
using CardAp.Shared.Domain;

namespace CardAp.Card.Issuing;

/// <summary>
/// The issuer side of the CardAp application (central IT, provisioning): authenticates to the
/// card with the municipality's issuing key and writes it. Each public method opens its own
/// issuer-authenticated session, so no write can happen without authentication.
/// </summary>
public sealed class CardIssuer(IssuingKey issuingKey)
{
    /// <summary>
    /// Issues the application on a card whose applet was installed for this issuer: the card
    /// makes its key pair, we certify it, then write header, empty services, the PIN and, last,
    /// the certificate. The certificate is the commit mark: a card whose certificate is ours,
    /// names the header's card number and matches the card's key (INTERNAL AUTHENTICATE) went
    /// through every step; a card cut off earlier shows an old or no certificate and is issued again.
    /// </summary>
    public CardCertificate Issue(IApduTransport card, CardHeader header, string pin, DateOnly? certificateValidFrom = null)
    {
        if (header.Municipality != issuingKey.Reference.Municipality)
        {
            throw new InvalidOperationException($"Issuing key {issuingKey.Reference} cannot issue a card of municipality {header.Municipality}.");
        }
        PinResult.EncodePin(pin);
        var session = Authenticate(card);
        var point = session.GenerateKeyPair();
        var certificate = CardCertificate.Issue(issuingKey, header.CardNumber, point, certificateValidFrom ?? header.IssuedOn, header.ExpiresOn);
        session.WriteFile(CardApSpec.HeaderFid, header.Encode());
        session.WriteFile(CardApSpec.ServicesFid, ServiceRegistration.EncodeAll([]));
        session.ResetPin(pin);
        session.WriteFile(CardApSpec.CertificateFid, certificate.Encode());
        return certificate;
    }

    /// <summary>
    /// Replaces the whole services EF with <paramref name="services"/>: how an issuer brings a card to
    /// a known list in one write, e.g. when a write cut off part-way left the EF unreadable.
    /// </summary>
    public void ReplaceServices(IApduTransport card, IReadOnlyCollection<ServiceRegistration> services)
    {
        var content = ServiceRegistration.EncodeAll(services);
        Authenticate(card).WriteFile(CardApSpec.ServicesFid, content);
    }

    /// <summary>
    /// Hands the card over to another municipality's issuing key when its holder moves between
    /// municipalities of one hub (引越継続): writes the new header and services, a certificate for
    /// the card's own key signed with <paramref name="newIssuer"/>, and last makes the applet take
    /// <paramref name="newIssuer"/> instead of this key, so from then on only the new municipality
    /// writes the card. The card keeps its key: the public point comes from the certificate on the
    /// card, which the caller has checked against the card (INTERNAL AUTHENTICATE). Until the last
    /// step this key still writes the card, so a cut-off hand-over is simply done again.
    /// </summary>
    public CardCertificate HandOver(IApduTransport card, IssuingKey newIssuer, CardHeader header, IReadOnlyCollection<ServiceRegistration> services, DateOnly certificateValidFrom)
    {
        ArgumentNullException.ThrowIfNull(newIssuer);
        if (header.Municipality != newIssuer.Reference.Municipality)
        {
            throw new InvalidOperationException($"Issuing key {newIssuer.Reference} cannot take over a card of municipality {header.Municipality}.");
        }
        var servicesContent = ServiceRegistration.EncodeAll(services);
        var session = Authenticate(card);
        var current = CardCertificate.Decode(session.ReadCertificate());
        var certificate = CardCertificate.Issue(newIssuer, header.CardNumber, current.PublicPoint, certificateValidFrom, header.ExpiresOn);
        session.WriteFile(CardApSpec.HeaderFid, header.Encode());
        session.WriteFile(CardApSpec.ServicesFid, servicesContent);
        session.WriteFile(CardApSpec.CertificateFid, certificate.Encode());
        session.PutIssuerKey(newIssuer.PublicKey.SubjectPublicKeyInfo);
        return certificate;
    }

    /// <summary>Whether the card takes this issuing key (its EXTERNAL AUTHENTICATE succeeds); nothing is written.</summary>
    public bool IsAcceptedBy(IApduTransport card)
    {
        try
        {
            Authenticate(card);
            return true;
        }
        catch (CardStatusException e) when (e.Status == StatusWord.SecurityStatusNotSatisfied)
        {
            return false;
        }
    }

    /// <summary>Rewrites the header (e.g. new expiry on renewal; the certificate is reissued with it).</summary>
    public void WriteHeader(IApduTransport card, CardHeader header) =>
        Authenticate(card).WriteFile(CardApSpec.HeaderFid, header.Encode());

    public void WriteCertificate(IApduTransport card, CardCertificate certificate) =>
        Authenticate(card).WriteFile(CardApSpec.CertificateFid, certificate.Encode());

    /// <summary>Registers the resident for one service; a service already on the card is refused.</summary>
    public IReadOnlyList<ServiceRegistration> AddService(IApduTransport card, ServiceRegistration registration) =>
        RewriteServices(card, current =>
        {
            if (current.Any(s => s.Service == registration.Service))
            {
                throw new InvalidOperationException($"The card is already registered for service '{registration.Service}'.");
            }
            return [.. current, registration];
        });

    /// <summary>Stops or resumes one service (利用と停止) without erasing it.</summary>
    public IReadOnlyList<ServiceRegistration> SetServiceStatus(IApduTransport card, ServiceId service, ServiceStatus status) =>
        RewriteServices(card, current => [.. current.Select(s => s.Service == service ? s with { Status = status } : s)], service);

    /// <summary>Erases (抹消) one service registration from the card.</summary>
    public IReadOnlyList<ServiceRegistration> EraseService(IApduTransport card, ServiceId service) =>
        RewriteServices(card, current => [.. current.Where(s => s.Service != service)], service);

    /// <summary>Sets a new PIN and restores its tries: the reset after a resident blocked it (with the form and the card).</summary>
    public void ResetPin(IApduTransport card, string newPin)
    {
        PinResult.EncodePin(newPin);
        Authenticate(card).ResetPin(newPin);
    }

    private IReadOnlyList<ServiceRegistration> RewriteServices(
        IApduTransport card, Func<IReadOnlyList<ServiceRegistration>, IReadOnlyList<ServiceRegistration>> change, ServiceId? mustExist = null)
    {
        var session = Authenticate(card);
        var current = ServiceRegistration.DecodeAll(session.ReadServices());
        if (mustExist is { } service && current.All(s => s.Service != service))
        {
            throw new InvalidOperationException($"The card is not registered for service '{service}'.");
        }
        var updated = change(current);
        session.WriteFile(CardApSpec.ServicesFid, ServiceRegistration.EncodeAll(updated));
        return updated;
    }

    private CardApSession Authenticate(IApduTransport card)
    {
        var session = new CardApSession(new ApduChannel(card));
        if (!session.Select())
        {
            throw new CardException("The card has no CardAp application installed.");
        }
        var challenge = session.GetChallenge();
        session.ExternalAuthenticate(issuingKey.Sign(CardApSpec.ExternalAuthMessage(challenge)));
        return session;
    }
}
