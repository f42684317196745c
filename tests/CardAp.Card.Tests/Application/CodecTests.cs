using CardAp.Card.Application;
using CardAp.Card.Iso7816;
using CardAp.Card.Tlv;
using CardAp.Shared.Domain;

namespace CardAp.Card.Tests.Application;

public class CodecTests
{
    private static readonly MunicipalityCode Chiyoda = MunicipalityCode.Parse("131016");

    [Fact]
    public void Resident_header_round_trips()
    {
        var header = new CardHeader(Chiyoda, CardNumber.Parse("C-000001"), new DateOnly(2026, 4, 1), new DateOnly(2031, 3, 31));
        Assert.Equal(header, CardHeader.Decode(header.Encode()));
    }

    [Fact]
    public void Operator_header_round_trips_with_its_record()
    {
        var header = new CardHeader(Chiyoda, CardNumber.Parse("OP-7"), new DateOnly(2026, 4, 1), new DateOnly(2027, 3, 31),
            CardKind.Operator, new OperatorRecord(OperatorId.Parse("staff-042"), OperatorRole.Parse("librarian")));
        var decoded = CardHeader.Decode(header.Encode());
        Assert.Equal(CardKind.Operator, decoded.Kind);
        Assert.Equal("librarian", decoded.Operator!.Role.Value);
    }

    [Fact]
    public void Header_with_a_bad_municipality_code_is_a_protocol_error()
    {
        var bytes = new TlvWriter().WriteConstructed(CardApSpec.Tags.Header, w => w
            .Write(CardApSpec.Tags.Version, CardApSpec.FormatVersion)
            .Write(CardApSpec.Tags.Municipality, "131017")
            .Write(CardApSpec.Tags.CardNumber, "C-1")
            .Write(CardApSpec.Tags.IssuedOn, "20260401")
            .Write(CardApSpec.Tags.ExpiresOn, "20310331")
            .Write(CardApSpec.Tags.Kind, (byte)1)).ToArray();
        var e = Assert.Throws<CardProtocolException>(() => CardHeader.Decode(bytes));
        Assert.Contains("check digit", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("E100")]
    [InlineData("E10380010109")]
    [InlineData("E1058001018501")]
    public void Malformed_headers_are_protocol_errors(string hex) =>
        Assert.ThrowsAny<CardProtocolException>(() => CardHeader.Decode(Convert.FromHexString(hex)));

    [Fact]
    public void Services_round_trip_and_empty_means_none()
    {
        ServiceRegistration[] services =
        [
            new(ServiceId.Parse("library"), MemberNumber.Parse("L0001"), ServiceStatus.Active, new DateOnly(2026, 5, 1)),
            new(ServiceId.Parse("shelter"), MemberNumber.Parse("S-77"), ServiceStatus.Stopped, new DateOnly(2026, 6, 1)),
        ];
        Assert.Equal(services, ServiceRegistration.DecodeAll(ServiceRegistration.EncodeAll(services)));
        Assert.Empty(ServiceRegistration.DecodeAll(ReadOnlyMemory<byte>.Empty));
        Assert.Empty(ServiceRegistration.DecodeAll(ServiceRegistration.EncodeAll([])));
    }

    [Fact]
    public void Duplicate_services_are_refused_both_ways()
    {
        var s = new ServiceRegistration(ServiceId.Parse("library"), MemberNumber.Parse("L1"), ServiceStatus.Active, new DateOnly(2026, 5, 1));
        Assert.Throws<InvalidOperationException>(() => ServiceRegistration.EncodeAll([s, s with { Member = MemberNumber.Parse("L2") }]));
        var forged = new TlvWriter().WriteConstructed(CardApSpec.Tags.Services, w =>
        {
            var one = BerTlv.Parse(ServiceRegistration.EncodeAll([s]))[0].Value.ToArray();
            w.Write(0xE3, BerTlv.Parse(one)[0].Value.Span).Write(0xE3, BerTlv.Parse(one)[0].Value.Span);
        }).ToArray();
        Assert.Throws<CardProtocolException>(() => ServiceRegistration.DecodeAll(forged));
    }

    [Fact]
    public void Certificate_round_trips_and_verifies_only_under_its_issuer()
    {
        using var issuer = IssuingKey.Create(new IssuerReference(Chiyoda, 1));
        using var other = IssuingKey.Create(new IssuerReference(Chiyoda, 1));
        using var cardKey = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var q = cardKey.ExportParameters(false).Q;
        byte[] point = [0x04, .. q.X!, .. q.Y!];

        var certificate = CardCertificate.Issue(issuer, CardNumber.Parse("C-1"), point, new DateOnly(2026, 4, 1), new DateOnly(2031, 3, 31));
        var decoded = CardCertificate.Decode(certificate.Encode());

        Assert.Equal("131016-01", decoded.Issuer.ToString());
        Assert.Equal(point, decoded.PublicPoint);
        Assert.True(decoded.IsSignedBy(issuer.PublicKey));
        Assert.False(decoded.IsSignedBy(other.PublicKey));
        Assert.True(certificate.Encode().Length < 200, "the certificate is read on every identification and must stay compact");

        var data = "challenge"u8.ToArray();
        Assert.True(decoded.VerifyCardSignature(data, cardKey.SignData(data, System.Security.Cryptography.HashAlgorithmName.SHA256)));
        Assert.False(decoded.VerifyCardSignature(data, new byte[64]));
    }

    [Fact]
    public void Issuer_reference_parses_and_refuses()
    {
        Assert.Equal(new IssuerReference(Chiyoda, 3), IssuerReference.Parse("131016-03"));
        Assert.Throws<FormatException>(() => IssuerReference.Parse("131017-01"));
        Assert.Throws<FormatException>(() => IssuerReference.Parse("131016-1"));
    }

    [Fact]
    public void Internal_auth_message_binds_challenge_pin_state_and_files()
    {
        var a = CardApSpec.InternalAuthMessage([1, 2], true, [3], [4]);
        Assert.NotEqual(a, CardApSpec.InternalAuthMessage([1, 2], false, [3], [4]));
        Assert.NotEqual(a, CardApSpec.InternalAuthMessage([1, 3], true, [3], [4]));
        Assert.NotEqual(a, CardApSpec.InternalAuthMessage([1, 2], true, [3], [5]));
        Assert.StartsWith("CardAp-IA-v1", System.Text.Encoding.ASCII.GetString(a), StringComparison.Ordinal);
    }
}
