using CardAp.Card.Iso7816;

namespace CardAp.Card.Tests.Iso7816;

public class ApduTests
{
    [Theory]
    [InlineData("00A4040C0AD392F000260100000001")] // case 3: SELECT JPKI
    [InlineData("00B0000004")] // case 2
    [InlineData("00B0000000")] // case 2, Le=00 means 256
    [InlineData("00208080")] // case 1
    [InlineData("802A00800301020300")] // case 4
    public void Commands_round_trip(string hex)
    {
        var apdu = CommandApdu.Parse(Convert.FromHexString(hex));
        Assert.Equal(hex, Convert.ToHexString(apdu.ToBytes()));
    }

    [Fact]
    public void Le_00_means_256()
    {
        Assert.Equal(256, CommandApdu.Parse(Convert.FromHexString("00B0000000")).Ne);
        Assert.Equal("00B0000000", Convert.ToHexString(new CommandApdu(0, 0xB0, 0, 0, ne: 256).ToBytes()));
    }

    [Theory]
    [InlineData("00A4")]
    [InlineData("00A4040C05D392")] // Lc says 5, 2 bytes present
    [InlineData("00A4040C00010203")] // extended length
    public void Malformed_commands_are_protocol_errors(string hex) =>
        Assert.Throws<CardProtocolException>(() => CommandApdu.Parse(Convert.FromHexString(hex)));

    [Fact]
    public void Oversized_data_is_refused() =>
        Assert.Throws<ArgumentException>(() => new CommandApdu(0, 0xD6, 0, 0, new byte[256]));

    [Fact]
    public void Response_needs_a_status_word()
    {
        Assert.Throws<CardProtocolException>(() => ResponseApdu.Parse([0x90]));
        var r = ResponseApdu.Parse(Convert.FromHexString("01029000"));
        Assert.True(r.IsSuccess);
        Assert.Equal("0102", Convert.ToHexString(r.Data.Span));
    }

    [Theory]
    [InlineData(0x9000, "success")]
    [InlineData(0x6A82, "file or application not found")]
    [InlineData(0x6984, "reference data not usable (blocked)")]
    [InlineData(0x63C2, "verification failed, 2 tries left")]
    [InlineData(0x6110, "16 more bytes available")]
    [InlineData(0x6C20, "wrong Le, exact length 32")]
    public void Status_words_have_names(int sw, string name) => Assert.Equal(name, new StatusWord((ushort)sw).Name);

    [Fact]
    public void Tries_left_come_from_63Cx()
    {
        Assert.Equal(1, new StatusWord(0x63C1).TriesLeft);
        Assert.Null(new StatusWord(0x6982).TriesLeft);
        Assert.Equal(new StatusWord(0x63C2), StatusWord.VerificationFailed(2));
    }
}
