using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using CardAp.Edge.Enrolment;
using CardAp.Edge.Store;
using CardAp.Edge.Tests.Integration;
using CardAp.Hub.Security;
using CardAp.Shared.Enrolment;

namespace CardAp.Provision.Tests;

/// <summary>`cardap-edge --enroll` on bundles sealed here with a CA of the test's own: the command line, a snapshot for a site without network, and bundles whose parts do not fit.</summary>
public sealed class EnrolmentTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("cardap-enrol-");
    private readonly HubCertificateAuthority _ca = HubCertificateAuthority.Create();

    public void Dispose()
    {
        _ca.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _root.Delete(recursive: true);
    }

    [Fact]
    public async Task A_bundle_with_a_snapshot_starts_a_terminal_that_knows_its_master_data_before_it_ever_reached_the_hub()
    {
        var snapshot = new JsonObject
        {
            ["format"] = "cardap-master-snapshot",
            ["version"] = 1,
            ["municipality"] = "131016",
            ["createdAt"] = "2026-11-27T09:00:00+09:00",
            ["rows"] = new JsonArray(
                new JsonObject { ["kind"] = "site", ["key"] = "shelter-3", ["payload"] = new JsonObject { ["name"] = "第三避難所" } },
                new JsonObject { ["kind"] = "shelter", ["key"] = "S-3", ["payload"] = new JsonObject { ["name"] = "第三小学校", ["capacity"] = 200 } }),
        };
        var (bundle, code) = Seal("131016-T007", snapshot.ToJsonString());
        var terminal = Path.Combine(_root.FullName, "terminal");

        Assert.Equal(0, EnrolCommand.Run([bundle, "--code", code, "--into", terminal], TextWriter.Null, TextWriter.Null));

        // The hub address in the bundle leads nowhere: the master data can only have come from the bundle.
        await using var edge = await EdgeHost.StartAsync(Path.Combine(terminal, "data"), TimeProvider.System,
            new Dictionary<string, string?> { ["Edge:Readers"] = "Virtual" }, enrolledIn: terminal);
        Assert.Equal(2, edge.Get<MasterData>().Count());
        Assert.NotNull(edge.Get<MasterData>().GetJson("shelter", "S-3"));
    }

    [Fact]
    public void The_command_line_says_what_is_missing_and_ends_with_the_exit_code_of_each_outcome()
    {
        var (bundle, code) = Seal("131016-T001");
        var terminal = Path.Combine(_root.FullName, "terminal");
        var output = new StringWriter();
        var error = new StringWriter();

        Assert.Equal(1, EnrolCommand.Run([], output, error));
        Assert.Equal(1, EnrolCommand.Run([bundle, "--into", terminal], output, error));
        Assert.Contains(EnrolCommand.CodeVariable, error.ToString(), StringComparison.Ordinal);
        Assert.Equal(3, EnrolCommand.Run([Path.Combine(_root.FullName, "missing.cardap-enrol"), "--code", code, "--into", terminal], output, error));
        Assert.Equal(0, EnrolCommand.Run([bundle, "--code", code, "--into", terminal], output, error));
        Assert.Contains("131016-T001", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("登録しました", output.ToString(), StringComparison.Ordinal);
        error.GetStringBuilder().Clear();
        Assert.Equal(2, EnrolCommand.Run([bundle, "--code", code, "--into", terminal], output, error));
        Assert.Contains("already enrolled", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("登録済み", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_bundle_whose_certificate_names_another_terminal_or_lacks_the_hubs_signature_is_refused_and_nothing_is_written()
    {
        using var other = _ca.IssueTerminalCertificate("131016-T002");
        using var stranger = HubCertificateAuthority.Create("Not the hub");
        using var foreign = stranger.IssueTerminalCertificate("131016-T001");
        foreach (var certificate in new[] { other, foreign })
        {
            var code = EnrolmentCode.New();
            var path = Path.Combine(_root.FullName, Guid.NewGuid().ToString("N") + ".cardap-enrol");
            File.WriteAllBytes(path, EnrolmentBundle.Seal(Payload("131016-T001", certificate), code));
            var terminal = Path.Combine(_root.FullName, Guid.NewGuid().ToString("N"));

            Assert.Equal("Inconsistent", Assert.Throws<EnrolmentBundleException>(() => EnrolCommand.Import(path, code, terminal, [])).Reason);
            Assert.False(File.Exists(Path.Combine(terminal, EnrolmentConfiguration.FileName)));
        }
    }

    private (string Path, string Code) Seal(string terminalId, string? snapshot = null)
    {
        using var certificate = _ca.IssueTerminalCertificate(terminalId);
        var code = EnrolmentCode.New();
        var path = Path.Combine(_root.FullName, terminalId + ".cardap-enrol");
        File.WriteAllBytes(path, EnrolmentBundle.Seal(Payload(terminalId, certificate) with { MasterSnapshotJson = snapshot }, code));
        return (path, code);
    }

    private EnrolmentPayload Payload(string terminalId, X509Certificate2 certificate) =>
        new("131016", terminalId, "https://127.0.0.1:1", _ca.ExportCertificatePem(), certificate.ExportCertificatePem(), CertificatePem.ExportPrivateKey(certificate));
}
