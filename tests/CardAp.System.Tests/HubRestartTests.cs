namespace CardAp.SystemTests;

/// <summary>
/// (b) The hub dies mid-day (SIGKILL, with the terminals' latest records not all pushed) and is started
/// again on the same PostgreSQL database: the terminals serve offline meanwhile and catch up by themselves.
/// </summary>
[Collection(PcscdFixture.CollectionName)]
public sealed class HubRestartTests(PcscdFixture pcscd, CentralIt centre)
{
    [Fact]
    public async Task The_hub_killed_mid_day_and_restarted_on_its_database_ends_with_every_record_once()
    {
        await using var world = await SystemWorld.StartAsync(pcscd, centre, seed: 2002);
        var day = new WorkDay(world);
        await day.RoundAsync("morning");
        await day.RoundAsync("late-morning");

        var backlog = 0L;
        foreach (var terminal in world.Terminals)
        {
            backlog += (await terminal.StatusAsync()).Sync.Backlog;
        }
        await world.KillHubAsync();
        world.Note($"{backlog} records were waiting for the hub when it died");
        foreach (var terminal in world.Terminals)
        {
            await terminal.WaitUntilCutOffAsync();
        }
        await day.RoundAsync("noon");

        await world.RestartHubAsync();
        foreach (var terminal in world.Terminals)
        {
            await terminal.WaitUntilReconnectedAsync();
        }
        await world.WaitUntilSyncedAsync();
        await day.RoundAsync("afternoon");

        await world.VerifyAsync();
        // One round while the hub was down, recorded offline everywhere; the seal certificate refused.
        Assert.Equal(WorkDay.PerTerminal, world.Ledger.Transactions(world.Library.TerminalId).Count(t => t.Offline));
        Assert.Equal(WorkDay.PerTerminal, world.Ledger.Transactions(world.Shelter.TerminalId).Count(t => t.Offline));
        Assert.Equal(WorkDay.PerTerminal - 1, world.Ledger.Transactions(world.Counter.TerminalId).Count(t => t.Offline));
        Assert.Equal(["OnlineOnly"], world.Ledger.Refusals(world.Counter.TerminalId).Select(r => r.Reason));
    }
}
