namespace CardAp.Demo.Site;

/// <summary>Where the demo keeps everything, under one folder it names at the start: nothing outside it is touched.</summary>
public sealed class DemoFolders(string root)
{
    public string Root { get; } = Path.GetFullPath(root);

    /// <summary>Central IT's secrets: the hub CA, issuing keys, the passphrase and PIN files. Real sites keep these offline.</summary>
    public string Secrets => Path.Combine(Root, "central-it");

    public string Ca => Path.Combine(Secrets, "ca");

    public string Keys => Path.Combine(Secrets, "keys");

    public string PassphraseFile => Path.Combine(Secrets, "passphrase.txt");

    public string PinFile => Path.Combine(Secrets, "pin.txt");

    public string AdminCertificate => AdministratorCertificate(CentralItAdministrator);

    public string AdminKey => Path.ChangeExtension(AdminCertificate, ".key");

    /// <summary>The administrator's certificate and key in one file for a browser (the hub dashboard), under the passphrase.</summary>
    public string AdminPkcs12 => Path.ChangeExtension(AdminCertificate, ".p12");

    /// <summary>The id of central IT's administrator, who acts for both municipalities.</summary>
    public const string CentralItAdministrator = "it-admin";

    /// <summary>An administrator's certificate (PEM); its key (.key) and PKCS#12 (.p12) are next to it.</summary>
    public string AdministratorCertificate(string id) => Path.Combine(Secrets, $"{id}.pem");

    public string Hub => Path.Combine(Root, "hub");

    public string HubCaCertificate => Path.Combine(Ca, "hub-ca.pem");

    public string HubServerCertificate => Path.Combine(Hub, "hub-server.pem");

    public string HubServerKey => Path.Combine(Hub, "hub-server.key");

    public string Terminal(string id) => Path.Combine(Root, "terminals", id);

    public string Report => Path.Combine(Root, "report");

    /// <summary>Starts from an empty folder: the demo's story begins with nothing provisioned.</summary>
    public void Reset()
    {
        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
        foreach (var folder in new[] { Secrets, Hub, Report })
        {
            Directory.CreateDirectory(folder);
        }
    }
}
