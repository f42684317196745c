using CardAp.Card.Iso7816;
using CardAp.Card.Readers;

namespace CardAp.Card.Pcsc;

/// <summary>
/// A card connected through PC/SC. The connection owns its own PC/SC context, so a transmit never
/// competes with the monitor's blocking SCardGetStatusChange or with another connection; calls
/// on one connection are serialised because a PC/SC context must not be used from two threads at once.
/// </summary>
public sealed class PcscCardConnection : ICardConnection
{
    /// <summary>Receive buffer size: the largest extended-length response (65,536 data bytes) plus SW1 SW2.</summary>
    public const int ReceiveBufferSize = 65536 + 2;

    private readonly PcscApi _api;
    private readonly Lock _gate = new();
    private readonly PcscShareMode _shareMode;
    private readonly byte[] _receiveBuffer = new byte[ReceiveBufferSize];
    private nint _context;
    private nint _card;
    private bool _closed;

    internal PcscCardConnection(PcscApi api, nint context, nint card, string readerName, PcscShareMode shareMode, CardProtocol protocol, byte[] atr)
    {
        _api = api;
        _context = context;
        _card = card;
        _shareMode = shareMode;
        ReaderName = readerName;
        Protocol = protocol;
        Atr = atr;
    }

    public string ReaderName { get; }

    /// <summary>The ATR read at connection time (and refreshed by <see cref="Reconnect"/>).</summary>
    public byte[] Atr { get; private set; }

    /// <summary>The protocol the reader negotiated with the card.</summary>
    public CardProtocol Protocol { get; private set; }

    public bool IsDisposed
    {
        get
        {
            lock (_gate)
            {
                return _closed;
            }
        }
    }

    /// <inheritdoc />
    /// <exception cref="PcscException">The reader, the card or the resource manager failed (card pulled, pcscd gone...).</exception>
    public byte[] Transmit(ReadOnlySpan<byte> command)
    {
        lock (_gate)
        {
            ThrowIfClosed();
            var rc = _api.Transmit(_card, Protocol, command, _receiveBuffer, out var received);
            if (rc != PcscApi.Success)
            {
                throw new PcscException($"SCardTransmit({ReaderName})", rc);
            }
            return _receiveBuffer.AsSpan(0, received).ToArray();
        }
    }

    /// <summary>Asks the reader for the card's current state, protocol and ATR.</summary>
    /// <exception cref="PcscException">The card or the resource manager is gone.</exception>
    public PcscCardStatus Status()
    {
        lock (_gate)
        {
            ThrowIfClosed();
            var rc = _api.Status(_card, out var reader, out var state, out var protocol, out var atr);
            if (rc != PcscApi.Success)
            {
                throw new PcscException($"SCardStatus({ReaderName})", rc);
            }
            return new PcscCardStatus(reader.Length > 0 ? reader : ReaderName, state, protocol ?? Protocol, atr);
        }
    }

    /// <summary>
    /// Re-establishes the connection, e.g. after SCARD_W_RESET_CARD because another application
    /// reset the card; <paramref name="initialization"/> = Reset also warm-resets it, clearing
    /// its security state.
    /// </summary>
    public void Reconnect(PcscDisposition initialization = PcscDisposition.Reset)
    {
        lock (_gate)
        {
            ThrowIfClosed();
            var rc = _api.Reconnect(_card, _shareMode, initialization, out var active);
            if (rc != PcscApi.Success)
            {
                throw new PcscException($"SCardReconnect({ReaderName})", rc);
            }
            if (active is { } protocol)
            {
                Protocol = protocol;
            }
            if (_api.Status(_card, out _, out _, out _, out var atr) == PcscApi.Success && atr.Length > 0)
            {
                Atr = atr;
            }
        }
    }

    /// <summary>
    /// Ends the connection, doing <paramref name="disposition"/> to the card (Reset clears its
    /// security state so the next holder starts clean). Later calls are no-ops.
    /// </summary>
    /// <exception cref="PcscException">The disconnect failed for a reason other than the card or service being gone already.</exception>
    public void Disconnect(PcscDisposition disposition)
    {
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }
            _closed = true;
            var rc = _api.Disconnect(_card, disposition);
            _api.ReleaseContext(_context);
            _card = 0;
            _context = 0;
            if (rc != PcscApi.Success && !PcscErrors.IsServiceUnavailable(rc) && !PcscErrors.IsCardGone(rc))
            {
                throw new PcscException($"SCardDisconnect({ReaderName})", rc);
            }
        }
    }

    /// <summary>Disconnects leaving the card as it is (SCARD_LEAVE_CARD); never throws.</summary>
    public void Dispose()
    {
        try
        {
            Disconnect(PcscDisposition.Leave);
        }
        catch (PcscException)
        {
            // Dispose must not throw; the handle is released either way.
        }
    }

    public override string ToString() => $"{ReaderName} ({Protocol}, ATR {Convert.ToHexString(Atr)})";

    private void ThrowIfClosed() => ObjectDisposedException.ThrowIf(_closed, this);
}
