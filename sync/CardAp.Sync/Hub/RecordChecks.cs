using System.Globalization;
using System.Text.Json;
using CardAp.Shared.Domain;
using CardAp.Sync.Contracts;
using Google.Protobuf.WellKnownTypes;

namespace CardAp.Sync.Hub;

/// <summary>What a record check needs to know besides the record: the hub's clock and the services it knows.</summary>
/// <param name="Now">The hub's time; a record from further ahead than <see cref="RecordChecks.MaxAhead"/> is impossible.</param>
/// <param name="IsKnownService">Built-in services and the municipality's attendance services.</param>
public sealed record RecordContext(DateTimeOffset Now, Func<string, bool> IsKnownService);

/// <summary>
/// The codes a quarantined record carries, followed by the field or value in parentheses, e.g.
/// "UnknownService (karaoke)". Language-neutral: reports translate the code for people.
/// </summary>
public static class QuarantineReasons
{
    public const string MissingField = "MissingField";
    public const string FieldTooLong = "FieldTooLong";
    public const string UnknownService = "UnknownService";
    public const string BadJson = "BadJson";
    public const string ImpossibleTime = "ImpossibleTime";
    public const string NoRefusalReason = "NoRefusalReason";
    public const string NotANumber = "NotANumber";

    public static string Of(string code, string detail) => $"{code} ({detail})";

    /// <summary>The code of a reason made by <see cref="Of"/>.</summary>
    public static string CodeOf(string reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        var space = reason.IndexOf(' ', StringComparison.Ordinal);
        return space < 0 ? reason : reason[..space];
    }
}

/// <summary>
/// Whether a record that is well-formed for the protocol can be used by the hub: each check gives the
/// quarantine reason (<see cref="QuarantineReasons"/>) or null. A quarantined record is still
/// acknowledged, so one bad record never blocks its stream.
/// </summary>
public static class RecordChecks
{
    /// <summary>The longest ids and names (request id, operation, member, operator, telemetry name, refusal reason).</summary>
    public const int MaxIdLength = 64;

    /// <summary>The longest references (card reference, item).</summary>
    public const int MaxReferenceLength = 256;

    /// <summary>How far after the hub's clock a record may be dated (terminal clocks drift; a day more is impossible).</summary>
    public static readonly TimeSpan MaxAhead = TimeSpan.FromDays(1);

    /// <summary>No CardAp terminal recorded anything before this.</summary>
    public static readonly DateTimeOffset Earliest = new(2000, 1, 1, 0, 0, 0, TimeSpan.FromHours(9));

    private const long MinTimestampSeconds = -62_135_596_800;
    private const long MaxTimestampSeconds = 253_402_300_799;

    private static readonly string[] LocalTimeFormats = ["yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'"];

