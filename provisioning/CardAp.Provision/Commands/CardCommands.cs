using System.CommandLine;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using CardAp.Card.Application;
using CardAp.Card.Issuing;
using CardAp.Card.Iso7816;
using CardAp.Card.Jpki;
using CardAp.Hub.Api;
using CardAp.Provision.Cards;
using CardAp.Provision.Cli;
using CardAp.Shared.Domain;

namespace CardAp.Provision.Commands;

/// <summary>
/// `card`: residents' cards. The CardAp application in the card's free area is written with the
/// municipality's issuing key through a PC/SC reader, and the hub learns the member numbers; card
/// status (suspend, resume, revoke) and JPKI links are hub rows the terminals sync. Every command
/// checks first, writes the card, then the hub, and may be run again to finish what a cut-off run
/// started (docs/provisioning.md, "Cards and operators").
/// </summary>
public static class CardCommands
{
    public static Command Create(HubOptions hub, ReaderOptions reader)
    {
        return new Command("card", "Residents' cards: issue the CardAp application, add and remove services, reset the PIN, suspend, resume and revoke, link a JPKI certificate, transfer to another municipality.")
        {
            Issue(hub, reader),
            AddService(hub, reader),
            RemoveService(hub, reader),
            ResetPin(reader),
            Status(hub, "suspend", HubCardRecords.Suspended),
            Status(hub, "resume", null),
            Status(hub, "revoke", HubCardRecords.Revoked),
            LinkJpki(hub, reader),
            Transfer(hub, reader),
        };
    }

