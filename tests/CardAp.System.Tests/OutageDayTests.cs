using System.Text.Json.Nodes;

namespace CardAp.SystemTests;

/// <summary>
/// (a) A day with an outage: every terminal works; the branch counter of 札幌市 loses its network at noon
/// (its proxy refuses and resets every connection) and keeps serving offline, while central IT changes its
/// master data; it gets the network back, catches up by itself both ways, and the day ends.
/// </summary>
[Collection(PcscdFixture.CollectionName)]
public sealed class OutageDayTests(PcscdFixture pcscd, CentralIt centre)
{
    [Fact]
    public async Task A_terminal_cut_off_mid_day_keeps_serving_and_after_catch_up_the_hub_holds_every_record_once()
    {
        await using var world = await SystemWorld.StartAsync(pcscd, centre, seed: 1001);
        var day = new WorkDay(world);
        await day.RoundAsync("morning");

        await world.Counter.CutOffAsync();
        world.Note("counter cut off");
        await day.RoundAsync("noon");
        // Central IT tunes the counter's services meanwhile: it must get the change after the outage.
        await world.PutAsync(SystemWorld.Sapporo, "service", "library", new JsonObject { ["id"] = "library", ["settings"] = new JsonObject { ["loanLimit"] = "15" } });
        await world.PutAsync(SystemWorld.Sapporo, "closure", "2030-05-06", new JsonObject { ["date"] = "2030-05-06", ["reasonEn"] = "Holiday", ["reasonJa"] = "振替休日" });
        await day.RoundAsync("afternoon");
        var offline = world.Ledger.Transactions(world.Counter.TerminalId).Count(t => t.Offline);
        Assert.True(offline == 4, $"the counter acknowledged {offline} transactions offline, 4 planned: {world.Context}");

        await world.Counter.ReconnectAsync();
        world.Note("counter reconnected");
        await world.WaitUntilSyncedAsync(world.Counter);
        await day.RoundAsync("evening");

        await world.VerifyAsync();
        // While cut off, the counter recorded loans and points offline and refused seal certificates: two of them.
        Assert.Equal(2, world.Ledger.Refusals(world.Counter.TerminalId).Count(r => r is { Reason: "OnlineOnly", Offline: true }));
        Assert.All(world.Ledger.Transactions(world.Library.TerminalId).Concat(world.Ledger.Transactions(world.Shelter.TerminalId)), t => Assert.False(t.Offline));
    }
}
