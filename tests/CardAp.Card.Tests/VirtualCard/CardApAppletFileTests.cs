using CardAp.Card.Application;
using CardAp.Card.Iso7816;
using CardAp.Card.Tests.VirtualCard.Support;
using CardAp.Card.Tlv;
using static CardAp.Card.Tests.VirtualCard.Support.ResponseAssert;

namespace CardAp.Card.Tests.VirtualCard;

/// <summary>The transparent EFs of the CardAp applet, at APDU level, against docs/card-application.md.</summary>
public sealed class CardApAppletFileTests : IDisposable
{
    private readonly CardApCard _card = new();
    private Terminal Terminal => _card.Terminal;

    public CardApAppletFileTests() => _card.Select();

    [Fact]
    public void A_never_written_ef_reads_empty_with_le_00_and_warns_with_an_explicit_le()
    {
        Assert.Empty(Success(Terminal.Send("00B0810000")));
        var explicitLe = Terminal.Raw("00B0810010");
        Status(0x6282, explicitLe);
        Assert.Equal(0, explicitLe.Data.Length);
    }

    [Fact]
    public void Read_binary_by_sfi_offset_and_le()
    {
        var header = CardApCard.Header();
        _card.Applet.Personalize(CardApSpec.HeaderFid, header);

        Assert.Equal(header, Success(Terminal.Send("00B0810000")));
        // The SFI read selected the header, so offsets now apply to it.
        Assert.Equal(header[5..9], Success(Terminal.Send("00B0000504")));
        // P1 = 80|SFI with the offset in P2.
        Assert.Equal(header[3..], Success(Terminal.Send("00B0810300")));
        // Explicit Le beyond the end: the rest, with 62 82.
        var tail = Terminal.Raw($"00B000{header.Length - 2:X2}10");
        Status(0x6282, tail);
        Assert.Equal(header[^2..], tail.Data.ToArray());
        // Offset exactly at the end: nothing left, but not an error.
        Assert.Empty(Success(Terminal.Send($"00B000{header.Length:X2}00")));
        // Beyond the end: 6B 00.
        Status(0x6B00, Terminal.Raw($"00B000{header.Length + 1:X2}00"));
    }

    [Fact]
    public void Select_ef_by_fid_then_read_by_offset()
    {
        var services = CardApCard.Services(("LIB", "L-000123"), ("POOL", "P-77"));
        _card.Applet.Personalize(CardApSpec.ServicesFid, services);

        Success(Terminal.Send("00A4020C020102"));
        Assert.Equal(services, Success(Terminal.Send("00B0000000")));
        // P2 = 00 is accepted too, and returns no FCI.
        Assert.Empty(Success(Terminal.Send("00A4020002010300")));
        Assert.Empty(Success(Terminal.Send("00B0000000")));
    }

    [Fact]
    public void A_large_services_ef_reads_in_256_byte_chunks()
    {
        var many = Enumerable.Range(0, 20).Select(i => ($"SVC{i:D2}", $"MEMBER-{i:D8}")).ToArray();
        var services = CardApCard.Services(many);
        Assert.InRange(services.Length, 257, CardApSpec.ServicesMaxSize);
        _card.Applet.Personalize(CardApSpec.ServicesFid, services);

        Assert.Equal(services, _card.ReadAll(CardApSpec.ServicesSfi));
        Assert.Equal(20, BerTlv.ParseSingle(services, CardApSpec.Tags.Services).Children().Count);
    }

    [Theory]
    [InlineData("00B0000000", 0x6986)] // no EF selected yet
    [InlineData("00B0850000", 0x6A82)] // no EF with SFI 5
    [InlineData("00B0800000", 0x6A86)] // SFI 0 is not a file
    [InlineData("00B0A10000", 0x6A86)] // P1 = 101x xxxx is not the SFI form
    [InlineData("00B08100", 0x6700)] // READ BINARY without Le
    [InlineData("00B081000100", 0x6700)] // READ BINARY with a data field
    [InlineData("00A4020C03010100", 0x6700)] // FID must be two bytes
    [InlineData("00A4020C020199", 0x6A82)] // no such FID
    [InlineData("00A4020402010100", 0x6A86)] // FCP (P2 04) is not offered
    [InlineData("00A4080C020101", 0x6A86)] // select by path is not offered
    public void File_command_errors(string apdu, int expected) => Status((ushort)expected, Terminal.Raw(apdu));

    [Theory]
    [InlineData("00D6810003010203")] // UPDATE BINARY header by SFI
    [InlineData("00D6820003010203")] // services
    [InlineData("00D6830003010203")] // certificate
    [InlineData("00B08100" + "00", "00D6000003010203")] // after selecting by SFI
    [InlineData("000E8100")] // ERASE BINARY by SFI
    public void Every_write_without_issuer_authentication_is_refused(params string[] apdus)
    {
        _card.Applet.Personalize(CardApSpec.HeaderFid, [0xE1, 0x00]);
        foreach (var apdu in apdus[..^1])
        {
            Terminal.Raw(apdu);
        }
        Status(0x6982, Terminal.Raw(apdus[^1]));
        Assert.Equal(new byte[] { 0xE1, 0x00 }, _card.Applet.Header.Content.ToArray());
    }

