using CardAp.Card.Iso7816;

namespace CardAp.Card.Tests.VirtualCard.Support;

public static class ResponseAssert
{
    public static void Status(ushort expected, ResponseApdu response) =>
        Assert.True(response.Status.Value == expected, $"expected {expected:X4}, card answered {response.Status}");

    public static byte[] Success(ResponseApdu response)
    {
        Status(0x9000, response);
        return response.Data.ToArray();
    }
}
