using CardAp.Card.Readers;

namespace CardAp.Card.Pcsc;

/// <summary>How a connection shares the card with other applications (same values on every platform).</summary>
public enum PcscShareMode
{
    Exclusive = 1,
    Shared = 2,
    Direct = 3,
}

/// <summary>What happens to the card when a connection ends or is re-established.</summary>
public enum PcscDisposition
{
    /// <summary>Leave the card as it is (another application may be using it).</summary>
    Leave = 0,

    /// <summary>Warm reset: the card's volatile state (selected files, verified PINs) is cleared.</summary>
    Reset = 1,

    /// <summary>Power the card down.</summary>
    Unpower = 2,
    Eject = 3,
}

/// <summary>Reader state flags as SCardGetStatusChange reports them (SCARD_STATE_*).</summary>
[Flags]
public enum PcscReaderStates : uint
{
    Unaware = 0x0000,
    Ignore = 0x0001,
    Changed = 0x0002,
    Unknown = 0x0004,
    Unavailable = 0x0008,
    Empty = 0x0010,
    Present = 0x0020,
    AtrMatch = 0x0040,
    Exclusive = 0x0080,
    InUse = 0x0100,
    Mute = 0x0200,
    Unpowered = 0x0400,
}

/// <summary>
/// The card state SCardStatus reports, normalised: WinSCard returns one of these values,
/// pcsc-lite a bit mask whose highest bit gives the same meaning.
/// </summary>
public enum PcscCardState
{
    Unknown = 0,
    Absent = 1,
    Present = 2,
    Swallowed = 3,
    Powered = 4,
    Negotiable = 5,
    Specific = 6,
}

/// <summary>One reader as SCardGetStatusChange sees it at a given moment.</summary>
public sealed record PcscReaderStatus(string ReaderName, PcscReaderStates State, byte[] Atr, int EventCount)
{
    public bool IsCardPresent => (State & PcscReaderStates.Present) != 0 && (State & PcscReaderStates.Unavailable) == 0;

    public override string ToString() =>
        $"{ReaderName}: {State}" + (Atr.Length > 0 ? " ATR " + Convert.ToHexString(Atr) : string.Empty);
}

/// <summary>What SCardStatus says about a connected card.</summary>
public sealed record PcscCardStatus(string ReaderName, PcscCardState State, CardProtocol Protocol, byte[] Atr)
{
    public override string ToString() => $"{ReaderName}: {State}, {Protocol}, ATR {Convert.ToHexString(Atr)}";
}

/// <summary>Tuning of <see cref="PcscReaders"/>; the defaults suit a counter terminal.</summary>
public sealed class PcscReadersOptions
{
    /// <summary>
    /// How long one SCardGetStatusChange call of the monitor blocks. Cancellation does not wait
    /// for it (SCardCancel interrupts it); it bounds how stale the monitor can get if a driver
    /// misses a notification.
    /// </summary>
    public TimeSpan StatusPollTimeout { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>First delay before retrying to reach the resource manager after it went away.</summary>
    public TimeSpan RetryMinDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Longest delay between retries (the delay doubles from <see cref="RetryMinDelay"/> up to this).</summary>
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(2);
}