    private static Command Issue(HubOptions hub, ReaderOptions reader)
    {
        var municipality = CommonOptions.Municipality();
        var card = CardOption("The card number (カード番号) to give the card, e.g. C-000123.");
        var services = new Option<string[]>("--service") { Description = "A service to register, as <service>=<member number>, e.g. library=L-0001 (repeat for more).", AllowMultipleArgumentsPerToken = true };
        var expires = new Option<string?>("--expires") { Description = "The last day the card is valid (yyyy-MM-dd); default five years from today, less a day." };
        var name = new Option<string?>("--name") { Description = "The resident's name for the hub's registration rows (kept at the hub only, never written to the card or sent to terminals)." };
        var keys = IssuingKeys.KeysFolder();
        var pinFile = PinInput.PinFile();
        var command = new Command("issue", "Issues a resident's card: writes the CardAp application (card key, header, PIN, certificate signed with the municipality's issuing key) and the services to the card in the reader, then registers the member numbers at the hub. Run it again after any failure: it finishes the card and the hub, and changes nothing once both are done.\n" +
            "Example: cardap-provision card issue --municipality 131016 --card C-000123 --service library=L-0001 --keys /secure/keys --pin-file pin.txt --reader \"Virtual PCD 00 00\" --hub https://hub:5001")
        {
            municipality, card, services, expires, name, keys, pinFile, reader.Reader,
        };
        AddHub(command, hub);
        command.SetAction((result, cancellationToken) => CommonOptions.Context(result).RunAsync(async () =>
        {
            var code = CaCommands.ParseMunicipality(result.GetValue(municipality));
            var number = CardSteps.ParseCard(result.GetValue(card));
            var requested = CardSteps.ParseServiceMembers(result.GetValue(services) ?? []);
            var today = CardDates.TodayInJapan(TimeProvider.System);
            var expiresOn = CardSteps.ParseDate(result.GetValue(expires), "--expires") ?? today.AddYears(5).AddDays(-1);
            if (expiresOn < today)
            {
                throw ProvisionException.Refused("BadDate", $"--expires {expiresOn:yyyy-MM-dd} is in the past.", $"--expires {expiresOn:yyyy-MM-dd} は過去の日付です。");
            }
            var pin = PinInput.Read(result.GetValue(pinFile), ("The card's new PIN (4 digits)", "カードの暗証番号（4桁）"));
            using var work = await ResidentCardWork.OpenAsync(result, hub, reader, result.GetValue(keys)!, code, number, refuseRevoked: true, cancellationToken);
            IReadOnlyList<ServiceRegistration> current = [];
            var header = new CardHeader(code, number, today, expiresOn);
            if (work.Contents.IsIssued)
            {
                if (work.Contents.Header!.CardNumber != number)
                {
                    throw ProvisionException.Refused("CardIssuedToOther",
                        $"The card in the reader is issued already, as card {work.Contents.Header.CardNumber}. A card is issued once: use a blank card for {number}, or work on card {work.Contents.Header.CardNumber} under its own number. Nothing was changed.",
                        $"リーダーのカードはカード番号 {work.Contents.Header.CardNumber} として発行済みです。{number} には未発行のカードを使用してください。変更は行われていません。");
                }
                header = work.Contents.RequireIssued(code, number, CardKind.Resident);
                current = CardSteps.CurrentServices(work.Contents, work.AtHub);
            }
            var desired = CardSteps.WithServices(number, current, requested, work.AtHub, today);

            var issuer = work.Issuer;
            var issuedNow = !work.Contents.IsIssued;
            var servicesWritten = issuedNow ? desired.Count > 0 : !CardSteps.SameServices(work.Contents.Services, desired);
            CardSteps.Write(work.InReader, () =>
            {
                if (issuedNow)
                {
                    issuer.Issue(work.InReader.Transport, header, pin);
                }
                if (servicesWritten)
                {
                    issuer.ReplaceServices(work.InReader.Transport, desired);
                }
            });
            var hubChanges = await CardSteps.HubAfterCardAsync(() => PutRegistrationsAsync(work.Records, number, desired, requested, work.AtHub, result.GetValue(name)));

            var state = issuedNow ? "issued" : servicesWritten ? "updated" : "already as asked";
            var stateJa = issuedNow ? "発行しました" : servicesWritten ? "更新しました" : "既に指定どおりです";
            return new CommandResult(
            [
                $"Card {number} of {code} {state} in {work.InReader.ReaderName} (valid until {header.ExpiresOn:yyyy-MM-dd}); services on the card: {Describe(desired)}; hub rows changed: {hubChanges}.",
                $"カード {number}（{code}）を{stateJa}（{work.InReader.ReaderName}、有効期限 {header.ExpiresOn:yyyy-MM-dd}）。カードのサービス: {Describe(desired)}。ハブの更新: {hubChanges}件",
            ], new JsonObject
            {
                ["municipality"] = code.Value,
                ["card"] = number.Value,
                ["reader"] = work.InReader.ReaderName,
                ["issuer"] = work.Key.Reference.ToString(),
                ["expiresOn"] = header.ExpiresOn.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
                ["cardIssued"] = issuedNow,
                ["cardWritten"] = issuedNow || servicesWritten,
                ["services"] = ServicesJson(desired),
                ["hubChanges"] = hubChanges,
            });
        }));
        return command;
    }

    private static Command AddService(HubOptions hub, ReaderOptions reader)
    {
        var municipality = CommonOptions.Municipality();
        var card = CardOption("The card number of the card in the reader (refused if the card carries another).");
        var services = new Option<string[]>("--service") { Description = "A service to register, as <service>=<member number>, e.g. library=L-0001 (repeat for more).", Required = true, AllowMultipleArgumentsPerToken = true };
        var name = new Option<string?>("--name") { Description = "The resident's name for the hub's registration rows (kept at the hub only)." };
        var keys = IssuingKeys.KeysFolder();
        var command = new Command("add-service", "Registers an issued card for more services: writes them to the card, then registers the member numbers at the hub. Safe to run again.\n" +
            "Example: cardap-provision card add-service --municipality 131016 --card C-000123 --service shelter=S-0042 --keys /secure/keys --hub https://hub:5001")
        {
            municipality, card, services, name, keys, reader.Reader,
        };
        AddHub(command, hub);
        command.SetAction((result, cancellationToken) => CommonOptions.Context(result).RunAsync(async () =>
        {
            var code = CaCommands.ParseMunicipality(result.GetValue(municipality));
            var number = CardSteps.ParseCard(result.GetValue(card));
            var requested = CardSteps.ParseServiceMembers(result.GetValue(services) ?? []);
            using var work = await ResidentCardWork.OpenAsync(result, hub, reader, result.GetValue(keys)!, code, number, refuseRevoked: true, cancellationToken);
            work.Contents.RequireIssued(code, number, CardKind.Resident);
            var desired = CardSteps.WithServices(number, CardSteps.CurrentServices(work.Contents, work.AtHub), requested, work.AtHub, CardDates.TodayInJapan(TimeProvider.System));
            var written = WriteServices(work, desired);
            var hubChanges = await CardSteps.HubAfterCardAsync(() => PutRegistrationsAsync(work.Records, number, desired, requested, work.AtHub, result.GetValue(name)));
            return ServicesResult(work, code, number, written, desired, hubChanges,
                $"Card {number} of {code}: {(written ? "services written" : "the card carried them already")}; services on the card: {Describe(desired)}; hub rows changed: {hubChanges}.",
                $"カード {number}（{code}）: {(written ? "サービスを書き込みました" : "カードには既に書き込まれています")}。カードのサービス: {Describe(desired)}。ハブの更新: {hubChanges}件");
        }));
        return command;
    }