    [Fact]
    public void The_authenticated_issuer_writes_extends_and_is_bounded_by_the_maximum()
    {
        Success(_card.Authenticate());
        var header = CardApCard.Header();

        Success(Terminal.Send(new CommandApdu(0, Ins.UpdateBinary, 0x81, 0, header.AsMemory(..10))));
        Success(Terminal.Send(new CommandApdu(0, Ins.UpdateBinary, 0, 10, header.AsMemory(10..))));
        Assert.Equal(header, _card.ReadAll(CardApSpec.HeaderSfi));

        // Overwrite inside the content keeps the length.
        Success(Terminal.Send("00D6000201FF"));
        Assert.Equal(header.Length, _card.Applet.Header.Length);
        Assert.Equal(0xFF, _card.Applet.Header.Content.Span[2]);

        // A write may not leave a hole after the current end.
        Status(0x6B00, Terminal.Raw($"00D600{header.Length + 1:X2}0101"));
        // Nor go past the EF's maximum (header: 256 bytes).
        Success(Terminal.Send(new CommandApdu(0, Ins.UpdateBinary, 0, (byte)header.Length, new byte[CardApSpec.HeaderMaxSize - header.Length])));
        Assert.Equal(CardApSpec.HeaderMaxSize, _card.Applet.Header.Length);
        Status(0x6A84, Terminal.Raw("00D6010001AA"));
        Status(0x6A84, Terminal.Raw("00D600FF02AAAA"));
        Status(0x6700, Terminal.Raw("00D60000"));
    }

    [Fact]
    public void Certificate_ef_takes_up_to_512_bytes_written_in_chunks()
    {
        Success(_card.Authenticate());
        var certificate = Enumerable.Range(0, CardApSpec.CertificateMaxSize).Select(i => (byte)i).ToArray();
        Success(Terminal.Send("00A4020C020103"));
        for (var offset = 0; offset < certificate.Length; offset += 200)
        {
            var chunk = certificate.AsSpan(offset, Math.Min(200, certificate.Length - offset)).ToArray();
            Success(Terminal.Send(new CommandApdu(0, Ins.UpdateBinary, (byte)(offset >> 8), (byte)offset, chunk)));
        }
        Assert.Equal(certificate, _card.ReadAll(CardApSpec.CertificateSfi));
        Status(0x6A84, Terminal.Raw("00D601FF02AAAA"));
    }

    [Fact]
    public void Erase_binary_truncates_the_ef_to_the_offset()
    {
        var services = CardApCard.Services(("LIB", "L-1"), ("POOL", "P-2"));
        _card.Applet.Personalize(CardApSpec.ServicesFid, services);
        Success(_card.Authenticate());

        var firstServiceEnd = 2 + 2 + BerTlv.ParseSingle(services, CardApSpec.Tags.Services).Children()[0].Value.Length;
        // Erase the second service and rewrite the outer length: what an issuer does for 抹消.
        Success(Terminal.Send($"000E82{firstServiceEnd:X2}"));
        Assert.Equal(firstServiceEnd, _card.Applet.Services.Length);
        Success(Terminal.Send($"00D6000101{firstServiceEnd - 2:X2}"));

        var remaining = BerTlv.ParseSingle(_card.ReadAll(CardApSpec.ServicesSfi), CardApSpec.Tags.Services).Children();
        Assert.Single(remaining);
        Assert.Equal("LIB", remaining[0].Children().Require(CardApSpec.Tags.ServiceId, "service id").ValueAsAscii());

        Status(0x6B00, Terminal.Raw($"000E00{firstServiceEnd + 1:X2}"));
        Status(0x6700, Terminal.Raw("000E00000100"));
        Success(Terminal.Send("000E0000"));
        Assert.Equal(0, _card.Applet.Services.Length);
    }

    [Fact]
    public void An_operator_card_is_the_same_applet_with_an_operator_header()
    {
        Success(_card.Authenticate());
        var header = CardApCard.Header(cardNumber: "OP-0042", kind: 2, operatorId: "op-42", role: "desk");
        Success(Terminal.Send(new CommandApdu(0, Ins.UpdateBinary, 0x81, 0, header)));
        _card.Card.Reset();
        _card.Select();

        var read = BerTlv.ParseSingle(_card.ReadAll(CardApSpec.HeaderSfi), CardApSpec.Tags.Header).Children();
        Assert.Equal(2, read.Require(CardApSpec.Tags.Kind, "kind").Value.Span[0]);
        Assert.Equal("op-42", read.Require(CardApSpec.Tags.OperatorId, "operator").ValueAsAscii());
        Assert.Equal("desk", read.Require(CardApSpec.Tags.OperatorRole, "role").ValueAsAscii());
        // Still issuer-only after the reset.
        Status(0x6982, Terminal.Raw("00D6810001E1"));
    }

    public void Dispose() => _card.Dispose();
}
