using System.CommandLine;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using CardAp.Hub.Security;
using CardAp.Provision.Cli;
using CardAp.Shared.Domain;

namespace CardAp.Provision.Commands;

/// <summary>`ca`: the hub's certificate authority, kept by central IT (the key passphrase-protected).</summary>
public static class CaCommands
{
    public const string CertificateFile = "hub-ca.pem";
    public const string KeyFile = "hub-ca.key";

    public static Command Create()
    {
        var ca = CommonOptions.CaDirectory();
        var init = new Command("init", "Creates the hub CA in a new folder: hub-ca.pem (give it to the hub and terminals) and hub-ca.key (encrypted).\n" +
            "Example: cardap-provision ca init --ca /secure/cardap-ca --passphrase-file /secure/pass.txt") { ca };
        init.SetAction((result, _) => CommonOptions.Context(result).RunAsync(() => Task.FromResult(Init(result.GetValue(ca)!, Passphrase(result)))));

        var serverCa = CommonOptions.CaDirectory();
        var hosts = new Option<string[]>("--host") { Description = "A DNS name or IP address the hub is reached by (repeat for more).", Required = true, AllowMultipleArgumentsPerToken = true };
        var serverOut = new Option<FileInfo>("--out") { Description = "Where to write the certificate (PEM); the key goes next to it (.key, owner-only, unencrypted: the hub reads it at start).", Required = true };
        var server = new Command("issue-server", "Issues the hub's TLS server certificate.\n" +
            "Example: cardap-provision ca issue-server --ca /secure/cardap-ca --host hub.lgwan.example --out hub-server.pem") { serverCa, hosts, serverOut };
        server.SetAction((result, _) => CommonOptions.Context(result).RunAsync(() =>
        {
            using var authority = Load(result.GetValue(serverCa)!, Passphrase(result));
            using var certificate = authority.IssueServerCertificate(result.GetValue(hosts)!);
            return Task.FromResult(WritePair(certificate, result.GetValue(serverOut)!.FullName, passphrase: null, "server"));
        }));

        var adminCa = CommonOptions.CaDirectory();
        var id = new Option<string>("--id") { Description = "The administrator's id, e.g. it-sato.", Required = true };
        var role = new Option<string>("--role") { Description = "central-it or municipality-admin.", Required = true };
        var municipalities = new Option<string[]>("--municipality") { Description = "A municipality the administrator acts for (repeat for more; exactly one for municipality-admin).", Required = true, AllowMultipleArgumentsPerToken = true };
        var adminOut = new Option<FileInfo>("--out") { Description = "Where to write the certificate (PEM); the key goes next to it (.key, encrypted with the passphrase).", Required = true };
        var pkcs12 = new Option<bool>("--pkcs12")
        {
            Description = "Also write the certificate and key as one file to import into a browser for the hub dashboard (.p12 next to --out, PKCS#12 encrypted with the passphrase, AES-256).",
        };
        var admin = new Command("issue-admin", "Issues an administrator's client certificate for the hub's admin and report APIs and its dashboard.\n" +
            "Example: cardap-provision ca issue-admin --ca /secure/cardap-ca --id it-sato --role central-it --municipality 131016 --municipality 131024 --out it-sato.pem --pkcs12")
        {
            adminCa, id, role, municipalities, adminOut, pkcs12,
        };
        admin.SetAction((result, _) => CommonOptions.Context(result).RunAsync(() =>
        {
            if (!CallerRoles.TryParseAdminRole(result.GetValue(role), out var parsedRole))
            {
                throw ProvisionException.Refused("UnknownRole", $"--role must be {CallerRoles.CentralIt} or {CallerRoles.MunicipalityAdmin}, not '{result.GetValue(role)}'.",
                    $"--role は {CallerRoles.CentralIt} または {CallerRoles.MunicipalityAdmin} です（指定値: {result.GetValue(role)}）。");
            }
            var codes = new List<MunicipalityCode>();
            foreach (var code in result.GetValue(municipalities)!)
            {
                codes.Add(ParseMunicipality(code));
            }
            var passphrase = Passphrase(result);
            using var authority = Load(result.GetValue(adminCa)!, passphrase);
            X509Certificate2 certificate;
            try
            {
                certificate = authority.IssueAdminCertificate(result.GetValue(id)!, parsedRole, codes);
            }
            catch (ArgumentException e)
            {
                throw ProvisionException.Refused("BadIdentity", e.Message, $"管理者の指定が不正です: {e.Message}", e);
            }
            using (certificate)
            {
                var certificatePath = result.GetValue(adminOut)!.FullName;
                if (!result.GetValue(pkcs12))
                {
                    return Task.FromResult(WritePair(certificate, certificatePath, passphrase, "admin"));
                }
                var pkcs12Path = Path.ChangeExtension(certificatePath, ".p12");
                ProtectedKeys.EnsureNew(pkcs12Path);
                var written = WritePair(certificate, certificatePath, passphrase, "admin");
                ProtectedKeys.WriteNew(pkcs12Path, certificate.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, passphrase), ownerOnly: true);
                written.Json!["pkcs12"] = pkcs12Path;
                return Task.FromResult(written with
                {
                    Lines =
                    [
                        .. written.Lines,
                        $"For a browser (the hub dashboard): {pkcs12Path}, PKCS#12 with the same passphrase; import it as a personal certificate.",
                        $"ブラウザ用（ハブのダッシュボード）: {pkcs12Path}（PKCS#12、パスフレーズは同じ）。個人の証明書としてインポートしてください。",
                    ],
                });
            }
        }));