    private static Command RemoveService(HubOptions hub, ReaderOptions reader)
    {
        var municipality = CommonOptions.Municipality();
        var card = CardOption("The card number of the card in the reader (refused if the card carries another).");
        var services = new Option<string[]>("--service") { Description = "A service to erase (抹消), e.g. library (repeat for more).", Required = true, AllowMultipleArgumentsPerToken = true };
        var keys = IssuingKeys.KeysFolder();
        var command = new Command("remove-service", "Cancels a resident's use of services (抹消): erases their entries from the card, then removes the registrations at the hub. Safe to run again.\n" +
            "Example: cardap-provision card remove-service --municipality 131016 --card C-000123 --service library --keys /secure/keys --hub https://hub:5001")
        {
            municipality, card, services, keys, reader.Reader,
        };
        AddHub(command, hub);
        command.SetAction((result, cancellationToken) => CommonOptions.Context(result).RunAsync(async () =>
        {
            var code = CaCommands.ParseMunicipality(result.GetValue(municipality));
            var number = CardSteps.ParseCard(result.GetValue(card));
            var removed = (result.GetValue(services) ?? []).Select(CardSteps.ParseService).Distinct().ToList();
            using var work = await ResidentCardWork.OpenAsync(result, hub, reader, result.GetValue(keys)!, code, number, refuseRevoked: false, cancellationToken);
            work.Contents.RequireIssued(code, number, CardKind.Resident);
            var desired = CardSteps.CurrentServices(work.Contents, work.AtHub).Where(s => !removed.Contains(s.Service)).ToList();
            var written = WriteServices(work, desired);
            var hubChanges = await CardSteps.HubAfterCardAsync(async () =>
            {
                var changed = 0;
                foreach (var service in removed.Where(s => work.AtHub.Any(h => h.Service == s)))
                {
                    changed += await work.Records.DeleteRegistrationAsync(number, service) ? 1 : 0;
                }
                return changed;
            });
            var names = string.Join(", ", removed);
            return ServicesResult(work, code, number, written, desired, hubChanges,
                $"Card {number} of {code}: {names} {(written ? "erased from the card" : "not on the card (nothing to erase)")}; hub registrations removed: {hubChanges}; services left on the card: {Describe(desired)}.",
                $"カード {number}（{code}）: {names} を{(written ? "カードから抹消しました" : "カードに登録がないため抹消不要です")}。ハブの登録削除: {hubChanges}件。カードのサービス: {Describe(desired)}");
        }));
        return command;
    }

    /// <summary>Writes <paramref name="desired"/> as the card's services unless it carries them already; true when written.</summary>
    private static bool WriteServices(ResidentCardWork work, IReadOnlyList<ServiceRegistration> desired)
    {
        if (CardSteps.SameServices(work.Contents.Services, desired))
        {
            return false;
        }
        CardSteps.Write(work.InReader, () => work.Issuer.ReplaceServices(work.InReader.Transport, desired));
        return true;
    }

