using System.Security.Cryptography;
using CardAp.Card.Application;
using CardAp.Card.Verification;
using CardAp.Shared.Domain;
using CardAp.VirtualCard;
using CardAp.VirtualCard.Issuance;
using CardAp.VirtualCard.Jpki;

namespace CardAp.Card.Tests.Verification;

/// <summary>Shares one test CA and a few RSA keys: RSA-2048 generation is the slow part.</summary>
public sealed class JpkiFixture : IDisposable
{
    public JpkiTestAuthority Authority { get; } = new();
    public JpkiTestAuthority OtherAuthority { get; } = new("CN=Not J-LIS");
    public RSA CardKey { get; } = RSA.Create(2048);

    public void Dispose()
    {
        Authority.Dispose();
        OtherAuthority.Dispose();
        CardKey.Dispose();
    }
}

public sealed class JpkiIdentificationTests(JpkiFixture jpki) : IClassFixture<JpkiFixture>
{
    private static readonly ServiceRegistration Library =
        new(ServiceId.Parse("library"), MemberNumber.Parse("L0042"), ServiceStatus.Active, new DateOnly(2026, 5, 1));

    private CardVerifier Verifier(JpkiIssuedCard card, CardStatusList? status = null) =>
        new(new TrustStore([], [jpki.Authority.CaCertificate], status,
            new Dictionary<string, IReadOnlyList<ServiceRegistration>> { [card.SerialNumber] = [Library] }), TimeProvider.System);

    private JpkiIssuedCard Issue(JpkiTestAuthority? authority = null, DateTimeOffset? notAfter = null) =>
        (authority ?? jpki.Authority).IssueCard(authenticationPin: "1234", notAfter: notAfter, authenticationKey: jpki.CardKey);

    [Fact]
    public void Certificate_serial_identifies_the_resident_without_a_pin_in_at_most_8_apdus()
    {
        var issued = Issue();
        var result = Verifier(issued).IdentifyJpki(new SmartCardTransport(new VirtualSmartCard(issued.Applet)));
        Assert.True(result.IsIdentified, result.ToString());
        Assert.Equal(IdentificationMethod.JpkiLink, result.Identity!.Method);
        Assert.Equal(issued.SerialNumber, result.Identity.CertificateSerial);
        Assert.Null(result.Identity.CardNumber);
        Assert.Equal("L0042", result.Identity.MemberOf(ServiceId.Parse("library"))!.Value.Value);
        Assert.InRange(result.ApduCount, 1, 8);
    }

    [Fact]
    public void With_the_pin_the_card_proves_it_holds_the_key()
    {
        var issued = Issue();
        var result = Verifier(issued).IdentifyJpki(new SmartCardTransport(new VirtualSmartCard(issued.Applet)), pin: "1234");
        Assert.True(result.IsIdentified, result.ToString());
        Assert.True(result.Identity!.PinVerified);
    }

    [Fact]
    public void Wrong_pins_count_down_then_block()
    {
        var issued = Issue();
        var card = new SmartCardTransport(new VirtualSmartCard(issued.Applet));
        var verifier = Verifier(issued);
        Assert.Equal(2, verifier.IdentifyJpki(card, "0000").Refusal!.TriesLeft);
        Assert.Equal(1, verifier.IdentifyJpki(card, "0000").Refusal!.TriesLeft);
        Assert.Equal(RefusalReason.PinBlocked, verifier.IdentifyJpki(card, "0000").Refusal!.Reason);
        Assert.Equal(RefusalReason.PinBlocked, verifier.IdentifyJpki(card, "1234").Refusal!.Reason);
    }

    [Fact]
    public void A_certificate_from_another_ca_is_forged()
    {
        var issued = Issue(jpki.OtherAuthority);
        var result = Verifier(issued).IdentifyJpki(new SmartCardTransport(new VirtualSmartCard(issued.Applet)));
        Assert.Equal(RefusalReason.Forged, result.Refusal!.Reason);
    }

    [Fact]
    public void A_copied_certificate_without_the_key_fails_the_pin_signature()
    {
        var genuine = Issue();
        using var otherKey = RSA.Create(2048);
        // Same certificate bytes on a card whose key is different: the signature cannot verify.
        var clone = new JpkiApplet(
            new JpkiCertificateSet(genuine.AuthenticationCertificate.RawData, genuine.CaCertificate.RawData, otherKey.ExportPkcs8PrivateKey()),
            "1234", signing: null, "SIGN1234");
        var result = Verifier(genuine).IdentifyJpki(new SmartCardTransport(new VirtualSmartCard(clone)), pin: "1234");
        Assert.Equal(RefusalReason.Cloned, result.Refusal!.Reason);
    }

    [Fact]
    public void Expired_certificates_are_refused()
    {
        var issued = Issue(notAfter: DateTimeOffset.UtcNow.AddMinutes(-5));
        var result = Verifier(issued).IdentifyJpki(new SmartCardTransport(new VirtualSmartCard(issued.Applet)));
        Assert.Equal(RefusalReason.Expired, result.Refusal!.Reason);
    }

    [Theory]
    [InlineData(CardStatus.Suspended, RefusalReason.Suspended)]
    [InlineData(CardStatus.Revoked, RefusalReason.Revoked)]
    public void Certificates_on_the_status_list_are_refused(CardStatus status, RefusalReason reason)
    {
        var issued = Issue();
        var list = new CardStatusList([], [new(issued.SerialNumber, status)]);
        var result = Verifier(issued, list).IdentifyJpki(new SmartCardTransport(new VirtualSmartCard(issued.Applet)));
        Assert.Equal(reason, result.Refusal!.Reason);
    }

    [Fact]
    public void Identify_falls_back_to_jpki_when_the_card_has_no_cardap_application()
    {
        var issued = Issue();
        var result = Verifier(issued).Identify(new SmartCardTransport(new VirtualSmartCard(issued.Applet)));
        Assert.Equal(IdentificationMethod.JpkiLink, result.Identity!.Method);
    }
}
