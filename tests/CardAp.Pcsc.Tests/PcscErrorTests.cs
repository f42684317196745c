using CardAp.Card.Iso7816;
using CardAp.Card.Pcsc;

namespace CardAp.Pcsc.Tests;

/// <summary>The error catalogue needs no pcscd.</summary>
public sealed class PcscErrorTests
{
    [Theory]
    [InlineData(0x00000000u, "SCARD_S_SUCCESS", PcscError.Success)]
    [InlineData(0x8010001Du, "SCARD_E_NO_SERVICE", PcscError.NoService)]
    [InlineData(0x8010001Eu, "SCARD_E_SERVICE_STOPPED", PcscError.ServiceStopped)]
    [InlineData(0x8010000Cu, "SCARD_E_NO_SMARTCARD", PcscError.NoSmartCard)]
    [InlineData(0x80100009u, "SCARD_E_UNKNOWN_READER", PcscError.UnknownReader)]
    [InlineData(0x80100016u, "SCARD_E_NOT_TRANSACTED", PcscError.NotTransacted)]
    [InlineData(0x8010002Eu, "SCARD_E_NO_READERS_AVAILABLE", PcscError.NoReadersAvailable)]
    [InlineData(0x80100031u, "SCARD_E_SERVER_TOO_BUSY", PcscError.ServerTooBusy)]
    [InlineData(0x80100001u, "SCARD_F_INTERNAL_ERROR", PcscError.InternalError)]
    [InlineData(0x80100013u, "SCARD_F_COMM_ERROR", PcscError.CommunicationError)]
    [InlineData(0x80100018u, "SCARD_P_SHUTDOWN", PcscError.Shutdown)]
    [InlineData(0x80100069u, "SCARD_W_REMOVED_CARD", PcscError.RemovedCard)]
    [InlineData(0x8010006Fu, "SCARD_W_CARD_NOT_AUTHENTICATED", PcscError.CardNotAuthenticated)]
    [InlineData(0x8010001Fu, "SCARD_E_UNEXPECTED", PcscError.Unexpected)]
    public void Codes_map_to_their_pcsclite_names(uint code, string name, PcscError error)
    {
        Assert.Equal(name, PcscErrors.GetName(code));
        Assert.Equal(error, (PcscError)code);
        Assert.True(PcscErrors.IsKnown(code));
    }

    [Fact]
    public void Exception_carries_code_name_description_and_operation()
    {
        var ex = new PcscException("SCardEstablishContext", 0x8010001Du);

        Assert.IsAssignableFrom<CardException>(ex);
        Assert.Equal(PcscError.NoService, ex.Error);
        Assert.Equal(0x8010001Du, ex.Code);
        Assert.Equal("SCARD_E_NO_SERVICE", ex.Name);
        Assert.Contains("not running", ex.Description, StringComparison.Ordinal);
        Assert.Equal("SCardEstablishContext", ex.Operation);
        Assert.True(ex.IsServiceUnavailable);
        Assert.False(ex.IsCardGone);
        Assert.Contains("SCardEstablishContext failed: SCARD_E_NO_SERVICE (0x8010001D)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_code_still_gives_a_pcsc_exception_with_the_hex_value()
    {
        var ex = new PcscException("SCardTransmit(x)", 0x8010FFEEu);

        Assert.False(ex.IsKnownCode);
        Assert.Equal("0x8010FFEE", ex.Name);
        Assert.Contains("0x8010FFEE", ex.Description, StringComparison.Ordinal);
        Assert.Contains("0x8010FFEE", ex.Message, StringComparison.Ordinal);
        Assert.False(ex.IsServiceUnavailable);
    }

    [Fact]
    public void Every_enum_value_has_a_unique_c_name_and_a_description()
    {
        var values = Enum.GetValues<PcscError>();
        var names = values.Select(PcscErrors.GetName).ToArray();

        Assert.True(values.Length >= 67, $"only {values.Length} codes");
        Assert.All(names, n => Assert.Matches("^SCARD_[SEWFP]_[A-Z_]+$", n));
        Assert.Equal(names.Length, names.Distinct().Count());
        Assert.All(values, v => Assert.False(string.IsNullOrWhiteSpace(PcscErrors.GetDescription(v))));
        Assert.All(values, v => Assert.DoesNotContain("Unknown PC/SC return code", PcscErrors.GetDescription(v), StringComparison.Ordinal));
    }

    [Fact]
    public void Service_and_card_loss_are_classified()
    {
        Assert.True(PcscErrors.IsServiceUnavailable((uint)PcscError.ServiceStopped));
        Assert.True(PcscErrors.IsServiceUnavailable((uint)PcscError.InvalidHandle));
        Assert.False(PcscErrors.IsServiceUnavailable((uint)PcscError.Timeout));
        Assert.True(PcscErrors.IsCardGone((uint)PcscError.RemovedCard));
        Assert.True(PcscErrors.IsCardGone((uint)PcscError.NotTransacted));
        Assert.False(PcscErrors.IsCardGone((uint)PcscError.SharingViolation));
    }
}