    private static CommandResult ServicesResult(ResidentCardWork work, MunicipalityCode code, CardNumber number, bool written,
        IReadOnlyList<ServiceRegistration> desired, int hubChanges, string english, string japanese) =>
        new([english, japanese], new JsonObject
        {
            ["municipality"] = code.Value,
            ["card"] = number.Value,
            ["reader"] = work.InReader.ReaderName,
            ["cardWritten"] = written,
            ["services"] = ServicesJson(desired),
            ["hubChanges"] = hubChanges,
        });

    private static Command ResetPin(ReaderOptions reader)
    {
        var municipality = CommonOptions.Municipality();
        var card = CardOption("The card number of the card in the reader (refused if the card carries another).");
        var keys = IssuingKeys.KeysFolder();
        var pinFile = PinInput.PinFile();
        var command = new Command("reset-pin", "Sets a new PIN on a card and restores its tries (after the resident blocked it, with the form and the card). Works on operator cards too; the hub is not involved.\n" +
            "Example: cardap-provision card reset-pin --municipality 131016 --card C-000123 --keys /secure/keys --pin-file new-pin.txt")
        {
            municipality, card, keys, pinFile, reader.Reader,
        };
        command.SetAction((result, _) => CommonOptions.Context(result).RunAsync(() =>
        {
            var code = CaCommands.ParseMunicipality(result.GetValue(municipality));
            var number = CardSteps.ParseCard(result.GetValue(card));
            var passphrase = CaCommands.Passphrase(result);
            var pin = PinInput.Read(result.GetValue(pinFile), ("The card's new PIN (4 digits)", "カードの新しい暗証番号（4桁）"));
            using var key = IssuingKeys.Open(result.GetValue(keys)!, code, passphrase);
            using var inReader = reader.Open(result);
            var contents = CardSteps.Check(inReader, () => CardContents.Read(inReader.Transport, key.PublicKey));
            contents.RequireIssued(code, number, kind: null);
            CardSteps.Write(inReader, () => new CardIssuer(key).ResetPin(inReader.Transport, pin));
            return Task.FromResult(new CommandResult(
                [$"Card {number} of {code} has its new PIN and {CardApSpec.PinTries} tries.", $"カード {number}（{code}）の暗証番号を再設定しました（試行回数 {CardApSpec.PinTries} 回）。"],
                new JsonObject { ["municipality"] = code.Value, ["card"] = number.Value, ["reader"] = inReader.ReaderName, ["tries"] = CardApSpec.PinTries }));
        }));
        return command;
    }

    /// <summary>suspend / resume / revoke: the card-status rows every terminal checks offline.</summary>
    private static Command Status(HubOptions hub, string verb, string? status)
    {
        var municipality = CommonOptions.Municipality();
        var card = CardOption("The card number (カード番号).");
        var reason = new Option<string?>("--reason") { Description = "Why, for the hub's records (e.g. reported lost)." };
        var (description, example) = verb switch
        {
            "suspend" => ("Suspends a card (一時停止, e.g. reported lost): every terminal refuses it from its next sync, also offline. `card resume` lifts it.", "--reason 紛失届"),
            "resume" => ("Resumes a suspended card: terminals accept it again from their next sync. A revoked card is never resumed.", string.Empty),
            _ => ("Revokes a card for good (廃止, e.g. returned or replaced): every terminal refuses it from its next sync. There is no way back; issue a new card.", "--reason 再発行"),
        };
        var command = new Command(verb, $"{description}\nExample: cardap-provision card {verb} --municipality 131016 --card C-000123 {example} --hub https://hub:5001".Replace("  ", " ", StringComparison.Ordinal))
        {
            municipality, card,
        };
        if (status is not null)
        {
            command.Options.Add(reason);
        }
        AddHub(command, hub);
        command.SetAction((result, cancellationToken) => CommonOptions.Context(result).RunAsync(async () =>
        {
            var code = CaCommands.ParseMunicipality(result.GetValue(municipality));
            var number = CardSteps.ParseCard(result.GetValue(card));
            var (channel, admin) = hub.Connect(result, CaCommands.Passphrase(result));
            using (channel)
            {
                var records = new HubCardRecords(admin, code, cancellationToken);
                var before = await records.CardStatusAsync(number);
                if (before == HubCardRecords.Revoked && status != HubCardRecords.Revoked)
                {
                    throw ProvisionException.Refused("CardRevoked",
                        $"Card {number} of {code} is revoked; a revoked card stays revoked. Issue a new card instead. Nothing was changed.",
                        $"カード {number}（{code}）は廃止済みです。廃止したカードは元に戻せません。新しいカードを発行してください。変更は行われていません。");
                }
                var changed = status is null
                    ? await records.DeleteCardStatusAsync(number)
                    : await records.PutCardStatusAsync(number, status, result.GetValue(reason));
                var after = status ?? HubCardRecords.Active;
                var (en, ja) = after switch
                {
                    HubCardRecords.Suspended => ("suspended", "一時停止"),
                    HubCardRecords.Revoked => ("revoked", "廃止"),
                    _ => ("in use", "利用可能"),
                };
                return new CommandResult(
                [
                    $"Card {number} of {code} is {en}{(changed ? string.Empty : " (it was already)")}; terminals follow from their next sync.",
                    $"カード {number}（{code}）は{ja}です{(changed ? string.Empty : "（変更なし）")}。各端末には次回の同期で反映されます。",
                ], new JsonObject { ["municipality"] = code.Value, ["card"] = number.Value, ["status"] = after, ["changed"] = changed });
            }
        }));
        return command;
    }

