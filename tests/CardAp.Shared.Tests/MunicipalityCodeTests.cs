using CardAp.Shared.Domain;

namespace CardAp.Shared.Tests;

public class MunicipalityCodeTests
{
    [Theory]
    [InlineData("131016")] // Chiyoda
    [InlineData("011002")] // Sapporo
    [InlineData("271004")] // Osaka
    [InlineData("472018")] // Naha
    public void Valid_codes_parse(string text) => Assert.Equal(text, MunicipalityCode.Parse(text).Value);

    [Theory]
    [InlineData("131017", "check digit")]
    [InlineData("011003", "check digit")]
    [InlineData("13101", "6 digits")]
    [InlineData("1310160", "6 digits")]
    [InlineData("13101A", "6 digits")]
    [InlineData("", "6 digits")]
    public void Invalid_codes_are_refused_with_the_reason(string text, string reason)
    {
        var e = Assert.Throws<FormatException>(() => MunicipalityCode.Parse(text));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        Assert.False(MunicipalityCode.TryParse(text, out _));
    }

    [Fact]
    public void Wrong_check_digit_message_names_the_right_one()
    {
        var e = Assert.Throws<FormatException>(() => MunicipalityCode.Parse("131017"));
        Assert.Contains("131016", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("13101", "131016")]
    [InlineData("01100", "011002")]
    [InlineData("13102", "131024")] // Chuo
    [InlineData("00000", "000001")] // remainder 0: 11 - 0 = 11, last digit 1
    [InlineData("00006", "000060")] // remainder 1: 11 - 1 = 10, last digit 0
    public void Five_digit_codes_get_their_check_digit(string five, string six) =>
        Assert.Equal(six, MunicipalityCode.FromFiveDigits(five).Value);

    [Fact]
    public void Every_five_digit_code_round_trips_and_rejects_other_check_digits()
    {
        for (var n = 0; n < 100_000; n += 7)
        {
            var five = n.ToString("00000", System.Globalization.CultureInfo.InvariantCulture);
            var code = MunicipalityCode.FromFiveDigits(five);
            Assert.True(MunicipalityCode.TryParse(code.Value, out _));
            var wrong = five + (char)('0' + ((code.Value[5] - '0' + 1) % 10));
            Assert.False(MunicipalityCode.TryParse(wrong, out _));
        }
    }

    [Fact]
    public void Default_value_is_not_a_code() =>
        Assert.Throws<InvalidOperationException>(() => default(MunicipalityCode).Value);
}
