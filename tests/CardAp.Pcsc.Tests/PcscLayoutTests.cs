using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using CardAp.Card.Pcsc;

namespace CardAp.Pcsc.Tests;

/// <summary>The native structs must match the C headers byte for byte; a wrong size corrupts memory.</summary>
public sealed class PcscLayoutTests
{
    [Fact]
    public void Pcsclite_reader_state_is_80_bytes_on_64_bit_linux()
    {
        if (!Environment.Is64BitProcess)
        {
            Assert.Skip("The 80-byte SCARD_READERSTATE layout is the 64-bit one; this process is 32-bit.");
        }
        Assert.Equal(80, Unsafe.SizeOf<PcscLiteReaderState>());
        Assert.Equal(80, Marshal.SizeOf<PcscLiteReaderState>());
        Assert.Equal(40, (int)Marshal.OffsetOf<PcscLiteReaderState>(nameof(PcscLiteReaderState.Atr)));
        Assert.Equal(33, PcscLiteReaderState.AtrCapacity);
        Assert.Equal(16, Unsafe.SizeOf<PcscLiteIoRequest>());
    }

    [Fact]
    public void Winscard_reader_state_has_32_bit_words_and_a_36_byte_atr()
    {
        if (!Environment.Is64BitProcess)
        {
            Assert.Skip("Sizes below are for a 64-bit process.");
        }
        // 8 (LPCWSTR) + 8 (LPVOID) + 3 x 4 (DWORD) + 36 = 64.
        Assert.Equal(64, Unsafe.SizeOf<WinScardReaderState>());
        Assert.Equal(28, (int)Marshal.OffsetOf<WinScardReaderState>(nameof(WinScardReaderState.Atr)));
        Assert.Equal(8, Unsafe.SizeOf<WinScardIoRequest>());
    }

    [Theory]
    [InlineData(0x02u, PcscCardState.Absent)]
    [InlineData(0x04u, PcscCardState.Present)]
    [InlineData(0x14u, PcscCardState.Powered)]
    [InlineData(0x34u, PcscCardState.Negotiable)]
    [InlineData(0x74u, PcscCardState.Specific)]
    [InlineData(0x00u, PcscCardState.Unknown)]
    public void Pcsclite_status_bit_mask_maps_to_the_card_state(uint mask, PcscCardState expected) =>
        Assert.Equal(expected, PcscLiteApi.ToCardState(mask));

    [Fact]
    public void Reader_state_splits_flags_and_event_counter()
    {
        var query = new ReaderStateQuery("r") { EventState = 0x0003_0122, Atr = [0x3B, 0x00] };

        var status = PcscReaders.ToStatus(query);

        Assert.Equal(PcscReaderStates.Present | PcscReaderStates.InUse | PcscReaderStates.Changed, status.State);
        Assert.Equal(3, status.EventCount);
        Assert.True(status.IsCardPresent);
        Assert.False(PcscReaders.ToStatus(new ReaderStateQuery("r") { EventState = 0x10 }).IsCardPresent);
    }
}
