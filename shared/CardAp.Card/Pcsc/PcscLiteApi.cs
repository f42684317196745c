using System.Runtime.InteropServices;
using System.Text;
using CardAp.Card.Readers;

namespace CardAp.Card.Pcsc;

/// <summary>
/// SCARD_READERSTATE as pcsc-lite declares it on 64-bit Linux: DWORD is unsigned long (8 bytes)
/// and the ATR buffer holds MAX_ATR_SIZE = 33 bytes, which pads the struct to 80 bytes.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct PcscLiteReaderState
{
    public const int AtrCapacity = 33;

    public nint Reader;
    public nint UserData;
    public nuint CurrentState;
    public nuint EventState;
    public nuint AtrLength;
    public fixed byte Atr[AtrCapacity];
}

/// <summary>SCARD_IO_REQUEST on pcsc-lite: two unsigned longs.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct PcscLiteIoRequest
{
    public nuint Protocol;
    public nuint PciLength;
}

/// <summary>pcsc-lite (libpcsclite.so.1): LONG and DWORD are C longs, strings are UTF-8.</summary>
internal sealed unsafe partial class PcscLiteApi : PcscApi
{
    // The unversioned libpcsclite.so only ships with the -dev package; the runtime package has .so.1.
    private const string Library = "libpcsclite.so.1";

    private const nuint ScopeSystem = 2;
    private const nuint ProtocolT0 = 1;
    private const nuint ProtocolT1 = 2;
    private const nuint ProtocolRaw = 4;

    // The pcsc-lite SCardStatus state is a bit mask (SCARD_ABSENT = 0x2 ... SCARD_SPECIFIC = 0x40).
    private const int MaxReaderNameBytes = 512;
    private const int MaxAtrBytes = 64;

