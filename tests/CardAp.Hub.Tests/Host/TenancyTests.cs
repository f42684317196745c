using System.Text;
using CardAp.Hub.Api;
using CardAp.Hub.Errors;
using CardAp.Hub.Security;
using CardAp.Hub.Store;
using CardAp.Shared.Domain;
using Google.Protobuf;
using Grpc.Core;

namespace CardAp.Hub.Tests.Host;

/// <summary>
/// Two municipalities on one hub (共同利用): each administrator sees and changes only their own;
/// every call with the other municipality's name is PERMISSION_DENIED and returns none of its rows.
/// </summary>
public sealed class TenancyTests : TwoMunicipalityHub
{
    [Fact]
    public async Task An_administrator_works_on_their_own_municipality()
    {
        var chiyoda = AdminOf(Chiyoda);
        var write = await chiyoda.PutMasterAsync(new PutMasterRequest { Municipality = "131016", Kind = "shelter", Key = "gym-1", PayloadJson = """{"capacity":120}""" }, cancellationToken: Cancel);
        Assert.True(write.Changed);
        Assert.Equal(1, write.ChangeSeq);
        var rows = await chiyoda.ListMasterAsync(new ListMasterRequest { Municipality = "131016", Kind = "shelter" }, cancellationToken: Cancel);
        Assert.Equal("gym-1", Assert.Single(rows.Rows).Key);
    }

    [Fact]
    public async Task ListMaster_with_a_key_prefix_returns_only_the_rows_under_it()
    {
        var chiyoda = AdminOf(Chiyoda);
        foreach (var key in new[] { "C-1/library", "C-1/shelter", "C-10/library", "c-1/points" })
        {
            await chiyoda.PutMasterAsync(new PutMasterRequest { Municipality = "131016", Kind = "registration", Key = key, PayloadJson = "{}" }, cancellationToken: Cancel);
        }
        var rows = await chiyoda.ListMasterAsync(new ListMasterRequest { Municipality = "131016", Kind = "registration", KeyPrefix = "C-1/" }, cancellationToken: Cancel);
        Assert.Equal(["C-1/library", "C-1/shelter"], rows.Rows.Select(r => r.Key));
        var all = await chiyoda.ListMasterAsync(new ListMasterRequest { Municipality = "131016", Kind = "registration" }, cancellationToken: Cancel);
        Assert.Equal(4, all.Rows.Count);
    }

    [Fact]
    public async Task Every_admin_call_for_the_other_municipality_is_refused_and_leaks_nothing()
    {
        var sapporo = AdminOf(Sapporo);
        var chiyoda = AdminOf(Chiyoda);
        await sapporo.PutMasterAsync(new PutMasterRequest { Municipality = "011002", Kind = "shelter", Key = "dome", PayloadJson = """{"capacity":5000}""" }, cancellationToken: Cancel);

        var calls = new Func<Task>[]
        {
            async () => await chiyoda.ListMasterAsync(new ListMasterRequest { Municipality = "011002", Kind = "shelter" }, cancellationToken: Cancel),
            async () => await chiyoda.PutMasterAsync(new PutMasterRequest { Municipality = "011002", Kind = "shelter", Key = "dome", PayloadJson = "{}" }, cancellationToken: Cancel),
            async () => await chiyoda.DeleteMasterAsync(new DeleteMasterRequest { Municipality = "011002", Kind = "shelter", Key = "dome" }, cancellationToken: Cancel),
            async () => await chiyoda.ImportRegistrationsAsync(new ImportRegistrationsRequest { Municipality = "011002", File = ByteString.CopyFromUtf8("x"), DryRun = true }, cancellationToken: Cancel),
            async () => await chiyoda.AddMunicipalityAsync(new AddMunicipalityRequest { Municipality = "011002", Name = "x" }, cancellationToken: Cancel),
        };
        foreach (var call in calls)
        {
            var e = await Assert.ThrowsAsync<RpcException>(call);
            Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
        }

        // Sapporo's row is untouched and Chiyoda's own list holds none of it.
        var dome = await sapporo.ListMasterAsync(new ListMasterRequest { Municipality = "011002", Kind = "shelter" }, cancellationToken: Cancel);
        Assert.Equal("""{"capacity":5000}""", Assert.Single(dome.Rows).PayloadJson.Replace(" ", string.Empty, StringComparison.Ordinal));
        var own = await chiyoda.ListMasterAsync(new ListMasterRequest { Municipality = "131016", Kind = "shelter" }, cancellationToken: Cancel);
        Assert.Empty(own.Rows);
    }

