using CardAp.Shared.Domain;
using System.Text.Json.Nodes;
using CardAp.Edge.Errors;
using CardAp.Edge.Operators;
using CardAp.Edge.Store;
using CardAp.Shared.Services;

namespace CardAp.Edge.Services.Modules;

/// <summary>
/// Shelter reception (避難者受付): checks a resident and the household members with them in and
/// out of an evacuation shelter, against the shelter's capacity (master kind
/// <see cref="ShelterKind"/>). Works fully offline: occupancy comes from this terminal's records.
/// Any identified resident may be received; no registration in a "shelter" service is needed, so
/// residents are told apart by their card reference, not a member number.
/// </summary>
public sealed class ShelterModule : IServiceModule
{
    public const string ServiceId = ShelterSchema.Id;
    public const string CheckinOperation = ShelterSchema.Checkin;
    public const string CheckoutOperation = ShelterSchema.Checkout;
    public const string ShelterKind = MasterKinds.Shelter;

    public const string ShelterField = "shelter";

    /// <summary>Household members arriving with the card holder (not counting the holder); 0 when absent.</summary>
    public const string HouseholdField = "household";

    public const int MaxHousehold = 20;

    private static readonly FieldDefinition Shelter = new(ShelterField, FieldType.Text, Required: true, MaxLength: 32);

    public ServiceSchema Schema => ShelterSchema.Schema;

    public string Id => Schema.Id;

    public string NameEn => Schema.NameEn;

    public string NameJa => Schema.NameJa;

    public IReadOnlyList<OperationDefinition> Operations { get; } = ModuleSupport.Operations(ShelterSchema.Schema, operation => operation.Name switch
    {
        CheckinOperation => OperationDefinition.For(operation, [Roles.ShelterStaff, Roles.SiteAdmin], needsMembership: false,
            fields: [Shelter, new FieldDefinition(HouseholdField, FieldType.Integer, Required: false, MaxLength: 2, Min: 0, Max: MaxHousehold)]),
        CheckoutOperation => OperationDefinition.For(operation, [Roles.ShelterStaff, Roles.SiteAdmin], needsMembership: false,
            fields: [Shelter]),
        _ => null,
    });

    public IReadOnlyList<SettingDefinition> Settings => Schema.Settings;

    public OperationOutcome Execute(OperationContext context) => context.Operation.Name switch
    {
        CheckinOperation => Checkin(context),
        CheckoutOperation => Checkout(context),
        _ => throw new InvalidOperationException($"Shelter reception has no operation '{context.Operation.Name}'."),
    };

    private static OperationOutcome Checkin(OperationContext context)
    {
        var (shelterId, shelter) = FindShelter(context);
        var household = ModuleSupport.OptionalInteger(context, HouseholdField, 0);
        var persons = 1 + household;
        if (CurrentStay(context) is { } stay)
        {
            throw EdgeRefusal.Rule(
                "AlreadyCheckedIn",
                $"This resident is already checked in at shelter {stay.Shelter}: check out there first.",
                $"この方はすでに避難所 {stay.Shelter} に受付済みです。先に退所の手続きをしてください。");
        }
        var occupancy = Occupancy(context.Records, shelterId);
        if (occupancy + persons > shelter.Capacity)
        {
            var free = Math.Max(0, shelter.Capacity - occupancy);
            throw EdgeRefusal.Rule(
                "ShelterFull",
                $"{shelter.DisplayEn(shelterId)} is full: {occupancy} of {shelter.Capacity} places taken, {free} free, this party needs {persons}.",
                $"{shelter.DisplayJa(shelterId)}は満員です（定員 {shelter.Capacity} 人、在所 {occupancy} 人、空き {free} 人、受付 {persons} 人）。");
        }
        occupancy += persons;
        return new OperationOutcome(
            $"Checked in to {shelter.DisplayEn(shelterId)}: {persons} persons. Occupancy {occupancy} of {shelter.Capacity}.",
            $"{shelter.DisplayJa(shelterId)}に {persons} 人を受け付けました。在所 {occupancy} 人／定員 {shelter.Capacity} 人。",
            Item: shelterId,
            Amount: persons,
            Result: Result(shelterId, persons, occupancy, shelter.Capacity),
            Payload: new JsonObject { ["household"] = household });
    }

