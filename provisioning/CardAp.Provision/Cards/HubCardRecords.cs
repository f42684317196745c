using System.Globalization;
using System.Text.Json.Nodes;
using CardAp.Card.Application;
using CardAp.Hub.Api;
using CardAp.Provision.Cli;
using CardAp.Shared.Domain;

namespace CardAp.Provision.Cards;

/// <summary>A resident's registration for one service as the hub keeps it (master kind "registration").</summary>
public sealed record HubRegistration(CardNumber Card, ServiceId Service, MemberNumber Member, ServiceStatus Status, DateOnly RegisteredOn, string Name)
{
    public ServiceRegistration ToCard() => new(Service, Member, Status, RegisteredOn);
}

/// <summary>
/// The hub's master rows about cards and operators, in the formats the edge and the hub's import
/// already use:
/// registration "&lt;card&gt;/&lt;service&gt;" {cardNumber, service, member, status, registeredOn, name};
/// cardStatus "&lt;municipality&gt;/&lt;card&gt;" {status, municipality, cardNumber, reason};
/// operator "&lt;operator id&gt;" {operatorId, role, cardNumber, issuedOn, expiresOn, status, name};
/// operatorStatus "&lt;operator id&gt;" {operatorId, status};
/// jpkiLink "&lt;serial&gt;/&lt;service&gt;" {serial, service, member, status}.
/// Every write is skipped when the hub already holds the same facts, so a re-run changes nothing.
/// </summary>
public sealed class HubCardRecords(Admin.AdminClient admin, MunicipalityCode municipality, CancellationToken cancellationToken)
{
    public const string Active = "active";
    public const string Stopped = "stopped";
    public const string Suspended = "suspended";
    public const string Revoked = "revoked";

    public MunicipalityCode Municipality => municipality;

    public static string CardStatusKey(MunicipalityCode municipality, CardNumber card) => $"{municipality.Value}/{card.Value}";

    public static string RegistrationKey(CardNumber card, ServiceId service) => $"{card.Value}/{service.Value}";

    public static string JpkiLinkKey(string serial, ServiceId service) => $"{serial}/{service.Value}";

    /// <summary>
    /// Refuses an issuing key the hub does not hold as this municipality's: every terminal would
    /// refuse cards it signed as forged.
    /// </summary>
    public async Task RequireIssuerKeyAsync(IssuerPublicKey key)
    {
        var reference = key.Reference.ToString();
        var row = await GetAsync(MasterKinds.IssuerKey, reference);
        if (row is null)
        {
            throw ProvisionException.Refused("IssuerKeyNotAtHub",
                $"The hub has no issuing key {reference} for municipality {municipality}: terminals would refuse cards it signs. Run `municipality create` (or register the key) first. Nothing was changed.",
                $"ハブに市町村 {municipality} の発行鍵 {reference} が登録されていません。この鍵で発行したカードは端末で拒否されます。先に `municipality create` を実行してください。変更は行われていません。");
        }
        if ((string?)row["publicKey"] != Convert.ToBase64String(key.SubjectPublicKeyInfo))
        {
            throw ProvisionException.Refused("IssuerKeyMismatch",
                $"The key file {reference}.key is not the issuing key the hub holds for {municipality}: terminals would refuse cards it signs as forged. Check --keys. Nothing was changed.",
                $"鍵ファイル {reference}.key はハブに登録された市町村 {municipality} の発行鍵と一致しません。この鍵で発行したカードは端末で偽造と判定されます。--keys を確認してください。変更は行われていません。");
        }
    }

    /// <summary>Refuses a card number revoked at the hub: it is never used again.</summary>
    public async Task RefuseRevokedAsync(CardNumber card)
    {
        if (await CardStatusAsync(card) == Revoked)
        {
            throw ProvisionException.Refused("CardRevoked",
                $"Card number {card} of {municipality} is revoked at the hub; it is not used again. Give the card a new number. Nothing was changed.",
                $"カード番号 {card}（{municipality}）はハブで廃止済みのため再使用できません。新しいカード番号を指定してください。変更は行われていません。");
        }
    }

