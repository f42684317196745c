using System.Security.Cryptography;
using System.Text.Json.Nodes;
using CardAp.Card.Application;
using CardAp.Demo.Site;
using CardAp.Provision;
using CardAp.VirtualCard;
using CardAp.VirtualCard.InProcess;
using CardAp.VirtualCard.Issuance;

namespace CardAp.Demo.Script;

/// <summary>
/// Central IT at its desk: every step is a cardap-provision command line, run in this process by
/// the tool's own code (<see cref="ProvisionTool"/>), with a virtual issuing-desk reader for the
/// cards. A refused or failed command stops the demo with the tool's own words.
/// </summary>
public sealed class CentralIt
{
    public const string DeskReader = "CardAp Issuing Desk";
    public const string Passphrase = "demo passphrase: keep real ones offline";
    public const string Pin = "2580";

    // Options whose values are paths or secrets: left out of what the narrator prints.
    private static readonly HashSet<string> Quiet = ["--keys", "--ca", "--hub", "--hub-ca", "--admin-cert", "--admin-key", "--out", "--pin-file", "--reader", "--terminal-hub"];

    private readonly DemoFolders folders;
    private readonly Narrator narrator;
    private readonly InProcessCardReaders _desk = new(DeskReader);
    private readonly ProvisionTool _tool;
    private string[] _hub = [];

    public CentralIt(DemoFolders folders, Narrator narrator)
    {
        this.folders = folders;
        this.narrator = narrator;
        _tool = new ProvisionTool(_desk);
    }

    /// <summary>Creates the hub CA, the hub's server certificate and the administrator's certificate.</summary>
    public async Task CreateCaAsync()
    {
        await File.WriteAllTextAsync(folders.PassphraseFile, Passphrase + "\n");
        await File.WriteAllTextAsync(folders.PinFile, Pin + "\n");
        await RunAsync("ca", "init", "--ca", folders.Ca);
        await RunAsync("ca", "issue-server", "--ca", folders.Ca, "--host", "localhost", "--host", "127.0.0.1", "--out", folders.HubServerCertificate);
    }

    /// <summary>Issues central IT's administrator certificate for the municipalities (the one the demo's own admin calls use).</summary>
    public Task IssueAdministratorAsync(IEnumerable<string> municipalities) =>
        IssueAdministratorAsync(DemoFolders.CentralItAdministrator, "central-it", municipalities);

    /// <summary>
    /// Issues an administrator's certificate (PEM, key encrypted under the passphrase) and the same as
    /// PKCS#12 for a browser; returns the certificate's path (<see cref="DemoFolders.AdministratorCertificate"/>).
    /// </summary>
    public async Task<string> IssueAdministratorAsync(string id, string role, IEnumerable<string> municipalities)
    {
        var certificate = folders.AdministratorCertificate(id);
        await RunAsync(["ca", "issue-admin", "--ca", folders.Ca, "--id", id, "--role", role,
            .. municipalities.SelectMany(m => new[] { "--municipality", m }), "--out", certificate, "--pkcs12"]);
        return certificate;
    }

    public void UseHub(Uri hub) => _hub =
    [
        "--hub", hub.ToString(), "--hub-ca", folders.HubCaCertificate, "--admin-cert", folders.AdminCertificate, "--admin-key", folders.AdminKey,
    ];

    public Task CreateMunicipalityAsync(string code, string name) =>
        RunAsync(["municipality", "create", "--municipality", code, "--name", name, "--keys", folders.Keys, .. _hub]);

    /// <summary>Enrols a terminal whose line to the hub is <paramref name="terminalHub"/>; returns the bundle and its one-time code.</summary>
    public async Task<(string Bundle, string Code)> EnrolAsync(TerminalRole terminal, Uri terminalHub)
    {
        var bundle = Path.Combine(folders.Secrets, $"{terminal.TerminalId}.cardap-enrol");
        var reply = await RunAsync(["terminal", "enroll", "--municipality", terminal.Municipality, "--id", terminal.Id, "--site", terminal.Site,
            .. terminal.Services.SelectMany(s => new[] { "--service", s }),
            "--ca", folders.Ca, "--terminal-hub", terminalHub.ToString(), "--out", bundle, .. _hub]);
        return (bundle, (string)reply["code"]!);
    }

    /// <summary>Issues an operator identification card (操作者識別カード) on a blank card at the desk.</summary>
    public async Task<ISmartCard> IssueOperatorCardAsync(StaffMember staff) =>
        await OnBlankCardAsync(staff.Municipality, ["operator", "issue", "--municipality", staff.Municipality, "--id", staff.Id, "--role", staff.Role, "--card", staff.Card,
            "--keys", folders.Keys, "--pin-file", folders.PinFile, "--reader", DeskReader, .. _hub]);

    /// <summary>Writes the CardAp application to a resident's card with the given services (service=member).</summary>
    public async Task<ISmartCard> IssueResidentCardAsync(Resident resident) =>
        await OnBlankCardAsync(resident.Municipality, ["card", "issue", "--municipality", resident.Municipality, "--card", resident.Card,
            .. resident.Services.SelectMany(s => new[] { "--service", s }),
            "--keys", folders.Keys, "--pin-file", folders.PinFile, "--reader", DeskReader, .. _hub]);

    public Task SuspendCardAsync(string municipality, string card, string reason) =>
        RunAsync(["card", "suspend", "--municipality", municipality, "--card", card, "--reason", reason, .. _hub]);

    private async Task<ISmartCard> OnBlankCardAsync(string municipality, string[] args)
    {
        var card = VirtualCards.Blank(await IssuerAsync(municipality));
        _desk.Insert(DeskReader, card);
        try
        {
            await RunAsync(args);
        }
        finally
        {
            _desk.Remove(DeskReader);
        }
        return card;
    }

    /// <summary>The issuing key's public half, as J-LIS's free-area set-up gives it to a blank card.</summary>
    private async Task<IssuerPublicKey> IssuerAsync(string municipality)
    {
        using var key = ECDsa.Create();
        key.ImportFromPem(await File.ReadAllTextAsync(Path.Combine(folders.Keys, $"{municipality}-01.pub.pem")));
        return new IssuerPublicKey(IssuerReference.Parse($"{municipality}-01"), key.ExportSubjectPublicKeyInfo());
    }

    /// <summary>An admin API client as the tool's own commands open it, for master data the tool has no command for.</summary>
    public (Grpc.Net.Client.GrpcChannel Channel, CardAp.Hub.Api.Admin.AdminClient Client) ConnectAdmin(Uri hub) =>
        Provision.Cli.HubOptions.Connect(hub, folders.HubCaCertificate, folders.AdminCertificate, folders.AdminKey, Passphrase);

    private async Task<JsonObject> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await _tool.RunAsync(["--passphrase-file", folders.PassphraseFile, "--json", .. args], output, error);
        var shown = "cardap-provision " + string.Join(' ', args.Where((a, i) => !Quiet.Contains(a) && (i == 0 || !Quiet.Contains(args[i - 1]))));
        if (exit != 0)
        {
            throw new DemoException($"{shown} failed (exit {exit}): {error.ToString().Trim()}");
        }
        narrator.Tool(shown);
        return output.ToString().TrimStart().StartsWith('{') ? JsonNode.Parse(output.ToString())!.AsObject() : [];
    }
}
