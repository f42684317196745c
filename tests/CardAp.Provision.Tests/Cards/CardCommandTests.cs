using CardAp.Card.Application;
using CardAp.Shared.Domain;
using CardAp.VirtualCard;
using CardAp.VirtualCard.Applets;
using CardAp.VirtualCard.Issuance;
using CardAp.VirtualCard.Jpki;

namespace CardAp.Provision.Tests.Cards;

/// <summary>
/// `cardap-provision card ...` run as a process against the hub on loopback, writing virtual cards
/// through the real pcscd + vpcd; what the tool wrote is read back through pcscd with the card
/// layer, as a terminal reads it, and from the hub with ListMaster.
/// </summary>
[Collection(PcscdFixture.CollectionName)]
public sealed class CardCommandTests(PcscdFixture pcscd, CardWorld world) : IClassFixture<CardWorld>, IAsyncLifetime
{
    private const string Municipality = CardWorld.Municipality;
    private readonly ReaderSlots _slots = new(pcscd);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        pcscd.RequirePcscd();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _slots.DisposeAsync();

    private VirtualSmartCard Blank() => VirtualCards.Blank(world.IssuerKey);

    private string[] Keys() => ["--keys", world.Keys];

    private Task<Run> IssueAsync(string card, params string[] more) =>
        world.ProvisionAsync(["card", "issue", "--municipality", Municipality, "--card", card, .. more, .. Keys(), "--pin-file", world.PinFile,
            "--reader", ReaderSlots.Reader(0), .. world.Hub(), "--json"]);

    private Task<Run> CardAsync(string verb, string card, params string[] more) =>
        world.ProvisionAsync(["card", verb, "--municipality", Municipality, "--card", card, .. more, .. Keys(), "--reader", ReaderSlots.Reader(0), .. world.Hub(), "--json"]);

    private Task<IReadOnlyDictionary<string, System.Text.Json.Nodes.JsonObject>> RegistrationsAsync() => world.MasterAsync(Municipality, MasterKinds.Registration);

    [Fact]
    public async Task A_resident_card_is_issued_with_its_services_and_registered_at_the_hub_and_a_rerun_changes_nothing()
    {
        var card = Blank();
        await _slots.InsertAsync(card);

        var issued = await IssueAsync("C-1001", "--service", "library=L-0001", "--service", "shelter=S-0001", "--name", "千代田 太郎");
        Assert.True(issued.ExitCode == 0, issued.ToString());
        Assert.True((bool)issued.Json!["cardIssued"]!);
        Assert.Equal(2, (int)issued.Json["hubChanges"]!);
        Assert.DoesNotContain(CardWorld.Pin, issued.Output + issued.Error, StringComparison.Ordinal);

        // Read back through pcscd as a terminal does: the municipality's key vouches for it, the PIN works.
        var identified = _slots.Identify(world.IssuerKey, pin: CardWorld.Pin);
        Assert.True(identified.IsIdentified, identified.ToString());
        Assert.Equal("C-1001", identified.Identity!.CardNumber!.Value.Value);
        Assert.True(identified.Identity.PinVerified);
        Assert.Equal([("library", "L-0001"), ("shelter", "S-0001")], identified.Identity.Services.Select(s => (s.Service.Value, s.Member.Value)));

        var registrations = await RegistrationsAsync();
        Assert.Equal("L-0001", (string?)registrations["C-1001/library"]["member"]);
        Assert.Equal("active", (string?)registrations["C-1001/shelter"]["status"]);
        Assert.Equal("千代田 太郎", (string?)registrations["C-1001/library"]["name"]);

        // The same command again: the card and the hub are as asked, nothing is written.
        var version = card.GetApplet<CardApApplet>().PersistentStateVersion;
        var again = await IssueAsync("C-1001", "--service", "library=L-0001", "--service", "shelter=S-0001");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.False((bool)again.Json!["cardWritten"]!);
        Assert.Equal(0, (int)again.Json["hubChanges"]!);
        Assert.Equal(version, card.GetApplet<CardApApplet>().PersistentStateVersion);

        // A card is issued once: another number on the same card is refused.
        var other = await IssueAsync("C-1002");
        Assert.Equal(2, other.ExitCode);
        Assert.Equal("CardIssuedToOther", other.Reason);
    }

