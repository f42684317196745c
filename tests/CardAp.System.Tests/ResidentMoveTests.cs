using CardAp.Hub.Api;
using CardAp.VirtualCard.Issuance;

namespace CardAp.SystemTests;

/// <summary>
/// (e) 引越継続: a resident of 札幌市 with a library registration moves to 千代田区, both on the shared hub.
/// Central IT issues the card (`card issue`) and later transfers it (`card transfer`: the card handed over to
/// 千代田区's issuing key with a new card and member number, the registrations moved by MoveResident). After
/// the terminals sync, the library of 千代田区 serves the resident under the new member number and the branch
/// counter of 札幌市, which served them before, no longer does; the hub holds the registration only in 千代田区.
/// </summary>
[Collection(PcscdFixture.CollectionName)]
public sealed class ResidentMoveTests(PcscdFixture pcscd, CentralIt centre)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_resident_moving_between_municipalities_of_the_hub_keeps_the_library_and_the_old_counter_no_longer_takes_the_card()
    {
        await using var world = await SystemWorld.StartAsync(pcscd, centre, seed: 5005);
        var day = new WorkDay(world);
        await day.RoundAsync("morning");
        var pinFile = Path.Combine(world.Root, "pin.txt");
        await File.WriteAllTextAsync(pinFile, SystemWorld.ResidentPin + "\n", Cancel);

        // A blank card from the vendor, issued at 札幌市's counter with the library service.
        var card = VirtualCards.Blank(world.IssuingKey(SystemWorld.Sapporo).PublicKey);
        await world.InsertInResidentReaderAsync(card);
        await world.Centre.RequireAsync(["card", "issue", "--municipality", SystemWorld.Sapporo, "--card", "S-3001", "--service", "library=LS-3001",
            "--keys", world.Keys, "--pin-file", pinFile, "--reader", SystemWorld.ResidentReader, .. world.Centre.HubOptions(world.HubAddress)]);
        var before = new Resident(SystemWorld.Sapporo, "S-3001", card, new Dictionary<string, string> { ["library"] = "LS-3001" });
        world.AddResident(before);
        var registeredOn = (string)System.Text.Json.Nodes.JsonNode.Parse(Assert.Single(await RegistrationsAsync(world, SystemWorld.Sapporo, "S-3001/")).PayloadJson)!["registeredOn"]!;

        await world.DoAsync(world.Counter, before, "library", "checkout", ("item", "M-1"));
        await world.RefusedAsync(world.Library, before, "UnknownIssuer", "library", "checkout", ("item", "M-2"));

        // The move, with the card in the reader.
        await world.Centre.RequireAsync(["card", "transfer", "--municipality", SystemWorld.Sapporo, "--to", SystemWorld.Chiyoda, "--card", "S-3001",
            "--new-card", "C-3001", "--member", "library=LC-3001", "--keys", world.Keys, "--reader", SystemWorld.ResidentReader,
            .. world.Centre.HubOptions(world.HubAddress)]);
        var after = new Resident(SystemWorld.Chiyoda, "C-3001", card, new Dictionary<string, string> { ["library"] = "LC-3001" });
        world.AddResident(after);
        world.Note("resident moved to 131016");
        await world.WaitUntilSyncedAsync();

        var loan = await world.DoAsync(world.Library, after, "library", "checkout", ("item", "M-3"));
        Assert.Equal("LC-3001", loan.Member);
        await world.RefusedAsync(world.Counter, after, "UnknownIssuer", "library", "checkout", ("item", "M-4"));
        await day.RoundAsync("afternoon");

        await world.VerifyAsync();
        Assert.Empty(await RegistrationsAsync(world, SystemWorld.Sapporo, "S-3001/"));
        var moved = System.Text.Json.Nodes.JsonNode.Parse(Assert.Single(await RegistrationsAsync(world, SystemWorld.Chiyoda, "C-3001/")).PayloadJson)!;
        Assert.Equal(("C-3001", "library", "LC-3001", registeredOn), ((string?)moved["cardNumber"], (string?)moved["service"], (string?)moved["member"], (string?)moved["registeredOn"]));
        var outOf = await world.Admin.ListAuditAsync(new ListAuditRequest { Municipality = SystemWorld.Sapporo }, cancellationToken: Cancel);
        var into = await world.Admin.ListAuditAsync(new ListAuditRequest { Municipality = SystemWorld.Chiyoda }, cancellationToken: Cancel);
        Assert.Single(outOf.Entries, e => e.Action == "resident.move-out");
        Assert.Single(into.Entries, e => e.Action == "resident.move-in");
    }

    private static async Task<IReadOnlyList<MasterRowMessage>> RegistrationsAsync(SystemWorld world, string municipality, string prefix) =>
        (await world.Admin.ListMasterAsync(new ListMasterRequest { Municipality = municipality, Kind = "registration", KeyPrefix = prefix }, cancellationToken: Cancel)).Rows;
}
