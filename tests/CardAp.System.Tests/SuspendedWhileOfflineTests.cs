namespace CardAp.SystemTests;

/// <summary>
/// (d) Central IT suspends a card (`cardap-provision card suspend`, a hub row) while the shelter terminal is
/// cut off. As the design has it (card status is master data, checked offline), the shelter has not seen the
/// suspension and accepts the card, recording the check-in offline; the library, online, refuses it after its
/// next sync. Once the shelter is back and has synced, it refuses the card too, and the hub holds the offline
/// check-in.
/// </summary>
[Collection(PcscdFixture.CollectionName)]
public sealed class SuspendedWhileOfflineTests(PcscdFixture pcscd, CentralIt centre)
{
    [Fact]
    public async Task A_card_suspended_while_a_terminal_is_offline_is_taken_there_until_it_syncs_and_refused_after()
    {
        await using var world = await SystemWorld.StartAsync(pcscd, centre, seed: 4004);
        var day = new WorkDay(world);
        var lost = world.Resident("C-1002");
        await day.RoundAsync("morning");
        await world.DoAsync(world.Library, lost, "library", "checkout", ("item", "L-1"));

        await world.Shelter.CutOffAsync();
        await world.Centre.RequireAsync(["card", "suspend", "--municipality", SystemWorld.Chiyoda, "--card", lost.CardNumber, "--reason", "紛失届",
            .. world.Centre.HubOptions(world.HubAddress)]);
        var suspendedAt = await world.Hub.LastSeqAsync(SystemWorld.Chiyoda);
        world.Note($"card {lost} suspended at change {suspendedAt}");

        // The library follows the hub: from its next sync it refuses the card.
        await world.WaitUntilSyncedAsync(world.Library);
        await world.RefusedAsync(world.Library, lost, "Suspended", "library", "checkout", ("item", "L-2"));

        // The shelter, cut off, has not seen the suspension: the resident is received, offline.
        Assert.True((await world.Shelter.StatusAsync()).Sync.MasterCheckpoint < suspendedAt, $"the shelter saw the suspension while cut off: {world.Context}");
        var checkin = await world.DoAsync(world.Shelter, lost, "shelter", "checkin", ("shelter", SystemWorld.ShelterId), ("household", "1"));

        await world.Shelter.ReconnectAsync();
        await world.WaitUntilSyncedAsync(world.Shelter);
        await world.RefusedAsync(world.Shelter, lost, "Suspended", "shelter", "checkout", ("shelter", SystemWorld.ShelterId));
        await day.RoundAsync("afternoon");

        await world.VerifyAsync();
        var atHub = await world.Hub.TransactionsAsync(world.Shelter.TerminalId);
        var offlineCheckin = Assert.Single(atHub, t => t.CardRef == lost.CardNumber);
        Assert.Equal((checkin.Sequence, "checkin", true), (offlineCheckin.Seq, offlineCheckin.Operation, offlineCheckin.Offline));
        var status = (await world.Admin.ListMasterAsync(new CardAp.Hub.Api.ListMasterRequest { Municipality = SystemWorld.Chiyoda, Kind = "cardStatus" },
            cancellationToken: TestContext.Current.CancellationToken)).Rows;
        Assert.Contains(status, r => r.Key == $"{SystemWorld.Chiyoda}/{lost.CardNumber}" && r.PayloadJson.Contains("suspended", StringComparison.Ordinal));
    }
}
