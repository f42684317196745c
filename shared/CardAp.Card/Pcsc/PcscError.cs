using System.Collections.Frozen;
using System.Globalization;

namespace CardAp.Card.Pcsc;

/// <summary>
/// Every PC/SC return code (pcsc-lite's pcsclite.h plus the few that only WinSCard returns).
/// Values are the unsigned 32-bit codes both implementations use.
/// </summary>
public enum PcscError : uint
{
    Success = 0x00000000,
    InternalError = 0x80100001,
    Cancelled = 0x80100002,
    InvalidHandle = 0x80100003,
    InvalidParameter = 0x80100004,
    InvalidTarget = 0x80100005,
    NoMemory = 0x80100006,
    WaitedTooLong = 0x80100007,
    InsufficientBuffer = 0x80100008,
    UnknownReader = 0x80100009,
    Timeout = 0x8010000A,
    SharingViolation = 0x8010000B,
    NoSmartCard = 0x8010000C,
    UnknownCard = 0x8010000D,
    CantDispose = 0x8010000E,
    ProtocolMismatch = 0x8010000F,
    NotReady = 0x80100010,
    InvalidValue = 0x80100011,
    SystemCancelled = 0x80100012,
    CommunicationError = 0x80100013,
    UnknownError = 0x80100014,
    InvalidAtr = 0x80100015,
    NotTransacted = 0x80100016,
    ReaderUnavailable = 0x80100017,
    Shutdown = 0x80100018,
    PciTooSmall = 0x80100019,
    ReaderUnsupported = 0x8010001A,
    DuplicateReader = 0x8010001B,
    CardUnsupported = 0x8010001C,
    NoService = 0x8010001D,
    ServiceStopped = 0x8010001E,

    /// <summary>
    /// SCARD_E_UNEXPECTED. pcsc-lite also defines SCARD_E_UNSUPPORTED_FEATURE with this value,
    /// so on Linux this code means either.
    /// </summary>
    Unexpected = 0x8010001F,
    IccInstallation = 0x80100020,
    IccCreateOrder = 0x80100021,

    /// <summary>SCARD_E_UNSUPPORTED_FEATURE as WinSCard numbers it (pcsc-lite uses 0x8010001F).</summary>
    UnsupportedFeature = 0x80100022,
    DirectoryNotFound = 0x80100023,
    FileNotFound = 0x80100024,
    NoDirectory = 0x80100025,
    NoFile = 0x80100026,
    NoAccess = 0x80100027,
    WriteTooMany = 0x80100028,
    BadSeek = 0x80100029,
    InvalidChv = 0x8010002A,
    UnknownResourceManager = 0x8010002B,
    NoSuchCertificate = 0x8010002C,
    CertificateUnavailable = 0x8010002D,
    NoReadersAvailable = 0x8010002E,
    CommunicationDataLost = 0x8010002F,
    NoKeyContainer = 0x80100030,
    ServerTooBusy = 0x80100031,
    PinCacheExpired = 0x80100032,
    NoPinCache = 0x80100033,
    ReadOnlyCard = 0x80100034,
    UnsupportedCard = 0x80100065,
    UnresponsiveCard = 0x80100066,
    UnpoweredCard = 0x80100067,
    ResetCard = 0x80100068,
    RemovedCard = 0x80100069,
    SecurityViolation = 0x8010006A,
    WrongChv = 0x8010006B,
    ChvBlocked = 0x8010006C,
    EndOfFile = 0x8010006D,
    CancelledByUser = 0x8010006E,
    CardNotAuthenticated = 0x8010006F,
    CacheItemNotFound = 0x80100070,
    CacheItemStale = 0x80100071,
    CacheItemTooBig = 0x80100072,
}

