using System.Text;
using CardAp.Card.Readers;

namespace CardAp.Card.Pcsc;

/// <summary>A reader entry for SCardGetStatusChange, independent of the platform's native struct.</summary>
internal sealed class ReaderStateQuery(string readerName)
{
    public string ReaderName { get; } = readerName;
    public uint CurrentState { get; set; }
    public uint EventState { get; set; }
    public byte[] Atr { get; set; } = [];
}

/// <summary>
/// The PC/SC functions we use, with platform differences (word sizes, string encodings, struct
/// layouts, the RAW protocol's value) hidden behind one signature set. Every method returns the
/// PC/SC code as an unsigned 32-bit value and never throws for a PC/SC failure.
/// </summary>
internal abstract class PcscApi
{
    /// <summary>The pcsc-lite and WinSCard names of the PnP pseudo-reader that reports reader arrival and removal.</summary>
    public const string PnPNotificationReader = @"\\?PnP?\Notification";

    public const uint Success = 0;

    private static readonly Lazy<PcscApi> LazyInstance = new(Create, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The implementation for this process's platform.</summary>
    /// <exception cref="PcscUnavailableException">Unsupported operating system or missing PC/SC library.</exception>
    public static PcscApi Instance => LazyInstance.Value;

    public abstract string LibraryName { get; }

    public abstract uint EstablishContext(out nint context);

    public abstract uint ReleaseContext(nint context);

    public abstract uint IsValidContext(nint context);

    public abstract uint Cancel(nint context);

    /// <summary>Lists reader names; SCARD_E_NO_READERS_AVAILABLE is returned as is, for the caller to decide.</summary>
    public abstract uint ListReaders(nint context, out List<string> readers);

    public abstract uint GetStatusChange(nint context, uint timeoutMilliseconds, ReaderStateQuery[] states);

    public abstract uint Connect(nint context, string reader, PcscShareMode shareMode, out nint card, out CardProtocol? activeProtocol);

    public abstract uint Reconnect(nint card, PcscShareMode shareMode, PcscDisposition initialization, out CardProtocol? activeProtocol);

    public abstract uint Disconnect(nint card, PcscDisposition disposition);

    public abstract uint Transmit(nint card, CardProtocol protocol, ReadOnlySpan<byte> command, Span<byte> response, out int received);

    public abstract uint Status(nint card, out string readerName, out PcscCardState state, out CardProtocol? protocol, out byte[] atr);

    private static PcscApi Create()
    {
        if (OperatingSystem.IsWindows())
        {
            return new WinScardApi();
        }
        if (OperatingSystem.IsLinux())
        {
            return new PcscLiteApi();
        }
        throw new PcscUnavailableException(
            $"PC/SC access is implemented for Windows (winscard.dll) and Linux (libpcsclite.so.1), not for {System.Runtime.InteropServices.RuntimeInformation.OSDescription}.");
    }

    /// <summary>Splits a PC/SC multi-string (names separated by NUL, ended by an empty name).</summary>
    protected static List<string> SplitMultiString(string multi) =>
        [.. multi.Split('\0', StringSplitOptions.RemoveEmptyEntries)];

    protected static List<string> SplitMultiString(ReadOnlySpan<byte> utf8) => SplitMultiString(Encoding.UTF8.GetString(utf8));
}
