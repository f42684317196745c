using System.Text.Json.Nodes;
using CardAp.Card.Application;
using CardAp.Edge.Store;
using CardAp.Shared.Domain;
using CardAp.VirtualCard;
using CardAp.VirtualCard.Issuance;

namespace CardAp.Edge.Tests.Integration;

/// <summary>
/// A municipality with staff and residents as virtual cards, and the master data a terminal of
/// it holds: issuing key, JPKI anchor, card-status list, operator standing, shelters, hours,
/// seal registrations, a municipality-defined check-up service and tuning.
/// </summary>
public sealed class EdgeWorld : IDisposable
{
    public const string OperatorReader = "Virtual PCD 00 00";
    public const string ResidentReader = "Virtual PCD 00 01";
    public const string ResidentPin = "1234";

    /// <summary>Wednesday 2026-11-25 10:00 in Japan: a normal working day.</summary>
    public static readonly DateTimeOffset WorkingDay = new(2026, 11, 25, 10, 0, 0, TimeSpan.FromHours(9));

    private static readonly DateOnly Issued = new(2026, 4, 1);
    private static readonly DateOnly Expires = new(2031, 3, 31);

    public MunicipalityFixture Town { get; } = new();

    public VirtualSmartCard Operator(string id, string role, string pin = "1111", string? cardNumber = null) =>
        VirtualCards.Issue(Town.IssuingKey, new CardHeader(MunicipalityFixture.Chiyoda, CardNumber.Parse(cardNumber ?? "OP-" + id), Issued, Expires,
            CardKind.Operator, new OperatorRecord(OperatorId.Parse(id), OperatorRole.Parse(role))), pin);

    /// <summary>A resident registered for library, points, seal and shelter with member numbers derived from the card number.</summary>
    public VirtualSmartCard Resident(string cardNumber, bool withServices = true) =>
        VirtualCards.Issue(Town.IssuingKey, new CardHeader(MunicipalityFixture.Chiyoda, CardNumber.Parse(cardNumber), Issued, Expires), ResidentPin,
            withServices
                ? [Service("library", "L" + cardNumber), Service("points", "P" + cardNumber), Service("seal", "S" + cardNumber)]
                : []);

    private static ServiceRegistration Service(string id, string member) =>
        new(ServiceId.Parse(id), MemberNumber.Parse(member), ServiceStatus.Active, Issued);

    public IReadOnlyList<MasterChange> MasterData() =>
    [
        Upsert("issuerKey", Town.IssuingKey.Reference.ToString(), new JsonObject
        {
            ["reference"] = Town.IssuingKey.Reference.ToString(),
            ["publicKey"] = Convert.ToBase64String(Town.IssuingKey.PublicKey.SubjectPublicKeyInfo),
        }),
        Upsert("jpkiAnchor", "test-ca", new JsonObject { ["certificate"] = Convert.ToBase64String(Town.Jpki.CaCertificate.RawData) }),
        Upsert("operatorStatus", "staff-9", new JsonObject { ["operatorId"] = "staff-9", ["status"] = "revoked" }),
        Upsert("cardStatus", "131016/C-SUSP", new JsonObject { ["status"] = "suspended", ["municipality"] = "131016", ["cardNumber"] = "C-SUSP" }),
        Upsert("shelter", "gym-1", new JsonObject { ["capacity"] = 4, ["nameJa"] = "第一体育館", ["nameEn"] = "Gym 1" }),
        Upsert("serviceHours", "library", new JsonObject
        {
            ["service"] = "library",
            ["days"] = new JsonObject
            {
                ["monday"] = new JsonArray("09:00-17:00"), ["tuesday"] = new JsonArray("09:00-17:00"), ["wednesday"] = new JsonArray("09:00-17:00"),
                ["thursday"] = new JsonArray("09:00-17:00"), ["friday"] = new JsonArray("09:00-17:00"), ["saturday"] = new JsonArray("10:00-17:00"),
            },
        }),
        Upsert("closure", "2026-12-29", new JsonObject { ["date"] = "2026-12-29", ["reasonEn"] = "New Year holidays", ["reasonJa"] = "年末年始" }),
        Upsert("service", "library", new JsonObject { ["id"] = "library", ["settings"] = new JsonObject { ["loanLimit"] = "2" } }),
        Upsert("service", "points", new JsonObject { ["id"] = "points", ["settings"] = new JsonObject { ["offlineRedeemLimitPerDay"] = "100" } }),
        Upsert("sealRegistration", "SC-0001", new JsonObject { ["status"] = "registered", ["registeredOn"] = "2020-04-01" }),
        Upsert("attendanceDefinition", "checkup", JsonNode.Parse("""
            {"id":"checkup","nameEn":"Health check-up","nameJa":"健康診断","oncePerDay":true,"needsMembership":false,
             "operations":[{"name":"checkin","roles":["health-staff"],"pinRequired":false,"kioskAllowed":true,"offline":"Allowed",
                            "fields":[{"name":"venue","type":"Text","required":true,"maxLength":32}]}]}
            """)!.AsObject()),
    ];

    private static MasterChange Upsert(string kind, string key, JsonObject payload) => MasterChange.Upsert(kind, key, payload, 1);

    public void Dispose() => Town.Dispose();
}
