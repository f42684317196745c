using System.Text;
using System.Text.Json.Nodes;
using CardAp.Edge.Api;
using CardAp.Edge.Errors;
using CardAp.Edge.Store;
using CardAp.Hub.Api;
using Grpc.Core;

namespace CardAp.Sync.Tests;

/// <summary>
/// Online-only operations end to end (ADR 0011), real edge and real hub: the clerk's answer waits
/// for the hub to store the record; the hub refuses on facts the terminal has not seen yet; an
/// operation the hub could not settle is kept and settled exactly once by the clerk's retry.
/// </summary>
public sealed class OnlineOnlyTests : IAsyncLifetime
{
    private SyncWorld _world = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private LocalRecords Records => _world.Edge.Get<LocalRecords>();

    // No probe after the first: whether the terminal is online follows what its sync and online-only
    // operations see, so a test decides when the terminal last saw the hub.
    public async ValueTask InitializeAsync() =>
        _world = await SyncWorld.StartAsync(edgeSettings: new Dictionary<string, string?> { ["Edge:HubProbeInterval"] = "01:00:00" });

    public async ValueTask DisposeAsync() => await _world.DisposeAsync();

    /// <summary>
    /// Syncs, then lets the terminal's start-up probe end (it has a fixed bound, retried once) and syncs
    /// again: a probe that answered during the first sync wakes one more run, which must not fall after
    /// the test changed the hub behind the terminal's back.
    /// </summary>
    private async Task SyncAndSettleAsync()
    {
        await _world.SyncUntilSucceededAsync();
        await Task.Delay(CardAp.Edge.Hub.HubConnectivity.ProbeTimeout * 2, Cancel);
        await _world.SyncUntilSucceededAsync();
    }

    [Fact]
    public async Task A_certificate_request_is_answered_once_the_hub_stored_it_and_refused_with_the_hubs_reason_after_an_abolition_there()
    {
        await SyncAndSettleAsync();
        var clerk = await _world.SignInAsync("staff-1", "counter-clerk");
        _world.InsertResident("C-0001");

        var reply = await _world.ExecuteAsync(clerk, "seal", "request-certificate", ("copies", "1"));

        Assert.Equal("SC-0001", reply.Member);
        // No sync ran since: the hub holds it because the answer waited for it.
        Assert.Equal(1, (await UsageAsync()).Total.Done);

        // Central IT records the abolition; the terminal has not pulled it.
        await _world.PutAsync("sealRegistration", "SC-0001", new JsonObject { ["status"] = "abolished", ["registeredOn"] = "2020-04-01" });
        var refused = await Assert.ThrowsAsync<RpcException>(() => _world.ExecuteAsync(clerk, "seal", "request-certificate", ("copies", "1")));

        AssertRefusal(refused, StatusCode.FailedPrecondition, "SealRegistrationNotCurrent");
        Assert.Contains("abolished", refused.Status.Detail, StringComparison.Ordinal);
        // Both sides hold the refused record as refused: the edge leaves it out, the hub counts one refusal.
        Assert.Equal(2, Records.LastSeq("transactions"));
        Assert.Equal(1, Assert.Single(Records.Transactions("seal")).Seq);
        Assert.False(Records.Decision(2)!.Accepted);
        // The audit stream goes up too; its pending and hub-refused entries do not count again.
        await _world.SyncUntilSucceededAsync();
        var usage = await UsageAsync();
        Assert.Equal((1L, 1L), (usage.Total.Done, usage.Total.Refused));
        var refusal = Assert.Single(usage.Refusals);
        Assert.Equal(("seal", "SealRegistrationNotCurrent", 1L), (refusal.Service, refusal.Reason, refusal.Count));
    }