    private static Command LinkJpki(HubOptions hub, ReaderOptions reader)
    {
        var municipality = CommonOptions.Municipality();
        var services = new Option<string[]>("--service") { Description = "A service to link, as <service>=<member number>, e.g. library=L-0001 (repeat for more).", Required = true, AllowMultipleArgumentsPerToken = true };
        var command = new Command("link-jpki", "Links the JPKI user-authentication certificate (利用者証明用電子証明書) of the My Number card in the reader to member numbers (ID連携): reads the certificate (no PIN needed), checks it against the JPKI anchors at the hub, and registers its serial. Nothing is written to the card. Safe to run again.\n" +
            "Example: cardap-provision card link-jpki --municipality 131016 --service library=L-0001 --hub https://hub:5001")
        {
            municipality, services, reader.Reader,
        };
        AddHub(command, hub);
        command.SetAction((result, cancellationToken) => CommonOptions.Context(result).RunAsync(async () =>
        {
            var code = CaCommands.ParseMunicipality(result.GetValue(municipality));
            var requested = CardSteps.ParseServiceMembers(result.GetValue(services) ?? []);
            var (channel, admin) = hub.Connect(result, CaCommands.Passphrase(result));
            using (channel)
            {
                var records = new HubCardRecords(admin, code, cancellationToken);
                var anchors = new X509Certificate2Collection();
                foreach (var (_, payload) in await records.ListAsync(MasterKinds.JpkiAnchor))
                {
                    try
                    {
                        anchors.Add(X509CertificateLoader.LoadCertificate(Convert.FromBase64String((string?)payload["certificate"] ?? string.Empty)));
                    }
                    catch (Exception e) when (e is FormatException or CryptographicException)
                    {
                        // A bad anchor row trusts nothing; the terminals skip it too.
                    }
                }
                if (anchors.Count == 0)
                {
                    throw ProvisionException.Refused("NoJpkiAnchors",
                        $"The hub has no JPKI trust anchors (master kind {MasterKinds.JpkiAnchor}) for {code}: terminals could not check any JPKI certificate. Register the JPKI CA certificates first. Nothing was changed.",
                        $"ハブに市町村 {code} の JPKI トラストアンカー（{MasterKinds.JpkiAnchor}）がありません。端末で JPKI 証明書を検証できないため、先に JPKI の CA 証明書を登録してください。変更は行われていません。");
                }

                using var inReader = reader.Open(result);
                using var certificate = CardSteps.Check(inReader, () => ReadJpkiCertificate(inReader));
                var serial = certificate.SerialNumber;
                RequireTrusted(certificate, anchors);
                var linked = await records.ListAsync(MasterKinds.JpkiLink, serial + "/");
                foreach (var (service, member) in requested)
                {
                    if (linked.FirstOrDefault(l => l.Key == HubCardRecords.JpkiLinkKey(serial, service)).Payload is { } existing && (string?)existing["member"] != member.Value)
                    {
                        throw ProvisionException.Refused("LinkConflict",
                            $"JPKI certificate {serial} is linked to {service} member {(string?)existing["member"]} already, not {member}. Nothing was changed.",
                            $"JPKI 証明書 {serial} はサービス {service} の利用者番号 {(string?)existing["member"]} に連携済みです（指定: {member}）。変更は行われていません。");
                    }
                }
                var changes = 0;
                foreach (var (service, member) in requested)
                {
                    changes += await records.PutAsync(MasterKinds.JpkiLink, HubCardRecords.JpkiLinkKey(serial, service), new JsonObject
                    {
                        ["serial"] = serial,
                        ["service"] = service.Value,
                        ["member"] = member.Value,
                        ["status"] = HubCardRecords.Active,
                    }) ? 1 : 0;
                }
                var described = string.Join(", ", requested.Select(r => $"{r.Service} {r.Member}"));
                return new CommandResult(
                [
                    $"JPKI certificate {serial} (valid until {certificate.NotAfter:yyyy-MM-dd}) is linked to {described}; hub rows changed: {changes}.",
                    $"JPKI 証明書 {serial}（有効期限 {certificate.NotAfter:yyyy-MM-dd}）を {described} に連携しました。ハブの更新: {changes}件",
                ], new JsonObject
                {
                    ["municipality"] = code.Value,
                    ["serial"] = serial,
                    ["reader"] = inReader.ReaderName,
                    ["services"] = new JsonArray([.. requested.Select(r => (JsonNode)new JsonObject { ["service"] = r.Service.Value, ["member"] = r.Member.Value })]),
                    ["hubChanges"] = changes,
                });
            }
        }));
        return command;
    }

