using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using CardAp.Edge.Options;
using CardAp.Edge.Store;
using CardAp.Shared.Enrolment;

namespace CardAp.Edge.Enrolment;

/// <summary>
/// `cardap-edge --enroll &lt;bundle&gt; [--code &lt;code&gt;] [--into &lt;folder&gt;]`: imports the enrolment
/// bundle central IT made for this terminal, once. The code comes from --code or from the
/// environment variable CARDAP_ENROLMENT_CODE (kept out of the shell history). Writes the terminal's
/// certificate, key (owner-only) and the hub's CA under enrolment/, a first master-data snapshot
/// when the bundle carries one, and last of all enrolment.json, the settings the edge reads at every
/// start (<see cref="EnrolmentConfiguration"/>); until that file exists nothing counts as enrolled,
/// so an interrupted import can simply be run again. Refuses a second bundle, a changed one, one
/// opened with the wrong code, and one for another terminal than this one is configured as.
/// Exit codes: 0 enrolled, 1 usage, 2 refused, 3 environment (file missing, folder not writable).
/// </summary>
public static class EnrolCommand
{
    public const string Name = "--enroll";
    public const string CodeVariable = "CARDAP_ENROLMENT_CODE";

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (args.Length == 0 || args[0].StartsWith('-'))
        {
            return Usage(error, "the bundle file is missing.");
        }
        var bundlePath = args[0];
        string? code = Environment.GetEnvironmentVariable(CodeVariable);
        var into = Directory.GetCurrentDirectory();
        var rest = new List<string>();
        for (var i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--code" when i + 1 < args.Length:
                    code = args[++i];
                    break;
                case "--into" when i + 1 < args.Length:
                    into = Path.GetFullPath(args[++i]);
                    break;
                default:
                    rest.Add(args[i]);
                    break;
            }
        }
        if (string.IsNullOrWhiteSpace(code))
        {
            return Usage(error, $"the enrolment code is missing: pass --code or set {CodeVariable}.");
        }
        try
        {
            var enrolled = Import(bundlePath, code, into, rest.ToArray());
            output.WriteLine($"Enrolled terminal {enrolled.TerminalId} of municipality {enrolled.Municipality} (hub {enrolled.HubAddress}). Start cardap-edge in {into} to sync.");
            output.WriteLine($"端末 {enrolled.TerminalId}（市町村 {enrolled.Municipality}）を登録しました。{into} で cardap-edge を起動すると同期します。");
            return 0;
        }
        catch (EnrolmentBundleException e)
        {
            error.WriteLine(e.Message);
            error.WriteLine(e.MessageJa);
            return e.Reason == EnvironmentReason ? 3 : 2;
        }
    }

    internal const string EnvironmentReason = "Environment";

    /// <summary>Imports a bundle into <paramref name="folder"/>; <paramref name="configurationArgs"/> are the edge's usual settings arguments.</summary>
    /// <exception cref="EnrolmentBundleException">Refused (nothing is enrolled).</exception>
    public static EnrolmentPayload Import(string bundlePath, string code, string folder, string[] configurationArgs)
    {
        var settingsPath = Path.Combine(folder, EnrolmentConfiguration.FileName);
        if (File.Exists(settingsPath))
        {
            var already = ReadIdentity(settingsPath);
            throw new EnrolmentBundleException("AlreadyEnrolled",
                $"This terminal is already enrolled ({already}); a bundle is imported once. To enrol it anew, central IT retires it and removes {settingsPath}.",
                $"この端末は登録済みです（{already}）。登録パッケージの取り込みは1回のみです。再登録するには中央IT部門が端末を廃止し、{settingsPath} を削除してください。");
        }
        byte[] file;
        try
        {
            file = File.ReadAllBytes(bundlePath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new EnrolmentBundleException(EnvironmentReason, $"The bundle {bundlePath} cannot be read: {e.Message}", $"登録パッケージ {bundlePath} を読み込めません: {e.Message}");
        }
        var payload = EnrolmentBundle.Open(file, code);
        CheckConfiguredIdentity(payload, configurationArgs);
        CheckCertificates(payload);
        try
        {
            Write(payload, folder, settingsPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new EnrolmentBundleException(EnvironmentReason, $"The enrolment cannot be written to {folder}: {e.Message}", $"登録情報を {folder} に書き込めません: {e.Message}");
        }
        return payload;
    }

    // A terminal set up by hand with an identity (appsettings, environment) takes only its own bundle.
    private static void CheckConfiguredIdentity(EnrolmentPayload payload, string[] configurationArgs)
    {
        var configuration = Host.CreateApplicationBuilder(configurationArgs).Configuration;
        var terminal = configuration[$"{EdgeStoreOptions.Section}:{nameof(EdgeStoreOptions.TerminalId)}"];
        var municipality = configuration[$"{EdgeOptions.Section}:{nameof(EdgeOptions.Municipality)}"];
        if ((!string.IsNullOrEmpty(terminal) && terminal != payload.TerminalId) || (!string.IsNullOrEmpty(municipality) && municipality != payload.Municipality))
        {
            throw new EnrolmentBundleException("OtherTerminal",
                $"This bundle is for terminal {payload.TerminalId} of municipality {payload.Municipality}, but this terminal is configured as {terminal} of {municipality}. Use the bundle made for this terminal.",
                $"この登録パッケージは市町村 {payload.Municipality} の端末 {payload.TerminalId} 用ですが、この端末は {municipality} の {terminal} として設定されています。この端末用のパッケージを使用してください。");
        }
    }

    private static void CheckCertificates(EnrolmentPayload payload)
    {
        try
        {
            using var certificate = X509Certificate2.CreateFromPem(payload.CertificatePem, payload.PrivateKeyPem);
            using var ca = X509Certificate2.CreateFromPem(payload.HubCaCertificatePem);
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            var identity = certificate.GetNameInfo(X509NameType.UrlName, forIssuer: false);
            if (!chain.Build(certificate) || identity != "urn:cardap:terminal:" + payload.TerminalId)
            {
                throw Inconsistent($"the certificate ({identity}) is not the terminal's or not issued by the hub's CA");
            }
        }
        catch (CryptographicException e)
        {
            throw Inconsistent(e.Message);
        }
    }

    private static void Write(EnrolmentPayload payload, string folder, string settingsPath)
    {
        var files = Directory.CreateDirectory(Path.Combine(folder, "enrolment")).FullName;
        var caPath = Path.Combine(files, "hub-ca.pem");
        var certificatePath = Path.Combine(files, "terminal.pem");
        var keyPath = Path.Combine(files, "terminal.key");
        File.WriteAllText(caPath, payload.HubCaCertificatePem);
        File.WriteAllText(certificatePath, payload.CertificatePem);
        WriteOwnerOnly(keyPath, payload.PrivateKeyPem);
        var settings = new JsonObject();
        Set(settings, "Edge:Municipality", payload.Municipality);
        Set(settings, "Store:TerminalId", payload.TerminalId);
        Set(settings, "Edge:HubAddress", payload.HubAddress);
        Set(settings, "Edge:HubCaCertificatePath", caPath);
        Set(settings, "Edge:HubClientCertificatePath", certificatePath);
        Set(settings, "Edge:HubClientKeyPath", keyPath);
        if (payload.MasterSnapshotJson is { Length: > 0 } snapshot)
        {
            var snapshotPath = Path.Combine(files, "master-snapshot.json");
            File.WriteAllText(snapshotPath, snapshot);
            Set(settings, "Edge:InitialMasterSnapshot", snapshotPath);
        }
        foreach (var (key, value) in payload.Settings ?? new Dictionary<string, string>())
        {
            Set(settings, key, value);
        }
        // Last, and whole or not at all: its presence is what "enrolled" means.
        var temporary = settingsPath + ".tmp";
        File.WriteAllText(temporary, settings.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temporary, settingsPath, overwrite: false);
    }

    private static void WriteOwnerOnly(string path, string text)
    {
        if (OperatingSystem.IsWindows())
        {
            File.WriteAllText(path, text);
            return;
        }
        using var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        using var writer = new StreamWriter(stream);
        writer.Write(text);
    }

    private static void Set(JsonObject root, string key, string value)
    {
        var parts = key.Split(':');
        var node = root;
        foreach (var part in parts[..^1])
        {
            if (node[part] is not JsonObject child)
            {
                child = [];
                node[part] = child;
            }
            node = child;
        }
        node[parts[^1]] = value;
    }

    private static string ReadIdentity(string settingsPath)
    {
        try
        {
            var settings = JsonNode.Parse(File.ReadAllText(settingsPath));
            return $"terminal {settings?["Store"]?["TerminalId"]} of municipality {settings?["Edge"]?["Municipality"]}";
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return settingsPath;
        }
    }

    private static EnrolmentBundleException Inconsistent(string why) => new("Inconsistent",
        $"The enrolment bundle opened, but its certificates do not fit together ({why}). Ask central IT for a new bundle.",
        $"登録パッケージは開けましたが、証明書の内容が一致しません（{why}）。中央IT部門に新しいパッケージを依頼してください。");

    private static int Usage(TextWriter error, string problem)
    {
        error.WriteLine($"cardap-edge --enroll: {problem}");
        error.WriteLine($"Usage: cardap-edge --enroll <bundle.cardap-enrol> [--code XXXX-XXXX-XXXX-XXXX-XXXX] [--into <folder>]  (or set {CodeVariable})");
        return 1;
    }
}