    [Fact]
    public async Task A_redemption_tuned_online_only_is_checked_against_the_central_balance_the_terminal_has_not_seen()
    {
        await _world.PutAsync("service", "points", new JsonObject
        {
            ["id"] = "points",
            ["settings"] = new JsonObject { ["offlineRedeemLimitPerDay"] = "100" },
            ["offline"] = new JsonObject { ["redeem"] = "OnlineOnly" },
        });
        await _world.PutAsync("pointsBalance", "PC-0001", new JsonObject { ["balance"] = 500 });
        await SyncAndSettleAsync();
        // The points system's new figure reaches the hub, not yet the terminal (which still sees 500).
        await _world.PutAsync("pointsBalance", "PC-0001", new JsonObject { ["balance"] = 50 });
        var clerk = await _world.SignInAsync("staff-1", "counter-clerk");
        _world.InsertResident("C-0001");

        var tooMuch = await Assert.ThrowsAsync<RpcException>(() => _world.ExecuteAsync(clerk, "points", "redeem", ("points", "200")));
        var redeemed = await _world.ExecuteAsync(clerk, "points", "redeem", ("points", "30"));
        var again = await Assert.ThrowsAsync<RpcException>(() => _world.ExecuteAsync(clerk, "points", "redeem", ("points", "30")));

        AssertRefusal(tooMuch, StatusCode.FailedPrecondition, "InsufficientCentralBalance");
        Assert.Contains("50 points", tooMuch.Status.Detail, StringComparison.Ordinal);
        Assert.Equal("30", redeemed.Result["points"]);
        AssertRefusal(again, StatusCode.FailedPrecondition, "InsufficientCentralBalance");
        Assert.Contains("20 points", again.Status.Detail, StringComparison.Ordinal);
        // Only the accepted redemption counts at the terminal (its limits and balance) and at the hub.
        Assert.Equal(30, Records.Sum("points", "redeem", "PC-0001"));
        var usage = await UsageAsync();
        Assert.Equal((1L, 2L), (usage.Total.Done, usage.Total.Refused));
    }

    [Fact]
    public async Task An_operation_the_hub_could_not_settle_is_kept_and_settled_exactly_once_by_the_clerks_retry()
    {
        await _world.SyncUntilSucceededAsync();
        var clerk = await _world.SignInAsync("staff-1", "counter-clerk");
        _world.InsertResident("C-0001");
        var request = _world.Request(clerk, "seal", "request-certificate", ("copies", "2"));

        // The network goes after the terminal last saw the hub: the operation starts online, its push fails.
        _world.Proxy.Mode = FaultMode.Refuse;
        _world.Proxy.CutAll();
        var unsettled = await Assert.ThrowsAsync<RpcException>(() => _world.ExecuteAsync(request));

        AssertRefusal(unsettled, StatusCode.Unavailable, "AwaitingHub");
        var kept = Assert.Single(Records.Transactions("seal"));
        Assert.True(kept.Confirm);
        Assert.Null(Records.Decision(kept.Seq));
        Assert.Equal(0, (await UsageAsync()).Total.Done);
        Assert.Equal(1, (await _world.Edge.Client.GetStatusAsync(new StatusRequest(), cancellationToken: Cancel)).Sync.AwaitingHub);

        // The network returns; the clerk retries the same request (the first calls may still fail while the channel reconnects).
        _world.Proxy.Mode = FaultMode.Pass;
        OperationReply? settled = null;
        for (var attempt = 0; settled is null; attempt++)
        {
            try
            {
                settled = await _world.ExecuteAsync(request);
            }
            catch (RpcException e) when (attempt < 20 && e.Trailers.GetValue(RefusalInterceptor.ReasonTrailer) == "AwaitingHub")
            {
                await Task.Delay(250, Cancel);
            }
        }

        Assert.True(settled.Duplicate);
        Assert.Equal((kept.Seq, "SC-0001"), (settled.Sequence, settled.Member));
        Assert.True(Records.Decision(kept.Seq)!.Accepted);
        Assert.Equal(0, (await _world.Edge.Client.GetStatusAsync(new StatusRequest(), cancellationToken: Cancel)).Sync.AwaitingHub);
        await _world.SyncUntilSucceededAsync();
        Assert.Equal((1L, 0L), ((await UsageAsync()).Total.Done, (await UsageAsync()).Total.Refused));
    }

    private Task<UsageReply> UsageAsync() =>
        _world.Reports.GetUsageAsync(new UsageRequest { Municipalities = { "131016" }, From = "2026-11-25", To = "2026-11-25" }, cancellationToken: Cancel).ResponseAsync;

    private static void AssertRefusal(RpcException e, StatusCode code, string reason)
    {
        Assert.True(code == e.StatusCode && reason == e.Trailers.GetValue(RefusalInterceptor.ReasonTrailer),
            $"expected {code} {reason}, got {e.StatusCode} {e.Trailers.GetValue(RefusalInterceptor.ReasonTrailer)}: {e.Status.Detail}");
        Assert.False(string.IsNullOrWhiteSpace(Encoding.UTF8.GetString(e.Trailers.GetValueBytes(RefusalInterceptor.MessageJaTrailer)!)));
    }
}
