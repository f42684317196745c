using System.Security.Cryptography;
using CardAp.Card.Application;
using CardAp.Card.Issuing;
using CardAp.Card.Iso7816;
using CardAp.Card.Verification;
using CardAp.Shared.Domain;
using CardAp.VirtualCard;
using CardAp.VirtualCard.Applets;
using CardAp.VirtualCard.Issuance;
using CardAp.VirtualCard.Jpki;

namespace CardAp.Pcsc.Tests;

/// <summary>
/// Identification and issuer writes through the real PC/SC stack: our P/Invoke, pcscd, the vpcd
/// driver and the virtual card on the other end of its socket.
/// </summary>
[Collection(PcscdFixture.CollectionName)]
public sealed class IdentificationThroughPcscTests(PcscdFixture pcscd, MunicipalityFixture town) : IClassFixture<MunicipalityFixture>
{
    private const int Slot = 0;
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private async Task<T> WithCardAsync<T>(ISmartCard card, Func<Card.Readers.ICardConnection, T> use)
    {
        pcscd.RequirePcscd();
        var bridge = await pcscd.InsertCardAsync(card, Slot, Cancel);
        try
        {
            using var connection = pcscd.Readers.Connect(PcscdFixture.ReaderName(Slot));
            return use(connection);
        }
        finally
        {
            await pcscd.RemoveCardAsync(bridge, Slot, Cancel);
            await bridge.DisposeAsync();
        }
    }

    [Fact]
    public async Task Both_methods_identify_a_genuine_card()
    {
        var (card, jpki) = town.Resident();
        var (cardAp, jpkiLink, jpkiWithPin) = await WithCardAsync(card, c => (
            town.Verifier().IdentifyCardAp(c, "1234"),
            town.Verifier(linkedSerial: jpki.SerialNumber).IdentifyJpki(c),
            town.Verifier(linkedSerial: jpki.SerialNumber).IdentifyJpki(c, "5678")));

        Assert.True(cardAp.IsIdentified, cardAp.ToString());
        Assert.Equal("C-0001", cardAp.Identity!.CardNumber!.Value.Value);
        Assert.Equal("L0001", cardAp.Identity.MemberOf(ServiceId.Parse("library"))!.Value.Value);
        Assert.True(cardAp.Identity.PinVerified);

        Assert.True(jpkiLink.IsIdentified, jpkiLink.ToString());
        Assert.Equal(jpki.SerialNumber, jpkiLink.Identity!.CertificateSerial);
        Assert.Equal("L0001", jpkiLink.Identity.MemberOf(ServiceId.Parse("library"))!.Value.Value);
        Assert.True(jpkiWithPin.IsIdentified, jpkiWithPin.ToString());
        Assert.True(jpkiWithPin.Identity!.PinVerified);
    }

    [Fact]
    public async Task Wrong_pin_gives_63C2_then_63C1_then_blocked_6984()
    {
        var (card, _) = town.Resident();
        var statuses = await WithCardAsync(card, c =>
        {
            var channel = new ApduChannel(c);
            var session = new CardApSession(channel);
            Assert.True(session.Select());
            var wrong = new CommandApdu(0x00, Ins.Verify, 0x00, CardApSpec.PinReference, "9999"u8.ToArray());
            return new[] { channel.Transmit(wrong).Status, channel.Transmit(wrong).Status, channel.Transmit(wrong).Status, channel.Transmit(wrong).Status };
        });
        Assert.Equal([new StatusWord(0x63C2), new StatusWord(0x63C1), new StatusWord(0x6984), new StatusWord(0x6984)], statuses);

        var afterwards = await WithCardAsync(card, c => town.Verifier().IdentifyCardAp(c, "1234"));
        Assert.Equal(RefusalReason.PinBlocked, afterwards.Refusal!.Reason);
    }

    [Fact]
    public async Task Forged_and_cloned_cards_are_rejected_with_their_reason()
    {
        using var impostor = IssuingKey.Create(new IssuerReference(MunicipalityFixture.Chiyoda, 1));
        var (forged, _) = town.Resident("C-0001", impostor);
        var (genuine, _) = town.Resident("C-0002");
        var clone = new VirtualSmartCard(genuine.GetApplet<CardApApplet>().CopyReadableContent("1234"));

        var forgedResult = await WithCardAsync(forged, c => town.Verifier().IdentifyCardAp(c));
        var cloneResult = await WithCardAsync(clone, c => town.Verifier().IdentifyCardAp(c));

        Assert.Equal(RefusalReason.Forged, forgedResult.Refusal!.Reason);
        Assert.Equal(RefusalReason.Cloned, cloneResult.Refusal!.Reason);
    }

    [Fact]
    public async Task Suspended_and_revoked_cards_are_refused()
    {
        var (suspendedCard, _) = town.Resident("C-0010");
        var (revokedCard, revokedJpki) = town.Resident("C-0011");
        var list = new CardStatusList(
            [new((MunicipalityFixture.Chiyoda, CardNumber.Parse("C-0010")), CardStatus.Suspended)],
            [new(revokedJpki.SerialNumber, CardStatus.Revoked)]);

        var suspended = await WithCardAsync(suspendedCard, c => town.Verifier(list).IdentifyCardAp(c));
        var revoked = await WithCardAsync(revokedCard, c => town.Verifier(list).IdentifyJpki(c));

        Assert.Equal(RefusalReason.Suspended, suspended.Refusal!.Reason);
        Assert.Equal(RefusalReason.Revoked, revoked.Refusal!.Reason);
    }

    [Fact]
    public async Task Writes_need_issuer_authentication_and_the_issuer_can_write()
    {
        var (card, _) = town.Resident();
        var refused = await WithCardAsync(card, c =>
        {
            var channel = new ApduChannel(c);
            Assert.True(new CardApSession(channel).Select());
            return channel.Transmit(new CommandApdu(0x00, Ins.UpdateBinary, 0x80 | CardApSpec.ServicesSfi, 0x00, new byte[] { 0xE2, 0x00 })).Status;
        });
        Assert.Equal(StatusWord.SecurityStatusNotSatisfied, refused);

        var shelter = new ServiceRegistration(ServiceId.Parse("shelter"), MemberNumber.Parse("S-9"), ServiceStatus.Active, new DateOnly(2026, 11, 26));
        var after = await WithCardAsync(card, c =>
        {
            new CardIssuer(town.IssuingKey).AddService(c, shelter);
            return town.Verifier().IdentifyCardAp(c);
        });
        Assert.Equal(["library", "shelter"], after.Identity!.Services.Select(s => s.Service.Value));
    }
}
