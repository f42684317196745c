using CardAp.Card.Verification;
using CardAp.Shared.Domain;
using CardAp.VirtualCard;
using CardAp.VirtualCard.Applets;
using CardAp.VirtualCard.Issuance;

namespace CardAp.Provision.Tests.Cards;

/// <summary>
/// `card transfer` (引越継続): a resident of 131016 moves to 011002 on the same hub with their card in
/// the reader (pcscd + vpcd); the card ends up written and vouched for by 011002's key, the hub's
/// registrations move with MoveResident, and a cut-off transfer is finished by the same command.
/// </summary>
[Collection(PcscdFixture.CollectionName)]
public sealed class TransferCommandTests(PcscdFixture pcscd, CardWorld world) : IClassFixture<CardWorld>, IAsyncLifetime
{
    private readonly ReaderSlots _slots = new(pcscd);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        pcscd.RequirePcscd();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _slots.DisposeAsync();

    private async Task<VirtualSmartCard> IssuedAsync(string card)
    {
        var blank = VirtualCards.Blank(world.IssuerKey);
        await _slots.InsertAsync(blank);
        ProvisionWorld.Require(await world.ProvisionAsync(["card", "issue", "--municipality", CardWorld.Municipality, "--card", card,
            "--service", $"library=L-{card}", "--service", $"shelter=S-{card}", "--keys", world.Keys, "--pin-file", world.PinFile,
            "--reader", ReaderSlots.Reader(0), .. world.Hub()]));
        return blank;
    }

    private Task<Run> TransferAsync(string card, string newCard) =>
        world.ProvisionAsync(["card", "transfer", "--municipality", CardWorld.Municipality, "--to", CardWorld.Other, "--card", card, "--new-card", newCard,
            "--member", $"library=SL-{newCard}", "--keys", world.Keys, "--reader", ReaderSlots.Reader(0), .. world.Hub(), "--json"]);

    private async Task AssertMovedAsync(string card, string newCard)
    {
        var identified = _slots.Identify(world.OtherIssuerKey, pin: CardWorld.Pin);
        Assert.True(identified.IsIdentified, identified.ToString());
        Assert.Equal((MunicipalityCode.Parse(CardWorld.Other), newCard), (identified.Identity!.Municipality!.Value, identified.Identity.CardNumber!.Value.Value));
        Assert.True(identified.Identity.PinVerified);
        Assert.Equal([("library", $"SL-{newCard}"), ("shelter", $"S-{card}")], identified.Identity.Services.Select(s => (s.Service.Value, s.Member.Value)));
        // The old municipality's terminals no longer take it as theirs.
        Assert.Equal(RefusalReason.UnknownIssuer, _slots.Identify(world.IssuerKey).Refusal!.Reason);

        Assert.DoesNotContain((await world.MasterAsync(CardWorld.Municipality, MasterKinds.Registration)).Keys, k => k.StartsWith(card + "/", StringComparison.Ordinal));
        var moved = await world.MasterAsync(CardWorld.Other, MasterKinds.Registration);
        Assert.Equal($"SL-{newCard}", (string?)moved[$"{newCard}/library"]["member"]);
        Assert.Equal($"S-{card}", (string?)moved[$"{newCard}/shelter"]["member"]);
    }

    [Fact]
    public async Task A_resident_moving_keeps_the_card_and_services_under_the_new_municipality_and_a_rerun_changes_nothing()
    {
        await IssuedAsync("C-T001");

        var moved = await TransferAsync("C-T001", "N-T001");
        Assert.True(moved.ExitCode == 0, moved.ToString());
        Assert.True((bool)moved.Json!["cardWritten"]!);
        await AssertMovedAsync("C-T001", "N-T001");

        var again = await TransferAsync("C-T001", "N-T001");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.False((bool)again.Json!["cardWritten"]!);
        Assert.Equal(0, (int)again.Json["hubChanges"]!);

        // From now on the new municipality writes the card, and the old one cannot.
        var added = await world.ProvisionAsync(["card", "add-service", "--municipality", CardWorld.Other, "--card", "N-T001", "--service", "points=P-1",
            "--keys", world.Keys, "--reader", ReaderSlots.Reader(0), .. world.Hub(), "--json"]);
        Assert.True(added.ExitCode == 0, added.ToString());
        var old = await world.ProvisionAsync(["card", "add-service", "--municipality", CardWorld.Municipality, "--card", "C-T001", "--service", "points=P-2",
            "--keys", world.Keys, "--reader", ReaderSlots.Reader(0), .. world.Hub(), "--json"]);
        Assert.Equal(2, old.ExitCode);
    }

    [Theory]
    [InlineData(0xD6, 1)] // the new header
    [InlineData(0xD6, 3)] // the new certificate
    [InlineData(0xDA, 1)] // the hand-over to the new key, the last write
    public async Task A_transfer_cut_off_on_the_card_leaves_the_hub_as_it_was_and_the_same_command_finishes_it(byte instruction, int occurrence)
    {
        var card = $"C-T1{instruction:X2}{occurrence}";
        var newCard = $"N-T1{instruction:X2}{occurrence}";
        var issued = await IssuedAsync(card);
        await _slots.RemoveAsync();

        var seen = 0;
        var pulled = new CardPulledMidway(issued, command => command[1] == instruction && ++seen == occurrence);
        pulled.Bridge = await _slots.InsertAsync(pulled);
        var cut = await TransferAsync(card, newCard);
        Assert.True(pulled.WasPulled);
        Assert.True(cut.ExitCode == 3, cut.ToString());
        Assert.Contains($"{card}/library", (await world.MasterAsync(CardWorld.Municipality, MasterKinds.Registration)).Keys);
        Assert.DoesNotContain($"{newCard}/library", (await world.MasterAsync(CardWorld.Other, MasterKinds.Registration)).Keys);

        await _slots.RemoveAsync();
        await pcscd.WaitForCardAsync(ReaderSlots.Reader(0), present: false, Cancel);
        await _slots.InsertAsync(issued);
        var finished = await TransferAsync(card, newCard);
        Assert.True(finished.ExitCode == 0, finished.ToString());
        await AssertMovedAsync(card, newCard);
    }

    [Fact]
    public async Task Another_card_and_the_same_municipality_are_refused_before_anything_is_written()
    {
        var issued = await IssuedAsync("C-T201");
        var version = issued.GetApplet<CardApApplet>().PersistentStateVersion;
        var other = await TransferAsync("C-T299", "N-T299");
        Assert.Equal(2, other.ExitCode);
        Assert.Equal("OtherCard", other.Reason);
        var same = await world.ProvisionAsync(["card", "transfer", "--municipality", CardWorld.Municipality, "--to", CardWorld.Municipality, "--card", "C-T201",
            "--keys", world.Keys, .. world.Hub(), "--json"]);
        Assert.Equal(2, same.ExitCode);
        Assert.Equal("SameMunicipality", same.Reason);
        Assert.Equal(version, issued.GetApplet<CardApApplet>().PersistentStateVersion);
    }
}
