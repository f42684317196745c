using CardAp.Card.Application;
using CardAp.Card.Issuing;
using CardAp.Card.Iso7816;
using CardAp.Card.Verification;
using CardAp.Shared.Domain;
using CardAp.VirtualCard;
using CardAp.VirtualCard.Applets;
using CardAp.VirtualCard.Issuance;
using CardAp.VirtualCard.Jpki;

namespace CardAp.Card.Tests.Verification;

/// <summary>
/// Offline identification by both methods against virtual cards, in process. The same
/// scenarios run through real pcscd + vpcd in CardAp.Pcsc.Tests.
/// </summary>
public sealed class IdentificationTests : IDisposable
{
    private static readonly MunicipalityCode Chiyoda = MunicipalityCode.Parse("131016");
    private static readonly ServiceRegistration Library =
        new(ServiceId.Parse("library"), MemberNumber.Parse("L0001"), ServiceStatus.Active, new DateOnly(2026, 5, 1));

    private readonly IssuingKey _issuingKey = IssuingKey.Create(new IssuerReference(Chiyoda, 1));
    private readonly FixedClock _clock = new(new DateTimeOffset(2026, 11, 26, 10, 0, 0, TimeSpan.FromHours(9)));

    public void Dispose() => _issuingKey.Dispose();

    private static CardHeader Header(string number, DateOnly? expires = null) =>
        new(Chiyoda, CardNumber.Parse(number), new DateOnly(2026, 4, 1), expires ?? new DateOnly(2031, 3, 31));

    private VirtualSmartCard Resident(string number = "C-0001", DateOnly? expires = null) =>
        VirtualCards.Issue(_issuingKey, Header(number, expires), "1234", [Library]);

    private CardVerifier Verifier(CardStatusList? status = null, params IssuerPublicKey[] extraIssuers) =>
        new(new TrustStore([_issuingKey.PublicKey, .. extraIssuers], statusList: status), _clock);

    private static SmartCardTransport Reader(ISmartCard card) => new(card);

    [Fact]
    public void A_genuine_card_is_identified_with_its_member_numbers_within_6_apdus()
    {
        var result = Verifier().IdentifyCardAp(Reader(Resident()));

        Assert.True(result.IsIdentified, result.ToString());
        var who = result.Identity!;
        Assert.Equal(IdentificationMethod.CardAp, who.Method);
        Assert.Equal("C-0001", who.CardNumber!.Value.Value);
        Assert.Equal(Chiyoda, who.Municipality);
        Assert.Equal("L0001", who.MemberOf(ServiceId.Parse("library"))!.Value.Value);
        Assert.False(who.PinVerified);
        Assert.InRange(result.ApduCount, 1, 5);
    }

    [Fact]
    public void The_pin_is_checked_by_the_card_and_bound_into_its_signature()
    {
        var card = Resident();
        var result = Verifier().IdentifyCardAp(Reader(card), pin: "1234");
        Assert.True(result.IsIdentified, result.ToString());
        Assert.True(result.Identity!.PinVerified);
        Assert.Equal(6, result.ApduCount);
    }

    [Fact]
    public void Wrong_pins_count_down_then_block()
    {
        var card = Resident();
        var verifier = Verifier();

        var first = verifier.IdentifyCardAp(Reader(card), pin: "9999");
        var second = verifier.IdentifyCardAp(Reader(card), pin: "9999");
        var third = verifier.IdentifyCardAp(Reader(card), pin: "9999");
        var afterwards = verifier.IdentifyCardAp(Reader(card), pin: "1234");

        Assert.Equal((RefusalReason.PinWrong, 2), (first.Refusal!.Reason, first.Refusal.TriesLeft!.Value));
        Assert.Equal((RefusalReason.PinWrong, 1), (second.Refusal!.Reason, second.Refusal.TriesLeft!.Value));
        Assert.Equal(RefusalReason.PinBlocked, third.Refusal!.Reason);
        Assert.Equal(RefusalReason.PinBlocked, afterwards.Refusal!.Reason);
        Assert.Contains("あと1回", second.Refusal.MessageJa, StringComparison.Ordinal);
        Assert.Contains("1 try left", second.Refusal.MessageEn, StringComparison.Ordinal);

        // The issuer resets the blocked PIN (with the form and the card), and the card works again.
        new CardIssuer(_issuingKey).ResetPin(Reader(card), "4321");
        Assert.True(verifier.IdentifyCardAp(Reader(card), pin: "4321").IsIdentified);
    }

    [Fact]
    public void A_right_pin_restores_the_tries()
    {
        var card = Resident();
        var verifier = Verifier();
        Assert.Equal(RefusalReason.PinWrong, verifier.IdentifyCardAp(Reader(card), pin: "0000").Refusal!.Reason);
        Assert.True(verifier.IdentifyCardAp(Reader(card), pin: "1234").IsIdentified);
        Assert.Equal(2, verifier.IdentifyCardAp(Reader(card), pin: "0000").Refusal!.TriesLeft);
    }

    [Fact]
    public void A_card_certified_by_another_key_is_forged()
    {
        using var impostor = IssuingKey.Create(new IssuerReference(Chiyoda, 1));
        var forged = VirtualCards.Issue(impostor, Header("C-0001"), "1234", [Library]);

        var result = Verifier().IdentifyCardAp(Reader(forged));

        Assert.Equal(RefusalReason.Forged, result.Refusal!.Reason);
        Assert.Contains("正規に発行", result.Refusal.MessageJa, StringComparison.Ordinal);
    }

