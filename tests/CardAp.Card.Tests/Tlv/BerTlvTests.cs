using CardAp.Card.Tlv;

namespace CardAp.Card.Tests.Tlv;

public class BerTlvTests
{
    [Fact]
    public void Nested_objects_round_trip()
    {
        var bytes = new TlvWriter()
            .WriteConstructed(0x7F21, w => w.Write(0x5F20, "C-1").Write(0x86, new byte[300]))
            .Write(0x42, (byte)7)
            .ToArray();
        var top = BerTlv.Parse(bytes);
        Assert.Equal([0x7F21u, 0x42u], top.Select(o => o.Tag));
        Assert.True(top[0].IsConstructed);
        var inner = top[0].Children();
        Assert.Equal("C-1", inner.Require(0x5F20, "holder").ValueAsAscii());
        Assert.Equal(300, inner.Require(0x86, "point").Value.Length);
        Assert.Equal(7, top[1].Value.Span[0]);
    }

    [Theory]
    [InlineData("5F", "tag is truncated")]
    [InlineData("80", "length is missing")]
    [InlineData("8005010203", "truncated")]
    [InlineData("8082FF", "length field is truncated")]
    [InlineData("8080", "Indefinite")]
    [InlineData("8084000000010000", "oversized")]
    [InlineData("5FFFFFFF0100", "longer than 3 bytes")]
    public void Bad_input_gets_a_clear_error(string hex, string expected)
    {
        var e = Assert.Throws<TlvException>(() => BerTlv.Parse(Convert.FromHexString(hex)));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Length_beyond_the_limit_is_oversized()
    {
        var bytes = BerTlv.Encode(0x04, new byte[2000]);
        var e = Assert.Throws<TlvException>(() => BerTlv.Parse(bytes, new TlvLimits(MaxValueLength: 1024)));
        Assert.Contains("oversized", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Padding_between_objects_is_skipped() =>
        Assert.Equal(2, BerTlv.Parse(Convert.FromHexString("00800101FF8101020000")).Count);

    [Fact]
    public void Parse_single_insists_on_one_object_of_the_tag()
    {
        Assert.Throws<TlvException>(() => BerTlv.ParseSingle(Convert.FromHexString("80010181 0102".Replace(" ", "", StringComparison.Ordinal)), 0x80));
        Assert.Throws<TlvException>(() => BerTlv.ParseSingle(Convert.FromHexString("800101"), 0x81));
    }

    [Fact]
    public void Random_input_never_escapes_as_anything_but_a_tlv_error()
    {
        var random = new Random(20261126);
        for (var i = 0; i < 20_000; i++)
        {
            var bytes = new byte[random.Next(0, 64)];
            random.NextBytes(bytes);
            try
            {
                foreach (var o in BerTlv.Parse(bytes))
                {
                    if (o.IsConstructed)
                    {
                        _ = o.Children();
                    }
                }
            }
            catch (TlvException)
            {
                // the only acceptable failure
            }
        }
    }
}
