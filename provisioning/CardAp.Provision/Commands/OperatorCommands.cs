using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using CardAp.Card.Application;
using CardAp.Card.Issuing;
using CardAp.Provision.Cards;
using CardAp.Provision.Cli;
using CardAp.Shared.Domain;

namespace CardAp.Provision.Commands;

/// <summary>
/// `operator`: staff members' operator identification cards (操作者識別カード). Issuing writes the
/// CardAp application with an operator record (id and role) to a card through a PC/SC reader, then
/// records the operator at the hub; revoking sets the operator's standing to revoked, which every
/// terminal checks at sign-in.
/// </summary>
public static class OperatorCommands
{
    public static Command Create(HubOptions hub, ReaderOptions reader)
    {
        return new Command("operator", "Operators (staff): issue operator identification cards (操作者識別カード) and revoke operators.")
        {
            Issue(hub, reader),
            Revoke(hub),
        };
    }

    private static Command Issue(HubOptions hub, ReaderOptions reader)
    {
        var municipality = CommonOptions.Municipality();
        var id = new Option<string>("--id") { Description = "The operator id printed on the card, e.g. staff-001.", Required = true };
        var role = new Option<string>("--role") { Description = $"The operator's role: {string.Join(", ", OperatorRoles.All.Order(StringComparer.Ordinal))}.", Required = true };
        var card = CardCommands.CardOption("The card number to give the operator card, e.g. OP-0001.");
        var expires = new Option<string?>("--expires") { Description = "The last day the card is valid (yyyy-MM-dd); default a year from today." };
        var name = new Option<string?>("--name") { Description = "The staff member's name, for the hub's operator list (never written to the card)." };
        var keys = IssuingKeys.KeysFolder();
        var pinFile = PinInput.PinFile();
        var command = new Command("issue", "Issues an operator identification card (操作者識別カード) in the reader: the CardAp application with the operator's id and role, signed with the municipality's issuing key, and the operator's PIN; then records the operator at the hub as active. Safe to run again.\n" +
            "Example: cardap-provision operator issue --municipality 131016 --id staff-001 --role librarian --card OP-0001 --keys /secure/keys --pin-file pin.txt --hub https://hub:5001")
        {
            municipality, id, role, card, expires, name, keys, pinFile, reader.Reader,
        };
        CardCommands.AddHub(command, hub);
        command.SetAction((result, cancellationToken) => CommonOptions.Context(result).RunAsync(async () =>
        {
            var code = CaCommands.ParseMunicipality(result.GetValue(municipality));
            var operatorId = ParseOperator(result.GetValue(id));
            var roleText = result.GetValue(role);
            if (roleText is null || !OperatorRoles.All.Contains(roleText))
            {
                var known = string.Join(", ", OperatorRoles.All.Order(StringComparer.Ordinal));
                throw ProvisionException.Refused("UnknownRole", $"--role '{roleText}' is not a role terminals know; use one of {known}.",
                    $"--role '{roleText}' は端末で使用できる権限ではありません。次のいずれかを指定してください: {known}");
            }
            var operatorRole = OperatorRole.Parse(roleText);
            var number = CardSteps.ParseCard(result.GetValue(card));
            var today = CardDates.TodayInJapan(TimeProvider.System);
            var expiresOn = CardSteps.ParseDate(result.GetValue(expires), "--expires") ?? today.AddYears(1);
            if (expiresOn < today)
            {
                throw ProvisionException.Refused("BadDate", $"--expires {expiresOn:yyyy-MM-dd} is in the past.", $"--expires {expiresOn:yyyy-MM-dd} は過去の日付です。");
            }
            var passphrase = CaCommands.Passphrase(result);
            var pin = PinInput.Read(result.GetValue(pinFile), ("The operator's PIN (4 digits)", "操作者の暗証番号（4桁）"));
            using var key = IssuingKeys.Open(result.GetValue(keys)!, code, passphrase);
            var (channel, admin) = hub.Connect(result, passphrase);
            using (channel)
            {
                var records = new HubCardRecords(admin, code, cancellationToken);
                await records.RequireIssuerKeyAsync(key.PublicKey);
                if ((string?)(await records.GetAsync(MasterKinds.OperatorStatus, operatorId.Value))?["status"] is { } standing && standing != HubCardRecords.Active)
                {
                    throw ProvisionException.Refused("OperatorRevoked",
                        $"Operator {operatorId} is {standing} at the hub; an operator id is not given a card again. Use a new operator id. Nothing was changed.",
                        $"操作者 {operatorId} はハブで {standing} です。この操作者IDにはカードを再発行できません。新しい操作者IDを使用してください。変更は行われていません。");
                }
                if (await records.CardStatusAsync(number) == HubCardRecords.Revoked)
                {
                    throw ProvisionException.Refused("CardRevoked",
                        $"Card number {number} of {code} is revoked at the hub; it is not used again. Give the card a new number. Nothing was changed.",
                        $"カード番号 {number}（{code}）はハブで廃止済みのため再使用できません。新しいカード番号を指定してください。変更は行われていません。");
                }
                var known = await records.GetAsync(MasterKinds.Operator, operatorId.Value);
                if ((string?)known?["cardNumber"] is { } held && held != number.Value
                    && await records.CardStatusAsync(CardNumber.Parse(held)) != HubCardRecords.Revoked)
                {
                    throw ProvisionException.Refused("OperatorHasCard",
                        $"Operator {operatorId} holds card {held}. Revoke it first (`card revoke --municipality {code} --card {held}`, e.g. when it was lost), then issue the new card. Nothing was changed.",
                        $"操作者 {operatorId} はカード {held} を保有しています。先にそのカードを廃止（`card revoke --municipality {code} --card {held}`）してから新しいカードを発行してください。変更は行われていません。");
                }

                using var inReader = reader.Open(result);
                var contents = CardSteps.Check(inReader, () => CardContents.Read(inReader.Transport, key.PublicKey));
                contents.RequireMunicipality(code);
                var record = new OperatorRecord(operatorId, operatorRole);
                var header = new CardHeader(code, number, today, expiresOn, CardKind.Operator, record);
                var issuedNow = !contents.IsIssued;
                if (!issuedNow)
                {
                    var onCard = contents.Header!;
                    if (onCard.CardNumber != number)
                    {
                        throw CardErrors.NotOurCard("CardIssuedToOther",
                            $"The card in the reader is issued already, as card {onCard.CardNumber}. A card is issued once: use a blank card for {number}.",
                            $"リーダーのカードはカード番号 {onCard.CardNumber} として発行済みです。{number} には未発行のカードを使用してください。");
                    }
                    header = contents.RequireIssued(code, number, CardKind.Operator);
                    if (header.Operator != record)
                    {
                        throw CardErrors.NotOurCard("OtherOperator",
                            $"Card {number} is issued already to operator {header.Operator!.Id} ({header.Operator.Role}), not {operatorId} ({operatorRole}). An operator card is issued once: use a blank card.",
                            $"カード {number} は操作者 {header.Operator!.Id}（{header.Operator.Role}）に発行済みです（指定: {operatorId}、{operatorRole}）。未発行のカードを使用してください。");
                    }
                }
                else
                {
                    CardSteps.Write(inReader, () => new CardIssuer(key).Issue(inReader.Transport, header, pin));
                }

                var hubChanges = await CardSteps.HubAfterCardAsync(async () =>
                {
                    var row = new JsonObject
                    {
                        ["operatorId"] = operatorId.Value,
                        ["role"] = operatorRole.Value,
                        ["cardNumber"] = number.Value,
                        ["issuedOn"] = header.IssuedOn.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                        ["expiresOn"] = header.ExpiresOn.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                        ["status"] = HubCardRecords.Active,
                        ["name"] = result.GetValue(name) ?? (string?)known?["name"] ?? string.Empty,
                    };
                    var changes = await records.PutAsync(MasterKinds.Operator, operatorId.Value, row) ? 1 : 0;
                    changes += await records.PutAsync(MasterKinds.OperatorStatus, operatorId.Value,
                        new JsonObject { ["operatorId"] = operatorId.Value, ["status"] = HubCardRecords.Active }) ? 1 : 0;
                    return changes;
                });
                return new CommandResult(
                [
                    $"Operator card {number} of {code} {(issuedNow ? "issued" : "was issued already")} for {operatorId} ({operatorRole}) in {inReader.ReaderName}, valid until {header.ExpiresOn:yyyy-MM-dd}; hub rows changed: {hubChanges}.",
                    $"操作者識別カード {number}（{code}）を操作者 {operatorId}（{operatorRole}）に{(issuedNow ? "発行しました" : "発行済みです")}（{inReader.ReaderName}、有効期限 {header.ExpiresOn:yyyy-MM-dd}）。ハブの更新: {hubChanges}件",
                ], new JsonObject
                {
                    ["municipality"] = code.Value,
                    ["operator"] = operatorId.Value,
                    ["role"] = operatorRole.Value,
                    ["card"] = number.Value,
                    ["reader"] = inReader.ReaderName,
                    ["expiresOn"] = header.ExpiresOn.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                    ["cardIssued"] = issuedNow,
                    ["hubChanges"] = hubChanges,
                });
            }
        }));
        return command;
    }