    [Fact]
    public async Task Services_are_added_and_removed_on_the_card_and_at_the_hub()
    {
        await _slots.InsertAsync(Blank());
        ProvisionWorld.Require(await IssueAsync("C-2001", "--service", "library=L-2001", "--service", "shelter=S-2001"));

        var added = await CardAsync("add-service", "C-2001", "--service", "points=P-2001");
        Assert.True(added.ExitCode == 0, added.ToString());
        Assert.Equal(["library", "shelter", "points"], _slots.Identify(world.IssuerKey).Identity!.Services.Select(s => s.Service.Value));

        var removed = await CardAsync("remove-service", "C-2001", "--service", "library");
        Assert.True(removed.ExitCode == 0, removed.ToString());
        Assert.True((bool)removed.Json!["cardWritten"]!);
        Assert.Equal(1, (int)removed.Json["hubChanges"]!);
        var identified = _slots.Identify(world.IssuerKey);
        Assert.True(identified.IsIdentified, identified.ToString());
        Assert.Equal(["shelter", "points"], identified.Identity!.Services.Select(s => s.Service.Value));
        var registrations = await RegistrationsAsync();
        Assert.DoesNotContain("C-2001/library", registrations.Keys);
        Assert.Contains("C-2001/points", registrations.Keys);

        var again = await CardAsync("remove-service", "C-2001", "--service", "library");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.False((bool)again.Json!["cardWritten"]!);
        Assert.Equal(0, (int)again.Json["hubChanges"]!);

        // Another member number for a service the card carries is for the clerk to sort out, not overwritten.
        var conflict = await CardAsync("add-service", "C-2001", "--service", "points=P-9999");
        Assert.Equal(2, conflict.ExitCode);
        Assert.Equal("RegistrationConflict", conflict.Reason);
        // And the card in the reader must be the one named.
        var wrongCard = await CardAsync("add-service", "C-2999", "--service", "seal=K-1");
        Assert.Equal(2, wrongCard.ExitCode);
        Assert.Equal("OtherCard", wrongCard.Reason);
    }

    [Fact]
    public async Task A_card_that_is_not_ours_is_refused_and_left_as_it_was()
    {
        // Delivered for another issuing key (another municipality's vendor batch, or an impostor's).
        using var impostor = IssuingKey.Create(new IssuerReference(MunicipalityCode.Parse(Municipality), 1));
        var foreign = VirtualCards.Blank(impostor.PublicKey);
        var before = foreign.GetApplet<CardApApplet>().PersistentStateVersion;
        await _slots.InsertAsync(foreign);
        var refused = await IssueAsync("C-3001", "--service", "library=L-3001");
        Assert.Equal(2, refused.ExitCode);
        Assert.Equal("NotOurCard", refused.Reason);
        Assert.Contains("Nothing was changed", refused.Error, StringComparison.Ordinal);
        Assert.Contains("変更は行われていません", refused.Error, StringComparison.Ordinal);
        Assert.Equal(before, foreign.GetApplet<CardApApplet>().PersistentStateVersion);
        Assert.DoesNotContain("C-3001/library", (await RegistrationsAsync()).Keys);

        // Issued by that other key: not for our key to add to.
        await _slots.InsertAsync(VirtualCards.Issue(impostor, new CardHeader(impostor.Reference.Municipality, CardNumber.Parse("C-3002"), new DateOnly(2026, 4, 1), new DateOnly(2031, 3, 31)), "1111"));
        var forged = await CardAsync("add-service", "C-3002", "--service", "library=L-3002");
        Assert.Equal(2, forged.ExitCode);
        Assert.Equal("NotOurCard", forged.Reason);

        // A card with no CardAp application at all (a My Number card with only JPKI).
        using var jpki = new JpkiTestAuthority();
        await _slots.InsertAsync(new VirtualSmartCard(jpki.IssueCard(authenticationPin: "5678").Applet));
        var noApplication = await IssueAsync("C-3003");
        Assert.Equal(2, noApplication.ExitCode);
        Assert.Equal("NoCardApApplication", noApplication.Reason);
    }

