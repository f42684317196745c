using CardAp.Card.Iso7816;

namespace CardAp.Card.Tests.Iso7816;

public class ApduChannelTests
{
    private static readonly CommandApdu ReadFour = new(0x00, Ins.ReadBinary, 0, 0, ne: 4);

    [Fact]
    public void Get_response_collects_chained_data()
    {
        var card = new ScriptedTransport("01026110", "03040506070809101112131415161718" + "6102", "AABB9000");
        var channel = new ApduChannel(card);
        var response = channel.Transmit(new CommandApdu(0x00, Ins.InternalAuthenticate, 0, 0, new byte[] { 1 }, 256));
        Assert.True(response.IsSuccess);
        Assert.Equal("0102" + "03040506070809101112131415161718" + "AABB", Convert.ToHexString(response.Data.Span));
        Assert.Equal(["00C0000010", "00C0000002"], card.Sent.Skip(1));
        Assert.Equal(3, channel.ExchangeCount);
    }

    [Fact]
    public void Wrong_le_is_retried_with_the_exact_length()
    {
        var card = new ScriptedTransport("6C02", "AABB9000");
        var response = new ApduChannel(card).Transmit(ReadFour);
        Assert.Equal("AABB", Convert.ToHexString(response.Data.Span));
        Assert.Equal(["00B0000004", "00B0000002"], card.Sent);
    }

    [Fact]
    public void Repeated_wrong_le_is_a_protocol_error()
    {
        var card = new ScriptedTransport("6C02", "6C03");
        Assert.Throws<CardProtocolException>(() => new ApduChannel(card).Transmit(ReadFour));
    }

    [Fact]
    public void Endless_61xx_is_cut_off()
    {
        var card = new ScriptedTransport(Enumerable.Repeat("AA6101", 300).ToArray());
        var e = Assert.Throws<CardProtocolException>(() => new ApduChannel(card).Transmit(ReadFour));
        Assert.Contains("GET RESPONSE", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("90")]
    [InlineData("0102030405069000")] // more than Ne=4
    public void Malformed_answers_are_protocol_errors(string answer)
    {
        var card = new ScriptedTransport(answer);
        Assert.Throws<CardProtocolException>(() => new ApduChannel(card).Transmit(ReadFour));
    }

    [Fact]
    public void Error_status_is_returned_not_thrown()
    {
        var response = new ApduChannel(new ScriptedTransport("6A82")).Transmit(ReadFour);
        Assert.Equal(StatusWord.FileNotFound, response.Status);
        var e = Assert.Throws<CardStatusException>(() => response.EnsureSuccess("READ"));
        Assert.Contains("file or application not found", e.Message, StringComparison.Ordinal);
    }
}