    private static Command Transfer(HubOptions hub, ReaderOptions reader)
    {
        var municipality = new Option<string>("--municipality") { Description = "The municipality the resident moves out of (転出元), e.g. 131016.", Required = true };
        var to = new Option<string>("--to") { Description = "The municipality of the same hub the resident moves into (転入先), e.g. 011002.", Required = true };
        var card = CardOption("The card number in the old municipality (the card in the reader).");
        var newCard = new Option<string?>("--new-card") { Description = "The card number in the new municipality; default: the same." };
        var members = new Option<string[]>("--member") { Description = "A new member number in the new municipality, as <service>=<member number> (repeat); a service not named keeps its number.", AllowMultipleArgumentsPerToken = true };
        var keys = IssuingKeys.KeysFolder();
        var command = new Command("transfer", "Moves a resident's card to another municipality of the same hub, keeping their services (引越継続): the card gets the new municipality's header, member numbers and a certificate signed with its issuing key, and is handed over to that key; then the hub moves the registrations (MoveResident). Needs both municipalities' issuing keys in --keys and an administrator for both. Safe to run again.\n" +
            "Example: cardap-provision card transfer --municipality 131016 --to 011002 --card C-000123 --new-card S-000456 --member library=SL-0007 --keys /secure/keys --hub https://hub:5001")
        {
            municipality, to, card, newCard, members, keys, reader.Reader,
        };
        AddHub(command, hub);
        command.SetAction((result, cancellationToken) => CommonOptions.Context(result).RunAsync(async () =>
        {
            var from = CaCommands.ParseMunicipality(result.GetValue(municipality));
            var into = CaCommands.ParseMunicipality(result.GetValue(to));
            if (from == into)
            {
                throw ProvisionException.Refused("SameMunicipality", "--to must name another municipality than --municipality.", "--to には --municipality と異なる市町村を指定してください。");
            }
            var oldNumber = CardSteps.ParseCard(result.GetValue(card));
            var newNumber = result.GetValue(newCard) is { } given ? CardSteps.ParseCard(given, "--new-card") : oldNumber;
            var newMembers = CardSteps.ParseServiceMembers(result.GetValue(members) ?? []).ToDictionary(m => m.Service, m => m.Member);
            var passphrase = CaCommands.Passphrase(result);
            using var fromKey = IssuingKeys.Open(result.GetValue(keys)!, from, passphrase);
            using var toKey = IssuingKeys.Open(result.GetValue(keys)!, into, passphrase);
            var (channel, admin) = hub.Connect(result, passphrase);
            using (channel)
            {
                var fromRecords = new HubCardRecords(admin, from, cancellationToken);
                var toRecords = new HubCardRecords(admin, into, cancellationToken);
                await fromRecords.RequireIssuerKeyAsync(fromKey.PublicKey);
                await toRecords.RequireIssuerKeyAsync(toKey.PublicKey);
                await toRecords.RefuseRevokedAsync(newNumber);
                var atFrom = await fromRecords.RegistrationsAsync(oldNumber);
                var atTo = await toRecords.RegistrationsAsync(newNumber);
                if (atFrom.Count > 0 && atTo.Count > 0)
                {
                    throw ProvisionException.Refused("RegistrationExists",
                        $"Both {from} (card {oldNumber}) and {into} (card {newNumber}) hold registrations at the hub: {into}'s would be overwritten. Choose another --new-card, or remove those registrations first. Nothing was changed.",
                        $"ハブに {from}（カード {oldNumber}）と {into}（カード {newNumber}）の両方の登録があります。別の --new-card を指定するか、先に登録を削除してください。変更は行われていません。");
                }

                using var inReader = reader.Open(result);
                var found = CardSteps.Check(inReader, () => CardTransfer.Read(inReader.Transport, fromKey.PublicKey, oldNumber, toKey.PublicKey, newNumber));
                var toIssuer = new CardIssuer(toKey);
                var handedOver = CardSteps.Check(inReader, () => toIssuer.IsAcceptedBy(inReader.Transport));
                IReadOnlyList<ServiceRegistration> services;
                if (handedOver)
                {
                    // The hand-over is the last write: header, services and certificate went before it.
                    services = found.ServicesAfter(atTo.Count > 0 ? atTo : atFrom, newMembers);
                }
                else
                {
                    services = found.ServicesAfter(atFrom.Count > 0 ? atFrom : atTo, newMembers);
                    var fromIssuer = new CardIssuer(fromKey);
                    if (!CardSteps.Check(inReader, () => fromIssuer.IsAcceptedBy(inReader.Transport)))
                    {
                        throw CardErrors.NotOurCard("NotOurCard",
                            $"The card takes neither {fromKey.Reference} nor {toKey.Reference}: it belongs to another issuer.",
                            $"カードは {fromKey.Reference} と {toKey.Reference} のいずれの発行鍵も受け付けません。他の発行者のカードです。");
                    }
                    var header = found.Header with { Municipality = into, CardNumber = newNumber };
                    var today = CardDates.TodayInJapan(TimeProvider.System);
                    CardSteps.Write(inReader, () => fromIssuer.HandOver(inReader.Transport, toKey, header, services, today));
                }

                var hubChanges = await CardSteps.HubAfterCardAsync(async () =>
                {
                    var changes = 0;
                    if (atFrom.Count > 0)
                    {
                        var move = new MoveResidentRequest
                        {
                            FromMunicipality = from.Value,
                            ToMunicipality = into.Value,
                            CardNumber = oldNumber.Value,
                            NewCardNumber = newNumber == oldNumber ? string.Empty : newNumber.Value,
                        };
                        foreach (var (service, member) in newMembers.Where(m => atFrom.Any(r => r.Service == m.Key)))
                        {
                            move.NewMemberNumbers[service.Value] = member.Value;
                        }
                        changes += (await admin.MoveResidentAsync(move, cancellationToken: cancellationToken)).Services.Count;
                    }
                    // Services the card carries that the hub did not know of are registered in the new municipality too.
                    var moved = await toRecords.RegistrationsAsync(newNumber);
                    foreach (var service in services.Where(s => moved.All(m => m.Service != s.Service)))
                    {
                        changes += await toRecords.PutRegistrationAsync(newNumber, service, name: null, existing: null) ? 1 : 0;
                    }
                    return changes;
                });
                return new CommandResult(
                [
                    $"Card {oldNumber} of {from} is card {newNumber} of {into}{(handedOver ? " already" : string.Empty)}, written by {toKey.Reference}; services on the card: {Describe(services)}; hub rows moved or added: {hubChanges}.",
                    $"カード {oldNumber}（{from}）を カード {newNumber}（{into}）に{(handedOver ? "移行済みです" : "移行しました")}（発行鍵 {toKey.Reference}）。カードのサービス: {Describe(services)}。ハブの移行・追加: {hubChanges}件",
                ], new JsonObject
                {
                    ["from"] = from.Value,
                    ["to"] = into.Value,
                    ["card"] = oldNumber.Value,
                    ["newCard"] = newNumber.Value,
                    ["reader"] = inReader.ReaderName,
                    ["issuer"] = toKey.Reference.ToString(),
                    ["cardWritten"] = !handedOver,
                    ["services"] = ServicesJson(services),
                    ["hubChanges"] = hubChanges,
                });
            }
        }));
        return command;
    }

