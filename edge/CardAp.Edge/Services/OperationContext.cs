using System.Globalization;
using System.Text.Json.Nodes;
using CardAp.Card.Verification;
using CardAp.Edge.Store;

namespace CardAp.Edge.Services;

/// <summary>Everything a module needs to decide one operation; the pipeline has already checked the rest.</summary>
public sealed record OperationContext(
    IServiceModule Service,
    OperationDefinition Operation,
    CardIdentity Resident,
    string? Member,
    IReadOnlyDictionary<string, string> Fields,
    ServiceSettings Settings,
    DateTimeOffset Now,
    bool Online,
    bool Training,
    string? OperatorId,
    LocalRecords Records,
    MasterData Master)
{
    /// <summary>The resident's reference for records: card number, or JPKI certificate serial.</summary>
    public string CardRef => Resident.CardNumber?.Value ?? Resident.CertificateSerial ?? string.Empty;

    public string Field(string name) => Fields[name];

    public string? OptionalField(string name) => Fields.GetValueOrDefault(name);

    public long IntegerField(string name) => long.Parse(Fields[name], NumberStyles.Integer, CultureInfo.InvariantCulture);
}

/// <summary>What a module decided to record, and what to tell the front-end.</summary>
public sealed record OperationOutcome(
    string MessageEn,
    string MessageJa,
    string? Item = null,
    long? Amount = null,
    IReadOnlyDictionary<string, string>? Result = null,
    JsonObject? Payload = null);

/// <summary>A service's effective settings: tuned values from master data over the module's defaults.</summary>
public sealed class ServiceSettings(IReadOnlyDictionary<string, string> values)
{
    public string this[string name] => values[name];

    public long Integer(string name) => long.Parse(values[name], NumberStyles.Integer, CultureInfo.InvariantCulture);

    public IReadOnlyDictionary<string, string> Values => values;
}
