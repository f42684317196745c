using System.CommandLine;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using CardAp.Hub.Api;
using CardAp.Hub.Security;
using CardAp.Provision.Cli;
using CardAp.Shared.Domain;
using CardAp.Shared.Enrolment;

namespace CardAp.Provision.Commands;

/// <summary>`terminal`: enrol a terminal (an enrolment bundle and its one-time code) and retire one.</summary>
public static class TerminalCommands
{
    public const string BundleExtension = ".cardap-enrol";

    public static Command Create(HubOptions hub)
    {
        var municipality = CommonOptions.Municipality();
        var id = new Option<string>("--id") { Description = "The terminal's id within the municipality, e.g. T001 (the full id becomes 131016-T001).", Required = true };
        var site = new Option<string>("--site") { Description = "The site (branch office, library, shelter) it stands at, for reports.", Required = true };
        var services = new Option<string[]>("--service") { Description = "A service it runs (repeat): library, points, seal, shelter, or an attendance service id.", Required = true, AllowMultipleArgumentsPerToken = true };
        var ca = CommonOptions.CaDirectory();
        var hubAddress = new Option<string>("--terminal-hub") { Description = "The hub address the terminal uses (default: --hub)." };
        var snapshot = new Option<FileInfo?>("--snapshot") { Description = "A master-data snapshot (JSON) to carry in the bundle, for sites that start without a network." };
        var output = new Option<FileInfo>("--out") { Description = $"Where to write the bundle ({BundleExtension}).", Required = true };
        var enroll = new Command("enroll", "Enrols a terminal: registers it at the hub with its site and services, issues its client certificate and writes an enrolment bundle sealed with a one-time code. Give the bundle and the code to the installer by different ways; on the terminal: cardap-edge --enroll <bundle> --code <code>.\n" +
            "Example: cardap-provision terminal enroll --municipality 131016 --id T001 --site honcho --service library --service points --ca /secure/cardap-ca --out T001.cardap-enrol --hub https://hub:5001")
        {
            municipality, id, site, services, ca, hubAddress, snapshot, output,
        };
        foreach (var option in hub.All)
        {
            enroll.Options.Add(option);
        }
        enroll.SetAction((result, cancellationToken) => CommonOptions.Context(result).RunAsync(async () =>
        {
            var code = CaCommands.ParseMunicipality(result.GetValue(municipality));
            var terminalId = TerminalId(code, result.GetValue(id)!);
            var passphrase = CaCommands.Passphrase(result);
            var snapshotJson = result.GetValue(snapshot) is { } snapshotFile ? ReadSnapshot(snapshotFile, code) : null;
            using var authority = CaCommands.Load(result.GetValue(ca)!, passphrase);
            var (channel, admin) = hub.Connect(result, passphrase);
            using (channel)
            {
                await admin.PutMasterAsync(new PutMasterRequest
                {
                    Municipality = code.Value,
                    Kind = MasterKinds.Terminal,
                    Key = terminalId,
                    PayloadJson = new JsonObject
                    {
                        ["site"] = result.GetValue(site),
                        ["services"] = new JsonArray([.. result.GetValue(services)!.Select(s => (JsonNode)s)]),
                        ["status"] = "active",
                    }.ToJsonString(),
                }, cancellationToken: cancellationToken);
            }
            using var certificate = authority.IssueTerminalCertificate(terminalId);
            using var key = certificate.GetECDsaPrivateKey()!;
            var enrolmentCode = EnrolmentCode.New();
            var bundle = EnrolmentBundle.Seal(new EnrolmentPayload(
                code.Value, terminalId,
                result.GetValue(hubAddress) ?? result.GetValue(hub.Hub) ?? Environment.GetEnvironmentVariable("CARDAP_HUB")!,
                authority.ExportCertificatePem(), certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem(),
                MasterSnapshotJson: snapshotJson, CreatedAt: DateTimeOffset.UtcNow), enrolmentCode);
            var path = result.GetValue(output)!.FullName;
            ProtectedKeys.WriteNew(path, System.Text.Encoding.UTF8.GetString(bundle), ownerOnly: true);
            return new CommandResult(
            [
                $"Terminal {terminalId} is registered at the hub (site {result.GetValue(site)}; {string.Join(", ", result.GetValue(services)!)}); certificate serial {certificate.SerialNumber}.",
                $"Bundle: {path}",
                $"Enrolment code (give it separately from the bundle; it is shown only now): {enrolmentCode}",
                $"端末 {terminalId} をハブに登録しました。登録パッケージ: {path}　登録コード（パッケージとは別に伝えてください。表示はこの1回のみです）: {enrolmentCode}",
            ], new JsonObject { ["terminal"] = terminalId, ["bundle"] = path, ["code"] = enrolmentCode, ["serial"] = certificate.SerialNumber });
        }));

        var retireMunicipality = CommonOptions.Municipality();
        var retireId = new Option<string>("--id") { Description = "The terminal's id, e.g. T001.", Required = true };
        var retire = new Command("retire", "Retires a terminal: the hub refuses it from the next call on (its certificate stays useless even if the machine is found again).\n" +
            "Example: cardap-provision terminal retire --municipality 131016 --id T001 --hub https://hub:5001")
        {
            retireMunicipality, retireId,
        };
        foreach (var option in hub.All)
        {
            retire.Options.Add(option);
        }
        retire.SetAction((result, cancellationToken) => CommonOptions.Context(result).RunAsync(async () =>
        {
            var code = CaCommands.ParseMunicipality(result.GetValue(retireMunicipality));
            var terminalId = TerminalId(code, result.GetValue(retireId)!);
            var (channel, admin) = hub.Connect(result, CaCommands.Passphrase(result));
            using (channel)
            {
                var held = await admin.ListMasterAsync(new ListMasterRequest { Municipality = code.Value, Kind = MasterKinds.Terminal }, cancellationToken: cancellationToken);
                var row = held.Rows.FirstOrDefault(r => r.Key == terminalId)
                    ?? throw ProvisionException.Refused("UnknownTerminal", $"The hub has no terminal {terminalId}.", $"ハブに端末 {terminalId} は登録されていません。");
                var payload = JsonNode.Parse(row.PayloadJson)!.AsObject();
                payload["status"] = "retired";
                await admin.PutMasterAsync(new PutMasterRequest { Municipality = code.Value, Kind = MasterKinds.Terminal, Key = terminalId, PayloadJson = payload.ToJsonString() },
                    cancellationToken: cancellationToken);
            }
            return new CommandResult(
                [$"Terminal {terminalId} is retired: the hub refuses it from now on.", $"端末 {terminalId} を廃止しました。以後ハブは接続を拒否します。"],
                new JsonObject { ["terminal"] = terminalId, ["status"] = "retired" });
        }));

        return new Command("terminal", "Terminals: enrol and retire.") { enroll, retire };
    }

