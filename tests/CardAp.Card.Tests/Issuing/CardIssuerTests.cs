using CardAp.Card.Application;
using CardAp.Card.Issuing;
using CardAp.Card.Iso7816;
using CardAp.Card.Verification;
using CardAp.Shared.Domain;
using CardAp.VirtualCard;
using CardAp.VirtualCard.Applets;
using CardAp.VirtualCard.Issuance;
using CardAp.VirtualCard.State;

namespace CardAp.Card.Tests.Issuing;

public sealed class CardIssuerTests : IDisposable
{
    private static readonly MunicipalityCode Chiyoda = MunicipalityCode.Parse("131016");
    private readonly IssuingKey _key = IssuingKey.Create(new IssuerReference(Chiyoda, 1));

    public void Dispose() => _key.Dispose();

    private static ServiceRegistration Service(string id, string member) =>
        new(ServiceId.Parse(id), MemberNumber.Parse(member), ServiceStatus.Active, new DateOnly(2026, 6, 1));

    private VirtualSmartCard Issued() =>
        VirtualCards.Issue(_key, new CardHeader(Chiyoda, CardNumber.Parse("C-1"), new DateOnly(2026, 4, 1), new DateOnly(2031, 3, 31)), "1234");

    private IReadOnlyList<ServiceRegistration> ServicesOn(VirtualSmartCard card)
    {
        var result = new CardVerifier(new TrustStore([_key.PublicKey]), TimeProvider.System).IdentifyCardAp(new SmartCardTransport(card));
        Assert.True(result.IsIdentified, result.ToString());
        return result.Identity!.Services;
    }

    [Fact]
    public void Services_are_added_stopped_and_erased_and_the_card_still_verifies()
    {
        var card = Issued();
        var issuer = new CardIssuer(_key);
        var reader = new SmartCardTransport(card);

        issuer.AddService(reader, Service("library", "L1"));
        issuer.AddService(reader, Service("shelter", "S1"));
        Assert.Equal(["library", "shelter"], ServicesOn(card).Select(s => s.Service.Value));

        issuer.SetServiceStatus(reader, ServiceId.Parse("library"), ServiceStatus.Stopped);
        Assert.Equal(ServiceStatus.Stopped, ServicesOn(card).Single(s => s.Service.Value == "library").Status);

        var servicesLengthBefore = card.GetApplet<CardApApplet>().Services.Content.Length;
        issuer.EraseService(reader, ServiceId.Parse("library"));
        Assert.Equal(["shelter"], ServicesOn(card).Select(s => s.Service.Value));
        // 抹消 removes the entry's bytes from the card, not just a flag.
        Assert.True(card.GetApplet<CardApApplet>().Services.Content.Length < servicesLengthBefore);
    }

    [Fact]
    public void Adding_a_service_twice_and_erasing_an_absent_one_are_refused()
    {
        var card = Issued();
        var issuer = new CardIssuer(_key);
        var reader = new SmartCardTransport(card);
        issuer.AddService(reader, Service("library", "L1"));
        Assert.Throws<InvalidOperationException>(() => issuer.AddService(reader, Service("library", "L2")));
        Assert.Throws<InvalidOperationException>(() => issuer.EraseService(reader, ServiceId.Parse("points")));
        Assert.Equal("L1", ServicesOn(card).Single().Member.Value);
    }

    public static TheoryData<string, string> Writes => new()
    {
        { "UPDATE BINARY", "00D6820003E20100" },
        { "ERASE BINARY", "000E0000" },
        { "RESET RETRY COUNTER", "002C02810439393939" },
        { "GENERATE ASYMMETRIC KEY PAIR", "0047800000" },
        { "PUT DATA", "00DA01010130" },
    };

    [Theory]
    [MemberData(nameof(Writes))]
    public void Every_write_without_issuer_authentication_is_refused(string what, string apduHex)
    {
        var card = Issued();
        var before = card.ExportState();
        var channel = new ApduChannel(new SmartCardTransport(card));
        Assert.True(new CardApSession(channel).Select());
        if (what == "ERASE BINARY")
        {
            channel.Transmit(new CommandApdu(0x00, Ins.Select, 0x02, 0x0C, new byte[] { 0x01, 0x02 })).EnsureSuccess("SELECT EF");
        }

        var response = channel.Transmit(CommandApdu.Parse(Convert.FromHexString(apduHex)));

        Assert.Equal(StatusWord.SecurityStatusNotSatisfied, response.Status);
        Assert.Equivalent(before, card.ExportState(), strict: true);
        Assert.True(new CardVerifier(new TrustStore([_key.PublicKey]), TimeProvider.System).IdentifyCardAp(new SmartCardTransport(card)).IsIdentified);
    }

