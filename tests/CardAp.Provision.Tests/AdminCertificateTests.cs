using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CardAp.Hub.Security;
using CardAp.Provision.Cli;

namespace CardAp.Provision.Tests;

/// <summary>`ca issue-admin --pkcs12`: the administrator's certificate also as one file a browser imports for the hub dashboard.</summary>
public sealed class AdminCertificateTests : IDisposable
{
    private const string Passphrase = ProvisionWorld.Passphrase;

    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("cardap-admin-cert-");

    public void Dispose() => _root.Delete(recursive: true);

    private string PassphraseFile => Path.Combine(_root.FullName, "pass.txt");

    private string Ca => Path.Combine(_root.FullName, "ca");

    [Fact]
    public async Task The_pkcs12_holds_the_same_certificate_and_key_under_the_passphrase()
    {
        await File.WriteAllTextAsync(PassphraseFile, Passphrase + "\n", TestContext.Current.CancellationToken);
        Assert.Equal(ExitCodes.Ok, await RunAsync("ca", "init", "--ca", Ca));
        var pem = Path.Combine(_root.FullName, "admin-011002.pem");

        Assert.Equal(ExitCodes.Ok, await RunAsync("ca", "issue-admin", "--ca", Ca, "--id", "admin-011002", "--role", "municipality-admin",
            "--municipality", "011002", "--out", pem, "--pkcs12"));

        var p12 = Path.ChangeExtension(pem, ".p12");
        using var fromP12 = X509CertificateLoader.LoadPkcs12FromFile(p12, Passphrase);
        using var fromPem = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(pem, TestContext.Current.CancellationToken));
        Assert.Equal(fromPem.RawData, fromP12.RawData);
        Assert.Equal("urn:cardap:admin:admin-011002?role=municipality-admin&municipalities=011002", CallerIdentity.FromCertificate(fromP12).ToUriString());
        using var key = fromP12.GetECDsaPrivateKey();
        using var pemKey = ProtectedKeys.ReadECDsa(Path.ChangeExtension(pem, ".key"), Passphrase);
        Assert.Equal(pemKey.ExportParameters(false).Q.X, key!.ExportParameters(false).Q.X);
        Assert.ThrowsAny<CryptographicException>(() => X509CertificateLoader.LoadPkcs12FromFile(p12, "not the passphrase"));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(p12));
        }
    }

    [Fact]
    public async Task An_existing_pkcs12_is_never_overwritten_and_nothing_else_is_written()
    {
        await File.WriteAllTextAsync(PassphraseFile, Passphrase + "\n", TestContext.Current.CancellationToken);
        Assert.Equal(ExitCodes.Ok, await RunAsync("ca", "init", "--ca", Ca));
        var pem = Path.Combine(_root.FullName, "it-sato.pem");
        await File.WriteAllTextAsync(Path.ChangeExtension(pem, ".p12"), "someone else's", TestContext.Current.CancellationToken);

        Assert.Equal(ExitCodes.Refused, await RunAsync("ca", "issue-admin", "--ca", Ca, "--id", "it-sato", "--role", "central-it",
            "--municipality", "131016", "--out", pem, "--pkcs12"));

        Assert.False(File.Exists(pem));
        Assert.False(File.Exists(Path.ChangeExtension(pem, ".key")));
        Assert.Equal("someone else's", await File.ReadAllTextAsync(Path.ChangeExtension(pem, ".p12"), TestContext.Current.CancellationToken));
    }

    private Task<int> RunAsync(params string[] args) =>
        new ProvisionTool().RunAsync(["--passphrase-file", PassphraseFile, .. args], TextWriter.Null, TextWriter.Null);
}