    public async Task<IReadOnlyList<HubRegistration>> RegistrationsAsync(CardNumber card)
    {
        var rows = await ListAsync(MasterKinds.Registration, card.Value + "/");
        var result = new List<HubRegistration>(rows.Count);
        foreach (var (_, payload) in rows)
        {
            try
            {
                result.Add(new HubRegistration(
                    CardNumber.Parse((string)payload["cardNumber"]!),
                    ServiceId.Parse((string)payload["service"]!),
                    MemberNumber.Parse((string)payload["member"]!),
                    (string?)payload["status"] == Stopped ? ServiceStatus.Stopped : ServiceStatus.Active,
                    DateOnly.ParseExact((string)payload["registeredOn"]!, "yyyy-MM-dd", CultureInfo.InvariantCulture),
                    (string?)payload["name"] ?? string.Empty));
            }
            catch (Exception e) when (e is FormatException or ArgumentNullException or InvalidOperationException)
            {
                throw ProvisionException.Refused("BadHubRow",
                    $"The hub's registration row for card {card} is malformed ({e.Message}); correct it at the hub (import or PutMaster) first. Nothing was changed.",
                    $"ハブのカード {card} の登録データが不正です（{e.Message}）。先にハブ側を修正してください。変更は行われていません。", e);
            }
        }
        return result;
    }

    /// <summary>Writes the registration unless the hub holds it already; keeps a name the hub has when none is given.</summary>
    public async Task<bool> PutRegistrationAsync(CardNumber card, ServiceRegistration registration, string? name, HubRegistration? existing)
    {
        var status = registration.Status == ServiceStatus.Active ? Active : Stopped;
        if (existing is not null && existing.Member == registration.Member && existing.Status == registration.Status && (name is null || name == existing.Name))
        {
            return false;
        }
        return await PutAsync(MasterKinds.Registration, RegistrationKey(card, registration.Service), new JsonObject
        {
            ["cardNumber"] = card.Value,
            ["service"] = registration.Service.Value,
            ["member"] = registration.Member.Value,
            ["status"] = status,
            ["registeredOn"] = (existing?.RegisteredOn ?? registration.RegisteredOn).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["name"] = name ?? existing?.Name ?? string.Empty,
        });
    }

    public Task<bool> DeleteRegistrationAsync(CardNumber card, ServiceId service) => DeleteAsync(MasterKinds.Registration, RegistrationKey(card, service));

    /// <summary>"suspended", "revoked", or null for a card in use.</summary>
    public async Task<string?> CardStatusAsync(CardNumber card) =>
        (string?)(await GetAsync(MasterKinds.CardStatus, CardStatusKey(municipality, card)))?["status"];

    public Task<bool> PutCardStatusAsync(CardNumber card, string status, string? reason)
    {
        var payload = new JsonObject { ["status"] = status, ["municipality"] = municipality.Value, ["cardNumber"] = card.Value };
        if (!string.IsNullOrWhiteSpace(reason))
        {
            payload["reason"] = reason.Trim();
        }
        return PutAsync(MasterKinds.CardStatus, CardStatusKey(municipality, card), payload);
    }

    public Task<bool> DeleteCardStatusAsync(CardNumber card) => DeleteAsync(MasterKinds.CardStatus, CardStatusKey(municipality, card));

    /// <summary>One row's payload, or null when the hub has no live row under that key.</summary>
    public async Task<JsonObject?> GetAsync(string kind, string key) =>
        (await ListAsync(kind, key)).FirstOrDefault(r => r.Key == key).Payload;

    /// <summary>Writes a row unless the hub holds exactly these fields already; true when it changed.</summary>
    public async Task<bool> PutAsync(string kind, string key, JsonObject payload)
    {
        var current = await GetAsync(kind, key);
        if (current is not null && JsonNode.DeepEquals(current, payload))
        {
            return false;
        }
        var reply = await admin.PutMasterAsync(new PutMasterRequest { Municipality = municipality.Value, Kind = kind, Key = key, PayloadJson = payload.ToJsonString() },
            cancellationToken: cancellationToken);
        return reply.Changed;
    }

    public async Task<bool> DeleteAsync(string kind, string key) =>
        (await admin.DeleteMasterAsync(new DeleteMasterRequest { Municipality = municipality.Value, Kind = kind, Key = key }, cancellationToken: cancellationToken)).Changed;

    public async Task<IReadOnlyList<(string Key, JsonObject Payload)>> ListAsync(string kind, string keyPrefix = "")
    {
        var reply = await admin.ListMasterAsync(new ListMasterRequest { Municipality = municipality.Value, Kind = kind, KeyPrefix = keyPrefix }, cancellationToken: cancellationToken);
        return [.. reply.Rows.Select(r => (r.Key, JsonNode.Parse(r.PayloadJson) as JsonObject ?? []))];
    }
}
