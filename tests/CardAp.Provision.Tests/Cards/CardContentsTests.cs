using CardAp.Card.Application;
using CardAp.Card.Issuing;
using CardAp.Card.Pcsc;
using CardAp.Card.Readers;
using CardAp.Card.Verification;
using CardAp.Provision.Cards;
using CardAp.Provision.Cli;
using CardAp.Shared.Domain;
using CardAp.VirtualCard;
using CardAp.VirtualCard.Applets;
using CardAp.VirtualCard.Issuance;

namespace CardAp.Provision.Tests.Cards;

/// <summary>
/// The logic that makes card commands safe to run again, on the virtual card in process (no
/// reader): whether a card's issuing went through, at every point it can be cut off, and how the
/// services to write are worked out.
/// </summary>
public sealed class CardContentsTests : IDisposable
{
    private static readonly MunicipalityCode Chiyoda = MunicipalityCode.Parse("131016");
    private static readonly CardNumber Number = CardNumber.Parse("C-0001");
    private static readonly DateOnly Today = new(2026, 6, 1);
    private readonly IssuingKey _key = IssuingKey.Create(new IssuerReference(Chiyoda, 1));

    public void Dispose() => _key.Dispose();

    private CardHeader Header => new(Chiyoda, Number, Today, Today.AddYears(5).AddDays(-1));

    private static ServiceRegistration Service(string id, string member) => new(ServiceId.Parse(id), MemberNumber.Parse(member), ServiceStatus.Active, Today);

    private static bool IsWrite(byte[] command) => command[1] is 0xD6 or 0x0E or 0x2C or 0x47;

    [Fact]
    public void A_blank_card_is_not_issued_and_a_card_without_the_application_is_not_ours()
    {
        var blank = CardContents.Read(new SmartCardTransport(VirtualCards.Blank(_key.PublicKey)), _key.PublicKey);
        Assert.False(blank.IsIssued);
        Assert.Null(blank.Header);
        Assert.Empty(blank.Services!);

        var none = Assert.Throws<ProvisionException>(() => CardContents.Read(new SmartCardTransport(new VirtualSmartCard()), _key.PublicKey));
        Assert.Equal(("NoCardApApplication", ExitCodes.Refused), (none.Reason, none.ExitCode));
    }

    [Fact]
    public void At_every_point_issuing_can_be_cut_off_the_card_counts_as_issued_exactly_when_a_terminal_accepts_it_and_issuing_again_completes_it()
    {
        var writes = CountWrites();
        Assert.True(writes >= 6, $"only {writes} writes");
        var verifier = new CardVerifier(new TrustStore([_key.PublicKey]), TimeProvider.System);
        for (var cutAt = 1; cutAt <= writes; cutAt++)
        {
            var card = VirtualCards.Blank(_key.PublicKey);
            var seen = 0;
            var cut = new CutTransport(new SmartCardTransport(card), command => IsWrite(command) && ++seen == cutAt);
            Assert.Throws<PcscException>(() => new CardIssuer(_key).Issue(cut, Header, "1234"));
            card.Reset();

            var contents = CardContents.Read(new SmartCardTransport(card), _key.PublicKey);
            card.Reset();
            var accepted = verifier.IdentifyCardAp(new SmartCardTransport(card), "1234").IsIdentified;
            Assert.True(contents.IsIssued == accepted, $"cut before write {cutAt}: issued {contents.IsIssued}, accepted {accepted}");
            Assert.False(contents.IsIssued && cutAt < writes, $"cut before write {cutAt} of {writes} left a card counted as issued");

            card.Reset();
            new CardIssuer(_key).Issue(new SmartCardTransport(card), Header, "1234");
            card.Reset();
            Assert.True(CardContents.Read(new SmartCardTransport(card), _key.PublicKey).IsIssued);
            card.Reset();
            Assert.True(verifier.IdentifyCardAp(new SmartCardTransport(card), "1234").IsIdentified);
        }
    }

    [Fact]
    public void A_clone_and_a_card_of_another_issuer_are_not_issued_cards_of_ours()
    {
        var genuine = VirtualCards.Issue(_key, Header, "1234", [Service("library", "L-1")]);
        Assert.True(CardContents.Read(new SmartCardTransport(genuine), _key.PublicKey).IsIssued);

        // Every file copied, but the card key never leaves the card.
        var clone = new VirtualSmartCard(genuine.GetApplet<CardApApplet>().CopyReadableContent("1234"));
        var cloned = CardContents.Read(new SmartCardTransport(clone), _key.PublicKey);
        Assert.False(cloned.IsIssued);
        Assert.Equal(Number, cloned.Header!.CardNumber);

        using var other = IssuingKey.Create(new IssuerReference(Chiyoda, 1));
        var foreign = CardContents.Read(new SmartCardTransport(VirtualCards.Issue(other, Header, "1234")), _key.PublicKey);
        Assert.False(foreign.IsIssued);
        Assert.True(foreign.SignedByOtherIssuer);
        Assert.Equal("NotOurCard", Assert.Throws<ProvisionException>(() => foreign.RequireIssued(Chiyoda, Number, CardKind.Resident)).Reason);
        Assert.Equal("OtherMunicipality", Assert.Throws<ProvisionException>(() => foreign.RequireIssued(MunicipalityCode.Parse("011002"), Number, null)).Reason);
    }

