using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CardAp.Card.Application;
using CardAp.Card.Iso7816;
using CardAp.Card.Jpki;
using CardAp.Card.Readers;

namespace CardAp.Card.Verification;

/// <summary>
/// Identifies a card offline, by either method, against public master data only. A fresh
/// random challenge per identification defeats replay; every answer the card gives is
/// treated as hostile until checked.
/// </summary>
public sealed class CardVerifier(TrustStore trust, TimeProvider clock)
{
    private const int ChallengeLength = 16;

    /// <summary>Identifies by the CardAp application if the card has one, otherwise by the JPKI link.</summary>
    public IdentificationResult Identify(IApduTransport card, string? pin = null) =>
        Run(card, channel =>
        {
            var session = new CardApSession(channel);
            if (session.Select())
            {
                return IdentifyCardAp(session, pin);
            }
            var jpki = new JpkiSession(channel);
            return jpki.Select() ? IdentifyJpki(jpki, pin) : Refuse(RefusalReason.NoApplication, "The card holds neither the CardAp nor a JPKI application.");
        });

    /// <summary>カードAP方式: certificate chain, status, expiry, optional PIN, then a signature over a fresh challenge.</summary>
    public IdentificationResult IdentifyCardAp(IApduTransport card, string? pin = null) =>
        Run(card, channel =>
        {
            var session = new CardApSession(channel);
            return session.Select()
                ? IdentifyCardAp(session, pin)
                : Refuse(RefusalReason.NoApplication, "The card has no CardAp application.");
        });

    /// <summary>ID連携方式: certificate chain to a JPKI anchor, status and link; with a PIN, a signature over a fresh challenge.</summary>
    public IdentificationResult IdentifyJpki(IApduTransport card, string? pin = null) =>
        Run(card, channel =>
        {
            var session = new JpkiSession(channel);
            return session.Select()
                ? IdentifyJpki(session, pin)
                : Refuse(RefusalReason.NoApplication, "The card has no JPKI application.");
        });

    private Outcome IdentifyCardAp(CardApSession session, string? pin)
    {
        var headerBytes = session.ReadHeader();
        var servicesBytes = session.ReadServices();
        var certificateBytes = session.ReadCertificate();
        var header = CardHeader.Decode(headerBytes);
        var services = ServiceRegistration.DecodeAll(servicesBytes);
        var certificate = CardCertificate.Decode(certificateBytes);

        var issuer = trust.FindIssuer(certificate.Issuer);
        if (issuer is null)
        {
            return Refuse(RefusalReason.UnknownIssuer, $"Issuing key {certificate.Issuer} is not in this terminal's master data.");
        }
        if (!certificate.IsSignedBy(issuer))
        {
            return Refuse(RefusalReason.Forged, $"The card certificate's signature does not verify under issuing key {certificate.Issuer}.");
        }
        if (certificate.Holder != header.CardNumber || certificate.Issuer.Municipality != header.Municipality)
        {
            return Refuse(RefusalReason.Forged, $"The header (card {header.CardNumber}, {header.Municipality}) does not match the certificate (card {certificate.Holder}, {certificate.Issuer}).");
        }

        var validUntil = header.ExpiresOn < certificate.ValidUntil ? header.ExpiresOn : certificate.ValidUntil;
        if (DateRefusal(certificate.ValidFrom, validUntil) is { } dateRefusal)
        {
            return dateRefusal;
        }
        switch (trust.StatusList.ForCard(header.Municipality, header.CardNumber))
        {
            case CardStatus.Revoked:
                return Refuse(RefusalReason.Revoked, $"Card {header.CardNumber} of {header.Municipality} is revoked.");
            case CardStatus.Suspended:
                return Refuse(RefusalReason.Suspended, $"Card {header.CardNumber} of {header.Municipality} is suspended.");
        }

        // The PIN is asked only of a card that passed every offline check, so a forged or
        // suspended card never costs the resident a try.
        var pinVerified = false;
        if (pin is not null)
        {
            if (PinRefusal(session.VerifyPin(pin)) is { } pinRefusal)
            {
                return pinRefusal;
            }
            pinVerified = true;
        }

        var challenge = RandomNumberGenerator.GetBytes(ChallengeLength);
        var signature = TryInternalAuthenticate(session, challenge);
        var message = CardApSpec.InternalAuthMessage(challenge, pinVerified, headerBytes, servicesBytes);
        if (signature is null || !certificate.VerifyCardSignature(message, signature))
        {
            return Refuse(RefusalReason.Cloned, "The card could not prove possession of the certified key (INTERNAL AUTHENTICATE failed).");
        }
        return new Outcome(new CardIdentity(
            IdentificationMethod.CardAp, header.Municipality, header.CardNumber, null, validUntil, services, header.Operator, pinVerified), null);
    }