    [Fact]
    public void Another_municipality_key_cannot_authenticate_as_issuer()
    {
        var card = Issued();
        using var other = IssuingKey.Create(new IssuerReference(Chiyoda, 1));
        var e = Assert.Throws<CardStatusException>(() => new CardIssuer(other).AddService(new SmartCardTransport(card), Service("library", "L1")));
        Assert.Equal(StatusWord.SecurityStatusNotSatisfied, e.Status);
        Assert.Empty(ServicesOn(card));
    }

    [Fact]
    public void A_used_challenge_cannot_be_replayed()
    {
        var card = Issued();
        var session = new CardApSession(new ApduChannel(new SmartCardTransport(card)));
        Assert.True(session.Select());
        var signature = _key.Sign(CardApSpec.ExternalAuthMessage(session.GetChallenge()));
        session.ExternalAuthenticate(signature);
        Assert.True(session.Select());
        var replay = Assert.Throws<CardStatusException>(() => session.ExternalAuthenticate(signature));
        Assert.Equal(StatusWord.ConditionsOfUseNotSatisfied, replay.Status);
    }

    [Fact]
    public void A_card_handed_over_to_another_municipality_verifies_under_its_key_and_only_it_writes_the_card_from_then_on()
    {
        var card = VirtualCards.Issue(_key, new CardHeader(Chiyoda, CardNumber.Parse("C-1"), new DateOnly(2026, 4, 1), new DateOnly(2031, 3, 31)), "1234",
            [Service("library", "L1")]);
        var sapporo = MunicipalityCode.Parse("011002");
        using var newKey = IssuingKey.Create(new IssuerReference(sapporo, 1));
        var reader = new SmartCardTransport(card);
        var keyBefore = card.GetApplet<CardApApplet>().CardPublicPoint;

        new CardIssuer(_key).HandOver(reader, newKey, new CardHeader(sapporo, CardNumber.Parse("S-9"), new DateOnly(2026, 4, 1), new DateOnly(2031, 3, 31)),
            [Service("library", "SL-7")], new DateOnly(2026, 6, 1));

        var result = new CardVerifier(new TrustStore([newKey.PublicKey]), TimeProvider.System).IdentifyCardAp(reader, "1234");
        Assert.True(result.IsIdentified, result.ToString());
        Assert.Equal((sapporo, "S-9", "SL-7"), (result.Identity!.Municipality!.Value, result.Identity.CardNumber!.Value.Value, result.Identity.Services.Single().Member.Value));
        Assert.Equal(keyBefore, card.GetApplet<CardApApplet>().CardPublicPoint);
        Assert.Equal(RefusalReason.UnknownIssuer, new CardVerifier(new TrustStore([_key.PublicKey]), TimeProvider.System).IdentifyCardAp(reader).Refusal!.Reason);
        Assert.False(new CardIssuer(_key).IsAcceptedBy(reader));
        Assert.True(new CardIssuer(newKey).IsAcceptedBy(reader));
        new CardIssuer(newKey).AddService(reader, Service("shelter", "SS-1"));
        Assert.Equal(2, new CardVerifier(new TrustStore([newKey.PublicKey]), TimeProvider.System).IdentifyCardAp(reader).Identity!.Services.Count);
        Assert.Equal(newKey.PublicKey.SubjectPublicKeyInfo, CardApApplet.FromState((CardApAppletState)card.GetApplet<CardApApplet>().ExportState()).IssuerPublicKey);
    }

    [Fact]
    public void The_issuing_key_put_must_be_a_P256_public_key()
    {
        var card = Issued();
        var session = new CardApSession(new ApduChannel(new SmartCardTransport(card)));
        Assert.True(session.Select());
        session.ExternalAuthenticate(_key.Sign(CardApSpec.ExternalAuthMessage(session.GetChallenge())));
        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        var e = Assert.Throws<CardStatusException>(() => session.PutIssuerKey(rsa.ExportSubjectPublicKeyInfo().AsSpan(0, 200)));
        Assert.Equal(StatusWord.IncorrectParametersInData, e.Status);
        Assert.True(new CardIssuer(_key).IsAcceptedBy(new SmartCardTransport(card)));
    }
}
