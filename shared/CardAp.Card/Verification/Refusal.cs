using System.Globalization;

namespace CardAp.Card.Verification;

/// <summary>Why a card was not accepted. Each reason has a message a clerk or resident can act on.</summary>
public enum RefusalReason
{
    /// <summary>The card holds neither our application nor a JPKI application.</summary>
    NoApplication,
    /// <summary>The card's answers could not be understood (damaged, unissued, or hostile).</summary>
    Unreadable,
    /// <summary>The reader failed or the card left it during the exchange.</summary>
    ReaderError,
    /// <summary>The certificate names an issuing key this terminal does not trust (another municipality).</summary>
    UnknownIssuer,
    /// <summary>The certificate's signature does not hold: not issued by the named issuer.</summary>
    Forged,
    /// <summary>The certificate is genuine but the card cannot prove it holds its key: copied files.</summary>
    Cloned,
    /// <summary>The card or certificate is past its validity.</summary>
    Expired,
    /// <summary>The card or certificate is not valid yet.</summary>
    NotYetValid,
    Suspended,
    Revoked,
    PinWrong,
    PinBlocked,
}

/// <summary>A refusal with its reason, a technical detail for logs, and texts for people in English and Japanese.</summary>
public sealed record Refusal(RefusalReason Reason, string Detail, int? TriesLeft = null, DateOnly? ValidUntil = null)
{
    public string MessageEn => Reason switch
    {
        RefusalReason.NoApplication => "This card is not registered for this service. Please use a registered card or ask at the counter.",
        RefusalReason.Unreadable => "The card could not be read. Please insert it again; if this repeats, the card may be damaged.",
        RefusalReason.ReaderError => "The card reader failed or the card was removed. Please insert the card again.",
        RefusalReason.UnknownIssuer => "This card was issued by a municipality this terminal does not serve.",
        RefusalReason.Forged => "This card was not issued by a trusted issuer and cannot be accepted.",
        RefusalReason.Cloned => "This card failed the authenticity check and cannot be accepted.",
        RefusalReason.Expired => $"This card expired{Until(" on {0}")}. Please apply for renewal at the counter.",
        RefusalReason.NotYetValid => "This card is not valid yet.",
        RefusalReason.Suspended => "This card is suspended. Please ask at the counter.",
        RefusalReason.Revoked => "This card has been revoked and can no longer be used.",
        RefusalReason.PinWrong => $"The PIN is incorrect. {TriesLeft} {(TriesLeft == 1 ? "try" : "tries")} left before it is locked.",
        RefusalReason.PinBlocked => "The PIN is locked after too many wrong tries. Please ask at the counter to reset it.",
        _ => Reason.ToString(),
    };

    public string MessageJa => Reason switch
    {
        RefusalReason.NoApplication => "このカードは本サービスに登録されていません。登録済みのカードをご利用いただくか、窓口にお問い合わせください。",
        RefusalReason.Unreadable => "カードを読み取れませんでした。もう一度挿入してください。繰り返す場合はカードが破損している可能性があります。",
        RefusalReason.ReaderError => "カードリーダーでエラーが発生したか、カードが取り外されました。もう一度カードを挿入してください。",
        RefusalReason.UnknownIssuer => "このカードは本端末の対象外の市区町村で発行されています。",
        RefusalReason.Forged => "このカードは正規に発行されたものではないため、受け付けできません。",
        RefusalReason.Cloned => "このカードは真正性の確認ができなかったため、受け付けできません。",
        RefusalReason.Expired => $"このカードは有効期限が切れています{Until("(有効期限: {0})")}。窓口で更新手続きをしてください。",
        RefusalReason.NotYetValid => "このカードはまだ有効期間の開始前です。",
        RefusalReason.Suspended => "このカードは一時停止中です。窓口にお問い合わせください。",
        RefusalReason.Revoked => "このカードは廃止されているため、利用できません。",
        RefusalReason.PinWrong => $"暗証番号が違います。あと{TriesLeft}回間違えるとロックされます。",
        RefusalReason.PinBlocked => "暗証番号の誤入力が規定回数に達したため、ロックされています。窓口で再設定の手続きをしてください。",
        _ => Reason.ToString(),
    };

    private string Until(string format) =>
        ValidUntil is { } date ? string.Format(CultureInfo.InvariantCulture, format, date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)) : string.Empty;

    public override string ToString() => $"{Reason}: {Detail}";
}
