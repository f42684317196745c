using System.Runtime.InteropServices;
using CardAp.Card.Readers;

namespace CardAp.Card.Pcsc;

/// <summary>SCARD_READERSTATEW: 32-bit DWORDs, UTF-16 reader name, 36-byte ATR buffer.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct WinScardReaderState
{
    public const int AtrCapacity = 36;

    public nint Reader;
    public nint UserData;
    public uint CurrentState;
    public uint EventState;
    public uint AtrLength;
    public fixed byte Atr[AtrCapacity];
}

[StructLayout(LayoutKind.Sequential)]
internal struct WinScardIoRequest
{
    public uint Protocol;
    public uint PciLength;
}

/// <summary>WinSCard (winscard.dll): 32-bit LONG and DWORD, the UTF-16 "W" functions.</summary>
internal sealed unsafe partial class WinScardApi : PcscApi
{
    private const string Library = "winscard.dll";

    private const uint ScopeSystem = 2;
    private const uint ProtocolT0 = 1;
    private const uint ProtocolT1 = 2;

    // WinSCard numbers RAW differently from pcsc-lite (4).
    private const uint ProtocolRaw = 0x10000;
    private const int MaxReaderNameChars = 512;
    private const int MaxAtrBytes = 64;

    public override string LibraryName => Library;

    public override uint EstablishContext(out nint context)
    {
        nint handle;
        var rc = Native.SCardEstablishContext(ScopeSystem, 0, 0, &handle);
        context = handle;
        return Code(rc);
    }

    public override uint ReleaseContext(nint context) => Code(Native.SCardReleaseContext(context));

    public override uint IsValidContext(nint context) => Code(Native.SCardIsValidContext(context));

    public override uint Cancel(nint context) => Code(Native.SCardCancel(context));

    public override uint ListReaders(nint context, out List<string> readers)
    {
        readers = [];
        for (var attempt = 0; attempt < 4; attempt++)
        {
            uint length = 0;
            var rc = Code(Native.SCardListReadersW(context, null, null, &length));
            if (rc != Success)
            {
                return rc;
            }
            var buffer = new char[length];
            fixed (char* p = buffer)
            {
                rc = Code(Native.SCardListReadersW(context, null, p, &length));
            }
            if (rc == (uint)PcscError.InsufficientBuffer)
            {
                continue;
            }
            if (rc == Success)
            {
                readers = SplitMultiString(new string(buffer, 0, (int)Math.Min(length, (uint)buffer.Length)));
            }
            return rc;
        }
        return (uint)PcscError.InsufficientBuffer;
    }

    public override uint GetStatusChange(nint context, uint timeoutMilliseconds, ReaderStateQuery[] states)
    {
        var native = new WinScardReaderState[states.Length];
        var names = new nint[states.Length];
        try
        {
            for (var i = 0; i < states.Length; i++)
            {
                names[i] = Marshal.StringToCoTaskMemUni(states[i].ReaderName);
                native[i].Reader = names[i];
                native[i].CurrentState = states[i].CurrentState;
            }
            uint rc;
            fixed (WinScardReaderState* p = native)
            {
                rc = Code(Native.SCardGetStatusChangeW(context, timeoutMilliseconds, p, (uint)native.Length));
            }
            if (rc == Success)
            {
                for (var i = 0; i < states.Length; i++)
                {
                    states[i].EventState = native[i].EventState;
                    var length = (int)Math.Min(native[i].AtrLength, (uint)WinScardReaderState.AtrCapacity);
                    fixed (byte* atr = native[i].Atr)
                    {
                        states[i].Atr = new ReadOnlySpan<byte>(atr, length).ToArray();
                    }
                }
            }
            return rc;
        }
        finally
        {
            foreach (var name in names)
            {
                Marshal.FreeCoTaskMem(name);
            }
        }
    }

    public override uint Connect(nint context, string reader, PcscShareMode shareMode, out nint card, out CardProtocol? activeProtocol)
    {
        nint handle = 0;
        uint active = 0;
        uint rc;
        // A pinned .NET string is NUL-terminated, as LPCWSTR requires.
        fixed (char* p = reader)
        {
            rc = Code(Native.SCardConnectW(context, p, (uint)shareMode, ProtocolT0 | ProtocolT1, &handle, &active));
        }
        card = handle;
        activeProtocol = ToProtocol(active);
        return rc;
    }