        return new Command("ca", "The hub's certificate authority: create it, issue the hub's server certificate and administrators' certificates.") { init, server, admin };
    }

    /// <summary>Loads the CA with its key (the passphrase opens hub-ca.key).</summary>
    public static HubCertificateAuthority Load(DirectoryInfo folder, string passphrase)
    {
        var certificatePath = Path.Combine(folder.FullName, CertificateFile);
        using var key = ProtectedKeys.ReadECDsa(Path.Combine(folder.FullName, KeyFile), passphrase);
        try
        {
            return HubCertificateAuthority.FromPem(File.ReadAllText(certificatePath), key.ExportPkcs8PrivateKeyPem());
        }
        catch (Exception e) when (e is IOException or CryptographicException)
        {
            throw ProvisionException.Environment("CaUnreadable", $"The hub CA in {folder.FullName} cannot be used: {e.Message}", $"{folder.FullName} のハブCAを使用できません: {e.Message}", e);
        }
    }

    public static MunicipalityCode ParseMunicipality(string? code) =>
        MunicipalityCode.TryParse(code, out var parsed, out var error)
            ? parsed
            : throw ProvisionException.Refused("BadMunicipalityCode", $"--municipality: {error}", $"--municipality: 市町村コードが不正です（{code}）: {error}");

    internal static string Passphrase(ParseResult result) => ProtectedKeys.Passphrase(result.GetValue(CommonOptions.PassphraseFile));

    private static CommandResult Init(DirectoryInfo folder, string passphrase)
    {
        using var authority = HubCertificateAuthority.Create();
        var certificatePath = Path.Combine(folder.FullName, CertificateFile);
        using (var key = authority.Certificate.GetECDsaPrivateKey()!)
        {
            ProtectedKeys.Write(Path.Combine(folder.FullName, KeyFile), key, passphrase);
        }
        ProtectedKeys.WriteNew(certificatePath, authority.ExportCertificatePem());
        return new CommandResult(
        [
            $"Hub CA created in {folder.FullName}: {CertificateFile} (give it to the hub as Hub:CaCertificatePath) and {KeyFile} (encrypted; keep it and the passphrase apart).",
            $"ハブCAを {folder.FullName} に作成しました。{CertificateFile} はハブの Hub:CaCertificatePath に設定し、{KeyFile}（暗号化済み）とパスフレーズは別々に保管してください。",
        ], new JsonObject { ["certificate"] = certificatePath, ["thumbprint"] = authority.Certificate.Thumbprint, ["notAfter"] = authority.Certificate.NotAfter.ToUniversalTime().ToString("O") });
    }

    private static CommandResult WritePair(X509Certificate2 certificate, string certificatePath, string? passphrase, string what)
    {
        var keyPath = Path.ChangeExtension(certificatePath, ".key");
        using var key = certificate.GetECDsaPrivateKey()!;
        if (passphrase is null)
        {
            ProtectedKeys.WriteNew(keyPath, key.ExportPkcs8PrivateKeyPem(), ownerOnly: true);
        }
        else
        {
            ProtectedKeys.Write(keyPath, key, passphrase);
        }
        ProtectedKeys.WriteNew(certificatePath, certificate.ExportCertificatePem());
        return new CommandResult(
        [
            $"Issued the {what} certificate {certificate.Subject} (serial {certificate.SerialNumber}, until {certificate.NotAfter:yyyy-MM-dd}): {certificatePath}, key {keyPath}.",
            $"{what} 証明書を発行しました（シリアル {certificate.SerialNumber}、有効期限 {certificate.NotAfter:yyyy-MM-dd}）: {certificatePath}、鍵 {keyPath}",
        ], new JsonObject { ["certificate"] = certificatePath, ["key"] = keyPath, ["serial"] = certificate.SerialNumber, ["subject"] = certificate.Subject });
    }
}
