using System.Text.Json.Nodes;
using CardAp.Card.Readers;
using CardAp.Edge.Api;
using CardAp.Edge.Hub;
using CardAp.Edge.Store;
using CardAp.Edge.Tests.Integration;
using CardAp.VirtualCard.InProcess;
using Grpc.Core;

namespace CardAp.Edge.Tests.Sync;

/// <summary>
/// What the pipeline writes for the hub's reports: the offline flag on every transaction, and
/// refusals the hub can count by service, operation and reason. Through the terminal API, with
/// cards in the in-process virtual readers (no pcscd needed).
/// </summary>
public sealed class PipelineSyncFieldsTests : IAsyncLifetime
{
    private readonly EdgeWorld _world = new();
    private readonly ManualClock _clock = new(EdgeWorld.WorkingDay);
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("cardap-pipeline-");
    private EdgeHost _edge = null!;
    private int _requests;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static readonly string OperatorReader = InProcessCardReaders.ReaderName(0);
    private static readonly string ResidentReader = InProcessCardReaders.ReaderName(1);

    public async ValueTask InitializeAsync()
    {
        _edge = await EdgeHost.StartAsync(_directory.FullName, _clock, new Dictionary<string, string?> { ["Edge:Readers"] = "Virtual" });
        _edge.Get<MasterData>().Apply(_world.MasterData());
    }

    public async ValueTask DisposeAsync()
    {
        await _edge.DisposeAsync();
        _world.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _directory.Delete(recursive: true);
    }

    private InProcessCardReaders Readers => (InProcessCardReaders)_edge.Get<ICardReaders>();

    private async Task<string> SignInAsync(string id, string role)
    {
        Readers.Insert(OperatorReader, _world.Operator(id, role));
        return (await _edge.Client.SignInAsync(new SignInRequest { Reader = OperatorReader, Pin = "1111" }, cancellationToken: Cancel)).Session;
    }

    private OperationRequest Accrue(string session, int points)
    {
        var request = new OperationRequest
        {
            RequestId = $"req-{Interlocked.Increment(ref _requests)}",
            Session = session,
            Service = "points",
            Operation = "accrue",
            Reader = ResidentReader,
        };
        request.Fields["points"] = points.ToString(System.Globalization.CultureInfo.InvariantCulture);
        request.Fields["reason"] = "volunteer";
        return request;
    }

    [Fact]
    public async Task Each_transaction_records_whether_the_hub_was_reachable_when_it_ran()
    {
        var clerk = await SignInAsync("staff-1", "counter-clerk");
        Readers.Insert(ResidentReader, _world.Resident("C-0001"));
        var hub = _edge.Get<HubConnectivity>();
        Assert.False(hub.IsOnline); // no hub configured

        var offline = await _edge.Client.ExecuteAsync(Accrue(clerk, 10), cancellationToken: Cancel);
        hub.ReportContact(true);
        var online = await _edge.Client.ExecuteAsync(Accrue(clerk, 20), cancellationToken: Cancel);
        hub.ReportContact(false);
        var offlineAgain = await _edge.Client.ExecuteAsync(Accrue(clerk, 30), cancellationToken: Cancel);

        var records = _edge.Get<LocalRecords>();
        Assert.True(records.ByRequestId(offline.RequestId)!.Offline);
        Assert.False(records.ByRequestId(online.RequestId)!.Offline);
        Assert.True(records.ByRequestId(offlineAgain.RequestId)!.Offline);
    }

    [Fact]
    public async Task A_refusal_audit_names_service_operation_training_and_reason_for_the_hub()
    {
        var librarian = await SignInAsync("staff-2", "librarian");
        Readers.Insert(ResidentReader, _world.Resident("C-0001"));
        await _edge.Client.SetTrainingModeAsync(new SetTrainingModeRequest { Session = librarian, Enabled = true }, cancellationToken: Cancel);

        var refused = Accrue(librarian, 10); // librarians may not accrue points
        var e = await Assert.ThrowsAsync<RpcException>(async () => await _edge.Client.ExecuteAsync(refused, cancellationToken: Cancel));
        Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);

        _edge.Get<HubConnectivity>().ReportContact(true);
        var kiosk = Accrue(string.Empty, 10);
        kiosk.Pin = EdgeWorld.ResidentPin;
        await Assert.ThrowsAsync<RpcException>(async () => await _edge.Client.ExecuteAsync(kiosk, cancellationToken: Cancel));

        var audit = _edge.Get<LocalRecords>().AuditAfter(0).Where(a => a.Outcome == AuditEntry.Refused && a.Action == "points.accrue").ToList();
        Assert.Equal(2, audit.Count);
        var byOperator = JsonNode.Parse(audit[0].DetailJson)!;
        Assert.Equal("staff-2", audit[0].Operator);
        Assert.Equal(("points", "accrue", true, true, "RoleNotPermitted", refused.RequestId),
            ((string)byOperator["service"]!, (string)byOperator["operation"]!, (bool)byOperator["training"]!, (bool)byOperator["offline"]!,
             (string)byOperator["reason"]!, (string)byOperator["requestId"]!));
        var atKiosk = JsonNode.Parse(audit[1].DetailJson)!;
        Assert.Equal(("points", "accrue", false, false, "KioskNotAllowed"),
            ((string)atKiosk["service"]!, (string)atKiosk["operation"]!, (bool)atKiosk["training"]!, (bool)atKiosk["offline"]!, (string)atKiosk["reason"]!));
    }
}
