using System.Collections.Frozen;

namespace CardAp.Card.Iso7816;

/// <summary>An ISO 7816-4 status word (SW1 SW2) with its name.</summary>
public readonly record struct StatusWord(ushort Value)
{
    public static readonly StatusWord Success = new(0x9000);
    public static readonly StatusWord EndOfFileReached = new(0x6282);
    public static readonly StatusWord WrongLength = new(0x6700);
    public static readonly StatusWord SecurityStatusNotSatisfied = new(0x6982);
    public static readonly StatusWord AuthenticationMethodBlocked = new(0x6983);
    public static readonly StatusWord ReferenceDataNotUsable = new(0x6984);
    public static readonly StatusWord ConditionsOfUseNotSatisfied = new(0x6985);
    public static readonly StatusWord CommandNotAllowedNoEf = new(0x6986);
    public static readonly StatusWord IncorrectDataObject = new(0x6988);
    public static readonly StatusWord IncorrectParametersInData = new(0x6A80);
    public static readonly StatusWord FunctionNotSupported = new(0x6A81);
    public static readonly StatusWord FileNotFound = new(0x6A82);
    public static readonly StatusWord RecordNotFound = new(0x6A83);
    public static readonly StatusWord NotEnoughMemory = new(0x6A84);
    public static readonly StatusWord IncorrectP1P2 = new(0x6A86);
    public static readonly StatusWord ReferenceDataNotFound = new(0x6A88);
    public static readonly StatusWord WrongParametersOffset = new(0x6B00);
    public static readonly StatusWord InstructionNotSupported = new(0x6D00);
    public static readonly StatusWord ClassNotSupported = new(0x6E00);
    public static readonly StatusWord NoPreciseDiagnosis = new(0x6F00);
    public static readonly StatusWord MemoryFailure = new(0x6581);

    public StatusWord(byte sw1, byte sw2) : this((ushort)(sw1 << 8 | sw2))
    {
    }

    public byte Sw1 => (byte)(Value >> 8);
    public byte Sw2 => (byte)Value;

    public bool IsSuccess => Value == 0x9000;

    /// <summary>61xx: xx more bytes wait to be fetched with GET RESPONSE.</summary>
    public bool IsMoreDataAvailable => Sw1 == 0x61;

    /// <summary>6Cxx: wrong Le; xx is the exact length to ask for.</summary>
    public bool IsWrongLe => Sw1 == 0x6C;

    /// <summary>63Cx: verification failed, x tries left.</summary>
    public bool IsVerificationFailed => Sw1 == 0x63 && (Sw2 & 0xF0) == 0xC0;

    public int? TriesLeft => IsVerificationFailed ? Sw2 & 0x0F : null;

    public static StatusWord VerificationFailed(int triesLeft) =>
        new(0x63, (byte)(0xC0 | Math.Clamp(triesLeft, 0, 15)));

    public string Name => Names.TryGetValue(Value, out var name) ? name
        : IsMoreDataAvailable ? $"{Sw2} more bytes available"
        : IsWrongLe ? $"wrong Le, exact length {Sw2}"
        : IsVerificationFailed ? $"verification failed, {TriesLeft} tries left"
        : Sw1 switch
        {
            0x62 => "warning, non-volatile memory unchanged",
            0x63 => "warning, non-volatile memory changed",
            0x64 => "execution error, memory unchanged",
            0x65 => "execution error, memory changed",
            0x68 => "function in CLA not supported",
            0x69 => "command not allowed",
            0x6A => "wrong parameters",
            _ => "unknown status",
        };

    private static readonly FrozenDictionary<ushort, string> Names = new Dictionary<ushort, string>
    {
        [0x9000] = "success",
        [0x6281] = "part of returned data may be corrupted",
        [0x6282] = "end of file reached before reading Ne bytes",
        [0x6283] = "selected file deactivated",
        [0x6300] = "verification failed",
        [0x6581] = "memory failure",
        [0x6700] = "wrong length",
        [0x6881] = "logical channel not supported",
        [0x6882] = "secure messaging not supported",
        [0x6981] = "command incompatible with file structure",
        [0x6982] = "security status not satisfied",
        [0x6983] = "authentication method blocked",
        [0x6984] = "reference data not usable (blocked)",
        [0x6985] = "conditions of use not satisfied",
        [0x6986] = "command not allowed (no current EF)",
        [0x6987] = "expected secure messaging data objects missing",
        [0x6988] = "incorrect secure messaging data objects",
        [0x6A80] = "incorrect parameters in the data field",
        [0x6A81] = "function not supported",
        [0x6A82] = "file or application not found",
        [0x6A83] = "record not found",
        [0x6A84] = "not enough memory space in the file",
        [0x6A86] = "incorrect parameters P1-P2",
        [0x6A88] = "referenced data not found",
        [0x6B00] = "wrong parameters (offset outside the EF)",
        [0x6D00] = "instruction code not supported",
        [0x6E00] = "class not supported",
        [0x6F00] = "no precise diagnosis",
    }.ToFrozenDictionary();

    public override string ToString() => $"{Value:X4} ({Name})";
}