    [Fact]
    public void A_card_of_a_municipality_not_served_here_names_that()
    {
        using var sapporo = IssuingKey.Create(new IssuerReference(MunicipalityCode.Parse("011002"), 1));
        var card = VirtualCards.Issue(sapporo, new CardHeader(sapporo.Reference.Municipality, CardNumber.Parse("S-1"), new DateOnly(2026, 4, 1), new DateOnly(2031, 3, 31)), "1234");
        Assert.Equal(RefusalReason.UnknownIssuer, Verifier().IdentifyCardAp(Reader(card)).Refusal!.Reason);
    }

    [Fact]
    public void A_clone_with_copied_files_but_no_key_is_detected()
    {
        var genuine = Resident();
        var clone = new VirtualSmartCard(genuine.GetApplet<CardApApplet>().CopyReadableContent("1234"));

        var result = Verifier().IdentifyCardAp(Reader(clone));

        Assert.Equal(RefusalReason.Cloned, result.Refusal!.Reason);
        Assert.True(Verifier().IdentifyCardAp(Reader(genuine)).IsIdentified);
    }

    [Fact]
    public void A_clone_with_no_key_at_all_is_detected()
    {
        var genuine = Resident().GetApplet<CardApApplet>();
        var keyless = new CardApApplet(_issuingKey.PublicKey.SubjectPublicKeyInfo, "1234");
        foreach (var fid in new[] { CardApSpec.HeaderFid, CardApSpec.ServicesFid, CardApSpec.CertificateFid })
        {
            keyless.Personalize(fid, genuine.Files[fid].Content.Span);
        }
        Assert.Equal(RefusalReason.Cloned, Verifier().IdentifyCardAp(Reader(new VirtualSmartCard(keyless))).Refusal!.Reason);
    }

    [Fact]
    public void Expired_and_not_yet_valid_cards_are_refused_with_the_date()
    {
        var card = Resident(expires: new DateOnly(2026, 11, 25));
        var result = Verifier().IdentifyCardAp(Reader(card));
        Assert.Equal(RefusalReason.Expired, result.Refusal!.Reason);
        Assert.Contains("2026-11-25", result.Refusal.MessageEn, StringComparison.Ordinal);

        // Valid through the expiry day in Japan: 23:59 JST on the day is fine, 00:00 the next day is not.
        var lastDay = Resident(expires: new DateOnly(2026, 11, 26));
        _clock.Now = new DateTimeOffset(2026, 11, 26, 23, 59, 0, TimeSpan.FromHours(9));
        Assert.True(Verifier().IdentifyCardAp(Reader(lastDay)).IsIdentified);
        _clock.Now = new DateTimeOffset(2026, 11, 26, 15, 0, 0, TimeSpan.Zero); // 00:00 JST on the 27th
        Assert.Equal(RefusalReason.Expired, Verifier().IdentifyCardAp(Reader(lastDay)).Refusal!.Reason);

        _clock.Now = new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.FromHours(9));
        Assert.Equal(RefusalReason.NotYetValid, Verifier().IdentifyCardAp(Reader(Resident())).Refusal!.Reason);
    }

    [Theory]
    [InlineData(CardStatus.Suspended, RefusalReason.Suspended)]
    [InlineData(CardStatus.Revoked, RefusalReason.Revoked)]
    public void Cards_on_the_status_list_are_refused(CardStatus status, RefusalReason reason)
    {
        var list = new CardStatusList([new((Chiyoda, CardNumber.Parse("C-0001")), status)], []);
        var card = Resident();
        var result = Verifier(list).IdentifyCardAp(Reader(card), pin: "1234");
        Assert.Equal(reason, result.Refusal!.Reason);
        Assert.Equal(3, card.GetApplet<CardApApplet>().PinTriesLeft);
        Assert.True(Verifier().IdentifyCardAp(Reader(Resident("C-0002"))).IsIdentified);
    }

    [Fact]
    public void An_operator_card_identifies_the_operator_and_role()
    {
        var header = Header("OP-0042") with
        {
            Kind = CardKind.Operator,
            Operator = new OperatorRecord(OperatorId.Parse("staff-042"), OperatorRole.Parse("librarian")),
        };
        var card = VirtualCards.Issue(_issuingKey, header, "2468");
        var result = Verifier().IdentifyCardAp(Reader(card), pin: "2468");
        Assert.True(result.IsIdentified, result.ToString());
        Assert.Equal("staff-042", result.Identity!.Operator!.Id.Value);
        Assert.Equal("librarian", result.Identity.Operator.Role.Value);
    }

    [Fact]
    public void A_card_without_any_application_is_told_so()
    {
        var empty = new VirtualSmartCard();
        var result = Verifier().Identify(Reader(empty));
        Assert.Equal(RefusalReason.NoApplication, result.Refusal!.Reason);
    }

    [Fact]
    public void An_unissued_card_is_unreadable_not_a_crash()
    {
        var blank = VirtualCards.Blank(_issuingKey.PublicKey);
        var result = Verifier().IdentifyCardAp(Reader(blank));
        Assert.Equal(RefusalReason.Unreadable, result.Refusal!.Reason);
        Assert.Contains("never issued", result.Refusal.Detail, StringComparison.Ordinal);
    }
}
