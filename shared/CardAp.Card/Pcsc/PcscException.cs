using CardAp.Card.Iso7816;

namespace CardAp.Card.Pcsc;

/// <summary>A PC/SC call returned an error code. Carries the code, its C name and a description.</summary>
public sealed class PcscException : CardException
{
    public PcscException(string operation, uint code)
        : base($"{operation} failed: {PcscErrors.GetName(code)} (0x{code:X8}): {PcscErrors.GetDescription(code)}")
    {
        Operation = operation;
        Code = code;
    }

    public PcscException(string operation, PcscError error) : this(operation, (uint)error)
    {
    }

    /// <summary>The PC/SC function (and its main argument) that failed, e.g. "SCardConnect(Virtual PCD 00 01)".</summary>
    public string Operation { get; }

    /// <summary>The raw return code as an unsigned 32-bit value.</summary>
    public uint Code { get; }

    /// <summary>The code as the enum; may be an undefined value when <see cref="IsKnownCode"/> is false.</summary>
    public PcscError Error => (PcscError)Code;

    public bool IsKnownCode => PcscErrors.IsKnown(Code);

    /// <summary>The C name, e.g. "SCARD_E_NO_SMARTCARD", or the hex value for an unknown code.</summary>
    public string Name => PcscErrors.GetName(Code);

    public string Description => PcscErrors.GetDescription(Code);

    /// <summary>The resource manager went away; a new context is needed once it is back.</summary>
    public bool IsServiceUnavailable => PcscErrors.IsServiceUnavailable(Code);

    /// <summary>The card left the reader or lost power under the connection.</summary>
    public bool IsCardGone => PcscErrors.IsCardGone(Code);
}

/// <summary>
/// PC/SC cannot be used at all in this process: the operating system is not supported, or
/// the PC/SC library (libpcsclite.so.1 / winscard.dll) is not installed.
/// </summary>
public sealed class PcscUnavailableException : CardException
{
    public PcscUnavailableException(string message) : base(message)
    {
    }

    public PcscUnavailableException(string message, Exception? inner) : base(message, inner)
    {
    }
}
