using CardAp.Shared.Domain;

namespace CardAp.Shared.Tests;

public class IdentifierTests
{
    [Fact]
    public void Identifiers_accept_ascii_letters_digits_and_dashes()
    {
        Assert.Equal("C-000123", CardNumber.Parse("C-000123").Value);
        Assert.Equal("library", ServiceId.Parse("library").Value);
        Assert.Equal("L0001", MemberNumber.Parse("L0001").Value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("図書館")]
    [InlineData("a;drop")]
    public void Identifiers_refuse_other_text(string text)
    {
        Assert.Throws<FormatException>(() => CardNumber.Parse(text));
        Assert.Throws<FormatException>(() => ServiceId.Parse(text));
    }

    [Fact]
    public void Identifiers_refuse_overlong_text()
    {
        var e = Assert.Throws<FormatException>(() => ServiceId.Parse(new string('a', ServiceId.MaxLength + 1)));
        Assert.Contains("longer than 16", e.Message, StringComparison.Ordinal);
    }
}