    public override uint Reconnect(nint card, PcscShareMode shareMode, PcscDisposition initialization, out CardProtocol? activeProtocol)
    {
        uint active = 0;
        var rc = Code(Native.SCardReconnect(card, (uint)shareMode, ProtocolT0 | ProtocolT1, (uint)initialization, &active));
        activeProtocol = ToProtocol(active);
        return rc;
    }

    public override uint Disconnect(nint card, PcscDisposition disposition) => Code(Native.SCardDisconnect(card, (uint)disposition));

    public override uint Transmit(nint card, CardProtocol protocol, ReadOnlySpan<byte> command, Span<byte> response, out int received)
    {
        var pci = new WinScardIoRequest { Protocol = FromProtocol(protocol), PciLength = (uint)sizeof(WinScardIoRequest) };
        var length = (uint)response.Length;
        uint rc;
        fixed (byte* send = command)
        fixed (byte* receive = response)
        {
            rc = Code(Native.SCardTransmit(card, &pci, send, (uint)command.Length, null, receive, &length));
        }
        received = rc == Success ? (int)Math.Min(length, (uint)response.Length) : 0;
        return rc;
    }

    public override uint Status(nint card, out string readerName, out PcscCardState state, out CardProtocol? protocol, out byte[] atr)
    {
        var name = stackalloc char[MaxReaderNameChars];
        var atrBuffer = stackalloc byte[MaxAtrBytes];
        uint nameLength = MaxReaderNameChars, atrLength = MaxAtrBytes, rawState = 0, rawProtocol = 0;
        var rc = Code(Native.SCardStatusW(card, name, &nameLength, &rawState, &rawProtocol, atrBuffer, &atrLength));
        if (rc != Success)
        {
            readerName = string.Empty;
            state = PcscCardState.Unknown;
            protocol = null;
            atr = [];
            return rc;
        }
        var names = SplitMultiString(new string(name, 0, (int)Math.Min(nameLength, MaxReaderNameChars)));
        readerName = names.Count > 0 ? names[0] : string.Empty;
        // WinSCard reports an enumeration (SCARD_UNKNOWN = 0 ... SCARD_SPECIFIC = 6), the same numbering as PcscCardState.
        state = rawState <= (uint)PcscCardState.Specific ? (PcscCardState)rawState : PcscCardState.Unknown;
        protocol = ToProtocol(rawProtocol);
        atr = new ReadOnlySpan<byte>(atrBuffer, (int)Math.Min(atrLength, MaxAtrBytes)).ToArray();
        return rc;
    }

    private static uint Code(int rc) => unchecked((uint)rc);

    private static CardProtocol? ToProtocol(uint value) => value switch
    {
        ProtocolT0 => CardProtocol.T0,
        ProtocolT1 => CardProtocol.T1,
        ProtocolRaw => CardProtocol.Raw,
        _ => null,
    };

    private static uint FromProtocol(CardProtocol protocol) => protocol switch
    {
        CardProtocol.T0 => ProtocolT0,
        CardProtocol.T1 => ProtocolT1,
        _ => ProtocolRaw,
    };

    private static partial class Native
    {
        [LibraryImport(Library)]
        internal static partial int SCardEstablishContext(uint scope, nint reserved1, nint reserved2, nint* context);

        [LibraryImport(Library)]
        internal static partial int SCardReleaseContext(nint context);

        [LibraryImport(Library)]
        internal static partial int SCardIsValidContext(nint context);

        [LibraryImport(Library)]
        internal static partial int SCardCancel(nint context);

        [LibraryImport(Library)]
        internal static partial int SCardListReadersW(nint context, char* groups, char* readers, uint* readersLength);

        [LibraryImport(Library)]
        internal static partial int SCardGetStatusChangeW(nint context, uint timeout, WinScardReaderState* states, uint count);

        [LibraryImport(Library)]
        internal static partial int SCardConnectW(nint context, char* reader, uint shareMode, uint preferredProtocols, nint* card, uint* activeProtocol);

        [LibraryImport(Library)]
        internal static partial int SCardReconnect(nint card, uint shareMode, uint preferredProtocols, uint initialization, uint* activeProtocol);

        [LibraryImport(Library)]
        internal static partial int SCardDisconnect(nint card, uint disposition);

        [LibraryImport(Library)]
        internal static partial int SCardTransmit(nint card, WinScardIoRequest* sendPci, byte* send, uint sendLength, WinScardIoRequest* receivePci, byte* receive, uint* receiveLength);

        [LibraryImport(Library)]
        internal static partial int SCardStatusW(nint card, char* readerName, uint* readerNameLength, uint* state, uint* protocol, byte* atr, uint* atrLength);
    }
}
