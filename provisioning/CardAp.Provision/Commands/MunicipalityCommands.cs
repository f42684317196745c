using System.CommandLine;
using System.Text.Json.Nodes;
using CardAp.Card.Application;
using CardAp.Hub.Api;
using CardAp.Provision.Cli;
using CardAp.Shared.Domain;

namespace CardAp.Provision.Commands;

/// <summary>`municipality`: put a municipality on the hub with its issuing key, and list those you act for.</summary>
public static class MunicipalityCommands
{
    public static Command Create(HubOptions hub)
    {
        var code = CommonOptions.Municipality();
        var name = new Option<string>("--name") { Description = "The municipality's name, e.g. 千代田区.", Required = true };
        var keys = new Option<DirectoryInfo>("--keys") { Description = "The folder for issuing keys (kept by central IT): <code>-01.key (encrypted) and <code>-01.pub.pem.", Required = true };
        var create = new Command("create", "Puts a municipality on the hub: creates its issuing key pair (the private key encrypted with the passphrase) and registers the public key as master data, so every terminal can verify its cards.\n" +
            "Example: cardap-provision municipality create --municipality 131016 --name 千代田区 --keys /secure/keys --hub https://hub:5001")
        {
            code, name, keys,
        };
        foreach (var option in hub.All)
        {
            create.Options.Add(option);
        }
        create.SetAction((result, cancellationToken) => CommonOptions.Context(result).RunAsync(async () =>
        {
            var municipality = CaCommands.ParseMunicipality(result.GetValue(code));
            var passphrase = CaCommands.Passphrase(result);
            var reference = new IssuerReference(municipality, 1);
            var keyPath = Path.Combine(result.GetValue(keys)!.FullName, $"{reference}.key");
            var publicPath = Path.Combine(result.GetValue(keys)!.FullName, $"{reference}.pub.pem");
            var (channel, admin) = hub.Connect(result, passphrase);
            using (channel)
            {
                using var key = IssuingKey.Create(reference);
                // The key is on disk before the hub knows the municipality: a hub refusal leaves a spare key, never a municipality without one.
                using (var ecdsa = System.Security.Cryptography.ECDsa.Create())
                {
                    ecdsa.ImportPkcs8PrivateKey(key.ExportPkcs8(), out _);
                    ProtectedKeys.Write(keyPath, ecdsa, passphrase);
                    ProtectedKeys.WriteNew(publicPath, ecdsa.ExportSubjectPublicKeyInfoPem());
                }
                await admin.AddMunicipalityAsync(new AddMunicipalityRequest { Municipality = municipality.Value, Name = result.GetValue(name) }, cancellationToken: cancellationToken);
                await admin.PutMasterAsync(new PutMasterRequest
                {
                    Municipality = municipality.Value,
                    Kind = MasterKinds.IssuerKey,
                    Key = reference.ToString(),
                    PayloadJson = new JsonObject { ["reference"] = reference.ToString(), ["publicKey"] = Convert.ToBase64String(key.PublicKey.SubjectPublicKeyInfo) }.ToJsonString(),
                }, cancellationToken: cancellationToken);
                return new CommandResult(
                [
                    $"Municipality {municipality.Value} ({result.GetValue(name)}) is on the hub with issuing key {reference}: {keyPath} (encrypted), {publicPath}.",
                    $"市町村 {municipality.Value}（{result.GetValue(name)}）をハブに登録しました。発行鍵 {reference}: {keyPath}（暗号化済み）、{publicPath}",
                ], new JsonObject { ["municipality"] = municipality.Value, ["issuerKey"] = reference.ToString(), ["key"] = keyPath, ["publicKey"] = publicPath });
            }
        }));

        var list = new Command("list", "Lists the municipalities your administrator certificate acts for.\nExample: cardap-provision municipality list --hub https://hub:5001 --json");
        foreach (var option in hub.All)
        {
            list.Options.Add(option);
        }
        list.SetAction((result, cancellationToken) => CommonOptions.Context(result).RunAsync(async () =>
        {
            var (channel, admin) = hub.Connect(result, CaCommands.Passphrase(result));
            using (channel)
            {
                var me = await admin.WhoAmIAsync(new WhoAmIRequest(), cancellationToken: cancellationToken);
                return new CommandResult(
                    [$"{me.Id} ({me.Role}) acts for: {string.Join(", ", me.Municipalities)}", $"{me.Id}（{me.Role}）の担当市町村: {string.Join("、", me.Municipalities)}"],
                    new JsonObject { ["administrator"] = me.Id, ["role"] = me.Role, ["municipalities"] = new JsonArray([.. me.Municipalities.Select(m => (JsonNode)m)]) });
            }
        }));

        return new Command("municipality", "Municipalities on the hub.") { create, list };
    }
}
