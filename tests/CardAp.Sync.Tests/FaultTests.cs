using System.Globalization;
using System.Text.Json.Nodes;
using CardAp.Edge.Api;
using CardAp.Edge.Store;
using CardAp.Edge.Tests.Integration;
using CardAp.Hub.Api;
using CardAp.Shared.Domain;

namespace CardAp.Sync.Tests;

/// <summary>
/// Convergence through a network that cuts connections at random byte offsets in both directions
/// (the TLS handshake, requests and replies alike): rounds of new edge records and new hub master
/// rows, each synced through the cuts until a run succeeds, until over a thousand connections
/// have been cut. In the end the hub holds every edge
/// record exactly once and the edge holds exactly the hub's master data for its scope. The seed is
/// in the failure message, so a failing run reproduces.
/// </summary>
public sealed class FaultTests : IAsyncLifetime
{
    private const int Seed = 20261126;
    private const int MinCuts = 1_000;
    private const int MaxRounds = 150;
    private const int RecordsPerRound = 40;
    private const int MasterRowsPerRound = 10;

    private SyncWorld _world = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _world = await SyncWorld.StartAsync(Seed, new Dictionary<string, string?>
    {
        // Small batches and pages: many calls, so many places for a cut to land.
        ["Edge:Sync:BatchSize"] = "20",
        ["Edge:Sync:PageSize"] = "25",
    });

    public async ValueTask DisposeAsync() => await _world.DisposeAsync();

    [Fact]
    public async Task Random_cuts_in_push_and_pull_lose_and_double_nothing()
    {
        await _world.SyncUntilSucceededAsync();
        var records = _world.Edge.Get<LocalRecords>();
        var failedRuns = 0;
        var written = 0;
        var rounds = 0;
        for (; rounds < MaxRounds && _world.Proxy.Counters.ConnectionsCut < MinCuts; rounds++)
        {
            var round = rounds;
            for (var i = 0; i < RecordsPerRound; i++)
            {
                written++;
                var at = EdgeWorld.WorkingDay.AddMinutes(written % 400);
                records.RecordTransaction(
                    new NewTransaction($"fault-{written}", at, "library", "checkout", "C-0001", "LC-0001", "staff-1", $"B-{written}", null, Training: false, Offline: true),
                    new AuditEntry(at, "library.checkout", "ok", "staff-1", "C-0001", new JsonObject { ["requestId"] = $"fault-{written}" }));
            }
            for (var i = 0; i < MasterRowsPerRound; i++)
            {
                var card = $"C-F{round:00}{i:000}";
                await _world.PutAsync("cardStatus", $"131016/{card}", new JsonObject { ["status"] = "suspended", ["municipality"] = "131016", ["cardNumber"] = card });
            }
            // A few rows out of the terminal's scope travel in the same feed and must not arrive.
            await _world.PutAsync("site", $"site-{round}", new JsonObject { ["name"] = $"分室{round}" });

            // Budgets from a few hundred bytes (inside the TLS handshake) to a few pages.
            _world.Proxy.Mode = FaultMode.CutRandomly(minBytes: 300, maxBytes: 4_000);
            var runs = await _world.SyncUntilSucceededAsync(attempts: 5_000, pauseMs: 1);
            failedRuns += runs.Count - 1;
            _world.Proxy.Mode = FaultMode.Pass;
        }

        var cuts = _world.Proxy.Counters;
        var context = $"seed {Seed}, {rounds} rounds, {cuts}, {failedRuns} failed runs";
        TestContext.Current.TestOutputHelper?.WriteLine(context);
        Assert.True(cuts.ConnectionsCut >= MinCuts, $"at least {MinCuts} cuts were meant to happen: {context}");

        // Every record exactly once at the hub: the report counts each stored transaction once.
        var usage = await _world.Reports.GetUsageAsync(new UsageRequest { Municipalities = { "131016" }, From = "2026-11-25", To = "2026-11-25" }, cancellationToken: Cancel);
        Assert.True(written == usage.Total.Done, $"hub holds {usage.Total.Done} of {written} records: {context}");
        var status = await _world.Edge.Client.GetStatusAsync(new StatusRequest(), cancellationToken: Cancel);
        Assert.All(status.Backlog, b => Assert.True(b.Pending == 0, $"{b.Stream} still has {b.Pending} to send: {context}"));

        // Exactly the hub's master data in scope: every card status row, no site row.
        var hubRows = (await _world.CentralIt.ListMasterAsync(new ListMasterRequest { Municipality = "131016", Kind = "cardStatus" }, cancellationToken: Cancel)).Rows;
        var edgeRows = _world.Edge.Get<MasterData>().Rows("cardStatus");
        Assert.Equal(hubRows.Select(r => (r.Key, r.ChangeSeq)), edgeRows.Select(r => (r.Key, r.Version)));
        Assert.Empty(_world.Edge.Get<MasterData>().Rows("site"));
        Assert.Equal(_world.Town.MasterData().Count + rounds * MasterRowsPerRound, _world.Edge.Get<MasterData>().Count());
    }
}
