using CardAp.Shared.Domain;
using System.Text.Json.Nodes;
using CardAp.Edge.Errors;
using CardAp.Edge.Operators;
using CardAp.Shared.Services;

namespace CardAp.Edge.Services.Modules;

/// <summary>
/// Seal registration card (印鑑登録証): the card stands in for the paper seal registration card
/// when a resident asks for a seal registration certificate (印鑑登録証明書). The module checks
/// the registration (master kind <see cref="RegistrationKind"/>, key = the resident's member
/// number in this service) and records the request with the number of copies and the fee.
/// </summary>
public sealed class SealModule : IServiceModule
{
    public const string ServiceId = SealSchema.Id;
    public const string RequestCertificateOperation = SealSchema.RequestCertificate;
    public const string RegistrationKind = MasterKinds.SealRegistration;

    public const string CopiesField = "copies";
    public const string FeePerCopySetting = SealSchema.FeePerCopy;

    public const string Registered = SealSchema.RegisteredStatus;
    public const string Abolished = "abolished";
    public const string Suspended = "suspended";

    public ServiceSchema Schema => SealSchema.Schema;

    public string Id => Schema.Id;

    public string NameEn => Schema.NameEn;

    public string NameJa => Schema.NameJa;

    // A PIN guards the request, as the certificate carries legal weight (real estate, contracts)
    // and a kiosk issues it unattended. Why it is OnlineOnly is with its schema.
    public IReadOnlyList<OperationDefinition> Operations { get; } = ModuleSupport.Operations(SealSchema.Schema, operation => operation.Name switch
    {
        RequestCertificateOperation => OperationDefinition.For(operation, [Roles.CounterClerk], pinRequired: true,
            fields: [new FieldDefinition(CopiesField, FieldType.Integer, Required: true, MaxLength: 2, Min: 1, Max: 10)]),
        _ => null,
    });

    public IReadOnlyList<SettingDefinition> Settings => Schema.Settings;

    public OperationOutcome Execute(OperationContext context)
    {
        if (context.Operation.Name != RequestCertificateOperation)
        {
            throw new InvalidOperationException($"Seal registration has no operation '{context.Operation.Name}'.");
        }
        var member = ModuleSupport.RequireMember(context);
        var registration = ModuleSupport.Master<SealRegistrationRow>(context, RegistrationKind, member);
        switch (registration?.Status)
        {
            case Registered:
                break;
            case Abolished:
                throw EdgeRefusal.Rule(
                    "SealRegistrationAbolished",
                    "This seal registration has been abolished; no certificate can be issued. The resident may register a seal again.",
                    "この印鑑登録は廃止されているため、証明書は発行できません。再度の印鑑登録が必要です。");
            case Suspended:
                throw EdgeRefusal.Rule(
                    "SealRegistrationSuspended",
                    "This seal registration is suspended; no certificate can be issued. Please refer the resident to the registration desk.",
                    "この印鑑登録は一時停止中のため、証明書は発行できません。印鑑登録の窓口にご案内ください。");
            case null:
                throw EdgeRefusal.Rule(
                    "SealNotRegistered",
                    "No seal registration is on record for this card.",
                    "このカードには印鑑登録がありません。");
            default:
                throw EdgeRefusal.Rule(
                    "SealNotRegistered",
                    $"This card's seal registration has status '{registration.Status}', which is not a valid registration.",
                    $"このカードの印鑑登録の状態（{registration.Status}）は有効な登録ではありません。");
        }
        var copies = context.IntegerField(CopiesField);
        var fee = copies * context.Settings.Integer(FeePerCopySetting);
        var payload = new JsonObject { ["fee"] = fee };
        if (registration.RegisteredOn is { } registeredOn)
        {
            payload["registeredOn"] = registeredOn;
        }
        return new OperationOutcome(
            $"Seal registration certificate requested: {copies} copies, fee {fee} yen.",
            $"印鑑登録証明書 {copies} 通の交付申請を受け付けました。手数料は {fee} 円です。",
            Amount: copies,
            Result: new Dictionary<string, string>
            {
                ["copies"] = ModuleSupport.Text(copies),
                ["fee"] = ModuleSupport.Text(fee),
                ["registeredOn"] = registration.RegisteredOn ?? string.Empty,
            },
            Payload: payload);
    }
}

/// <summary>A seal registration (master kind "sealRegistration", key = member number in "seal").</summary>
public sealed record SealRegistrationRow(string Status, string? RegisteredOn = null);