    public PcscLiteApi()
    {
        if (!NativeLibrary.TryLoad(Library, typeof(PcscLiteApi).Assembly, null, out _))
        {
            throw new PcscUnavailableException(
                $"The PC/SC library {Library} could not be loaded: install pcsc-lite's client library (Debian: apt-get install libpcsclite1).");
        }
    }

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
        // The list can grow between the size query and the read; retry a few times then.
        for (var attempt = 0; attempt < 4; attempt++)
        {
            nuint length = 0;
            var rc = Code(Native.SCardListReaders(context, null, null, &length));
            if (rc != Success)
            {
                return rc;
            }
            var buffer = new byte[(int)length];
            fixed (byte* p = buffer)
            {
                rc = Code(Native.SCardListReaders(context, null, p, &length));
            }
            if (rc == (uint)PcscError.InsufficientBuffer)
            {
                continue;
            }
            if (rc == Success)
            {
                readers = SplitMultiString(buffer.AsSpan(0, (int)Math.Min(length, (nuint)buffer.Length)));
            }
            return rc;
        }
        return (uint)PcscError.InsufficientBuffer;
    }

    public override uint GetStatusChange(nint context, uint timeoutMilliseconds, ReaderStateQuery[] states)
    {
        var native = new PcscLiteReaderState[states.Length];
        var names = new nint[states.Length];
        try
        {
            for (var i = 0; i < states.Length; i++)
            {
                names[i] = Marshal.StringToCoTaskMemUTF8(states[i].ReaderName);
                native[i].Reader = names[i];
                native[i].CurrentState = states[i].CurrentState;
            }
            uint rc;
            fixed (PcscLiteReaderState* p = native)
            {
                rc = Code(Native.SCardGetStatusChange(context, timeoutMilliseconds, p, (nuint)native.Length));
            }
            if (rc == Success)
            {
                for (var i = 0; i < states.Length; i++)
                {
                    states[i].EventState = unchecked((uint)native[i].EventState);
                    var length = (int)Math.Min(native[i].AtrLength, (nuint)PcscLiteReaderState.AtrCapacity);
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
        var name = Utf8Z(reader);
        nint handle = 0;
        nuint active = 0;
        uint rc;
        fixed (byte* p = name)
        {
            rc = Code(Native.SCardConnect(context, p, (nuint)shareMode, ProtocolT0 | ProtocolT1, &handle, &active));
        }
        card = handle;
        activeProtocol = ToProtocol(active);
        return rc;
    }

    public override uint Reconnect(nint card, PcscShareMode shareMode, PcscDisposition initialization, out CardProtocol? activeProtocol)
    {
        nuint active = 0;
        var rc = Code(Native.SCardReconnect(card, (nuint)shareMode, ProtocolT0 | ProtocolT1, (nuint)initialization, &active));
        activeProtocol = ToProtocol(active);
        return rc;
    }

    public override uint Disconnect(nint card, PcscDisposition disposition) => Code(Native.SCardDisconnect(card, (nuint)disposition));

    public override uint Transmit(nint card, CardProtocol protocol, ReadOnlySpan<byte> command, Span<byte> response, out int received)
    {
        var pci = new PcscLiteIoRequest { Protocol = FromProtocol(protocol), PciLength = (nuint)sizeof(PcscLiteIoRequest) };
        var length = (nuint)response.Length;
        uint rc;
        fixed (byte* send = command)
        fixed (byte* receive = response)
        {
            rc = Code(Native.SCardTransmit(card, &pci, send, (nuint)command.Length, null, receive, &length));
        }
        received = rc == Success ? (int)Math.Min(length, (nuint)response.Length) : 0;
        return rc;
    }

    public override uint Status(nint card, out string readerName, out PcscCardState state, out CardProtocol? protocol, out byte[] atr)
    {
        var name = stackalloc byte[MaxReaderNameBytes];
        var atrBuffer = stackalloc byte[MaxAtrBytes];
        nuint nameLength = MaxReaderNameBytes, atrLength = MaxAtrBytes, rawState = 0, rawProtocol = 0;
        var rc = Code(Native.SCardStatus(card, name, &nameLength, &rawState, &rawProtocol, atrBuffer, &atrLength));
        if (rc != Success)
        {
            readerName = string.Empty;
            state = PcscCardState.Unknown;
            protocol = null;
            atr = [];
            return rc;
        }
        var names = SplitMultiString(new ReadOnlySpan<byte>(name, (int)Math.Min(nameLength, MaxReaderNameBytes)));
        readerName = names.Count > 0 ? names[0] : string.Empty;
        state = ToCardState(rawState);
        protocol = ToProtocol(rawProtocol);
        atr = new ReadOnlySpan<byte>(atrBuffer, (int)Math.Min(atrLength, MaxAtrBytes)).ToArray();
        return rc;
    }

    internal static PcscCardState ToCardState(nuint mask) =>
        (mask & 0x40) != 0 ? PcscCardState.Specific
        : (mask & 0x20) != 0 ? PcscCardState.Negotiable
        : (mask & 0x10) != 0 ? PcscCardState.Powered
        : (mask & 0x08) != 0 ? PcscCardState.Swallowed
        : (mask & 0x04) != 0 ? PcscCardState.Present
        : (mask & 0x02) != 0 ? PcscCardState.Absent
        : PcscCardState.Unknown;

    // LONG is a 64-bit C long here; the codes are defined as positive 32-bit values, so truncation is exact.
    private static uint Code(nint rc) => unchecked((uint)rc);

    private static CardProtocol? ToProtocol(nuint value) => value switch
    {
        ProtocolT0 => CardProtocol.T0,
        ProtocolT1 => CardProtocol.T1,
        ProtocolRaw => CardProtocol.Raw,
        _ => null,
    };

    private static nuint FromProtocol(CardProtocol protocol) => protocol switch
    {
        CardProtocol.T0 => ProtocolT0,
        CardProtocol.T1 => ProtocolT1,
        _ => ProtocolRaw,
    };

    private static byte[] Utf8Z(string value)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(value) + 1];
        Encoding.UTF8.GetBytes(value, bytes);
        return bytes;
    }

    private static partial class Native
    {
        [LibraryImport(Library)]
        internal static partial nint SCardEstablishContext(nuint scope, nint reserved1, nint reserved2, nint* context);

        [LibraryImport(Library)]
        internal static partial nint SCardReleaseContext(nint context);

        [LibraryImport(Library)]
        internal static partial nint SCardIsValidContext(nint context);

        [LibraryImport(Library)]
        internal static partial nint SCardCancel(nint context);

        [LibraryImport(Library)]
        internal static partial nint SCardListReaders(nint context, byte* groups, byte* readers, nuint* readersLength);

        [LibraryImport(Library)]
        internal static partial nint SCardGetStatusChange(nint context, nuint timeout, PcscLiteReaderState* states, nuint count);

        [LibraryImport(Library)]
        internal static partial nint SCardConnect(nint context, byte* reader, nuint shareMode, nuint preferredProtocols, nint* card, nuint* activeProtocol);

        [LibraryImport(Library)]
        internal static partial nint SCardReconnect(nint card, nuint shareMode, nuint preferredProtocols, nuint initialization, nuint* activeProtocol);

        [LibraryImport(Library)]
        internal static partial nint SCardDisconnect(nint card, nuint disposition);

        [LibraryImport(Library)]
        internal static partial nint SCardTransmit(nint card, PcscLiteIoRequest* sendPci, byte* send, nuint sendLength, PcscLiteIoRequest* receivePci, byte* receive, nuint* receiveLength);

        [LibraryImport(Library)]
        internal static partial nint SCardStatus(nint card, byte* readerName, nuint* readerNameLength, nuint* state, nuint* protocol, byte* atr, nuint* atrLength);
    }
}
