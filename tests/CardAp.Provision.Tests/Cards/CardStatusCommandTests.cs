using CardAp.Shared.Domain;

namespace CardAp.Provision.Tests.Cards;

/// <summary>
/// `card suspend / resume / revoke`: hub rows of kind cardStatus keyed "&lt;municipality&gt;/&lt;card&gt;",
/// as the edge's trust store reads them. No reader is involved.
/// </summary>
public sealed class CardStatusCommandTests(CardWorld world) : IClassFixture<CardWorld>
{
    private const string Municipality = CardWorld.Municipality;

    private Task<Run> StatusAsync(string verb, string card, params string[] more) =>
        world.ProvisionAsync(["card", verb, "--municipality", Municipality, "--card", card, .. more, .. world.Hub(), "--json"]);

    private async Task<System.Text.Json.Nodes.JsonObject?> RowAsync(string card) =>
        (await world.MasterAsync(Municipality, MasterKinds.CardStatus)).GetValueOrDefault($"{Municipality}/{card}");

    [Fact]
    public async Task A_suspended_card_shows_in_ListMaster_until_it_is_resumed()
    {
        var suspended = await StatusAsync("suspend", "C-9001", "--reason", "紛失届");
        Assert.True(suspended.ExitCode == 0, suspended.ToString());
        var row = await RowAsync("C-9001");
        Assert.NotNull(row);
        Assert.Equal(("suspended", Municipality, "C-9001", "紛失届"),
            ((string?)row["status"], (string?)row["municipality"], (string?)row["cardNumber"], (string?)row["reason"]));

        var again = await StatusAsync("suspend", "C-9001", "--reason", "紛失届");
        Assert.False((bool)again.Json!["changed"]!);

        var resumed = await StatusAsync("resume", "C-9001");
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Null(await RowAsync("C-9001"));
    }

    [Fact]
    public async Task A_revoked_card_stays_revoked_and_its_number_is_not_issued_again()
    {
        Assert.Equal(0, (await StatusAsync("revoke", "C-9002", "--reason", "再発行")).ExitCode);
        Assert.Equal("revoked", (string?)(await RowAsync("C-9002"))!["status"]);

        var resume = await StatusAsync("resume", "C-9002");
        Assert.Equal(2, resume.ExitCode);
        Assert.Equal("CardRevoked", resume.Reason);
        Assert.Contains("廃止", resume.Error, StringComparison.Ordinal);
        var suspend = await StatusAsync("suspend", "C-9002");
        Assert.Equal(2, suspend.ExitCode);
        Assert.Equal("revoked", (string?)(await RowAsync("C-9002"))!["status"]);

        // Refused at the hub check, before any reader is looked for.
        var issue = await world.ProvisionAsync(["card", "issue", "--municipality", Municipality, "--card", "C-9002", "--keys", world.Keys,
            "--pin-file", world.PinFile, "--reader", "No Such Reader", .. world.Hub(), "--json"]);
        Assert.Equal(2, issue.ExitCode);
        Assert.Equal("CardRevoked", issue.Reason);
    }

    [Fact]
    public async Task Bad_card_numbers_and_an_unreachable_hub_end_with_their_exit_codes()
    {
        var bad = await StatusAsync("suspend", "C 9003");
        Assert.Equal(2, bad.ExitCode);
        Assert.Equal("BadCardNumber", bad.Reason);

        var unreachable = await world.ProvisionAsync(["card", "suspend", "--municipality", Municipality, "--card", "C-9003", "--hub", "https://127.0.0.1:1", .. world.Hub()[2..], "--json"]);
        Assert.Equal(3, unreachable.ExitCode);
        Assert.Equal("HubUnreachable", unreachable.Reason);
    }
}