    private static Command Revoke(HubOptions hub)
    {
        var municipality = CommonOptions.Municipality();
        var id = new Option<string>("--id") { Description = "The operator id, e.g. staff-001.", Required = true };
        var reason = new Option<string?>("--reason") { Description = "Why, for the hub's records (e.g. transferred, card lost)." };
        var command = new Command("revoke", "Revokes an operator (transfer, leaving, lost card): every terminal refuses the operator's sign-in from its next sync, whatever card they hold. There is no way back; a returning staff member gets a new operator id.\n" +
            "Example: cardap-provision operator revoke --municipality 131016 --id staff-001 --reason 異動 --hub https://hub:5001")
        {
            municipality, id, reason,
        };
        CardCommands.AddHub(command, hub);
        command.SetAction((result, cancellationToken) => CommonOptions.Context(result).RunAsync(async () =>
        {
            var code = CaCommands.ParseMunicipality(result.GetValue(municipality));
            var operatorId = ParseOperator(result.GetValue(id));
            var (channel, admin) = hub.Connect(result, CaCommands.Passphrase(result));
            using (channel)
            {
                var records = new HubCardRecords(admin, code, cancellationToken);
                var standing = new JsonObject { ["operatorId"] = operatorId.Value, ["status"] = HubCardRecords.Revoked };
                if (result.GetValue(reason) is { Length: > 0 } why)
                {
                    standing["reason"] = why.Trim();
                }
                var current = await records.GetAsync(MasterKinds.OperatorStatus, operatorId.Value);
                // A second revoke keeps the first one's reason: the record shows why it happened.
                var changes = (string?)current?["status"] == HubCardRecords.Revoked ? 0
                    : await records.PutAsync(MasterKinds.OperatorStatus, operatorId.Value, standing) ? 1 : 0;
                if (await records.GetAsync(MasterKinds.Operator, operatorId.Value) is { } row && (string?)row["status"] != HubCardRecords.Revoked)
                {
                    row["status"] = HubCardRecords.Revoked;
                    changes += await records.PutAsync(MasterKinds.Operator, operatorId.Value, row) ? 1 : 0;
                }
                return new CommandResult(
                [
                    $"Operator {operatorId} of {code} is revoked{(changes == 0 ? " (it was already)" : string.Empty)}; terminals refuse the operator's sign-in from their next sync.",
                    $"操作者 {operatorId}（{code}）を失効させました{(changes == 0 ? "（変更なし）" : string.Empty)}。各端末では次回の同期以降サインインできません。",
                ], new JsonObject { ["municipality"] = code.Value, ["operator"] = operatorId.Value, ["status"] = HubCardRecords.Revoked, ["hubChanges"] = changes });
            }
        }));
        return command;
    }

    private static OperatorId ParseOperator(string? text)
    {
        try
        {
            return OperatorId.Parse(text ?? string.Empty);
        }
        catch (FormatException)
        {
            throw ProvisionException.Refused("BadOperatorId", $"--id '{text}': an operator id is 1 to {OperatorId.MaxLength} ASCII letters, digits and '-', e.g. staff-001.",
                $"--id '{text}': 操作者IDは英数字と「-」で{OperatorId.MaxLength}文字以内です（例: staff-001）。");
        }
    }
}