    private Outcome IdentifyJpki(JpkiSession session, string? pin)
    {
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadCertificate(session.ReadCertificate(JpkiSession.AuthCertificateFid));
        }
        catch (CryptographicException e)
        {
            return Refuse(RefusalReason.Unreadable, "The JPKI certificate is not a valid X.509 certificate: " + e.Message);
        }
        using (certificate)
        {
            if (ChainRefusal(certificate) is { } chainRefusal)
            {
                return chainRefusal;
            }
            var serial = certificate.SerialNumber;
            switch (trust.StatusList.ForCertificate(serial))
            {
                case CardStatus.Revoked:
                    return Refuse(RefusalReason.Revoked, $"JPKI certificate {serial} is revoked.");
                case CardStatus.Suspended:
                    return Refuse(RefusalReason.Suspended, $"JPKI certificate {serial} is suspended.");
            }

            var pinVerified = false;
            if (pin is not null)
            {
                if (PinRefusal(session.VerifyAuthPin(pin)) is { } pinRefusal)
                {
                    return pinRefusal;
                }
                var challenge = RandomNumberGenerator.GetBytes(ChallengeLength);
                var hash = SHA256.HashData(challenge);
                var signature = TrySign(session, hash);
                using var rsa = certificate.GetRSAPublicKey();
                if (signature is null || rsa is null || !rsa.VerifyHash(hash, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
                {
                    return Refuse(RefusalReason.Cloned, "The card could not sign with the key of its JPKI certificate.");
                }
                pinVerified = true;
            }
            var services = trust.JpkiLinks.GetValueOrDefault(serial) ?? [];
            return new Outcome(new CardIdentity(
                IdentificationMethod.JpkiLink, null, null, serial, DateOnly.FromDateTime(certificate.NotAfter.ToUniversalTime()), services, null, pinVerified), null);
        }
    }

    private Outcome? ChainRefusal(X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(trust.JpkiAnchors);
        // The status list is our revocation source; the edge may be offline, so no CRL/OCSP/AIA fetches.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.VerificationTime = clock.GetUtcNow().UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        if (chain.Build(certificate))
        {
            return null;
        }
        var flags = chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status);
        var detail = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()));
        if ((flags & ~X509ChainStatusFlags.NotTimeValid) == X509ChainStatusFlags.NoError)
        {
            var now = clock.GetUtcNow().UtcDateTime;
            return now < certificate.NotBefore.ToUniversalTime()
                ? Refuse(RefusalReason.NotYetValid, "The JPKI certificate is not valid yet: " + detail)
                : Refuse(RefusalReason.Expired, "The JPKI certificate has expired: " + detail, validUntil: DateOnly.FromDateTime(certificate.NotAfter.ToUniversalTime()));
        }
        return Refuse(RefusalReason.Forged, "The JPKI certificate does not chain to a trusted JPKI anchor: " + detail);
    }

    private Outcome? DateRefusal(DateOnly validFrom, DateOnly validUntil)
    {
        var today = CardDates.TodayInJapan(clock);
        if (today < validFrom)
        {
            return Refuse(RefusalReason.NotYetValid, $"The card is valid from {validFrom:yyyy-MM-dd}.");
        }
        return today > validUntil
            ? Refuse(RefusalReason.Expired, $"The card was valid until {validUntil:yyyy-MM-dd}.", validUntil: validUntil)
            : null;
    }

    private static Outcome? PinRefusal(PinResult result) => result.Outcome switch
    {
        PinOutcome.Verified => null,
        PinOutcome.Blocked => Refuse(RefusalReason.PinBlocked, "The card reports the PIN blocked."),
        _ => Refuse(RefusalReason.PinWrong, $"Wrong PIN; {result.TriesLeft} tries left.", result.TriesLeft),
    };

    // A card without the key (a clone) answers an error status; that is a refusal, not a fault.
    private static byte[]? TryInternalAuthenticate(CardApSession session, byte[] challenge)
    {
        try
        {
            return session.InternalAuthenticate(challenge);
        }
        catch (CardStatusException)
        {
            return null;
        }
    }

    private static byte[]? TrySign(JpkiSession session, byte[] hash)
    {
        try
        {
            return session.SignHash(hash);
        }
        catch (CardStatusException)
        {
            return null;
        }
    }

    private static Outcome Refuse(RefusalReason reason, string detail, int? triesLeft = null, DateOnly? validUntil = null) =>
        new(null, new Refusal(reason, detail, triesLeft, validUntil));

    // Every fault a card or reader can cause arrives as a CardException (or, for corrupt
    // certificate data, a CryptographicException): unreadable answers become a refusal with
    // the reason, reader faults another; nothing else escapes.
    private static IdentificationResult Run(IApduTransport card, Func<ApduChannel, Outcome> identify)
    {
        var channel = new ApduChannel(card);
        Outcome outcome;
        try
        {
            outcome = identify(channel);
        }
        catch (CardProtocolException e)
        {
            outcome = Refuse(RefusalReason.Unreadable, e.Message);
        }
        catch (CardStatusException e)
        {
            outcome = Refuse(RefusalReason.Unreadable, e.Message);
        }
        catch (CardException e)
        {
            outcome = Refuse(RefusalReason.ReaderError, e.Message);
        }
        catch (CryptographicException e)
        {
            // Card-supplied certificates and keys that parse but break the crypto library (found by fuzzing).
            outcome = Refuse(RefusalReason.Unreadable, "The card's certificate or key data is corrupt: " + e.Message);
        }
        return outcome.Identity is { } identity
            ? IdentificationResult.Identified(identity, channel.ExchangeCount)
            : IdentificationResult.Refused(outcome.Refusal!, channel.ExchangeCount);
    }

    private sealed record Outcome(CardIdentity? Identity, Refusal? Refusal);
}