/// <summary>The C name and a readable description of each <see cref="PcscError"/>.</summary>
public static class PcscErrors
{
    private static readonly FrozenDictionary<PcscError, (string Name, string Description)> Catalogue =
        new Dictionary<PcscError, (string, string)>
        {
            [PcscError.Success] = ("SCARD_S_SUCCESS", "No error was encountered."),
            [PcscError.InternalError] = ("SCARD_F_INTERNAL_ERROR", "An internal consistency check failed."),
            [PcscError.Cancelled] = ("SCARD_E_CANCELLED", "The action was cancelled by an SCardCancel request."),
            [PcscError.InvalidHandle] = ("SCARD_E_INVALID_HANDLE", "The supplied handle was invalid."),
            [PcscError.InvalidParameter] = ("SCARD_E_INVALID_PARAMETER", "One or more of the supplied parameters could not be properly interpreted."),
            [PcscError.InvalidTarget] = ("SCARD_E_INVALID_TARGET", "Registry startup information is missing or invalid."),
            [PcscError.NoMemory] = ("SCARD_E_NO_MEMORY", "Not enough memory available to complete this command."),
            [PcscError.WaitedTooLong] = ("SCARD_F_WAITED_TOO_LONG", "An internal consistency timer has expired."),
            [PcscError.InsufficientBuffer] = ("SCARD_E_INSUFFICIENT_BUFFER", "The data buffer to receive returned data is too small for the returned data."),
            [PcscError.UnknownReader] = ("SCARD_E_UNKNOWN_READER", "The specified reader name is not recognized."),
            [PcscError.Timeout] = ("SCARD_E_TIMEOUT", "The user-specified timeout value has expired."),
            [PcscError.SharingViolation] = ("SCARD_E_SHARING_VIOLATION", "The smart card cannot be accessed because of other connections outstanding."),
            [PcscError.NoSmartCard] = ("SCARD_E_NO_SMARTCARD", "The operation requires a smart card, but no smart card is currently in the device."),
            [PcscError.UnknownCard] = ("SCARD_E_UNKNOWN_CARD", "The specified smart card name is not recognized."),
            [PcscError.CantDispose] = ("SCARD_E_CANT_DISPOSE", "The system could not dispose of the media in the requested manner."),
            [PcscError.ProtocolMismatch] = ("SCARD_E_PROTO_MISMATCH", "The requested protocols are incompatible with the protocol currently in use with the smart card."),
            [PcscError.NotReady] = ("SCARD_E_NOT_READY", "The reader or smart card is not ready to accept commands."),
            [PcscError.InvalidValue] = ("SCARD_E_INVALID_VALUE", "One or more of the supplied parameter values could not be properly interpreted."),
            [PcscError.SystemCancelled] = ("SCARD_E_SYSTEM_CANCELLED", "The action was cancelled by the system, presumably to log off or shut down."),
            [PcscError.CommunicationError] = ("SCARD_F_COMM_ERROR", "An internal communications error has been detected."),
            [PcscError.UnknownError] = ("SCARD_F_UNKNOWN_ERROR", "An internal error has been detected, but the source is unknown."),
            [PcscError.InvalidAtr] = ("SCARD_E_INVALID_ATR", "An ATR obtained from the registry is not a valid ATR string."),
            [PcscError.NotTransacted] = ("SCARD_E_NOT_TRANSACTED", "An attempt was made to end a non-existent transaction (pcsc-lite also reports a failed exchange with a pulled card this way)."),
            [PcscError.ReaderUnavailable] = ("SCARD_E_READER_UNAVAILABLE", "The specified reader is not currently available for use."),
            [PcscError.Shutdown] = ("SCARD_P_SHUTDOWN", "The operation has been aborted to allow the server application to exit."),
            [PcscError.PciTooSmall] = ("SCARD_E_PCI_TOO_SMALL", "The PCI receive buffer was too small."),
            [PcscError.ReaderUnsupported] = ("SCARD_E_READER_UNSUPPORTED", "The reader driver does not meet minimal requirements for support."),
            [PcscError.DuplicateReader] = ("SCARD_E_DUPLICATE_READER", "The reader driver did not produce a unique reader name."),
            [PcscError.CardUnsupported] = ("SCARD_E_CARD_UNSUPPORTED", "The smart card does not meet minimal requirements for support."),
            [PcscError.NoService] = ("SCARD_E_NO_SERVICE", "The smart card resource manager (pcscd / SCardSvr) is not running."),
            [PcscError.ServiceStopped] = ("SCARD_E_SERVICE_STOPPED", "The smart card resource manager has shut down."),
            [PcscError.Unexpected] = ("SCARD_E_UNEXPECTED", "An unexpected card error has occurred (on pcsc-lite also: the smart card does not support the requested feature)."),
            [PcscError.IccInstallation] = ("SCARD_E_ICC_INSTALLATION", "No primary provider can be found for the smart card."),
            [PcscError.IccCreateOrder] = ("SCARD_E_ICC_CREATEORDER", "The requested order of object creation is not supported."),
            [PcscError.UnsupportedFeature] = ("SCARD_E_UNSUPPORTED_FEATURE", "This smart card does not support the requested feature."),
            [PcscError.DirectoryNotFound] = ("SCARD_E_DIR_NOT_FOUND", "The identified directory does not exist in the smart card."),
            [PcscError.FileNotFound] = ("SCARD_E_FILE_NOT_FOUND", "The identified file does not exist in the smart card."),
            [PcscError.NoDirectory] = ("SCARD_E_NO_DIR", "The supplied path does not represent a smart card directory."),
            [PcscError.NoFile] = ("SCARD_E_NO_FILE", "The supplied path does not represent a smart card file."),
            [PcscError.NoAccess] = ("SCARD_E_NO_ACCESS", "Access is denied to this file."),
            [PcscError.WriteTooMany] = ("SCARD_E_WRITE_TOO_MANY", "The smart card does not have enough memory to store the information."),
            [PcscError.BadSeek] = ("SCARD_E_BAD_SEEK", "There was an error trying to set the smart card file object pointer."),
            [PcscError.InvalidChv] = ("SCARD_E_INVALID_CHV", "The supplied PIN is incorrect."),
            [PcscError.UnknownResourceManager] = ("SCARD_E_UNKNOWN_RES_MNG", "An unrecognized error code was returned from a layered component."),
            [PcscError.NoSuchCertificate] = ("SCARD_E_NO_SUCH_CERTIFICATE", "The requested certificate does not exist."),
            [PcscError.CertificateUnavailable] = ("SCARD_E_CERTIFICATE_UNAVAILABLE", "The requested certificate could not be obtained."),
            [PcscError.NoReadersAvailable] = ("SCARD_E_NO_READERS_AVAILABLE", "Cannot find a smart card reader."),
            [PcscError.CommunicationDataLost] = ("SCARD_E_COMM_DATA_LOST", "A communications error with the smart card has been detected. Retry the operation."),
            [PcscError.NoKeyContainer] = ("SCARD_E_NO_KEY_CONTAINER", "The requested key container does not exist on the smart card."),
            [PcscError.ServerTooBusy] = ("SCARD_E_SERVER_TOO_BUSY", "The smart card resource manager is too busy to complete this operation."),
            [PcscError.PinCacheExpired] = ("SCARD_E_PIN_CACHE_EXPIRED", "The smart card PIN cache has expired."),
            [PcscError.NoPinCache] = ("SCARD_E_NO_PIN_CACHE", "The smart card PIN cannot be cached."),
            [PcscError.ReadOnlyCard] = ("SCARD_E_READ_ONLY_CARD", "The smart card is read only and cannot be written to."),
            [PcscError.UnsupportedCard] = ("SCARD_W_UNSUPPORTED_CARD", "The reader cannot communicate with the card, due to ATR string configuration conflicts."),
            [PcscError.UnresponsiveCard] = ("SCARD_W_UNRESPONSIVE_CARD", "The smart card is not responding to a reset."),
            [PcscError.UnpoweredCard] = ("SCARD_W_UNPOWERED_CARD", "Power has been removed from the smart card, so that further communication is not possible."),
            [PcscError.ResetCard] = ("SCARD_W_RESET_CARD", "The smart card has been reset, so any shared state information is invalid."),
            [PcscError.RemovedCard] = ("SCARD_W_REMOVED_CARD", "The smart card has been removed, so further communication is not possible."),
            [PcscError.SecurityViolation] = ("SCARD_W_SECURITY_VIOLATION", "Access was denied because of a security violation."),
            [PcscError.WrongChv] = ("SCARD_W_WRONG_CHV", "The card cannot be accessed because the wrong PIN was presented."),
            [PcscError.ChvBlocked] = ("SCARD_W_CHV_BLOCKED", "The card cannot be accessed because the maximum number of PIN entry attempts has been reached."),
            [PcscError.EndOfFile] = ("SCARD_W_EOF", "The end of the smart card file has been reached."),
            [PcscError.CancelledByUser] = ("SCARD_W_CANCELLED_BY_USER", "The user pressed \"Cancel\" on a smart card selection dialog."),
            [PcscError.CardNotAuthenticated] = ("SCARD_W_CARD_NOT_AUTHENTICATED", "No PIN was presented to the smart card."),
            [PcscError.CacheItemNotFound] = ("SCARD_W_CACHE_ITEM_NOT_FOUND", "The requested item could not be found in the cache."),
            [PcscError.CacheItemStale] = ("SCARD_W_CACHE_ITEM_STALE", "The requested cache item is too old and was deleted from the cache."),
            [PcscError.CacheItemTooBig] = ("SCARD_W_CACHE_ITEM_TOO_BIG", "The new cache item exceeds the maximum per-item size defined for the cache."),
        }.ToFrozenDictionary();