    [Fact]
    public async Task A_card_pulled_in_the_middle_of_issuing_ends_with_exit_3_and_the_same_command_then_finishes_card_and_hub()
    {
        var card = Blank();
        // The third UPDATE BINARY writes the certificate, the last step of issuing.
        var updates = 0;
        var pulled = new CardPulledMidway(card, command => command[1] == 0xD6 && ++updates == 3);
        pulled.Bridge = await _slots.InsertAsync(pulled);

        var cut = await IssueAsync("C-4001", "--service", "library=L-4001");
        Assert.True(pulled.WasPulled);
        Assert.True(cut.ExitCode == 3, cut.ToString());
        Assert.Contains("run the same command again", cut.Error, StringComparison.Ordinal);
        Assert.Contains("同じコマンドを再実行", cut.Error, StringComparison.Ordinal);
        // Card first, hub second: the hub knows nothing of the half-written card.
        Assert.DoesNotContain("C-4001/library", (await RegistrationsAsync()).Keys);
        Assert.False(new CardAp.Card.Verification.CardVerifier(new CardAp.Card.Verification.TrustStore([world.IssuerKey]), TimeProvider.System)
            .IdentifyCardAp(new SmartCardTransport(card)).IsIdentified);

        await _slots.RemoveAsync();
        await pcscd.WaitForCardAsync(ReaderSlots.Reader(0), present: false, Cancel);
        await _slots.InsertAsync(card);
        var finished = await IssueAsync("C-4001", "--service", "library=L-4001");
        Assert.True(finished.ExitCode == 0, finished.ToString());
        Assert.True((bool)finished.Json!["cardIssued"]!);
        var identified = _slots.Identify(world.IssuerKey, pin: CardWorld.Pin);
        Assert.True(identified.IsIdentified, identified.ToString());
        Assert.Equal("L-4001", identified.Identity!.MemberOf(ServiceId.Parse("library"))!.Value.Value);
        Assert.Equal("L-4001", (string?)(await RegistrationsAsync())["C-4001/library"]["member"]);
    }

    [Fact]
    public async Task A_card_pulled_between_writing_and_trimming_its_services_is_put_right_from_the_hub_by_the_same_command()
    {
        var card = Blank();
        await _slots.InsertAsync(card);
        ProvisionWorld.Require(await IssueAsync("C-4101", "--service", "library=L-4101", "--service", "shelter=S-4101", "--service", "points=P-4101"));
        await _slots.RemoveAsync();

        // 抹消 rewrites the services file shorter, then erases its old tail: pulled in between, the file holds the new entries and the old tail.
        var pulled = new CardPulledMidway(card, command => command[1] == 0x0E);
        pulled.Bridge = await _slots.InsertAsync(pulled);
        var cut = await CardAsync("remove-service", "C-4101", "--service", "library");
        Assert.True(pulled.WasPulled);
        Assert.True(cut.ExitCode == 3, cut.ToString());
        Assert.Contains("C-4101/library", (await RegistrationsAsync()).Keys);
        var halfway = new CardAp.Card.Verification.CardVerifier(new CardAp.Card.Verification.TrustStore([world.IssuerKey]), TimeProvider.System)
            .IdentifyCardAp(new SmartCardTransport(card));
        Assert.Equal(CardAp.Card.Verification.RefusalReason.Unreadable, halfway.Refusal?.Reason);

        await _slots.RemoveAsync();
        await pcscd.WaitForCardAsync(ReaderSlots.Reader(0), present: false, Cancel);
        await _slots.InsertAsync(card);
        var finished = await CardAsync("remove-service", "C-4101", "--service", "library");
        Assert.True(finished.ExitCode == 0, finished.ToString());
        var identified = _slots.Identify(world.IssuerKey);
        Assert.True(identified.IsIdentified, identified.ToString());
        // Rebuilt from the hub's registrations (in their key order): what matters is which, not where.
        Assert.Equal([("points", "P-4101"), ("shelter", "S-4101")], identified.Identity!.Services.Select(s => (s.Service.Value, s.Member.Value)).Order());
        var registrations = await RegistrationsAsync();
        Assert.DoesNotContain("C-4101/library", registrations.Keys);
        Assert.Contains("C-4101/points", registrations.Keys);
    }

