using System.Security.Cryptography.X509Certificates;
using System.Text;
using CardAp.Hub.Api;
using CardAp.Hub.Errors;
using CardAp.Hub.Security;
using CardAp.Shared.Domain;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace CardAp.Hub.Tests.Host;

/// <summary>
/// Through real gRPC over mutual TLS: a caller that works is revoked (its certificate, or a
/// terminal's master row) and its very next call on the same connection is refused; a revoked
/// administrator cannot undo it; only central IT revokes, and only for its own municipalities.
/// </summary>
public sealed class RevocationTests : TwoMunicipalityHub
{


    [Fact]
    public async Task A_terminal_retired_or_revoked_in_the_master_data_is_refused_on_its_next_call()
    {
        var channel = Channel(Pki.Ca.IssueTerminalCertificate("131016-T001"));
        var terminal = new Admin.AdminClient(channel);
        var health = new Health.HealthClient(channel);
        await SetTerminalStatus("131016-T001", "active");
        Assert.Equal("131016-T001", (await terminal.WhoAmIAsync(new WhoAmIRequest(), cancellationToken: Cancel)).Id);

        await SetTerminalStatus("131016-T001", "retired");
        var refused = await AssertRefused(() => terminal.WhoAmIAsync(new WhoAmIRequest(), cancellationToken: Cancel).ResponseAsync, RevocationGate.TerminalRevokedReason);
        Assert.Contains("131016-T001", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("廃止", Encoding.UTF8.GetString(refused.Trailers.GetValueBytes(HubRefusal.MessageJaTrailer)!), StringComparison.Ordinal);
        // Every service, not only the admin API.
        await AssertRefused(() => health.CheckAsync(new HealthCheckRequest(), cancellationToken: Cancel).ResponseAsync, RevocationGate.TerminalRevokedReason);

        await SetTerminalStatus("131016-T001", "Revoked");
        var revoked = await AssertRefused(() => terminal.WhoAmIAsync(new WhoAmIRequest(), cancellationToken: Cancel).ResponseAsync, RevocationGate.TerminalRevokedReason);
        Assert.Contains("失効", Encoding.UTF8.GetString(revoked.Trailers.GetValueBytes(HubRefusal.MessageJaTrailer)!), StringComparison.Ordinal);

        // Another terminal of the same municipality is not affected; putting the row back reinstates the terminal.
        var other = new Admin.AdminClient(Channel(Pki.Ca.IssueTerminalCertificate("131016-T002")));
        Assert.Equal("131016-T002", (await other.WhoAmIAsync(new WhoAmIRequest(), cancellationToken: Cancel)).Id);
        await SetTerminalStatus("131016-T001", "active");
        Assert.Equal("131016-T001", (await terminal.WhoAmIAsync(new WhoAmIRequest(), cancellationToken: Cancel)).Id);
    }

    [Fact]
    public async Task A_revoked_terminal_certificate_is_refused_on_its_next_call_and_a_new_certificate_works()
    {
        var certificate = Pki.Ca.IssueTerminalCertificate("131016-T001");
        var terminal = new Admin.AdminClient(Channel(certificate));
        var serial = (await terminal.WhoAmIAsync(new WhoAmIRequest(), cancellationToken: Cancel)).CertificateSerial;
        Assert.Equal(certificate.SerialNumber.TrimStart('0'), serial);

        var reply = await CentralIt.RevokeCertificateAsync(new RevokeCertificateRequest
        {
            Serial = string.Join(':', Convert.FromHexString(certificate.SerialNumber).Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture))),
            Subject = "urn:cardap:terminal:131016-T001",
            Reason = "stolen from the branch office",
        }, cancellationToken: Cancel);
        Assert.True(reply.NewlyRevoked);
        Assert.Equal(serial, reply.Serial);
        Assert.Equal(["131016"], reply.AuditedMunicipalities);