    [Fact]
    public void An_unreadable_services_file_is_rebuilt_from_the_hub_registrations()
    {
        var card = VirtualCards.Issue(_key, Header, "1234", [Service("library", "L-1"), Service("shelter", "S-1")]);
        var applet = card.GetApplet<CardApApplet>();
        var content = applet.Services.Content.ToArray();
        // The shorter list written over the longer one, the old tail not yet erased.
        applet.Personalize(CardApSpec.ServicesFid, [.. ServiceRegistration.EncodeAll([Service("shelter", "S-1")]), .. content[20..]]);

        var contents = CardContents.Read(new SmartCardTransport(card), _key.PublicKey);
        Assert.True(contents.IsIssued);
        Assert.Null(contents.Services);
        HubRegistration[] hub =
        [
            new(Number, ServiceId.Parse("library"), MemberNumber.Parse("L-1"), ServiceStatus.Active, Today, string.Empty),
            new(Number, ServiceId.Parse("shelter"), MemberNumber.Parse("S-1"), ServiceStatus.Stopped, Today, string.Empty),
        ];
        Assert.Equal([Service("library", "L-1"), Service("shelter", "S-1") with { Status = ServiceStatus.Stopped }], CardSteps.CurrentServices(contents, hub));
    }

    [Fact]
    public void Services_to_add_keep_what_the_card_has_and_refuse_other_member_numbers()
    {
        IReadOnlyList<ServiceRegistration> onCard = [Service("library", "L-1") with { RegisteredOn = new DateOnly(2025, 1, 1) }];
        HubRegistration[] hub = [new(Number, ServiceId.Parse("points"), MemberNumber.Parse("P-1"), ServiceStatus.Active, new DateOnly(2024, 4, 1), "山田")];

        var result = CardSteps.WithServices(Number, onCard,
            [(ServiceId.Parse("library"), MemberNumber.Parse("L-1")), (ServiceId.Parse("points"), MemberNumber.Parse("P-1")), (ServiceId.Parse("shelter"), MemberNumber.Parse("S-1"))],
            hub, Today);
        Assert.Equal(
        [
            onCard[0],
            new(ServiceId.Parse("points"), MemberNumber.Parse("P-1"), ServiceStatus.Active, new DateOnly(2024, 4, 1)),
            Service("shelter", "S-1"),
        ], result);

        Assert.Equal("ServiceOnCardDiffers", Assert.Throws<ProvisionException>(() =>
            CardSteps.WithServices(Number, onCard, [(ServiceId.Parse("library"), MemberNumber.Parse("L-2"))], [], Today)).Reason);
        Assert.Equal("RegistrationConflict", Assert.Throws<ProvisionException>(() =>
            CardSteps.WithServices(Number, onCard, [(ServiceId.Parse("points"), MemberNumber.Parse("P-2"))], hub, Today)).Reason);
        Assert.Equal("BadService", Assert.Throws<ProvisionException>(() => CardSteps.ParseServiceMembers(["library"])).Reason);
        Assert.Equal("BadService", Assert.Throws<ProvisionException>(() => CardSteps.ParseServiceMembers(["library=L-1", "library=L-2"])).Reason);
    }

    private int CountWrites()
    {
        var count = 0;
        var card = VirtualCards.Blank(_key.PublicKey);
        new CardIssuer(_key).Issue(new CountingTransport(new SmartCardTransport(card), command => count += IsWrite(command) ? 1 : 0), Header, "1234");
        return count;
    }

    private sealed class CutTransport(IApduTransport inner, Func<byte[], bool> cut) : IApduTransport
    {
        public byte[] Transmit(ReadOnlySpan<byte> command) =>
            cut(command.ToArray()) ? throw new PcscException("SCardTransmit(test)", PcscError.NotTransacted) : inner.Transmit(command);
    }

    private sealed class CountingTransport(IApduTransport inner, Action<byte[]> seen) : IApduTransport
    {
        public byte[] Transmit(ReadOnlySpan<byte> command)
        {
            seen(command.ToArray());
            return inner.Transmit(command);
        }
    }
}