    [Fact]
    public async Task A_hub_lost_after_the_card_was_written_ends_with_exit_3_and_the_same_command_brings_the_hub_level()
    {
        await using var proxy = FaultProxy.Start(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, world.HubHost.Address.Port), seed: 6);
        string[] hub = ["--hub", $"https://127.0.0.1:{proxy.Port}", .. world.Hub()[2..]];
        var card = Blank();
        var updates = 0;
        // While the certificate is written, the last step on the card, the hub goes out of reach.
        await _slots.InsertAsync(new CardWatched(card, command =>
        {
            if (command[1] == 0xD6 && ++updates == 3)
            {
                proxy.Mode = FaultMode.Refuse;
                proxy.CutAll();
            }
        }));
        string[] issue = ["card", "issue", "--municipality", Municipality, "--card", "C-4201", "--service", "library=L-4201", .. Keys(), "--pin-file", world.PinFile,
            "--reader", ReaderSlots.Reader(0), .. hub, "--json"];

        var lost = await world.ProvisionAsync(issue);
        Assert.True(lost.ExitCode == 3, lost.ToString());
        Assert.Equal("HubUnreachable", lost.Reason);
        Assert.Contains("The card is written", lost.Error, StringComparison.Ordinal);
        Assert.Contains("カードへの書き込みは完了しました", lost.Error, StringComparison.Ordinal);
        Assert.True(_slots.Identify(world.IssuerKey).IsIdentified);
        Assert.DoesNotContain("C-4201/library", (await RegistrationsAsync()).Keys);

