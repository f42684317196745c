using CardAp.Edge.Api;
using CardAp.Edge.Enrolment;
using CardAp.Edge.Tests.Integration;
using CardAp.VirtualCard.Issuance;
using Grpc.Core;

namespace CardAp.Provision.Tests.Cards;

/// <summary>
/// The go-live story in one piece, through real pcscd + vpcd and the hub on loopback: the
/// municipality exists (<see cref="CardWorld"/>); a terminal is enrolled and an edge starts from the
/// bundle; an operator card and a resident card are issued by the tool; after one sync the edge
/// signs the operator in and serves the resident; a suspension at the hub reaches the counter with
/// the next sync; a service removed by the tool is gone from the card.
/// </summary>
[Collection(PcscdFixture.CollectionName)]
public sealed class GoLiveTests(PcscdFixture pcscd, CardWorld world) : IClassFixture<CardWorld>, IAsyncLifetime
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

    [Fact]
    public async Task An_edge_enrolled_from_its_bundle_serves_the_cards_the_tool_issued_and_follows_the_hub()
    {
        var bundle = Path.Combine(world.Root, "golive-T101.cardap-enrol");
        var enrolled = await world.ProvisionAsync(["terminal", "enroll", "--municipality", Municipality, "--id", "T101", "--site", "honcho",
            "--service", "library", "--ca", world.Ca, "--out", bundle, .. world.Hub(), "--json"]);
        Assert.True(enrolled.ExitCode == 0, enrolled.ToString());
        var terminal = Directory.CreateDirectory(Path.Combine(world.Root, "golive-terminal")).FullName;
        EnrolCommand.Import(bundle, (string)enrolled.Json!["code"]!, terminal, []);

        await _slots.InsertAsync(VirtualCards.Blank(world.IssuerKey), 0);
        ProvisionWorld.Require(await world.ProvisionAsync(["operator", "issue", "--municipality", Municipality, "--id", "staff-101", "--role", "librarian",
            "--card", "OP-0101", "--keys", world.Keys, "--pin-file", world.PinFile, "--reader", ReaderSlots.Reader(0), .. world.Hub()]));
        await _slots.InsertAsync(VirtualCards.Blank(world.IssuerKey), 1);
        ProvisionWorld.Require(await world.ProvisionAsync(["card", "issue", "--municipality", Municipality, "--card", "C-0101", "--service", "library=L-0101",
            "--keys", world.Keys, "--pin-file", world.PinFile, "--reader", ReaderSlots.Reader(1), .. world.Hub()]));

        await using var edge = await EdgeHost.StartAsync(Path.Combine(terminal, "data"), TimeProvider.System,
            new Dictionary<string, string?> { ["Edge:Readers"] = "Pcsc", ["Edge:Sync:Interval"] = "01:00:00" }, enrolledIn: terminal);
        await SyncAsync(edge);

        var session = (await edge.Client.SignInAsync(new SignInRequest { Reader = ReaderSlots.Reader(0), Pin = CardWorld.Pin }, cancellationToken: Cancel)).Session;
        var served = await CheckoutAsync(edge, session, "B-1");
        Assert.Equal("L-0101", served.Member);

        // Central IT suspends the card; the counter refuses it after the next sync.
        ProvisionWorld.Require(await world.ProvisionAsync(["card", "suspend", "--municipality", Municipality, "--card", "C-0101", "--reason", "紛失届", .. world.Hub()]));
        await SyncAsync(edge);
        var refused = await Assert.ThrowsAsync<RpcException>(() => CheckoutAsync(edge, session, "B-2"));
        Assert.Contains("suspend", refused.Status.Detail, StringComparison.OrdinalIgnoreCase);

        // Resumed, then the library service removed by the tool: the card no longer carries it.
        ProvisionWorld.Require(await world.ProvisionAsync(["card", "resume", "--municipality", Municipality, "--card", "C-0101", .. world.Hub()]));
        ProvisionWorld.Require(await world.ProvisionAsync(["card", "remove-service", "--municipality", Municipality, "--card", "C-0101", "--service", "library",
            "--keys", world.Keys, "--reader", ReaderSlots.Reader(1), .. world.Hub()]));
        await SyncAsync(edge);
        Assert.Empty(_slots.Identify(world.IssuerKey, slot: 1).Identity!.Services);
        var unregistered = await Assert.ThrowsAsync<RpcException>(() => CheckoutAsync(edge, session, "B-3"));
        Assert.Equal("NotRegistered", unregistered.Trailers.GetValue("cardap-reason"));
    }

    private static async Task SyncAsync(EdgeHost edge)
    {
        var sync = await edge.Client.SyncNowAsync(new SyncNowRequest(), cancellationToken: Cancel);
        Assert.True(sync.Succeeded, sync.MessageEn);
    }

    private static Task<OperationReply> CheckoutAsync(EdgeHost edge, string session, string item)
    {
        var request = new OperationRequest
        {
            RequestId = "golive-" + item,
            Session = session,
            Service = "library",
            Operation = "checkout",
            Reader = ReaderSlots.Reader(1),
        };
        request.Fields["item"] = item;
        return edge.Client.ExecuteAsync(request, cancellationToken: Cancel).ResponseAsync;
    }
}
