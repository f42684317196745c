using System.Security.Cryptography;
using CardAp.Card.Application;
using CardAp.Card.Iso7816;
using CardAp.Card.Tests.VirtualCard.Support;
using CardAp.Card.Tlv;
using CardAp.VirtualCard;
using CardAp.VirtualCard.Applets;
using static CardAp.Card.Tests.VirtualCard.Support.ResponseAssert;

namespace CardAp.Card.Tests.VirtualCard;

/// <summary>Issuer authentication, the card key and INTERNAL AUTHENTICATE of the CardAp applet.</summary>
public sealed class CardApAppletAuthenticationTests : IDisposable
{
    private readonly CardApCard _card = new();
    private Terminal Terminal => _card.Terminal;

    public CardApAppletAuthenticationTests() => _card.Select();

    [Fact]
    public void Get_challenge_returns_16_fresh_bytes()
    {
        var first = Success(Terminal.Send("0084000010"));
        var second = Success(Terminal.Send("0084000010"));
        Assert.Equal(16, first.Length);
        Assert.NotEqual(first, second);
        // Le 00 is "up to 256": the same 16 bytes.
        Assert.Equal(16, Success(Terminal.Send("0084000000")).Length);
        Status(0x6C10, Terminal.Raw("0084000008"));
        Status(0x6700, Terminal.Raw("00840000"));
        Status(0x6A86, Terminal.Raw("0084010010"));
    }

    [Fact]
    public void The_issuing_key_authenticates_and_the_challenge_is_used_once()
    {
        var challenge = Success(Terminal.Send("0084000010"));
        var command = CardApCard.ExternalAuthenticate(challenge, _card.IssuerKey);
        Success(Terminal.Send(command));
        Assert.True(_card.Applet.IsIssuerAuthenticated);

        // Replaying the same signature: the challenge is spent.
        Status(0x6985, Terminal.Raw(command.ToBytes()));
        Status(0x6985, Terminal.Raw(CardApCard.ExternalAuthenticate(challenge, _card.IssuerKey).ToBytes()));
    }

    [Fact]
    public void External_authenticate_needs_a_challenge()
    {
        Status(0x6985, Terminal.Raw("0082000040" + new string('0', 128)));
    }

    [Fact]
    public void Another_key_is_refused_and_writes_stay_refused()
    {
        using var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Status(0x6982, _card.Authenticate(stranger));
        Status(0x6982, Terminal.Raw("00D6810001E1"));
    }

    [Fact]
    public void A_signature_over_another_challenge_or_of_the_wrong_length_is_refused()
    {
        var challenge = Success(Terminal.Send("0084000010"));
        challenge[0] ^= 1;
        Status(0x6982, Terminal.Raw(CardApCard.ExternalAuthenticate(challenge, _card.IssuerKey).ToBytes()));

        Success(Terminal.Send("0084000010"));
        Status(0x6700, Terminal.Raw("008200003F" + new string('0', 126)));
        // Even a malformed attempt spends the challenge.
        Status(0x6985, Terminal.Raw("0082000040" + new string('0', 128)));
    }

    [Fact]
    public void Issuer_authentication_ends_with_reselection_or_reset()
    {
        Success(_card.Authenticate());
        Success(Terminal.Send("00D6810001E1"));
        _card.Select();
        Status(0x6982, Terminal.Raw("00D6810001E1"));

        Success(_card.Authenticate());
        _card.Card.Reset();
        _card.Select();
        Status(0x6982, Terminal.Raw("00D6810001E1"));
    }

    [Fact]
    public void Generate_asymmetric_key_pair_is_issuer_only_and_answers_the_public_point()
    {
        Status(0x6982, Terminal.Raw("0047800000"));
        Assert.False(_card.Applet.HasCardKey);

        Success(_card.Authenticate());
        Status(0x6A86, Terminal.Raw("0047000000"));
        var template = BerTlv.ParseSingle(Success(Terminal.Send("0047800000")), CardApSpec.Tags.PublicKey);
        var point = template.Children().Require(CardApSpec.Tags.EcPoint, "point").Value.ToArray();
        Assert.Equal(CardApSpec.PublicPointLength, point.Length);
        Assert.Equal(0x04, point[0]);
        Assert.Equal(point, _card.Applet.CardPublicPoint);

        // A second generation replaces the key.
        var again = BerTlv.ParseSingle(Success(Terminal.Send("0047800000")), CardApSpec.Tags.PublicKey)
            .Children().Require(CardApSpec.Tags.EcPoint, "point").Value.ToArray();
        Assert.NotEqual(point, again);
    }