    private static OperationOutcome Checkout(OperationContext context)
    {
        var (shelterId, shelter) = FindShelter(context);
        if (CurrentStay(context) is not { } stay || stay.Shelter != shelterId)
        {
            throw EdgeRefusal.Rule(
                "NotCheckedIn",
                $"This resident is not checked in at {shelter.DisplayEn(shelterId)}.",
                $"この方は{shelter.DisplayJa(shelterId)}に受付されていません。");
        }
        // The whole party that checked in with this card leaves together.
        var occupancy = Math.Max(0, Occupancy(context.Records, shelterId) - stay.Persons);
        return new OperationOutcome(
            $"Checked out of {shelter.DisplayEn(shelterId)}: {stay.Persons} persons. Occupancy {occupancy} of {shelter.Capacity}.",
            $"{shelter.DisplayJa(shelterId)}から {stay.Persons} 人の退所を受け付けました。在所 {occupancy} 人／定員 {shelter.Capacity} 人。",
            Item: shelterId,
            Amount: stay.Persons,
            Result: Result(shelterId, stay.Persons, occupancy, shelter.Capacity));
    }

    private static Dictionary<string, string> Result(string shelterId, long persons, long occupancy, long capacity) => new()
    {
        ["shelter"] = shelterId,
        ["persons"] = ModuleSupport.Text(persons),
        ["occupancy"] = ModuleSupport.Text(occupancy),
        ["capacity"] = ModuleSupport.Text(capacity),
    };

    private static (string Id, ShelterRow Row) FindShelter(OperationContext context)
    {
        var id = context.Field(ShelterField);
        return ModuleSupport.Master<ShelterRow>(context, ShelterKind, id) is { } row
            ? (id, row)
            : throw EdgeRefusal.Rule(
                "UnknownShelter",
                $"There is no shelter '{id}' in this terminal's master data.",
                $"避難所「{id}」はこの端末のマスタに登録されていません。");
    }

    /// <summary>Persons in the shelter now: checked in minus checked out, training records excluded.</summary>
    internal static long Occupancy(LocalRecords records, string shelterId)
    {
        long occupancy = 0;
        foreach (var record in records.Transactions(ServiceId, item: shelterId))
        {
            occupancy += record.Operation switch
            {
                CheckinOperation => record.Amount ?? 1,
                CheckoutOperation => -(record.Amount ?? 1),
                _ => 0,
            };
        }
        return Math.Max(0, occupancy);
    }

    /// <summary>Where this card is checked in now (its last check-in without a later check-out), if anywhere.</summary>
    private static Stay? CurrentStay(OperationContext context)
    {
        Stay? stay = null;
        foreach (var record in ModuleSupport.CardTransactions(context, ServiceId))
        {
            stay = record.Operation switch
            {
                CheckinOperation when record.Item is { } shelter => new Stay(shelter, record.Amount ?? 1),
                CheckoutOperation => null,
                _ => stay,
            };
        }
        return stay;
    }

    private sealed record Stay(string Shelter, long Persons);
}

/// <summary>An evacuation shelter (master kind "shelter", key = shelter id).</summary>
public sealed record ShelterRow(long Capacity, string? NameJa = null, string? NameEn = null)
{
    internal string DisplayEn(string id) => string.IsNullOrEmpty(NameEn) ? $"shelter {id}" : NameEn;

    internal string DisplayJa(string id) => string.IsNullOrEmpty(NameJa) ? $"避難所 {id} " : NameJa;
}