        var refused = await AssertRefused(() => terminal.WhoAmIAsync(new WhoAmIRequest(), cancellationToken: Cancel).ResponseAsync, RevocationGate.CertificateRevokedReason);
        Assert.Contains(serial, refused.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("失効", Encoding.UTF8.GetString(refused.Trailers.GetValueBytes(HubRefusal.MessageJaTrailer)!), StringComparison.Ordinal);

        var entry = (await CentralIt.ListAuditAsync(new ListAuditRequest { Municipality = "131016" }, cancellationToken: Cancel)).Entries[0];
        Assert.Equal(("certificate.revoke", "it-1", "terminal 131016-T001"), (entry.Action, entry.Actor, entry.Subject));
        Assert.Contains("stolen", entry.DetailJson, StringComparison.Ordinal);
        Assert.DoesNotContain((await CentralIt.ListAuditAsync(new ListAuditRequest { Municipality = "011002" }, cancellationToken: Cancel)).Entries, e => e.Action == "certificate.revoke");

        // Again: the first revocation stands, nothing more is audited.
        var again = await CentralIt.RevokeCertificateAsync(new RevokeCertificateRequest { Serial = serial, Subject = "urn:cardap:terminal:131016-T001", Reason = "twice" }, cancellationToken: Cancel);
        Assert.False(again.NewlyRevoked);
        Assert.Equal(reply.RevokedAt, again.RevokedAt);
        Assert.Single((await CentralIt.ListAuditAsync(new ListAuditRequest { Municipality = "131016" }, cancellationToken: Cancel)).Entries, e => e.Action == "certificate.revoke");

        // The same terminal re-enrolled with a new certificate works.
        var reissued = new Admin.AdminClient(Channel(Pki.Ca.IssueTerminalCertificate("131016-T001")));
        Assert.Equal("131016-T001", (await reissued.WhoAmIAsync(new WhoAmIRequest(), cancellationToken: Cancel)).Id);
    }

    [Fact]
    public async Task A_revoked_administrator_is_refused_everything_and_cannot_undo_it()
    {
        var certificate = Pki.Ca.IssueAdminCertificate("it-2", CallerRole.CentralIt, [Chiyoda, Sapporo]);
        var it2 = new Admin.AdminClient(Channel(certificate));
        await it2.PutMasterAsync(new PutMasterRequest { Municipality = "131016", Kind = "site", Key = "hq", PayloadJson = """{"name":"本庁舎"}""" }, cancellationToken: Cancel);

        await CentralIt.RevokeCertificateAsync(new RevokeCertificateRequest
        {
            Serial = certificate.SerialNumber,
            Subject = "urn:cardap:admin:it-2?role=central-it&municipalities=011002,131016",
            Reason = "left the department",
        }, cancellationToken: Cancel);
        var audited = await CentralIt.ListAuditAsync(new ListAuditRequest { Municipality = "011002" }, cancellationToken: Cancel);
        Assert.Equal(("certificate.revoke", "admin it-2"), (audited.Entries[0].Action, audited.Entries[0].Subject));

        Func<Task>[] attempts =
        [
            () => it2.WhoAmIAsync(new WhoAmIRequest(), cancellationToken: Cancel).ResponseAsync,
            () => it2.ListMasterAsync(new ListMasterRequest { Municipality = "131016", Kind = "site" }, cancellationToken: Cancel).ResponseAsync,
            () => it2.PutMasterAsync(new PutMasterRequest { Municipality = "131016", Kind = "site", Key = "hq", PayloadJson = "{}" }, cancellationToken: Cancel).ResponseAsync,
            // There is no RPC that lifts a revocation; revoking the colleague who revoked it does not get as far as the RPC either.
            () => it2.RevokeCertificateAsync(new RevokeCertificateRequest { Serial = "ABCDEF", Subject = "urn:cardap:admin:it-1?role=central-it&municipalities=011002,131016", Reason = "revenge" }, cancellationToken: Cancel).ResponseAsync,
            () => it2.ListAuditAsync(new ListAuditRequest { Municipality = "131016" }, cancellationToken: Cancel).ResponseAsync,
        ];
        foreach (var attempt in attempts)
        {
            await AssertRefused(attempt, RevocationGate.CertificateRevokedReason);
        }

        // Still refused, and the row it last wrote is as it was; it-1 is unaffected.
        await AssertRefused(() => it2.WhoAmIAsync(new WhoAmIRequest(), cancellationToken: Cancel).ResponseAsync, RevocationGate.CertificateRevokedReason);
        var site = await CentralIt.ListMasterAsync(new ListMasterRequest { Municipality = "131016", Kind = "site" }, cancellationToken: Cancel);
        Assert.Equal("本庁舎", (string?)System.Text.Json.Nodes.JsonNode.Parse(Assert.Single(site.Rows).PayloadJson)!["name"]);
    }