    [Fact]
    public async Task Terminals_cannot_use_the_admin_api()
    {
        var channel = Channel(Pki.Ca.IssueTerminalCertificate("131016-T001"));
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await new Admin.AdminClient(channel).ListMasterAsync(new ListMasterRequest { Municipality = "131016", Kind = "shelter" }, cancellationToken: Cancel));
        Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
    }

    [Fact]
    public async Task Registrations_import_dry_run_then_apply_then_nothing_left_to_do()
    {
        var chiyoda = AdminOf(Chiyoda);
        var csv = "市町村コード,カード番号,サービス,利用者番号,状態,登録日,氏名\r\n131016,C-0001,library,L0001,利用中,2026/04/01,山田 太郎\r\n";
        var file = ByteString.CopyFrom(CardAp.Hub.Import.CsvText.Cp932.GetBytes(csv));
        var dry = await chiyoda.ImportRegistrationsAsync(new ImportRegistrationsRequest { Municipality = "131016", File = file, DryRun = true }, cancellationToken: Cancel);
        Assert.Equal((1, false, "Shift_JIS (CP932)"), (dry.Adds, dry.Applied, dry.Encoding));
        var applied = await chiyoda.ImportRegistrationsAsync(new ImportRegistrationsRequest { Municipality = "131016", File = file }, cancellationToken: Cancel);
        Assert.Equal(1, applied.Adds);
        var again = await chiyoda.ImportRegistrationsAsync(new ImportRegistrationsRequest { Municipality = "131016", File = file }, cancellationToken: Cancel);
        Assert.Equal((0, 0, 0, 1), (again.Adds, again.Changes, again.Removals, again.Unchanged));

        var bad = await chiyoda.ImportRegistrationsAsync(new ImportRegistrationsRequest
        {
            Municipality = "131016",
            File = ByteString.CopyFrom(Encoding.UTF8.GetBytes(csv + "131016,C-0002,library,L0002,maybe,2026/04/01,x\r\n")),
            DryRun = true,
        }, cancellationToken: Cancel);
        Assert.Equal(3, Assert.Single(bad.BadRows).Line);
    }

    [Fact]
    public async Task Service_tuning_and_hours_are_checked_before_they_are_stored()
    {
        var chiyoda = AdminOf(Chiyoda);
        var good = await chiyoda.PutMasterAsync(new PutMasterRequest
        {
            Municipality = "131016", Kind = MasterKinds.ServiceTuning, Key = "library", PayloadJson = """{"id":"library","settings":{"loanLimit":"5"}}""",
        }, cancellationToken: Cancel);
        Assert.True(good.Changed);

        var e = await Assert.ThrowsAsync<RpcException>(async () => await chiyoda.PutMasterAsync(new PutMasterRequest
        {
            Municipality = "131016", Kind = MasterKinds.ServiceTuning, Key = "library", PayloadJson = """{"id":"library","settings":{"loanLimit":"500"}}""",
        }, cancellationToken: Cancel));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("settings.loanLimit", e.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("settings.loanLimit", Encoding.UTF8.GetString(e.Trailers.GetValueBytes(HubRefusal.MessageJaTrailer)!), StringComparison.Ordinal);

        var hours = await Assert.ThrowsAsync<RpcException>(async () => await chiyoda.PutMasterAsync(new PutMasterRequest
        {
            Municipality = "131016", Kind = MasterKinds.ServiceHours, Key = "library", PayloadJson = """{"service":"library","days":{"moonday":["09:00-17:00"]}}""",
        }, cancellationToken: Cancel));
        Assert.Equal(StatusCode.InvalidArgument, hours.StatusCode);
        Assert.Contains("moonday", hours.Status.Detail, StringComparison.Ordinal);

        var stored = await chiyoda.ListMasterAsync(new ListMasterRequest { Municipality = "131016", Kind = MasterKinds.ServiceTuning }, cancellationToken: Cancel);
        Assert.Contains("\"5\"", Assert.Single(stored.Rows).PayloadJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_master_payloads_are_invalid_argument()
    {
        var chiyoda = AdminOf(Chiyoda);
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await chiyoda.PutMasterAsync(new PutMasterRequest { Municipality = "131016", Kind = "shelter", Key = "gym-1", PayloadJson = "[1,2]" }, cancellationToken: Cancel));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("payload_json", e.Status.Detail, StringComparison.Ordinal);
    }
}
