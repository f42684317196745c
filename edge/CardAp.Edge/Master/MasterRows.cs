namespace CardAp.Edge.Master;

// Payloads of the master rows the edge reads; the kind names are CardAp.Shared.Domain.MasterKinds.

/// <summary>A municipality's issuing public key: reference "131016-01", SubjectPublicKeyInfo in base64.</summary>
public sealed record IssuerKeyRow(string Reference, string PublicKey);

/// <summary>A JPKI trust anchor certificate (DER, base64).</summary>
public sealed record JpkiAnchorRow(string Certificate);

/// <summary>A suspended or revoked card (municipality + card number) or JPKI certificate (serial).</summary>
public sealed record CardStatusRow(string Status, string? Municipality = null, string? CardNumber = null, string? Serial = null);

/// <summary>A JPKI certificate serial linked to a member number in one service (ID連携).</summary>
public sealed record JpkiLinkRow(string Serial, string Service, string Member, string Status = "active");

/// <summary>An operator's standing; "revoked" refuses the operator card even if the card itself is fine.</summary>
public sealed record OperatorStatusRow(string OperatorId, string Status);

/// <summary>
/// Tuning of one service (チューニング): enabled, setting values, offline policy per operation
/// (may only tighten the module's default) and kiosk use per operation (may only disable).
/// </summary>
public sealed record ServiceTuningRow(
    string Id,
    bool Enabled = true,
    Dictionary<string, string>? Settings = null,
    Dictionary<string, string>? Offline = null,
    Dictionary<string, bool>? Kiosk = null);

/// <summary>
/// A service's weekly hours: per day ("monday".."sunday") a list of "HH:mm-HH:mm" intervals;
/// whether it opens on national holidays; "alwaysOpen" for 24/7 services such as shelters.
/// </summary>
public sealed record ServiceHoursRow(string Service, Dictionary<string, string[]>? Days = null, bool OpenOnHolidays = false, bool AlwaysOpen = false);

/// <summary>A local closure day (年末年始, inventory days) for one service or, without a service, for all.</summary>
public sealed record ClosureRow(string Date, string? Service = null, string? ReasonEn = null, string? ReasonJa = null);