    /// <summary>True when the code is one of the named PC/SC codes.</summary>
    public static bool IsKnown(uint code) => Catalogue.ContainsKey((PcscError)code);

    /// <summary>The C name (e.g. "SCARD_E_NO_SERVICE"), or the code in hex (e.g. "0x8010FFFF") when it is not a PC/SC code.</summary>
    public static string GetName(uint code) =>
        Catalogue.TryGetValue((PcscError)code, out var entry) ? entry.Name : "0x" + code.ToString("X8", CultureInfo.InvariantCulture);

    public static string GetName(PcscError error) => GetName((uint)error);

    /// <summary>A sentence describing the code; for unknown codes, a sentence saying so with the hex value.</summary>
    public static string GetDescription(uint code) =>
        Catalogue.TryGetValue((PcscError)code, out var entry)
            ? entry.Description
            : $"Unknown PC/SC return code 0x{code:X8}.";

    public static string GetDescription(PcscError error) => GetDescription((uint)error);

    /// <summary>
    /// Codes meaning the resource manager (pcscd or SCardSvr) went away or the context it
    /// issued is no longer valid: the caller has to establish a new context once it is back.
    /// </summary>
    public static bool IsServiceUnavailable(uint code) => (PcscError)code is
        PcscError.NoService or PcscError.ServiceStopped or PcscError.InvalidHandle
        or PcscError.CommunicationError or PcscError.Shutdown or PcscError.SystemCancelled;

    /// <summary>Codes meaning the card left the reader (or lost power) under an open connection.</summary>
    public static bool IsCardGone(uint code) => (PcscError)code is
        PcscError.RemovedCard or PcscError.NoSmartCard or PcscError.NotTransacted
        or PcscError.UnpoweredCard or PcscError.ReaderUnavailable;
}
