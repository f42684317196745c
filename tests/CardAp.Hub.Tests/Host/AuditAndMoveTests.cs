using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using CardAp.Hub.Api;
using CardAp.Hub.Errors;
using CardAp.Hub.Security;
using CardAp.Shared.Domain;
using Google.Protobuf;
using Grpc.Core;

namespace CardAp.Hub.Tests.Host;

/// <summary>
/// Through real gRPC over mutual TLS: admin writes land in the municipality's audit, which only its
/// own administrators can read; a resident moves between two municipalities (引越継続) in one
/// transaction that central IT acting for both may make, and nobody else.
/// </summary>
public sealed class AuditAndMoveTests : TwoMunicipalityHub
{


    [Fact]
    public async Task Admin_writes_are_audited_newest_first_and_only_their_municipality_reads_them()
    {
        var chiyoda = AdminOf(Chiyoda);
        await chiyoda.PutMasterAsync(new PutMasterRequest { Municipality = "131016", Kind = "shelter", Key = "gym-1", PayloadJson = """{"capacity":120}""" }, cancellationToken: Cancel);
        // The same payload again changes nothing and leaves no entry.
        await chiyoda.PutMasterAsync(new PutMasterRequest { Municipality = "131016", Kind = "shelter", Key = "gym-1", PayloadJson = """{"capacity":120}""" }, cancellationToken: Cancel);
        await chiyoda.DeleteMasterAsync(new DeleteMasterRequest { Municipality = "131016", Kind = "shelter", Key = "gym-1" }, cancellationToken: Cancel);
        var file = Csv("131016,C-0001,library,L0001,利用中,2026/04/01,山田 太郎", "131016,C-0002,library,L0002,利用中,2026/04/01,鈴木 花子");
        await chiyoda.ImportRegistrationsAsync(new ImportRegistrationsRequest { Municipality = "131016", File = file, DryRun = true }, cancellationToken: Cancel);
        await chiyoda.ImportRegistrationsAsync(new ImportRegistrationsRequest { Municipality = "131016", File = file }, cancellationToken: Cancel);

        var entries = (await chiyoda.ListAuditAsync(new ListAuditRequest { Municipality = "131016" }, cancellationToken: Cancel)).Entries;
        Assert.Equal(["registrations.import", "master.delete", "master.put", "municipality.add"], entries.Select(e => e.Action));
        Assert.Equal(["admin-131016", "admin-131016", "admin-131016", "it-1"], entries.Select(e => e.Actor));
        Assert.True(entries.Zip(entries.Skip(1)).All(pair => pair.First.Id > pair.Second.Id));
        Assert.Equal("registrations file: 2 added, 0 changed, 0 removed", entries[0].Subject);
        var import = JsonNode.Parse(entries[0].DetailJson)!;
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(file.Span)), (string?)import["sha256"]);
        Assert.DoesNotContain("山田", entries[0].DetailJson, StringComparison.Ordinal);
        Assert.Equal(["shelter/gym-1", "shelter/gym-1", "千代田区"], entries.Skip(1).Select(e => e.Subject));
        Assert.True(DateTimeOffset.UtcNow - entries[0].At.ToDateTimeOffset() < TimeSpan.FromMinutes(5));
        Assert.Equal(2, (await chiyoda.ListAuditAsync(new ListAuditRequest { Municipality = "131016", Limit = 2 }, cancellationToken: Cancel)).Entries.Count);

        // Sapporo's audit holds none of it, and Sapporo's administrator cannot read Chiyoda's.
        var sapporo = AdminOf(Sapporo);
        Assert.Equal(["municipality.add"], (await sapporo.ListAuditAsync(new ListAuditRequest { Municipality = "011002" }, cancellationToken: Cancel)).Entries.Select(e => e.Action));
        var denied = await Assert.ThrowsAsync<RpcException>(async () => await sapporo.ListAuditAsync(new ListAuditRequest { Municipality = "131016" }, cancellationToken: Cancel));
        Assert.Equal((StatusCode.PermissionDenied, TenantScope.OtherMunicipalityReason), (denied.StatusCode, denied.Trailers.GetValue(HubRefusal.ReasonTrailer)));
        var invalid = await Assert.ThrowsAsync<RpcException>(async () => await chiyoda.ListAuditAsync(new ListAuditRequest { Municipality = "131016", Limit = 1001 }, cancellationToken: Cancel));
        Assert.Equal(StatusCode.InvalidArgument, invalid.StatusCode);
    }

    [Fact]
    public async Task A_resident_moves_with_their_registrations_and_both_audits_record_it()
    {
        await ImportAsync(Chiyoda,
            "131016,C-0001,library,L0001,利用中,2025/04/01,山田 太郎",
            "131016,C-0001,points,P0001,停止,2025/05/01,山田 太郎",
            "131016,C-0002,library,L0002,利用中,2026/04/01,鈴木 花子");

        var request = new MoveResidentRequest { FromMunicipality = "131016", ToMunicipality = "011002", CardNumber = "C-0001", NewCardNumber = "S-0100" };
        request.NewMemberNumbers.Add("library", "SL-9");
        var reply = await CentralIt.MoveResidentAsync(request, cancellationToken: Cancel);

        Assert.Equal(["library", "points"], reply.Services);
        Assert.Equal(["C-0002/library"], (await Registrations(Chiyoda)).Select(r => r.Key));
        var moved = await Registrations(Sapporo);
        Assert.Equal(["S-0100/library", "S-0100/points"], moved.Select(r => r.Key));
        var library = JsonNode.Parse(moved[0].PayloadJson)!;
        Assert.Equal(("S-0100", "SL-9", "active", "2025-04-01", "山田 太郎"),
            ((string?)library["cardNumber"], (string?)library["member"], (string?)library["status"], (string?)library["registeredOn"], (string?)library["name"]));
        var points = JsonNode.Parse(moved[1].PayloadJson)!;
        Assert.Equal(("S-0100", "P0001", "stopped"), ((string?)points["cardNumber"], (string?)points["member"], (string?)points["status"]));
        Assert.Equal(reply.ToChangeSeq, moved.Max(r => r.ChangeSeq));

        var moveOut = (await Audit(CentralIt, Chiyoda))[0];
        Assert.Equal(("resident.move-out", "it-1", "card C-0001 to 011002"), (moveOut.Action, moveOut.Actor, moveOut.Subject));
        Assert.Equal("011002", (string?)JsonNode.Parse(moveOut.DetailJson)!["to"]);
        var moveIn = (await Audit(CentralIt, Sapporo))[0];
        Assert.Equal(("resident.move-in", "it-1", "card S-0100 from 131016"), (moveIn.Action, moveIn.Actor, moveIn.Subject));
        Assert.Equal("131016", (string?)JsonNode.Parse(moveIn.DetailJson)!["from"]);

        // Done already: a retry finds nothing to move and changes nothing.
        var retry = await Assert.ThrowsAsync<RpcException>(async () => await CentralIt.MoveResidentAsync(request, cancellationToken: Cancel));
        Assert.Equal((StatusCode.NotFound, "NoRegistrations"), (retry.StatusCode, retry.Trailers.GetValue(HubRefusal.ReasonTrailer)));
        Assert.Equal(2, (await Registrations(Sapporo)).Count);
    }

    [Fact]
    public async Task Only_a_caller_acting_for_both_municipalities_may_move_a_resident_and_a_refusal_changes_nothing()
    {
        await ImportAsync(Chiyoda, "131016,C-0001,library,L0001,利用中,2025/04/01,山田 太郎");
        var request = new MoveResidentRequest { FromMunicipality = "131016", ToMunicipality = "011002", CardNumber = "C-0001" };
        var chiyodaOnlyIt = Client(Pki.Ca.IssueAdminCertificate("it-chiyoda", CallerRole.CentralIt, [Chiyoda]));
        var callers = new[]
        {
            AdminOf(Chiyoda),
            AdminOf(Sapporo),
            chiyodaOnlyIt,
            Client(Pki.Ca.IssueTerminalCertificate("131016-T001")),
        };
        foreach (var caller in callers)
        {
            var e = await Assert.ThrowsAsync<RpcException>(async () => await caller.MoveResidentAsync(request, cancellationToken: Cancel));
            Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
        }

        Assert.Equal(["C-0001/library"], (await Registrations(Chiyoda)).Select(r => r.Key));
        Assert.Empty(await Registrations(Sapporo));
        Assert.DoesNotContain(await Audit(CentralIt, Chiyoda), e => e.Action.StartsWith("resident.", StringComparison.Ordinal));
        Assert.DoesNotContain(await Audit(CentralIt, Sapporo), e => e.Action.StartsWith("resident.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_move_onto_a_taken_registration_or_with_a_stray_member_number_changes_neither_municipality()
    {
        await ImportAsync(Chiyoda, "131016,C-0001,library,L0001,利用中,2025/04/01,山田 太郎", "131016,C-0001,points,P0001,利用中,2025/04/01,山田 太郎");
        await ImportAsync(Sapporo, "011002,S-0100,points,SP-1,利用中,2024/01/01,佐藤 次郎");
        var sapporoAuditBefore = (await Audit(CentralIt, Sapporo)).Count;

        var taken = await Assert.ThrowsAsync<RpcException>(async () => await CentralIt.MoveResidentAsync(new MoveResidentRequest
        {
            FromMunicipality = "131016", ToMunicipality = "011002", CardNumber = "C-0001", NewCardNumber = "S-0100",
        }, cancellationToken: Cancel));
        Assert.Equal((StatusCode.FailedPrecondition, "RegistrationExists"), (taken.StatusCode, taken.Trailers.GetValue(HubRefusal.ReasonTrailer)));
        Assert.Contains("S-0100/points", Encoding.UTF8.GetString(taken.Trailers.GetValueBytes(HubRefusal.MessageJaTrailer)!), StringComparison.Ordinal);

        var stray = new MoveResidentRequest { FromMunicipality = "131016", ToMunicipality = "011002", CardNumber = "C-0001", NewCardNumber = "S-0200" };
        stray.NewMemberNumbers.Add("shelter", "X-1");
        var invalid = await Assert.ThrowsAsync<RpcException>(async () => await CentralIt.MoveResidentAsync(stray, cancellationToken: Cancel));
        Assert.Equal(StatusCode.InvalidArgument, invalid.StatusCode);
        Assert.Contains("shelter", invalid.Status.Detail, StringComparison.Ordinal);

        var same = await Assert.ThrowsAsync<RpcException>(async () => await CentralIt.MoveResidentAsync(new MoveResidentRequest
        {
            FromMunicipality = "131016", ToMunicipality = "131016", CardNumber = "C-0001", NewCardNumber = "C-0009",
        }, cancellationToken: Cancel));
        Assert.Equal(StatusCode.InvalidArgument, same.StatusCode);

        Assert.Equal(["C-0001/library", "C-0001/points"], (await Registrations(Chiyoda)).Select(r => r.Key));
        Assert.Equal(["S-0100/points"], (await Registrations(Sapporo)).Select(r => r.Key));
        Assert.Equal("registrations.import", (await Audit(CentralIt, Chiyoda))[0].Action);
        Assert.Equal(sapporoAuditBefore, (await Audit(CentralIt, Sapporo)).Count);
    }

    private Admin.AdminClient Client(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate) => new(Channel(certificate));

    private async Task ImportAsync(MunicipalityCode municipality, params string[] rows)
    {
        var reply = await CentralIt.ImportRegistrationsAsync(new ImportRegistrationsRequest { Municipality = municipality.Value, File = Csv(rows) }, cancellationToken: Cancel);
        Assert.Empty(reply.BadRows);
    }

    private async Task<IReadOnlyList<MasterRowMessage>> Registrations(MunicipalityCode municipality) =>
        (await CentralIt.ListMasterAsync(new ListMasterRequest { Municipality = municipality.Value, Kind = MasterKinds.Registration }, cancellationToken: Cancel)).Rows;

    private static async Task<IReadOnlyList<AuditEntryMessage>> Audit(Admin.AdminClient client, MunicipalityCode municipality) =>
        (await client.ListAuditAsync(new ListAuditRequest { Municipality = municipality.Value }, cancellationToken: Cancel)).Entries;

    private static ByteString Csv(params string[] rows) =>
        ByteString.CopyFrom(Encoding.UTF8.GetBytes("municipality,card_number,service,member_number,status,registered_on,name\r\n" + string.Concat(rows.Select(r => r + "\r\n"))));
}