    private static X509Certificate2 ReadJpkiCertificate(CardInReader inReader)
    {
        var session = new JpkiSession(new ApduChannel(inReader.Transport));
        if (!session.Select())
        {
            throw CardErrors.NotOurCard("NoJpki",
                "The card has no JPKI application (公的個人認証): it is not a My Number card, or its certificates were never issued. Put the resident's My Number card in the reader.",
                "カードに公的個人認証（JPKI）アプリケーションがありません。マイナンバーカードではないか、電子証明書が発行されていません。住民のマイナンバーカードを挿入してください。");
        }
        try
        {
            return X509CertificateLoader.LoadCertificate(session.ReadCertificate(JpkiSession.AuthCertificateFid));
        }
        catch (CryptographicException e)
        {
            throw new CardProtocolException("The JPKI user-authentication certificate is not a valid X.509 certificate: " + e.Message, e);
        }
    }

    private static void RequireTrusted(X509Certificate2 certificate, X509Certificate2Collection anchors)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(anchors);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        if (!chain.Build(certificate))
        {
            var detail = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()));
            throw ProvisionException.Refused("JpkiNotTrusted",
                $"The card's JPKI certificate {certificate.SerialNumber} does not chain to the JPKI anchors at the hub ({detail}); terminals would refuse it. Nothing was changed.",
                $"カードの JPKI 証明書 {certificate.SerialNumber} はハブの JPKI トラストアンカーで検証できません（{detail}）。端末でも拒否されます。変更は行われていません。");
        }
    }

    /// <summary>Registers at the hub each requested service as the card now carries it.</summary>
    private static async Task<int> PutRegistrationsAsync(HubCardRecords records, CardNumber card, IReadOnlyList<ServiceRegistration> onCard,
        IReadOnlyList<(ServiceId Service, MemberNumber Member)> requested, IReadOnlyList<HubRegistration> atHub, string? name)
    {
        var changes = 0;
        foreach (var (service, _) in requested)
        {
            var registration = onCard.Single(s => s.Service == service);
            changes += await records.PutRegistrationAsync(card, registration, name, atHub.FirstOrDefault(h => h.Service == service)) ? 1 : 0;
        }
        return changes;
    }

    internal static Option<string> CardOption(string description) => new("--card") { Description = description, Required = true };

    internal static void AddHub(Command command, HubOptions hub)
    {
        foreach (var option in hub.All)
        {
            command.Options.Add(option);
        }
    }

    private static string Describe(IReadOnlyList<ServiceRegistration> services) =>
        services.Count == 0 ? "none / なし" : string.Join(", ", services.Select(s => $"{s.Service} {s.Member}{(s.Status == ServiceStatus.Stopped ? " (stopped/停止)" : string.Empty)}"));

    private static JsonArray ServicesJson(IReadOnlyList<ServiceRegistration> services) =>
        [.. services.Select(s => (JsonNode)new JsonObject
        {
            ["service"] = s.Service.Value,
            ["member"] = s.Member.Value,
            ["status"] = s.Status == ServiceStatus.Active ? HubCardRecords.Active : HubCardRecords.Stopped,
            ["registeredOn"] = s.RegisteredOn.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
        })];
}
