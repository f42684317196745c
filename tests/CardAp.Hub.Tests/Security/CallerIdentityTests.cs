using CardAp.Hub.Security;
using CardAp.Shared.Domain;

namespace CardAp.Hub.Tests.Security;

public sealed class CallerIdentityTests : IDisposable
{
    private static readonly MunicipalityCode Chiyoda = MunicipalityCode.Parse("131016");
    private static readonly MunicipalityCode Sapporo = MunicipalityCode.Parse("011002");

    private readonly HubCertificateAuthority _ca = HubCertificateAuthority.Create();

    public void Dispose() => _ca.Dispose();

    [Fact]
    public void A_terminal_certificate_names_the_terminal_and_its_municipality()
    {
        using var certificate = _ca.IssueTerminalCertificate("131016-T001");
        var identity = CallerIdentity.FromCertificate(certificate);
        Assert.Equal(CallerKind.Terminal, identity.Kind);
        Assert.Equal("131016-T001", identity.Id);
        Assert.Equal(CallerRole.Terminal, identity.Role);
        Assert.Equal([Chiyoda], identity.Municipalities);
        Assert.Equal(["urn:cardap:terminal:131016-T001"], CallerIdentity.SubjectAlternativeUris(certificate));
    }

    [Fact]
    public void An_admin_certificate_round_trips_role_and_municipalities()
    {
        using var certificate = _ca.IssueAdminCertificate("it-sato", CallerRole.CentralIt, [Chiyoda, Sapporo]);
        var identity = CallerIdentity.FromCertificate(certificate);
        Assert.Equal(CallerKind.Admin, identity.Kind);
        Assert.Equal("it-sato", identity.Id);
        Assert.Equal(CallerRole.CentralIt, identity.Role);
        Assert.Equal([Sapporo, Chiyoda], identity.Municipalities);
        Assert.Equal("urn:cardap:admin:it-sato?role=central-it&municipalities=011002,131016", identity.ToUriString());
        Assert.Equal(CallerIdentity.Admin("it-sato", CallerRole.CentralIt, [Sapporo, Chiyoda]), identity);
    }

    [Fact]
    public void A_municipality_admin_certificate_round_trips()
    {
        using var certificate = _ca.IssueAdminCertificate("suzuki", CallerRole.MunicipalityAdmin, [Sapporo]);
        var identity = CallerIdentity.FromCertificate(certificate);
        Assert.Equal(CallerRole.MunicipalityAdmin, identity.Role);
        Assert.Equal([Sapporo], identity.Municipalities);
    }

    [Fact]
    public void Certificates_and_keys_survive_pem_export_and_import()
    {
        using var certificate = _ca.IssueTerminalCertificate("011002-K7");
        using var imported = CertificatePem.Import(certificate.ExportCertificatePem(), CertificatePem.ExportPrivateKey(certificate));
        Assert.True(imported.HasPrivateKey);
        Assert.Equal(certificate.Thumbprint, imported.Thumbprint);
        Assert.Equal("011002-K7", CallerIdentity.FromCertificate(imported).Id);

        using var reloadedCa = HubCertificateAuthority.FromPem(_ca.ExportCertificatePem(), _ca.ExportPrivateKeyPem());
        using var issuedByReloaded = reloadedCa.IssueTerminalCertificate("131016-T002");
        Assert.True(new ClientCertificateTrust(_ca.Certificate).IsTrusted(issuedByReloaded));
    }

    [Fact]
    public void The_server_certificate_names_its_hosts()
    {
        using var server = _ca.IssueServerCertificate(["hub.example.lg.jp", "127.0.0.1"]);
        var san = server.Extensions.OfType<System.Security.Cryptography.X509Certificates.X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(["hub.example.lg.jp"], san.EnumerateDnsNames());
        Assert.Equal([System.Net.IPAddress.Loopback], san.EnumerateIPAddresses());
        Assert.Throws<FormatException>(() => CallerIdentity.FromCertificate(server));
    }

