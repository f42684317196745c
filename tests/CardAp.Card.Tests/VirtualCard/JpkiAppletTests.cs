using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using CardAp.Card.Iso7816;
using CardAp.Card.Tests.VirtualCard.Support;
using CardAp.VirtualCard;
using CardAp.VirtualCard.Jpki;
using static CardAp.Card.Tests.VirtualCard.Support.ResponseAssert;

namespace CardAp.Card.Tests.VirtualCard;

/// <summary>The JPKI applet, driven with the APDUs OpenSC's JPKI driver sends.</summary>
public sealed class JpkiAppletTests : IDisposable
{
    private const string SelectJpki = "00A4040C0AD392F000260100000001";
    private const string VerifyAuthPin = "0020008004" + "31323334"; // "1234"
    private const string WrongAuthPin = "0020008004" + "30303030";

    private readonly JpkiIssuedCard _issued;
    private readonly Terminal _terminal;

    public JpkiAppletTests(TestKeys keys)
    {
        _issued = keys.IssueJpki();
        _terminal = new Terminal(new VirtualSmartCard(_issued.Applet));
        Success(_terminal.Send(SelectJpki));
    }

    [Fact]
    public void The_token_label_says_physical_my_number_card()
    {
        Success(_terminal.Send("00A4020C020006"));
        var label = Success(_terminal.Send("00B0000020"));
        Assert.Equal("JPKIAPICCTOKEN2".PadRight(32), Encoding.ASCII.GetString(label));
    }

    [Fact]
    public void The_authentication_certificate_reads_without_pin_as_opensc_reads_it()
    {
        Assert.Equal(_issued.AuthenticationCertificate.RawData, ReadCertificate("000A"));
        Assert.Equal(_issued.CaCertificate.RawData, ReadCertificate("000B"));
    }

    [Fact]
    public void The_signing_certificate_needs_the_signing_pin_but_its_ca_does_not()
    {
        Success(_terminal.Send("00A4020C020001"));
        Status(0x6982, _terminal.Raw("00B0000004"));
        Assert.Equal(_issued.CaCertificate.RawData, ReadCertificate("0002"));

        Success(_terminal.Send("00A4020C02001B"));
        Success(_terminal.Send("0020008008" + Convert.ToHexString("SIGN1234"u8)));
        Assert.Equal(_issued.SigningCertificate!.RawData, ReadCertificate("0001"));
    }

    [Theory]
    [InlineData("00B0000004")]
    [InlineData("00B0000000")]
    public void Key_and_pin_efs_are_selectable_but_never_readable(string read)
    {
        foreach (var fid in new[] { "0017", "0018", "001A", "001B" })
        {
            Success(_terminal.Send("00A4020C02" + fid));
            Status(0x6982, _terminal.Raw(read));
        }
    }

    [Theory]
    [InlineData("00A4020C02000C", 0x6A82)] // no such EF
    [InlineData("00B0040000", 0x6B00)] // offset beyond the certificate (after selecting 000A)
    [InlineData("00B0E00000", 0x6A86)] // P1 neither offset nor SFI form
    [InlineData("00B0810000", 0x6A82)] // JPKI EFs have no SFI
    [InlineData("00B00000", 0x6700)] // no Le
    [InlineData("00D6000001FF", 0x6982)] // nothing is writable
    [InlineData("000E0000", 0x6982)]
    [InlineData("00CA010100", 0x6D00)] // GET DATA is not offered
    [InlineData("002A00800100", 0x6E00)] // the signature command is CLA 80 only
    [InlineData("80B0000004", 0x6E00)] // and everything else CLA 00
    public void Errors_a_real_card_gives(string apdu, int expected)
    {
        Success(_terminal.Send("00A4020C02000A"));
        Status((ushort)expected, _terminal.Raw(apdu));
    }

    [Fact]
    public void Pin_status_is_63cx_and_wrong_pins_block_after_three_tries()
    {
        Success(_terminal.Send("00A4020C020018"));
        Status(0x63C3, _terminal.Raw("00200080"));
        Status(0x63C2, _terminal.Raw(WrongAuthPin));
        Status(0x63C1, _terminal.Raw(WrongAuthPin));
        Status(0x63C0, _terminal.Raw(WrongAuthPin));
        Status(0x6984, _terminal.Raw(VerifyAuthPin));
        // OpenSC's setup reads the status of both PINs and requires 63 Cx even for a blocked one.
        Status(0x63C0, _terminal.Raw("00200080"));
        Assert.Equal(0, _issued.Applet.AuthenticationPinTriesLeft);
        // The signing PIN is independent: 5 tries.
        Success(_terminal.Send("00A4020C02001B"));
        Status(0x63C5, _terminal.Raw("00200080"));
    }

    [Fact]
    public void Pin_status_stays_63cx_after_a_successful_verify()
    {
        Success(_terminal.Send("00A4020C020018"));
        Status(0x63C2, _terminal.Raw(WrongAuthPin));
        Success(_terminal.Send(VerifyAuthPin));
        Status(0x63C3, _terminal.Raw("00200080"));
    }

    [Theory]
    [InlineData("002000800331323334", 0x6A80)] // Lc 3 and an Le: a 3-digit PIN
    [InlineData("00200080053132333435", 0x6A80)] // 5 digits
    [InlineData("00200080063132333435", 0x6700)] // Lc says 6, 5 follow: malformed
    [InlineData("0020008003313233", 0x6A80)] // 3 digits
    [InlineData("0020008004313233FF", 0x6A80)]
    [InlineData("0020008104" + "31323334", 0x6A86)] // JPKI uses P2 80
    public void Malformed_pins_cost_no_try(string apdu, int expected)
    {
        Success(_terminal.Send("00A4020C020018"));
        Status((ushort)expected, _terminal.Raw(apdu));
        Assert.Equal(3, _issued.Applet.AuthenticationPinTriesLeft);
        Status(0x63C3, _terminal.Raw("00200080"));
    }