    [Fact]
    public async Task Central_it_revoking_its_own_certificate_gets_the_reply_and_is_refused_from_the_next_call()
    {
        var certificate = Pki.Ca.IssueAdminCertificate("it-3", CallerRole.CentralIt, [Chiyoda]);
        var it3 = new Admin.AdminClient(Channel(certificate));
        var reply = await it3.RevokeCertificateAsync(new RevokeCertificateRequest
        {
            Serial = certificate.SerialNumber,
            Subject = "urn:cardap:admin:it-3?role=central-it&municipalities=131016",
            Reason = "key copied to a lost laptop",
        }, cancellationToken: Cancel);
        Assert.True(reply.NewlyRevoked);
        await AssertRefused(() => it3.WhoAmIAsync(new WhoAmIRequest(), cancellationToken: Cancel).ResponseAsync, RevocationGate.CertificateRevokedReason);
    }

    [Fact]
    public async Task Only_central_it_revokes_and_only_for_municipalities_it_acts_for()
    {
        var target = Pki.Ca.IssueTerminalCertificate("011002-T001");
        var terminal = new Admin.AdminClient(Channel(target));
        var request = new RevokeCertificateRequest { Serial = target.SerialNumber, Subject = "urn:cardap:terminal:011002-T001", Reason = "test" };

        var sapporoAdmin = new Admin.AdminClient(Channel(Pki.Ca.IssueAdminCertificate("admin-011002", CallerRole.MunicipalityAdmin, [Sapporo])));
        var notCentral = await Assert.ThrowsAsync<RpcException>(async () => await sapporoAdmin.RevokeCertificateAsync(request, cancellationToken: Cancel));
        Assert.Equal((StatusCode.PermissionDenied, "NotCentralIt"), (notCentral.StatusCode, notCentral.Trailers.GetValue(HubRefusal.ReasonTrailer)));
        Assert.False(string.IsNullOrEmpty(Encoding.UTF8.GetString(notCentral.Trailers.GetValueBytes(HubRefusal.MessageJaTrailer)!)));

        var chiyodaIt = new Admin.AdminClient(Channel(Pki.Ca.IssueAdminCertificate("it-chiyoda", CallerRole.CentralIt, [Chiyoda])));
        var otherMunicipality = await Assert.ThrowsAsync<RpcException>(async () => await chiyodaIt.RevokeCertificateAsync(request, cancellationToken: Cancel));
        Assert.Equal((StatusCode.PermissionDenied, TenantScope.OtherMunicipalityReason), (otherMunicipality.StatusCode, otherMunicipality.Trailers.GetValue(HubRefusal.ReasonTrailer)));

        var terminalCaller = new Admin.AdminClient(Channel(Pki.Ca.IssueTerminalCertificate("011002-T002")));
        var byTerminal = await Assert.ThrowsAsync<RpcException>(async () => await terminalCaller.RevokeCertificateAsync(request, cancellationToken: Cancel));
        Assert.Equal(StatusCode.PermissionDenied, byTerminal.StatusCode);

        foreach (var bad in new[]
        {
            new RevokeCertificateRequest { Serial = "not hex", Subject = request.Subject, Reason = "x" },
            new RevokeCertificateRequest { Serial = request.Serial, Subject = "CN=011002-T001", Reason = "x" },
            new RevokeCertificateRequest { Serial = request.Serial, Subject = request.Subject, Reason = " " },
        })
        {
            var e = await Assert.ThrowsAsync<RpcException>(async () => await CentralIt.RevokeCertificateAsync(bad, cancellationToken: Cancel));
            Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        }

        // None of that revoked anything.
        Assert.Equal("011002-T001", (await terminal.WhoAmIAsync(new WhoAmIRequest(), cancellationToken: Cancel)).Id);
        Assert.DoesNotContain((await CentralIt.ListAuditAsync(new ListAuditRequest { Municipality = "011002" }, cancellationToken: Cancel)).Entries, e => e.Action == "certificate.revoke");
    }

    private Task SetTerminalStatus(string terminalId, string status) =>
        CentralIt.PutMasterAsync(new PutMasterRequest
        {
            Municipality = terminalId[..6],
            Kind = MasterKinds.Terminal,
            Key = terminalId,
            PayloadJson = $$"""{"site":"hq","status":"{{status}}"}""",
        }, cancellationToken: Cancel).ResponseAsync;

    private static async Task<RpcException> AssertRefused(Func<Task> call, string reason)
    {
        var e = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        Assert.Equal(reason, e.Trailers.GetValue(HubRefusal.ReasonTrailer));
        return e;
    }
}
