using CardAp.Shared.Hours;
using System.Globalization;
using System.Text.Json.Nodes;
using CardAp.Edge.Errors;
using CardAp.Shared.Services;

namespace CardAp.Edge.Services.Modules;

/// <summary>
/// A check-in service built from an <see cref="AttendanceDefinition"/> in master data: each
/// operation records that the resident attended, with the definition's fields. With
/// <see cref="AttendanceDefinition.OncePerDay"/> a resident is received once per operation per
/// Japan day.
/// </summary>
public sealed class AttendanceModule(AttendanceDefinition definition) : IServiceModule
{
    public AttendanceDefinition Definition { get; } = definition;

    public ServiceSchema Schema { get; } = definition.Schema;

    public string Id => Definition.Id;

    public string NameEn => Definition.NameEn;

    public string NameJa => Definition.NameJa;

    public IReadOnlyList<OperationDefinition> Operations => Definition.Operations;

    public IReadOnlyList<SettingDefinition> Settings => Schema.Settings;

    public OperationOutcome Execute(OperationContext context)
    {
        var operation = Definition.Operations.FirstOrDefault(o => o.Name == context.Operation.Name)
            ?? throw new InvalidOperationException($"{Definition.Id} has no operation '{context.Operation.Name}'.");
        if (operation.NeedsMembership)
        {
            ModuleSupport.RequireMember(context);
        }
        var at = JapanTime.ToJapan(context.Now);
        if (Definition.OncePerDay)
        {
            var since = JapanTime.StartOfDay(context.Now);
            var earlier = ModuleSupport.ResidentTransactions(context, Definition.Id, since)
                .Where(t => t.Operation == operation.Name)
                .MinBy(t => t.Seq);
            if (earlier is not null)
            {
                var first = JapanTime.ToJapan(earlier.LocalTime).ToString("HH:mm", CultureInfo.InvariantCulture);
                throw EdgeRefusal.Rule(
                    "AlreadyCheckedInToday",
                    $"This resident was already received for {NameEn} ({operation.Name}) today at {first}.",
                    $"この方は本日 {first} に{NameJa}（{operation.Name}）の受付済みです。");
            }
        }
        var payload = new JsonObject();
        foreach (var field in operation.FieldList)
        {
            if (ModuleSupport.Optional(context, field.Name) is { } value)
            {
                payload[field.Name] = field.Type == FieldType.Integer
                    ? JsonValue.Create(long.Parse(value, NumberStyles.Integer, CultureInfo.InvariantCulture))
                    : JsonValue.Create(value);
            }
        }
        var time = at.ToString("HH:mm", CultureInfo.InvariantCulture);
        return new OperationOutcome(
            $"{NameEn}: {operation.Name} recorded at {time}.",
            $"{NameJa}：{operation.Name} を {time} に受け付けました。",
            Result: new Dictionary<string, string>
            {
                ["service"] = Definition.Id,
                ["operation"] = operation.Name,
                ["at"] = at.ToString("yyyy-MM-dd'T'HH:mm:ssK", CultureInfo.InvariantCulture),
            },
            Payload: payload);
    }
}
