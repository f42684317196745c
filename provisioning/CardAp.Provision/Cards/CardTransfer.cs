using System.Security.Cryptography;
using CardAp.Card.Application;
using CardAp.Card.Iso7816;
using CardAp.Card.Readers;
using CardAp.Provision.Cli;
using CardAp.Shared.Domain;

namespace CardAp.Provision.Cards;

/// <summary>
/// A card moving from one municipality's key to another's (引越継続), as found in the reader. The
/// hand-over writes header, services and certificate with the old key and hands the applet to the
/// new key last, so a card cut off part-way shows any mix of the old and the new header and
/// certificate, still written by the old key; it is recognised as this card (its certificate,
/// old or new, matches the key inside it) and the hand-over is simply done again.
/// </summary>
public sealed record CardTransfer(CardHeader Header, IReadOnlyList<ServiceRegistration>? Services, bool HeaderMoved, bool CertificateMoved)
{
    /// <summary>Reads the card and checks it is card <paramref name="from"/>/<paramref name="oldNumber"/> on its way to <paramref name="to"/>/<paramref name="newNumber"/>.</summary>
    public static CardTransfer Read(IApduTransport card, IssuerPublicKey from, CardNumber oldNumber, IssuerPublicKey to, CardNumber newNumber)
    {
        var session = new CardApSession(new ApduChannel(card));
        if (!session.Select())
        {
            throw CardErrors.NotOurCard("NoCardApApplication",
                "The card has no CardAp application, so there is nothing to transfer.",
                "カードに CardAp アプリケーションがないため、転出入の対象になりません。");
        }
        var headerBytes = session.ReadHeader();
        var servicesBytes = session.ReadServices();
        var certificateBytes = session.ReadCertificate();
        var header = Decode(() => CardHeader.Decode(headerBytes));
        var services = Decode(() => ServiceRegistration.DecodeAll(servicesBytes));
        var certificate = Decode(() => CardCertificate.Decode(certificateBytes));
        var fromMunicipality = from.Reference.Municipality;
        var toMunicipality = to.Reference.Municipality;
        var headerMoved = header is not null && header.Municipality == toMunicipality && header.CardNumber == newNumber;
        if (header is null || !(headerMoved || (header.Municipality == fromMunicipality && header.CardNumber == oldNumber)))
        {
            throw CardErrors.NotOurCard("OtherCard",
                $"The card in the reader is {(header is null ? "not an issued card" : $"card {header.CardNumber} of {header.Municipality}")}, not card {oldNumber} of {fromMunicipality}. Put that card in the reader (or correct --card and --municipality).",
                $"リーダーのカードは{(header is null ? "発行済みのカードではありません" : $"カード {header.CardNumber}（{header.Municipality}）です")}。カード {oldNumber}（{fromMunicipality}）を挿入するか、--card と --municipality を確認してください。");
        }
        if (header.Kind != CardKind.Resident)
        {
            throw CardContents.WrongKind(header.Kind);
        }
        var certificateMoved = certificate is not null && certificate.Holder == newNumber && certificate.IsSignedBy(to);
        var certificateOld = certificate is not null && certificate.Holder == oldNumber && certificate.IsSignedBy(from);
        if (!certificateMoved && !certificateOld)
        {
            throw CardErrors.NotOurCard("NotOurCard",
                $"The card's certificate is signed neither by {from.Reference} for card {oldNumber} nor by {to.Reference} for card {newNumber}: the card is forged, or not the card named. Keep it apart and report it.",
                $"カードの証明書は {from.Reference}（カード {oldNumber}）にも {to.Reference}（カード {newNumber}）にも署名されていません。偽造または別のカードの可能性があります。使用せずに報告してください。");
        }
        var challenge = RandomNumberGenerator.GetBytes(16);
        var signature = session.InternalAuthenticate(challenge);
        if (!certificate!.VerifyCardSignature(CardApSpec.InternalAuthMessage(challenge, pinVerified: false, headerBytes, servicesBytes), signature))
        {
            throw CardErrors.NotOurCard("NotOurCard",
                "The card cannot prove it holds the key its certificate names: it is a copy of a card, not the card. Keep it apart and report it.",
                "カードが証明書の鍵を保持していることを証明できません。複製されたカードの可能性があります。使用せずに報告してください。");
        }
        return new CardTransfer(header, services, headerMoved, certificateMoved);
    }

    /// <summary>
    /// The services the card carries in the new municipality: what it holds (or, unreadable, the
    /// hub's registrations), with the new member numbers given replacing the old.
    /// </summary>
    public IReadOnlyList<ServiceRegistration> ServicesAfter(IReadOnlyList<HubRegistration> atHub, IReadOnlyDictionary<ServiceId, MemberNumber> newMembers)
    {
        var current = Services ?? [.. atHub.Select(h => h.ToCard())];
        if (newMembers.Keys.FirstOrDefault(s => current.All(c => c.Service != s)) is { Value: not null } stray)
        {
            throw ProvisionException.Refused("NotRegistered",
                $"--member {stray}: the card carries no {stray} registration to give a new member number. Nothing was changed.",
                $"--member {stray}: カードにサービス {stray} の登録がないため、利用者番号を変更できません。変更は行われていません。");
        }
        return [.. current.Select(s => newMembers.TryGetValue(s.Service, out var member) ? s with { Member = member } : s)];
    }

    private static T? Decode<T>(Func<T> decode) where T : class
    {
        try
        {
            return decode();
        }
        catch (CardProtocolException)
        {
            return null;
        }
    }
}
