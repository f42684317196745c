using CardAp.Card.Iso7816;
using CardAp.Card.Tlv;
using CardAp.VirtualCard.Applets;
using CardAp.VirtualCard.Jpki;
using CardAp.VirtualCard.State;

namespace CardAp.VirtualCard;

/// <summary>
/// An ISO 7816-4 card holding applets. It selects applets by AID itself (an AID it does not hold
/// answers 6A 82 and leaves the current selection alone), checks the class byte and hands every
/// other command to the selected applet. Whatever bytes arrive, <see cref="Process"/> answers with
/// a status word and never throws. One lock serialises commands, which is all a reader needs.
/// </summary>
public sealed class VirtualSmartCard : ISmartCard
{
    /// <summary>The ATR OpenSC's JPKI driver recognises; docs/card-application.md uses it for the virtual card.</summary>
    public static readonly byte[] DefaultAtr = [0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14];

    private static readonly HashSet<byte> KnownInstructions =
    [
        Ins.EraseBinary, Ins.Verify, Ins.ChangeReferenceData, Ins.ResetRetryCounter, Ins.PerformSecurityOperation,
        Ins.GenerateAsymmetricKeyPair, Ins.ExternalAuthenticate, Ins.GetChallenge, Ins.InternalAuthenticate,
        Ins.Select, Ins.ReadBinary, Ins.GetResponse, Ins.GetData, Ins.UpdateBinary,
    ];

    private readonly Lock _lock = new();
    private readonly List<IApplet> _applets = [];
    private readonly byte[] _atr;
    private IApplet? _selected;

    public VirtualSmartCard(params IEnumerable<IApplet> applets)
        : this(DefaultAtr, applets)
    {
    }

    public VirtualSmartCard(byte[] atr, params IEnumerable<IApplet> applets)
    {
        ArgumentNullException.ThrowIfNull(atr);
        if (atr.Length is < 2 or > 33)
        {
            throw new ArgumentException($"An ATR is 2..33 bytes; got {atr.Length}.", nameof(atr));
        }
        _atr = atr.ToArray();
        foreach (var applet in applets)
        {
            Install(applet);
        }
    }

    /// <summary>Raised after every command, outside the card's lock, with the raw bytes.</summary>
    public event EventHandler<ApduExchangedEventArgs>? ApduExchanged;

    /// <summary>
    /// Raised, outside the card's lock, after a command changed persistent state (a PIN counter, a file,
    /// a key): the moment a real card would have written its EEPROM, and the moment to save the state.
    /// </summary>
    public event EventHandler? PersistentStateChanged;

    public byte[] Atr => _atr.ToArray();

    public IReadOnlyList<IApplet> Applets
    {
        get
        {
            lock (_lock)
            {
                return [.. _applets];
            }
        }
    }

    public IApplet? SelectedApplet
    {
        get
        {
            lock (_lock)
            {
                return _selected;
            }
        }
    }

    /// <summary>The first installed applet of the given type.</summary>
    public T GetApplet<T>() where T : IApplet =>
        Applets.OfType<T>().FirstOrDefault() ?? throw new InvalidOperationException($"The card holds no {typeof(T).Name}.");

    /// <summary>Installs an applet; its AID must be new on this card.</summary>
    public void Install(IApplet applet)
    {
        ArgumentNullException.ThrowIfNull(applet);
        if (applet.Aid.Length is < 5 or > 16)
        {
            throw new ArgumentException($"An AID is 5..16 bytes; {applet.Name} has {applet.Aid.Length}.", nameof(applet));
        }
        lock (_lock)
        {
            if (_applets.Any(a => a.Aid.Span.SequenceEqual(applet.Aid.Span)))
            {
                throw new ArgumentException($"The card already holds an applet with AID {Convert.ToHexString(applet.Aid.Span)}.", nameof(applet));
            }
            _applets.Add(applet);
        }
    }

    public void Reset()
    {
        lock (_lock)
        {
            _selected = null;
            foreach (var applet in _applets)
            {
                applet.Reset();
            }
        }
    }

    public byte[] Process(ReadOnlySpan<byte> command)
    {
        byte[] response;
        bool changed;
        lock (_lock)
        {
            var before = StateVersion();
            response = ProcessLocked(command).ToBytes();
            changed = StateVersion() != before;
        }
        ApduExchanged?.Invoke(this, new ApduExchangedEventArgs(command.ToArray(), response));
        if (changed)
        {
            PersistentStateChanged?.Invoke(this, EventArgs.Empty);
        }
        return response;
    }