    /// <summary>The hub's terminal id: the municipality code, a dash, the local id (given with or without the prefix).</summary>
    public static string TerminalId(MunicipalityCode municipality, string id)
    {
        var full = id.StartsWith(municipality.Value + "-", StringComparison.Ordinal) ? id : $"{municipality.Value}-{id}";
        if (full.Length > 64 || full.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
        {
            throw ProvisionException.Refused("BadTerminalId", $"--id '{id}': use letters, digits, '-' and '_' (at most 64 characters with the municipality prefix).",
                $"--id '{id}': 英数字・「-」・「_」で指定してください（市町村コードを含め64文字以内）。");
        }
        _ = CallerIdentity.Terminal(full);
        return full;
    }

    // Checked here, not first at the site: a wrong file found by the installer costs a trip.
    private static string ReadSnapshot(FileInfo file, MunicipalityCode municipality)
    {
        string text;
        try
        {
            text = File.ReadAllText(file.FullName);
        }
        catch (IOException e)
        {
            throw ProvisionException.Environment("SnapshotUnreadable", $"The snapshot {file.FullName} cannot be read: {e.Message}", $"スナップショット {file.FullName} を読み込めません: {e.Message}", e);
        }
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException)
        {
            root = null;
        }
        var format = root?["format"]?.GetValueKind() == System.Text.Json.JsonValueKind.String ? (string?)root["format"] : null;
        var of = root?["municipality"]?.GetValueKind() == System.Text.Json.JsonValueKind.String ? (string?)root["municipality"] : null;
        if (format != "cardap-master-snapshot" || of != municipality.Value || root?["rows"] is not JsonArray)
        {
            throw ProvisionException.Refused("NotASnapshot",
                $"{file.FullName} is not a master-data snapshot of municipality {municipality.Value} (format cardap-master-snapshot with rows).",
                $"{file.FullName} は市町村 {municipality.Value} のマスタデータスナップショット（cardap-master-snapshot 形式）ではありません。");
        }
        return text;
    }
}