    [Fact]
    public void Internal_authenticate_needs_a_key()
    {
        Status(0x6A88, Terminal.Raw("0088000010" + new string('1', 32) + "00"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Internal_authenticate_signs_challenge_pin_state_and_both_files(bool verifyPin)
    {
        var header = CardApCard.Header();
        var services = CardApCard.Services(("LIB", "L-000123"));
        _card.Applet.Personalize(CardApSpec.HeaderFid, header);
        _card.Applet.Personalize(CardApSpec.ServicesFid, services);
        Success(_card.Authenticate());
        var point = BerTlv.ParseSingle(Success(Terminal.Send("0047800000")), CardApSpec.Tags.PublicKey)
            .Children().Require(CardApSpec.Tags.EcPoint, "point").Value.ToArray();
        if (verifyPin)
        {
            Success(Terminal.Send("0020008104" + "34373131"));
        }

        var challenge = RandomNumberGenerator.GetBytes(16);
        var signature = Success(Terminal.Send(new CommandApdu(0, Ins.InternalAuthenticate, 0, 0, challenge, 256)));
        Assert.Equal(CardApSpec.SignatureLength, signature.Length);

        using var cardKey = PublicKey(point);
        Assert.True(cardKey.VerifyData(CardApSpec.InternalAuthMessage(challenge, verifyPin, header, services), signature, HashAlgorithmName.SHA256));
        // The signature binds the PIN state and the files: any other claim fails.
        Assert.False(cardKey.VerifyData(CardApSpec.InternalAuthMessage(challenge, !verifyPin, header, services), signature, HashAlgorithmName.SHA256));
        Assert.False(cardKey.VerifyData(CardApSpec.InternalAuthMessage(challenge, verifyPin, header, CardApCard.Services(("LIB", "L-999"))), signature, HashAlgorithmName.SHA256));
    }

    [Theory]
    [InlineData(7, 0x6700)]
    [InlineData(65, 0x6700)]
    [InlineData(8, 0x9000)]
    [InlineData(64, 0x9000)]
    public void Internal_authenticate_accepts_challenges_of_8_to_64_bytes(int length, int expected)
    {
        _card.Applet.GenerateCardKey();
        var command = new CommandApdu(0, Ins.InternalAuthenticate, 0, 0, new byte[length], 256);
        Status((ushort)expected, Terminal.Raw(command.ToBytes()));
    }

    [Fact]
    public void Internal_authenticate_asks_for_the_exact_le_and_needs_one()
    {
        _card.Applet.GenerateCardKey();
        Status(0x6C40, Terminal.Raw("0088000010" + new string('1', 32) + "20"));
        Status(0x6700, Terminal.Raw("0088000010" + new string('1', 32)));
        // The channel follows 6C 40 by itself.
        Assert.Equal(64, Success(Terminal.Send("0088000010" + new string('1', 32) + "20")).Length);
    }

    [Fact]
    public void A_clone_with_the_readable_content_cannot_sign_for_the_original_key()
    {
        _card.Applet.Personalize(CardApSpec.HeaderFid, CardApCard.Header());
        _card.Applet.Personalize(CardApSpec.CertificateFid, [0x7F, 0x21, 0x00]);
        var originalPoint = _card.Applet.GenerateCardKey();

        var clone = _card.Applet.CopyReadableContent("0000");
        Assert.Equal(_card.Applet.Header.Content.ToArray(), clone.Header.Content.ToArray());
        Assert.Equal(_card.Applet.Certificate.Content.ToArray(), clone.Certificate.Content.ToArray());
        Assert.NotEqual(originalPoint, clone.CardPublicPoint);

        using var terminal = new Terminal(new VirtualSmartCard(clone));
        Success(terminal.Send(CardApCard.SelectCardAp));
        var challenge = RandomNumberGenerator.GetBytes(16);
        var signature = Success(terminal.Send(new CommandApdu(0, Ins.InternalAuthenticate, 0, 0, challenge, 256)));
        using var originalKey = PublicKey(originalPoint);
        Assert.False(originalKey.VerifyData(
            CardApSpec.InternalAuthMessage(challenge, false, clone.Header.Content.Span, clone.Services.Content.Span), signature, HashAlgorithmName.SHA256));
    }

    [Fact]
    public void The_applet_takes_the_issuer_key_as_subject_public_key_info_too_but_only_p256()
    {
        var fromSpki = new CardApApplet(_card.IssuerKey.ExportSubjectPublicKeyInfo(), "1234");
        Assert.Equal(_card.Applet.IssuerPublicKey, fromSpki.IssuerPublicKey);
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        Assert.Throws<ArgumentException>(() => new CardApApplet(p384.ExportParameters(false), "1234"));
        Assert.Throws<ArgumentException>(() => new CardApApplet(_card.IssuerKey.ExportParameters(false), "12a4"));
    }

    private static ECDsa PublicKey(byte[] point) => ECDsa.Create(new ECParameters
    {
        Curve = ECCurve.NamedCurves.nistP256,
        Q = new ECPoint { X = point[1..33], Y = point[33..] },
    });

    public void Dispose() => _card.Dispose();
}