    /// <summary>The card's whole persistent state (keys and PINs included).</summary>
    public VirtualCardState ExportState()
    {
        lock (_lock)
        {
            return new VirtualCardState
            {
                Atr = Convert.ToHexString(_atr),
                Applets = [.. _applets.Select(a => a.ExportState())],
            };
        }
    }

    /// <summary>Rebuilds a card from saved state; it behaves as the saved card did after a reset.</summary>
    /// <exception cref="VirtualCardStateException">The state is inconsistent.</exception>
    public static VirtualSmartCard FromState(VirtualCardState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        byte[] atr;
        try
        {
            atr = Convert.FromHexString(state.Atr);
        }
        catch (FormatException e)
        {
            throw new VirtualCardStateException($"Card state has an ATR that is not hex: \"{state.Atr}\".", e);
        }
        var applets = state.Applets.Select<AppletState, IApplet>(a => a switch
        {
            CardApAppletState cardAp => CardApApplet.FromState(cardAp),
            JpkiAppletState jpki => JpkiApplet.FromState(jpki),
            _ => throw new VirtualCardStateException($"Card state holds an applet of unknown kind {a.GetType().Name}."),
        }).ToList();
        try
        {
            return new VirtualSmartCard(atr, applets);
        }
        catch (ArgumentException e)
        {
            throw new VirtualCardStateException($"Card state is invalid: {e.Message}", e);
        }
    }

    /// <summary>Saves the whole state to a JSON file (atomically, owner-only permissions).</summary>
    public void Save(string path) => VirtualCardStateFile.Save(ExportState(), path);

    /// <exception cref="VirtualCardStateException">The file is missing, corrupt, foreign or of an unsupported version.</exception>
    public static VirtualSmartCard Load(string path)
    {
        var state = VirtualCardStateFile.Load(path);
        try
        {
            return FromState(state);
        }
        catch (VirtualCardStateException e)
        {
            throw new VirtualCardStateException($"Card state file {path}: {e.Message}", e);
        }
    }

    private long StateVersion()
    {
        long sum = 0;
        foreach (var applet in _applets)
        {
            sum += applet.PersistentStateVersion;
        }
        return sum;
    }

    private ResponseApdu ProcessLocked(ReadOnlySpan<byte> bytes)
    {
        CommandApdu command;
        try
        {
            command = CommandApdu.Parse(bytes);
        }
        catch (CardProtocolException)
        {
            return new ResponseApdu(StatusWord.WrongLength);
        }
        // CLA 00 is interindustry without chaining, secure messaging or logical channels; 80 is the
        // proprietary class JPKI signs with. The card supports nothing else.
        if (command.Cla is not (0x00 or 0x80))
        {
            return new ResponseApdu(StatusWord.ClassNotSupported);
        }
        if (command.Ins == Ins.Select && command.P1 == 0x04)
        {
            return SelectApplication(command);
        }
        if (_selected is null)
        {
            return NoApplicationSelected(command);
        }
        try
        {
            return _selected.Process(command);
        }
        catch (Exception)
        {
            // A fault inside an applet must look like a card error to the terminal, not kill the reader.
            return new ResponseApdu(StatusWord.NoPreciseDiagnosis);
        }
    }

    private ResponseApdu SelectApplication(CommandApdu command)
    {
        if (command.Cla != 0x00)
        {
            return new ResponseApdu(StatusWord.ClassNotSupported);
        }
        if (command.P2 is not (0x00 or 0x0C))
        {
            return new ResponseApdu(StatusWord.IncorrectP1P2);
        }
        var aid = command.Data;
        var target = _applets.FirstOrDefault(a => a.Aid.Span.SequenceEqual(aid.Span));
        if (aid.IsEmpty || target is null)
        {
            return new ResponseApdu(StatusWord.FileNotFound);
        }
        _selected?.Deselect();
        _selected = target;
        target.Select();
        if (command.P2 == 0x00 && command.Ne is { } ne)
        {
            // P2 00 asks for the FCI: a 6F template naming the DF.
            var fci = new TlvWriter().WriteConstructed(0x6F, inner => inner.Write(0x84, target.Aid.Span)).ToArray();
            return fci.Length <= ne
                ? new ResponseApdu(fci, StatusWord.Success)
                : new ResponseApdu(new StatusWord(0x6C, (byte)fci.Length));
        }
        return new ResponseApdu(StatusWord.Success);
    }

    private static ResponseApdu NoApplicationSelected(CommandApdu command)
    {
        if (command.Ins == Ins.Select)
        {
            return new ResponseApdu(StatusWord.FileNotFound);
        }
        return new ResponseApdu(KnownInstructions.Contains(command.Ins)
            ? StatusWord.ConditionsOfUseNotSatisfied
            : StatusWord.InstructionNotSupported);
    }
}