    [Theory]
    [InlineData("urn:cardap:terminal:131017-T001")] // wrong check digit
    [InlineData("urn:cardap:terminal:131016")] // no terminal name
    [InlineData("urn:cardap:terminal:131016-")]
    [InlineData("urn:cardap:terminal:T001")]
    [InlineData("urn:cardap:terminal:131016-T 1")]
    [InlineData("urn:cardap:terminal:")]
    [InlineData("urn:cardap:operator:131016-T001")] // unknown kind
    [InlineData("urn:cardap:admin:sato")] // no role, no municipalities
    [InlineData("urn:cardap:admin:sato?role=root&municipalities=131016")] // unknown role
    [InlineData("urn:cardap:admin:sato?role=terminal&municipalities=131016")]
    [InlineData("urn:cardap:admin:sato?role=central-it&municipalities=")]
    [InlineData("urn:cardap:admin:sato?role=central-it")]
    [InlineData("urn:cardap:admin:sato?role=central-it&municipalities=131016,131016")]
    [InlineData("urn:cardap:admin:sato?role=central-it&municipalities=131016,12345")]
    [InlineData("urn:cardap:admin:sato?role=municipality-admin&municipalities=131016,011002")] // one municipality only
    [InlineData("urn:cardap:admin:sato?role=central-it&role=central-it&municipalities=131016")]
    [InlineData("urn:cardap:admin:sato?role=central-it&municipalities=131016&extra=1")]
    [InlineData("urn:cardap:admin:?role=central-it&municipalities=131016")]
    public void Malformed_identities_are_refused(string uri)
    {
        Assert.Throws<FormatException>(() => CallerIdentity.FromUri(uri));
        using var certificate = TestCertificates.SignedBy(_ca.Certificate, uri);
        Assert.Throws<FormatException>(() => CallerIdentity.FromCertificate(certificate));
    }

    [Fact]
    public void A_certificate_without_an_identity_is_refused()
    {
        using var noSan = TestCertificates.SignedBy(_ca.Certificate);
        var e = Assert.Throws<FormatException>(() => CallerIdentity.FromCertificate(noSan));
        Assert.Contains("names no CardAp identity", e.Message, StringComparison.Ordinal);

        using var otherUri = TestCertificates.SignedBy(_ca.Certificate, "https://example.org/terminal/131016-T001");
        Assert.Throws<FormatException>(() => CallerIdentity.FromCertificate(otherUri));
    }

    [Fact]
    public void A_certificate_with_two_identities_is_refused()
    {
        using var two = TestCertificates.SignedBy(_ca.Certificate, "urn:cardap:terminal:131016-T001", "urn:cardap:terminal:011002-T001");
        var e = Assert.Throws<FormatException>(() => CallerIdentity.FromCertificate(two));
        Assert.Contains("exactly one", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_factories_refuse_what_the_parser_refuses()
    {
        Assert.Throws<FormatException>(() => CallerIdentity.Admin("sato", CallerRole.Terminal, [Chiyoda]));
        Assert.Throws<FormatException>(() => CallerIdentity.Admin("sato", CallerRole.CentralIt, []));
        Assert.Throws<FormatException>(() => CallerIdentity.Admin("sato", CallerRole.CentralIt, [default]));
        Assert.Throws<FormatException>(() => CallerIdentity.Admin("sato?role=central-it", CallerRole.CentralIt, [Chiyoda]));
        Assert.Throws<FormatException>(() => _ca.IssueTerminalCertificate("999999-T1"));
    }

    [Fact]
    public void Only_certificates_chaining_to_the_hub_ca_are_trusted_for_client_authentication()
    {
        using var other = HubCertificateAuthority.Create("CardAp Hub CA");
        using var ours = _ca.IssueTerminalCertificate("131016-T001");
        using var theirs = other.IssueTerminalCertificate("131016-T001");
        using var server = _ca.IssueLocalServerCertificate();
        var trust = new ClientCertificateTrust(_ca.Certificate);
        Assert.True(trust.IsTrusted(ours));
        Assert.False(trust.IsTrusted(theirs)); // same name, different key
        Assert.False(trust.IsTrusted(server)); // server authentication only
        Assert.False(trust.IsTrusted(null));
    }
}