    [Fact]
    public void Verify_needs_a_pin_ef_selected()
    {
        Status(0x6986, _terminal.Raw(VerifyAuthPin));
        Success(_terminal.Send("00A4020C02000A"));
        Status(0x6981, _terminal.Raw(VerifyAuthPin));
    }

    [Fact]
    public void Signing_needs_the_pin_and_the_signature_verifies_with_the_certificate()
    {
        var digest = SHA256.HashData("login challenge"u8);
        var digestInfo = DigestInfoSha256(digest);

        Success(_terminal.Send("00A4020C020017"));
        Status(0x6982, _terminal.Raw(Sign(digestInfo)));

        Success(_terminal.Send("00A4020C020018"));
        Success(_terminal.Send(VerifyAuthPin));
        Success(_terminal.Send("00A4020C020017"));
        var signature = Success(_terminal.Send(Sign(digestInfo)));
        Assert.Equal(256, signature.Length);

        using var publicKey = _issued.AuthenticationCertificate.GetRSAPublicKey()!;
        Assert.True(publicKey.VerifyHash(digest, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

        // The signing key needs the other PIN.
        Success(_terminal.Send("00A4020C02001A"));
        Status(0x6982, _terminal.Raw(Sign(digestInfo)));
    }

    [Fact]
    public void The_signing_key_signs_after_the_signing_pin()
    {
        var digest = SHA256.HashData("document"u8);
        Success(_terminal.Send("00A4020C02001B"));
        Success(_terminal.Send("0020008008" + Convert.ToHexString("SIGN1234"u8)));
        Success(_terminal.Send("00A4020C02001A"));
        var signature = Success(_terminal.Send(Sign(DigestInfoSha256(digest))));
        using var publicKey = _issued.SigningCertificate!.GetRSAPublicKey()!;
        Assert.True(publicKey.VerifyHash(digest, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    [Fact]
    public void Pin_verification_ends_with_reselection()
    {
        Success(_terminal.Send("00A4020C020018"));
        Success(_terminal.Send(VerifyAuthPin));
        Success(_terminal.Send(SelectJpki));
        Success(_terminal.Send("00A4020C020017"));
        Status(0x6982, _terminal.Raw(Sign(DigestInfoSha256(new byte[32]))));
    }

    [Fact]
    public void Signature_input_errors()
    {
        Success(_terminal.Send("00A4020C020018"));
        Success(_terminal.Send(VerifyAuthPin));
        // The PIN EF is not a key.
        Status(0x6981, _terminal.Raw(Sign(new byte[51])));

        Success(_terminal.Send("00A4020C020017"));
        Status(0x6700, _terminal.Raw(Sign(new byte[246]))); // more than k - 11 bytes
        Status(0x6700, _terminal.Raw("802A0080")); // no data
        Status(0x6700, _terminal.Raw("802A00800101")); // no Le
        Status(0x6A86, _terminal.Raw("802A9E9A010100"));
        Status(0x6C00, _terminal.Raw("802A0080010180"));
        // The most a 2048-bit PKCS#1 block takes.
        Assert.Equal(256, Success(_terminal.Send(Sign(new byte[245]))).Length);

        // Right after selecting the applet no EF is current.
        Success(_terminal.Send(SelectJpki));
        Status(0x6986, _terminal.Raw(Sign(new byte[51])));
    }

    [Fact]
    public void A_card_without_signing_certificate_has_no_signing_certificate_efs()
    {
        using var terminal = new Terminal(new VirtualSmartCard(new JpkiApplet(_issued.Applet.Authentication, "1234", signing: null, "SIGN1234")));
        Success(terminal.Send(SelectJpki));
        Status(0x6A82, terminal.Raw("00A4020C020001"));
        Status(0x6A82, terminal.Raw("00A4020C020002"));
        Success(terminal.Send("00A4020C02001B"));
        Status(0x63C5, terminal.Raw("00200080"));
        Success(terminal.Send("0020008008" + Convert.ToHexString("SIGN1234"u8)));
        Success(terminal.Send("00A4020C02001A"));
        Status(0x6A88, terminal.Raw(Sign(new byte[51])));
    }

    private byte[] ReadCertificate(string fid)
    {
        Success(_terminal.Send("00A4020C02" + fid));
        var prefix = Success(_terminal.Send("00B0000004"));
        Assert.Equal(new byte[] { 0x30, 0x82 }, prefix[..2]);
        var size = (prefix[2] << 8 | prefix[3]) + 4;
        var content = new byte[size];
        for (var offset = 0; offset < size; offset += 256)
        {
            var length = Math.Min(256, size - offset);
            var chunk = Success(_terminal.Send(new CommandApdu(0, Ins.ReadBinary, (byte)(offset >> 8), (byte)offset, ne: length)));
            Assert.Equal(length, chunk.Length);
            chunk.CopyTo(content, offset);
        }
        // One past the end is an error, exactly at the end is empty.
        Status(0x6B00, _terminal.Raw($"00B0{size + 1:X4}01"));
        return content;
    }

    private static string Sign(byte[] data) => "802A0080" + $"{data.Length:X2}" + Convert.ToHexString(data) + "00";

    private static byte[] DigestInfoSha256(byte[] digest) =>
        [.. Convert.FromHexString("3031300D060960864801650304020105000420"), .. digest];

    public void Dispose() => _terminal.Dispose();
}
