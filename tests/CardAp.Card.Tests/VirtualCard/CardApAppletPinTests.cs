using CardAp.Card.Tests.VirtualCard.Support;
using static CardAp.Card.Tests.VirtualCard.Support.ResponseAssert;

namespace CardAp.Card.Tests.VirtualCard;

/// <summary>The CardAp PIN (reference 81, 4 digits, 3 tries) at APDU level.</summary>
public sealed class CardApAppletPinTests : IDisposable
{
    private const string VerifyRight = "0020008104" + "34373131"; // "4711"
    private const string VerifyWrong = "0020008104" + "30303030"; // "0000"
    private const string VerifyStatus = "00200081";

    private readonly CardApCard _card = new();
    private Terminal Terminal => _card.Terminal;

    public CardApAppletPinTests() => _card.Select();

    [Fact]
    public void Wrong_pins_count_down_then_block_for_good()
    {
        Status(0x63C3, Terminal.Raw(VerifyStatus));
        Status(0x63C2, Terminal.Raw(VerifyWrong));
        Status(0x63C1, Terminal.Raw(VerifyWrong));
        Status(0x6984, Terminal.Raw(VerifyWrong));
        Assert.Equal(0, _card.Applet.PinTriesLeft);

        // Blocked: even the right PIN and the status query say so.
        Status(0x6984, Terminal.Raw(VerifyRight));
        Status(0x6984, Terminal.Raw(VerifyStatus));
        _card.Card.Reset();
        _card.Select();
        Status(0x6984, Terminal.Raw(VerifyRight));
    }

    [Fact]
    public void The_right_pin_restores_the_counter_and_is_reported_for_the_session()
    {
        Status(0x63C2, Terminal.Raw(VerifyWrong));
        Success(Terminal.Send(VerifyRight));
        Assert.Equal(3, _card.Applet.PinTriesLeft);
        Success(Terminal.Send(VerifyStatus));

        // A wrong try drops the verification made earlier.
        Status(0x63C2, Terminal.Raw(VerifyWrong));
        Status(0x63C2, Terminal.Raw(VerifyStatus));
    }

    [Fact]
    public void Verification_does_not_survive_reselection_or_reset()
    {
        Success(Terminal.Send(VerifyRight));
        _card.Select();
        Status(0x63C3, Terminal.Raw(VerifyStatus));

        Success(Terminal.Send(VerifyRight));
        _card.Card.Reset();
        _card.Select();
        Status(0x63C3, Terminal.Raw(VerifyStatus));
    }

    [Theory]
    [InlineData("0020008103313233", 0x6A80)] // 3 digits
    [InlineData("00200081053132333435", 0x6A80)] // 5 digits
    [InlineData("002000810431323341", 0x6A80)] // a letter
    [InlineData("002000810531323334", 0x6700)] // Lc says 5, 4 follow: malformed
    public void A_pin_that_is_not_four_digits_is_refused_without_costing_a_try(string apdu, int expected)
    {
        Status((ushort)expected, Terminal.Raw(apdu));
        Assert.Equal(3, _card.Applet.PinTriesLeft);
        Status(0x63C3, Terminal.Raw(VerifyStatus));
    }

    [Theory]
    [InlineData("00200082", 0x6A88)] // unknown reference
    [InlineData("00200181", 0x6A86)] // P1 must be 00
    public void Verify_parameter_errors(string apdu, int expected) => Status((ushort)expected, Terminal.Raw(apdu));

    [Fact]
    public void Change_reference_data_needs_the_old_pin_and_a_wrong_one_costs_a_try()
    {
        Status(0x63C2, Terminal.Raw("0024008108" + "30303030" + "31323334"));
        Success(Terminal.Send("0024008108" + "34373131" + "31323334"));
        Assert.Equal(3, _card.Applet.PinTriesLeft);
        Success(Terminal.Send(VerifyStatus));

        _card.Select();
        Status(0x63C2, Terminal.Raw(VerifyRight));
        Success(Terminal.Send("0020008104" + "31323334"));

        Status(0x6A80, Terminal.Raw("0024008108" + "31323334" + "3132333A"));
        Status(0x6A80, Terminal.Raw("0024008104" + "31323334"));
    }

    [Fact]
    public void Reset_retry_counter_is_for_the_issuer_only_and_unblocks_the_pin()
    {
        for (var i = 0; i < 3; i++)
        {
            Terminal.Raw(VerifyWrong);
        }
        Status(0x6984, Terminal.Raw(VerifyRight));

        Status(0x6982, Terminal.Raw("002C028104" + "39393939"));
        Success(_card.Authenticate());
        Status(0x6A80, Terminal.Raw("002C028103" + "393939"));
        Status(0x6A86, Terminal.Raw("002C008104" + "39393939"));
        Success(Terminal.Send("002C028104" + "39393939"));
        Assert.Equal(3, _card.Applet.PinTriesLeft);
        Status(0x63C3, Terminal.Raw(VerifyStatus));
        Success(Terminal.Send("0020008104" + "39393939"));
    }

    public void Dispose() => _card.Dispose();
}
