using CardAp.Shared.Domain;
using CardAp.VirtualCard.Issuance;

namespace CardAp.Provision.Tests.Cards;

/// <summary>`cardap-provision operator ...`: operator identification cards written through pcscd + vpcd, operators revoked at the hub.</summary>
[Collection(PcscdFixture.CollectionName)]
public sealed class OperatorCommandTests(PcscdFixture pcscd, CardWorld world) : IClassFixture<CardWorld>, IAsyncLifetime
{
    private const string Municipality = CardWorld.Municipality;
    private readonly ReaderSlots _slots = new(pcscd);

    public ValueTask InitializeAsync()
    {
        pcscd.RequirePcscd();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _slots.DisposeAsync();

    private Task<Run> IssueAsync(string id, string role, string card, int slot = 0) =>
        world.ProvisionAsync(["operator", "issue", "--municipality", Municipality, "--id", id, "--role", role, "--card", card, "--name", "図書 花子",
            "--keys", world.Keys, "--pin-file", world.PinFile, "--reader", ReaderSlots.Reader(slot), .. world.Hub(), "--json"]);

    [Fact]
    public async Task An_operator_card_is_issued_and_read_back_and_a_revoked_operator_gets_no_new_card()
    {
        await _slots.InsertAsync(VirtualCards.Blank(world.IssuerKey));
        var issued = await IssueAsync("staff-001", "librarian", "OP-0001");
        Assert.True(issued.ExitCode == 0, issued.ToString());
        Assert.True((bool)issued.Json!["cardIssued"]!);
        Assert.DoesNotContain(CardWorld.Pin, issued.Output + issued.Error, StringComparison.Ordinal);

        var identified = _slots.Identify(world.IssuerKey, pin: CardWorld.Pin);
        Assert.True(identified.IsIdentified, identified.ToString());
        Assert.Equal(("staff-001", "librarian"), (identified.Identity!.Operator!.Id.Value, identified.Identity.Operator.Role.Value));
        Assert.Equal("OP-0001", identified.Identity.CardNumber!.Value.Value);

        var operators = await world.MasterAsync(Municipality, MasterKinds.Operator);
        Assert.Equal("OP-0001", (string?)operators["staff-001"]["cardNumber"]);
        Assert.Equal("図書 花子", (string?)operators["staff-001"]["name"]);
        Assert.Equal("active", (string?)(await world.MasterAsync(Municipality, MasterKinds.OperatorStatus))["staff-001"]["status"]);

        var again = await IssueAsync("staff-001", "librarian", "OP-0001");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.False((bool)again.Json!["cardIssued"]!);
        Assert.Equal(0, (int)again.Json["hubChanges"]!);

        // A second card for the same operator only once the first is revoked (lost cards are revoked, not left live).
        await _slots.InsertAsync(VirtualCards.Blank(world.IssuerKey), 1);
        var second = await IssueAsync("staff-001", "librarian", "OP-0002", slot: 1);
        Assert.Equal(2, second.ExitCode);
        Assert.Equal("OperatorHasCard", second.Reason);

        // The first card reported lost: revoked, and the replacement is issued.
        ProvisionWorld.Require(await world.ProvisionAsync(["card", "revoke", "--municipality", Municipality, "--card", "OP-0001", "--reason", "紛失", .. world.Hub()]));
        var replacement = await IssueAsync("staff-001", "librarian", "OP-0002", slot: 1);
        Assert.True(replacement.ExitCode == 0, replacement.ToString());
        Assert.Equal("OP-0002", (string?)(await world.MasterAsync(Municipality, MasterKinds.Operator))["staff-001"]["cardNumber"]);

        var revoked = await world.ProvisionAsync(["operator", "revoke", "--municipality", Municipality, "--id", "staff-001", "--reason", "異動", .. world.Hub(), "--json"]);
        Assert.True(revoked.ExitCode == 0, revoked.ToString());
        var standing = (await world.MasterAsync(Municipality, MasterKinds.OperatorStatus))["staff-001"];
        Assert.Equal("revoked", (string?)standing["status"]);
        Assert.Equal("revoked", (string?)(await world.MasterAsync(Municipality, MasterKinds.Operator))["staff-001"]["status"]);
        var revokedAgain = await world.ProvisionAsync(["operator", "revoke", "--municipality", Municipality, "--id", "staff-001", .. world.Hub(), "--json"]);
        Assert.Equal(0, (int)revokedAgain.Json!["hubChanges"]!);

        await _slots.InsertAsync(VirtualCards.Blank(world.IssuerKey));
        var afterRevoke = await IssueAsync("staff-001", "librarian", "OP-0003");
        Assert.Equal(2, afterRevoke.ExitCode);
        Assert.Equal("OperatorRevoked", afterRevoke.Reason);
    }

    [Fact]
    public async Task A_role_no_terminal_knows_and_a_resident_card_are_refused()
    {
        var unknownRole = await IssueAsync("staff-002", "librarain", "OP-0003");
        Assert.Equal(2, unknownRole.ExitCode);
        Assert.Equal("UnknownRole", unknownRole.Reason);

        await _slots.InsertAsync(VirtualCards.Blank(world.IssuerKey));
        ProvisionWorld.Require(await world.ProvisionAsync(["card", "issue", "--municipality", Municipality, "--card", "C-8001", "--keys", world.Keys,
            "--pin-file", world.PinFile, "--reader", ReaderSlots.Reader(0), .. world.Hub()]));
        var resident = await IssueAsync("staff-002", "counter-clerk", "C-8001");
        Assert.Equal(2, resident.ExitCode);
        Assert.Equal("ResidentCard", resident.Reason);
    }
}
