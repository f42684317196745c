using CardAp.Card.Iso7816;

namespace CardAp.VirtualCard.Files;

/// <summary>
/// The transparent-EF commands of one applet's DF: SELECT EF by FID, READ BINARY (offset or SFI),
/// UPDATE BINARY and ERASE BINARY, with the status words of docs/card-application.md. Both applets
/// use this one implementation, so the CardAp files and the JPKI files behave the same way.
/// </summary>
public sealed class TransparentFileSystem
{
    private readonly Dictionary<ushort, ElementaryFile> _byFid = [];
    private readonly Dictionary<byte, ElementaryFile> _bySfi = [];
    private readonly List<ElementaryFile> _files = [];
    private readonly Action _onContentChanged;

    /// <param name="files">The EFs of the DF; FIDs and SFIs must be unique.</param>
    /// <param name="onContentChanged">Called after an APDU changed a file's content, so the owner can persist it.</param>
    public TransparentFileSystem(IEnumerable<ElementaryFile> files, Action? onContentChanged = null)
    {
        foreach (var file in files)
        {
            if (!_byFid.TryAdd(file.Fid, file))
            {
                throw new ArgumentException($"Two files share FID {file.Fid:X4}.", nameof(files));
            }
            if (file.Sfi is { } sfi && !_bySfi.TryAdd(sfi, file))
            {
                throw new ArgumentException($"Two files share SFI {sfi}.", nameof(files));
            }
            _files.Add(file);
        }
        _onContentChanged = onContentChanged ?? (() => { });
    }

    public IReadOnlyList<ElementaryFile> Files => _files;

    /// <summary>The current EF, or null when none has been selected since the applet was selected.</summary>
    public ElementaryFile? Current { get; private set; }

    public ElementaryFile this[ushort fid] =>
        _byFid.TryGetValue(fid, out var file) ? file : throw new KeyNotFoundException($"No EF {fid:X4} in this applet.");

    public bool TryGetFile(ushort fid, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ElementaryFile? file) =>
        _byFid.TryGetValue(fid, out file);

    public void ClearSelection() => Current = null;

    /// <summary>SELECT EF by FID: <c>00 A4 02 0C 02 FID</c> (P1 00 or 02, P2 0C or 00; no FCI is returned).</summary>
    public ResponseApdu Select(CommandApdu command)
    {
        if (command.P1 is not (0x00 or 0x02) || command.P2 is not (0x00 or 0x0C))
        {
            return Status(StatusWord.IncorrectP1P2);
        }
        if (command.Data.Length != 2)
        {
            return Status(StatusWord.WrongLength);
        }
        var span = command.Data.Span;
        var fid = (ushort)(span[0] << 8 | span[1]);
        if (!_byFid.TryGetValue(fid, out var file))
        {
            return Status(StatusWord.FileNotFound);
        }
        Current = file;
        return Status(StatusWord.Success);
    }

    /// <summary>
    /// READ BINARY: Le 00 answers up to 256 bytes with 90 00; an explicit Le beyond the end answers
    /// the rest with 62 82; an offset beyond the current length answers 6B 00.
    /// </summary>
    public ResponseApdu ReadBinary(CommandApdu command)
    {
        if (command.Data.Length > 0 || command.Ne is null)
        {
            return Status(StatusWord.WrongLength);
        }
        if (!TryResolve(command, out var file, out var offset, out var failure))
        {
            return Status(failure);
        }
        if (!file.Read())
        {
            return Status(StatusWord.SecurityStatusNotSatisfied);
        }
        if (offset > file.Length)
        {
            return Status(StatusWord.WrongParametersOffset);
        }
        var remaining = file.Length - offset;
        var ne = command.Ne.Value;
        if (ne == CommandApdu.MaxNe)
        {
            // Le 00 means "up to 256": what there is, without a warning.
            return new ResponseApdu(file.Content.Slice(offset, Math.Min(ne, remaining)).ToArray(), StatusWord.Success);
        }
        if (ne > remaining)
        {
            return new ResponseApdu(file.Content.Slice(offset, remaining).ToArray(), StatusWord.EndOfFileReached);
        }
        return new ResponseApdu(file.Content.Slice(offset, ne).ToArray(), StatusWord.Success);
    }

    /// <summary>UPDATE BINARY: writes at the offset and extends the current length, up to the EF's maximum (else 6A 84).</summary>
    public ResponseApdu UpdateBinary(CommandApdu command)
    {
        if (command.Data.Length == 0)
        {
            return Status(StatusWord.WrongLength);
        }
        if (!TryResolve(command, out var file, out var offset, out var failure))
        {
            return Status(failure);
        }
        if (!file.Write())
        {
            return Status(StatusWord.SecurityStatusNotSatisfied);
        }
        // A write may not leave a hole of undefined bytes between the current end and the offset.
        if (offset > file.Length)
        {
            return Status(StatusWord.WrongParametersOffset);
        }
        if (offset + command.Data.Length > file.MaxSize)
        {
            return Status(StatusWord.NotEnoughMemory);
        }
        file.WriteAt(offset, command.Data.Span);
        _onContentChanged();
        return Status(StatusWord.Success);
    }

    /// <summary>ERASE BINARY: erases from the offset to the end; the current length becomes the offset.</summary>
    public ResponseApdu EraseBinary(CommandApdu command)
    {
        if (command.Data.Length > 0)
        {
            return Status(StatusWord.WrongLength);
        }
        if (!TryResolve(command, out var file, out var offset, out var failure))
        {
            return Status(failure);
        }
        if (!file.Write())
        {
            return Status(StatusWord.SecurityStatusNotSatisfied);
        }
        if (offset > file.Length)
        {
            return Status(StatusWord.WrongParametersOffset);
        }
        file.Truncate(offset);
        _onContentChanged();
        return Status(StatusWord.Success);
    }

    /// <summary>
    /// P1 bit 8 set: P1 = 100x xxxx names the EF by SFI (which also selects it) and P2 is the offset;
    /// otherwise P1-P2 is a 15-bit offset into the current EF.
    /// </summary>
    private bool TryResolve(CommandApdu command, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ElementaryFile? file, out int offset, out StatusWord failure)
    {
        failure = StatusWord.Success;
        offset = 0;
        if ((command.P1 & 0x80) != 0)
        {
            var sfi = (byte)(command.P1 & 0x1F);
            if ((command.P1 & 0x60) != 0 || sfi == 0)
            {
                file = null;
                failure = StatusWord.IncorrectP1P2;
                return false;
            }
            if (!_bySfi.TryGetValue(sfi, out file))
            {
                failure = StatusWord.FileNotFound;
                return false;
            }
            Current = file;
            offset = command.P2;
            return true;
        }
        file = Current;
        if (file is null)
        {
            failure = StatusWord.CommandNotAllowedNoEf;
            return false;
        }
        offset = command.P1 << 8 | command.P2;
        return true;
    }

    private static ResponseApdu Status(StatusWord status) => new(status);
}
