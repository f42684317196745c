using System.Text.Json.Nodes;
using CardAp.Edge.Api;
using CardAp.Hub.Api;
using Grpc.Core;

namespace CardAp.Sync.Tests;

/// <summary>
/// The offline story end to end, real edge and real hub: a new terminal gets its master
/// data by sync; the hub goes away; the counter keeps working; meanwhile a card is suspended at
/// the hub; the hub comes back; one sync later the records are in the hub's reports and the
/// suspension takes effect at the counter.
/// </summary>
public sealed class OfflineEndToEndTests : IAsyncLifetime
{
    private SyncWorld _world = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _world = await SyncWorld.StartAsync();

    public async ValueTask DisposeAsync() => await _world.DisposeAsync();

    [Fact]
    public async Task Records_taken_offline_reach_the_hub_and_a_suspension_made_meanwhile_reaches_the_counter()
    {
        var first = await _world.SyncAsync();
        Assert.True(first.Succeeded, first.MessageEn);
        // A new terminal starts from a snapshot (this run's, or the one the edge took on start).
        Assert.Equal(_world.Town.MasterData().Count, _world.Edge.Get<CardAp.Edge.Store.MasterData>().Count());

        var librarian = await _world.SignInAsync();
        _world.InsertResident("C-0001");
        await _world.ExecuteAsync(librarian, "library", "checkout", ("item", "B-1"));

        // The network goes: the counter keeps serving.
        _world.Proxy.Mode = FaultMode.Refuse;
        _world.Proxy.CutAll();
        await _world.WaitUntilOnlineIsAsync(false);
        var offline = await _world.SyncAsync();
        Assert.False(offline.Succeeded);
        Assert.False(string.IsNullOrEmpty(offline.MessageJa));
        await _world.ExecuteAsync(librarian, "library", "checkout", ("item", "B-2"));
        await _world.ExecuteAsync(librarian, "library", "return", ("item", "B-1"));

        // Meanwhile the hub suspends card C-0001.
        await _world.PutAsync("cardStatus", "131016/C-0001", new JsonObject { ["status"] = "suspended", ["municipality"] = "131016", ["cardNumber"] = "C-0001" });

        _world.Proxy.Mode = FaultMode.Pass;
        await _world.SyncUntilSucceededAsync();
        // The change may have come with this run or with the one the edge starts by itself when
        // the hub is reachable again; either way the edge holds it now.
        Assert.NotNull(_world.Edge.Get<CardAp.Edge.Store.MasterData>().GetJson("cardStatus", "131016/C-0001"));

        var usage = await _world.Reports.GetUsageAsync(new UsageRequest { Municipalities = { "131016" }, From = "2026-11-25", To = "2026-11-25" }, cancellationToken: Cancel);
        Assert.Equal(3, usage.Total.Done);
        Assert.Equal(2, usage.Total.Offline);
        Assert.Equal(["honcho"], usage.Tables.Single(t => t.Name == "site").Rows.Select(r => r.Keys[0]));
        Assert.Equal(["131016-T001"], usage.Tables.Single(t => t.Name == "terminal").Rows.Select(r => r.Keys[0]));

        var refused = await Assert.ThrowsAsync<RpcException>(() => _world.ExecuteAsync(librarian, "library", "checkout", ("item", "B-4")));
        Assert.Contains("suspended", refused.Status.Detail, StringComparison.OrdinalIgnoreCase);
    }
}
