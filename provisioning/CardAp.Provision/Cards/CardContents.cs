using System.Security.Cryptography;
using CardAp.Card.Application;
using CardAp.Card.Iso7816;
using CardAp.Card.Readers;
using CardAp.Provision.Cli;
using CardAp.Shared.Domain;

namespace CardAp.Provision.Cards;

/// <summary>
/// What a card's CardAp application holds, read as any terminal reads it (no authentication), and
/// whether its issuing went through to the end: the certificate is written last, so a card is
/// issued when its certificate is signed by the municipality's key, names the header's card number
/// and matches the key inside the card (INTERNAL AUTHENTICATE over the files read). Anything less
/// is a card cut off part-way (or a blank one), which issuing may write over.
/// </summary>
public sealed record CardContents(CardHeader? Header, IReadOnlyList<ServiceRegistration>? Services, CardCertificate? Certificate, bool IsIssued)
{
    /// <summary>The certificate on the card is signed by another issuing key (another issuer, or forged).</summary>
    public bool SignedByOtherIssuer { get; private init; }

    /// <summary>Reads the card. A card without the CardAp application is refused as not ours.</summary>
    public static CardContents Read(IApduTransport card, IssuerPublicKey issuer)
    {
        var session = new CardApSession(new ApduChannel(card));
        if (!session.Select())
        {
            throw CardErrors.NotOurCard("NoCardApApplication",
                "The card has no CardAp application (it is not a card prepared for CardAp, or not a My Number card with our free-area application). Use a card delivered for this municipality.",
                "カードに CardAp アプリケーションがありません（CardAp 用に準備されたカードではありません）。この市町村向けに納品されたカードを使用してください。");
        }
        var headerBytes = session.ReadHeader();
        var servicesBytes = session.ReadServices();
        var certificateBytes = session.ReadCertificate();
        var header = Decode(() => CardHeader.Decode(headerBytes));
        var services = Decode(() => ServiceRegistration.DecodeAll(servicesBytes));
        var certificate = Decode(() => CardCertificate.Decode(certificateBytes));
        if (header is null || certificate is null || header.Municipality != issuer.Reference.Municipality
            || certificate.Holder != header.CardNumber || !certificate.IsSignedBy(issuer))
        {
            return new CardContents(header, services, certificate, IsIssued: false) { SignedByOtherIssuer = certificate is not null && !certificate.IsSignedBy(issuer) };
        }
        var challenge = RandomNumberGenerator.GetBytes(16);
        byte[] signature;
        try
        {
            signature = session.InternalAuthenticate(challenge);
        }
        catch (CardStatusException)
        {
            // No card key yet (6A 88): never issued to the end.
            return new CardContents(header, services, certificate, IsIssued: false);
        }
        var issued = certificate.VerifyCardSignature(CardApSpec.InternalAuthMessage(challenge, pinVerified: false, headerBytes, servicesBytes), signature);
        return new CardContents(header, services, certificate, issued);
    }

    /// <summary>
    /// The issued card, checked against what the command expects: this municipality, this card
    /// number, this kind. Anything else is refused before a byte is written.
    /// </summary>
    public CardHeader RequireIssued(MunicipalityCode municipality, CardNumber expected, CardKind? kind)
    {
        RequireMunicipality(municipality);
        if (SignedByOtherIssuer && Header is not null)
        {
            throw CardErrors.NotOurCard("NotOurCard",
                $"The card's certificate is not signed by the issuing key of {municipality}: the card comes from another issuer, or is forged. Keep it apart and report it.",
                $"カードの証明書は市町村 {municipality} の発行鍵で署名されていません。他の発行者のカードか、偽造の可能性があります。使用せずに報告してください。");
        }
        if (!IsIssued || Header is null)
        {
            throw CardErrors.NotOurCard("NotIssued",
                $"The card's CardAp application is not issued (blank, or cut off while being issued). Issue it first with `card issue --card {expected}`.",
                $"カードの CardAp アプリケーションが発行されていません（未発行、または発行が中断されています）。先に `card issue --card {expected}` で発行してください。");
        }
        if (Header.CardNumber != expected)
        {
            throw CardErrors.NotOurCard("OtherCard",
                $"The card in the reader is card {Header.CardNumber}, not {expected}. Put card {expected} in the reader (or correct --card).",
                $"リーダーのカードはカード番号 {Header.CardNumber} で、{expected} ではありません。カード {expected} を挿入するか、--card を確認してください。");
        }
        if (kind is not null && Header.Kind != kind)
        {
            throw WrongKind(Header.Kind);
        }
        return Header;
    }

    /// <summary>Refuses a card whose header names another municipality (whatever state its issuing is in).</summary>
    public void RequireMunicipality(MunicipalityCode municipality)
    {
        if (Header is { } other && other.Municipality != municipality)
        {
            throw CardErrors.NotOurCard("OtherMunicipality",
                $"The card belongs to municipality {other.Municipality}, not {municipality}. Check that it is the right card and --municipality.",
                $"このカードは市町村 {other.Municipality} のカードで、{municipality} のカードではありません。カードと --municipality を確認してください。");
        }
    }

    public static ProvisionException WrongKind(CardKind actual) => actual == CardKind.Operator
        ? CardErrors.NotOurCard("OperatorCard",
            "The card is an operator identification card (操作者識別カード), not a resident's card. Use `operator` commands for it, or put the resident's card in the reader.",
            "このカードは操作者識別カードで、住民のカードではありません。操作者カードには `operator` コマンドを使うか、住民のカードを挿入してください。")
        : CardErrors.NotOurCard("ResidentCard",
            "The card is a resident's card, not an operator identification card (操作者識別カード). Put the operator card in the reader.",
            "このカードは住民のカードで、操作者識別カードではありません。操作者カードを挿入してください。");

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