    public static string? Transaction(TransactionRecord record, RecordContext context)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(context);
        return Required(record.Id, "id", MaxIdLength)
            ?? Time(record.OccurredAt, "occurred_at", context)
            ?? Service(record.Service, "service", context)
            ?? Required(record.Operation, "operation", MaxIdLength)
            ?? Optional(record.CardRef, "card_ref", MaxReferenceLength)
            ?? Optional(record.Member, "member", MaxIdLength)
            ?? Optional(record.Operator, "operator", MaxIdLength)
            ?? Optional(record.Item, "item", MaxReferenceLength)
            ?? JsonObject(record.PayloadJson, "payload_json", emptyIsObject: true)
            ?? (record.AuditSeq < 0 ? QuarantineReasons.Of(QuarantineReasons.MissingField, "audit_seq") : null);
    }

    /// <summary>
    /// An audit entry is kept whatever this says (it is part of the chain); the reason says why the
    /// hub cannot use it: its time or detail cannot be read, or it is a refused service operation
    /// ("service.operation", outcome "refused") that cannot become a refused usage record.
    /// </summary>
    public static string? Audit(AuditRecord entry, RecordContext context)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(context);
        if (ParseLocalTime(entry.LocalTime) is not { } time)
        {
            return QuarantineReasons.Of(QuarantineReasons.ImpossibleTime, "local_time");
        }
        if (Plausible(time, "local_time", context) is { } implausible)
        {
            return implausible;
        }
        if (JsonObject(entry.DetailJson, "detail_json", emptyIsObject: false) is { } badDetail)
        {
            return badDetail;
        }
        if (!AuditRefusals.IsRefusedOperation(entry, out var service, out var operation))
        {
            return null;
        }
        return Service(service, "action", context)
            ?? Required(operation, "action", MaxIdLength)
            ?? (AuditRefusals.ReasonOf(entry.DetailJson) is { Length: > 0 and <= MaxIdLength }
                ? null
                : QuarantineReasons.Of(QuarantineReasons.NoRefusalReason, "detail_json.reason"));
    }

    public static string? Telemetry(TelemetryRecord record, RecordContext context)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(context);
        return Time(record.OccurredAt, "occurred_at", context)
            ?? Required(record.Name, "name", MaxIdLength)
            ?? (double.IsFinite(record.Value) ? null : QuarantineReasons.Of(QuarantineReasons.NotANumber, "value"))
            ?? JsonObject(record.DetailJson, "detail_json", emptyIsObject: true);
    }

    /// <summary>An audit local_time as the edge writes it (ISO 8601 with an offset), or null.</summary>
    public static DateTimeOffset? ParseLocalTime(string? text) =>
        DateTimeOffset.TryParseExact(text, LocalTimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
            ? time
            : null;

    private static string? Time(Timestamp? timestamp, string field, RecordContext context)
    {
        if (timestamp is null)
        {
            return QuarantineReasons.Of(QuarantineReasons.MissingField, field);
        }
        // Outside Timestamp's range (years 1 to 9999) the conversion would throw.
        if (timestamp.Nanos is < 0 or > 999_999_999 || timestamp.Seconds is < MinTimestampSeconds or > MaxTimestampSeconds)
        {
            return QuarantineReasons.Of(QuarantineReasons.ImpossibleTime, field);
        }
        return Plausible(timestamp.ToDateTimeOffset(), field, context);
    }

    private static string? Plausible(DateTimeOffset time, string field, RecordContext context) =>
        time < Earliest || time > context.Now + MaxAhead ? QuarantineReasons.Of(QuarantineReasons.ImpossibleTime, field) : null;

    private static string? Service(string service, string field, RecordContext context)
    {
        if (string.IsNullOrEmpty(service))
        {
            return QuarantineReasons.Of(QuarantineReasons.MissingField, field);
        }
        var wellFormed = service.Length <= ServiceId.MaxLength && service.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');
        return wellFormed && context.IsKnownService(service)
            ? null
            : QuarantineReasons.Of(QuarantineReasons.UnknownService, wellFormed ? service : field);
    }

    private static string? Required(string value, string field, int max) =>
        string.IsNullOrEmpty(value) ? QuarantineReasons.Of(QuarantineReasons.MissingField, field) : Optional(value, field, max);

    private static string? Optional(string value, string field, int max) =>
        value.Length > max ? QuarantineReasons.Of(QuarantineReasons.FieldTooLong, field) : null;

    private static string? JsonObject(string text, string field, bool emptyIsObject)
    {
        if (text.Length == 0 && emptyIsObject)
        {
            return null;
        }
        if (text.Length > SyncLimits.MaxJsonLength)
        {
            return QuarantineReasons.Of(QuarantineReasons.FieldTooLong, field);
        }
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.ValueKind == JsonValueKind.Object ? null : QuarantineReasons.Of(QuarantineReasons.BadJson, field);
        }
        catch (JsonException)
        {
            return QuarantineReasons.Of(QuarantineReasons.BadJson, field);
        }
    }
}

/// <summary>A refused service operation read from an audit entry: what becomes a refused usage record.</summary>
public sealed record RefusedOperation(long Seq, DateTimeOffset OccurredAt, string Service, string Operation, string Reason, bool Offline, bool Training);

/// <summary>
/// The edge audits every refused service operation as action "service.operation", outcome "refused",
/// with the refusal's reason, and also the service, operation and training flag (and "offline" when
/// known), in the detail. The detail's names win over the action's, which the edge builds from the
/// request before it knew whether the names were valid.
/// </summary>
public static class AuditRefusals
{
    public const string RefusedOutcome = "refused";

    /// <summary>Whether the entry is a refused service operation, and which.</summary>
    public static bool IsRefusedOperation(AuditRecord entry, out string service, out string operation)
    {
        ArgumentNullException.ThrowIfNull(entry);
        service = operation = string.Empty;
        var dot = entry.Action.IndexOf('.', StringComparison.Ordinal);
        if (entry.Outcome != RefusedOutcome || dot <= 0)
        {
            return false;
        }
        service = DetailText(entry.DetailJson, "service") ?? entry.Action[..dot];
        operation = DetailText(entry.DetailJson, "operation") ?? entry.Action[(dot + 1)..];
        return true;
    }

    /// <summary>The refused operation of an entry that passed <see cref="RecordChecks.Audit"/>, or null when it is none.</summary>
    public static RefusedOperation? Read(AuditRecord entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (!IsRefusedOperation(entry, out var service, out var operation)
            || RecordChecks.ParseLocalTime(entry.LocalTime) is not { } time
            || ReasonOf(entry.DetailJson) is not { Length: > 0 } reason)
        {
            return null;
        }
        using var document = JsonDocument.Parse(entry.DetailJson);
        return new RefusedOperation(entry.Seq, time, service, operation, reason,
            Flag(document.RootElement, "offline"), Flag(document.RootElement, "training"));
    }

    /// <summary>The detail's "reason" string, or null.</summary>
    public static string? ReasonOf(string detailJson) => DetailText(detailJson, "reason");

    private static string? DetailText(string detailJson, string name)
    {
        try
        {
            using var document = JsonDocument.Parse(detailJson);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty(name, out var value)
                && value.ValueKind == JsonValueKind.String
                ? value.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static bool Flag(JsonElement detail, string name) =>
        detail.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.True;
}
