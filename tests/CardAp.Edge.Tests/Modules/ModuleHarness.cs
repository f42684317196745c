using System.Globalization;
using System.Text.Json.Nodes;
using CardAp.Card.Verification;
using CardAp.Edge.Errors;
using CardAp.Edge.Services;
using CardAp.Edge.Store;
using CardAp.Edge.Tests.Store;
using CardAp.Shared.Domain;

namespace CardAp.Edge.Tests.Modules;

/// <summary>
/// Runs module operations against a real temporary SQLite store, the way the pipeline does:
/// build an <see cref="OperationContext"/>, call the module, record its outcome with an audit entry.
/// </summary>
internal sealed class ModuleHarness : IDisposable
{
    /// <summary>Monday 1 June 2026, 10:00 in Japan.</summary>
    public static readonly DateTimeOffset Morning = new(2026, 6, 1, 10, 0, 0, TimeSpan.FromHours(9));

    private readonly TempStore _store = new();
    private readonly Dictionary<string, string> _settings = new(StringComparer.Ordinal);
    private long _masterVersion;
    private int _requests;

    public LocalRecords Records => _store.Records;

    public MasterData Master => _store.Master;

    public DateTimeOffset Now { get; set; } = Morning;

    public bool Online { get; set; } = true;

    public bool Training { get; set; }

    /// <summary>The card on the reader (its card number is the card reference).</summary>
    public string Card { get; set; } = "C0001";

    public void Setting(IServiceModule module, string name, long value)
    {
        var text = value.ToString(CultureInfo.InvariantCulture);
        var definition = Assert.Single(module.Settings, s => s.Name == name);
        Assert.Null(definition.Validate(text));
        _settings[name] = text;
    }

    public void SetMaster(string kind, string key, JsonObject payload) =>
        Master.Apply([MasterChange.Upsert(kind, key, payload, ++_masterVersion)]);

    public void SetMasterJson(string kind, string key, string json) =>
        Master.Apply([MasterChange.Upsert(kind, key, json, ++_masterVersion)]);

    public static CardIdentity Resident(string card) => new(
        IdentificationMethod.CardAp, MunicipalityCode.Parse("131016"), CardNumber.Parse(card), null,
        new DateOnly(2035, 3, 31), [], null, PinVerified: true);

    public OperationContext Context(IServiceModule module, string operation, string? member, params (string Name, object Value)[] fields)
    {
        var definition = Assert.Single(module.Operations, o => o.Name == operation);
        var values = fields.ToDictionary(f => f.Name, f => Convert.ToString(f.Value, CultureInfo.InvariantCulture)!, StringComparer.Ordinal);
        // What the pipeline's request validation guarantees: known fields, required ones present.
        foreach (var name in values.Keys)
        {
            Assert.Contains(definition.FieldList, f => f.Name == name);
        }
        foreach (var field in definition.FieldList.Where(f => f.Required))
        {
            Assert.True(values.ContainsKey(field.Name), $"test forgot required field {field.Name}");
        }
        var settings = module.Settings.ToDictionary(s => s.Name, s => _settings.GetValueOrDefault(s.Name, s.Default), StringComparer.Ordinal);
        return new OperationContext(module, definition, Resident(Card), definition.NeedsMembership ? member : null, values,
            new ServiceSettings(settings), Now, Online, Training, "OP01", Records, Master);
    }

    /// <summary>Executes and records the outcome, as the pipeline does.</summary>
    public OperationOutcome Run(IServiceModule module, string operation, string? member, params (string Name, object Value)[] fields)
    {
        var context = Context(module, operation, member, fields);
        var outcome = module.Execute(context);
        Record(context, outcome);
        return outcome;
    }

    /// <summary>Executes, expecting a refusal; nothing is recorded.</summary>
    public EdgeRefusal Refused(string reason, IServiceModule module, string operation, string? member, params (string Name, object Value)[] fields)
    {
        var context = Context(module, operation, member, fields);
        var refusal = Assert.Throws<EdgeRefusal>(() => module.Execute(context));
        Assert.Equal(reason, refusal.Reason);
        Assert.False(string.IsNullOrWhiteSpace(refusal.MessageEn));
        Assert.False(string.IsNullOrWhiteSpace(refusal.MessageJa));
        return refusal;
    }

    /// <summary>Records an outcome the way the pipeline does (the module's decision, the context's identity and flags).</summary>
    public StoredTransaction Record(OperationContext context, OperationOutcome outcome)
    {
        var id = "req-" + (++_requests).ToString(CultureInfo.InvariantCulture);
        var transaction = new NewTransaction(id, context.Now, context.Service.Id, context.Operation.Name, context.CardRef, context.Member,
            context.OperatorId, outcome.Item, outcome.Amount, context.Training, outcome.Payload ?? []);
        var audit = new AuditEntry(context.Now, $"{context.Service.Id}.{context.Operation.Name}", AuditEntry.Ok, context.OperatorId, context.CardRef,
            new JsonObject { ["requestId"] = id, ["training"] = context.Training });
        Records.RecordTransaction(transaction, audit);
        return Records.ByRequestId(id)!;
    }

    public void Dispose() => _store.Dispose();
}