        proxy.Mode = FaultMode.Pass;
        var version = card.GetApplet<CardApApplet>().PersistentStateVersion;
        var caughtUp = await world.ProvisionAsync(issue);
        Assert.True(caughtUp.ExitCode == 0, caughtUp.ToString());
        Assert.False((bool)caughtUp.Json!["cardWritten"]!);
        Assert.Equal(1, (int)caughtUp.Json["hubChanges"]!);
        Assert.Equal(version, card.GetApplet<CardApApplet>().PersistentStateVersion);
        Assert.Equal("L-4201", (string?)(await RegistrationsAsync())["C-4201/library"]["member"]);
    }

    [Fact]
    public async Task A_blocked_pin_is_reset_with_a_pin_from_the_environment()
    {
        var card = Blank();
        await _slots.InsertAsync(card);
        ProvisionWorld.Require(await IssueAsync("C-5001"));
        for (var i = 0; i < CardApSpec.PinTries; i++)
        {
            _slots.Identify(world.IssuerKey, pin: "0000");
        }
        Assert.Equal(CardAp.Card.Verification.RefusalReason.PinBlocked, _slots.Identify(world.IssuerKey, pin: CardWorld.Pin).Refusal!.Reason);

        // No --reader: the one reader holding a card.
        await _slots.RemoveAsync(1);
        var reset = await world.ProvisionAsync(new Dictionary<string, string?> { ["CARDAP_PIN"] = "2580" },
            "card", "reset-pin", "--municipality", Municipality, "--card", "C-5001", "--keys", world.Keys, "--json");
        Assert.True(reset.ExitCode == 0, reset.ToString());
        Assert.Equal(ReaderSlots.Reader(0), (string?)reset.Json!["reader"]);
        Assert.DoesNotContain("2580", reset.Output + reset.Error, StringComparison.Ordinal);
        Assert.True(_slots.Identify(world.IssuerKey, pin: "2580").Identity!.PinVerified);

        // No PIN anywhere and no terminal to ask at: refused before the card is touched.
        var noPin = await world.ProvisionAsync("card", "reset-pin", "--municipality", Municipality, "--card", "C-5001", "--keys", world.Keys, "--json");
        Assert.Equal(2, noPin.ExitCode);
        Assert.Equal("PinMissing", noPin.Reason);
    }

    [Fact]
    public async Task A_jpki_certificate_is_linked_to_a_member_number_by_its_serial()
    {
        using var jpki = new JpkiTestAuthority();
        var issued = jpki.IssueCard(authenticationPin: "5678");
        await _slots.InsertAsync(new VirtualSmartCard(issued.Applet));
        var noAnchors = await world.ProvisionAsync(["card", "link-jpki", "--municipality", Municipality, "--service", "library=L-6001", .. world.Hub(), "--json"]);
        Assert.Equal(2, noAnchors.ExitCode);
        Assert.Equal("NoJpkiAnchors", noAnchors.Reason);
        await world.Admin.PutMasterAsync(new CardAp.Hub.Api.PutMasterRequest
        {
            Municipality = Municipality,
            Kind = MasterKinds.JpkiAnchor,
            Key = "test-" + jpki.CaCertificate.Thumbprint,
            PayloadJson = new System.Text.Json.Nodes.JsonObject { ["certificate"] = Convert.ToBase64String(jpki.CaCertificate.RawData) }.ToJsonString(),
        }, cancellationToken: Cancel);

        var linked = await world.ProvisionAsync(["card", "link-jpki", "--municipality", Municipality, "--service", "library=L-6001", .. world.Hub(), "--json"]);
        Assert.True(linked.ExitCode == 0, linked.ToString());
        Assert.Equal(issued.SerialNumber, (string?)linked.Json!["serial"]);
        var row = (await world.MasterAsync(Municipality, MasterKinds.JpkiLink))[$"{issued.SerialNumber}/library"];
        Assert.Equal("L-6001", (string?)row["member"]);
        Assert.Equal(issued.SerialNumber, (string?)row["serial"]);

        var again = await world.ProvisionAsync(["card", "link-jpki", "--municipality", Municipality, "--service", "library=L-6001", .. world.Hub(), "--json"]);
        Assert.Equal(0, (int)again.Json!["hubChanges"]!);
    }

    [Fact]
    public async Task No_card_and_no_such_reader_end_with_exit_3_before_anything_is_written()
    {
        await _slots.RemoveAsync(1);
        await pcscd.WaitForCardAsync(ReaderSlots.Reader(1), present: false, Cancel);
        var empty = await world.ProvisionAsync(["card", "issue", "--municipality", Municipality, "--card", "C-7001", .. Keys(), "--pin-file", world.PinFile,
            "--reader", ReaderSlots.Reader(1), .. world.Hub(), "--json"]);
        Assert.Equal(3, empty.ExitCode);
        Assert.Equal("NoCard", empty.Reason);

        var unknown = await world.ProvisionAsync(["card", "issue", "--municipality", Municipality, "--card", "C-7001", .. Keys(), "--pin-file", world.PinFile,
            "--reader", "No Such Reader 00 00", .. world.Hub(), "--json"]);
        Assert.Equal(3, unknown.ExitCode);
        Assert.Equal("UnknownReader", unknown.Reason);
        Assert.Contains(ReaderSlots.Reader(0), unknown.Error, StringComparison.Ordinal);
    }
}
