using CardAp.Edge.Api;
using Grpc.Core;

namespace CardAp.SystemTests;

/// <summary>
/// (c) Power cuts at the library terminal (SIGKILL of cardap-edge), at moments drawn from the seed: once
/// while the clerk's requests are being answered, once while it pushes a backlog to the hub. It is started
/// again on the same data folder each time; the clerk retries the request that got no answer, with the
/// same request id, as the terminal API asks. Nothing acknowledged is lost and nothing is recorded twice.
/// </summary>
[Collection(PcscdFixture.CollectionName)]
public sealed class EdgePowerLossTests(PcscdFixture pcscd, CentralIt centre)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_library_terminal_killed_mid_request_and_mid_push_loses_and_doubles_nothing()
    {
        // One record a push: the library's catch-up takes a round trip per record, so a kill can land inside it.
        await using var world = await SystemWorld.StartAsync(pcscd, centre, seed: 3003,
            plan => plan == SystemWorld.LibraryPlan ? new Dictionary<string, string?> { ["Edge:Sync:BatchSize"] = "1" } : new Dictionary<string, string?>());
        var random = new Random(world.Seed);
        var day = new WorkDay(world);
        var library = world.Library;
        var reader = world.Resident("C-1002");
        await day.RoundAsync("morning");

        // Kill while requests are being answered; the one in flight may or may not have been recorded.
        var acknowledged = random.Next(2, 6);
        OperationRequest? unanswered = null;
        var kills = 0;
        for (var i = 1; unanswered is null; i++)
        {
            var request = await world.PrepareAsync(library, reader, "library", "checkout", ("item", $"K-{i}"));
            if (i <= acknowledged)
            {
                world.Acknowledged(library, reader, request, await library.Client.ExecuteAsync(request, cancellationToken: Cancel));
                continue;
            }
            Assert.True(++kills <= 8, $"eight kills in a row came after the answer: {world.Context}");
            var call = library.Client.ExecuteAsync(request, cancellationToken: Cancel).ResponseAsync;
            await Task.Delay(random.Next(0, 10), Cancel);
            await library.KillAsync();
            try
            {
                world.Acknowledged(library, reader, request, await call);
                world.Note($"killed after request {i} was answered");
            }
            catch (RpcException e)
            {
                unanswered = request;
                world.Note($"killed with request {i} unanswered ({e.StatusCode})");
            }
            if (unanswered is null)
            {
                // The answer won the race: the next request goes to the restarted terminal.
                await world.RestartAsync(library);
                acknowledged = i;
            }
        }
        await world.RestartAsync(library);
        // The clerk retries the same request: the terminal records it now, or answers with what it recorded before the cut.
        unanswered.Session = await world.SignedInAsync(library);
        var retried = await library.Client.ExecuteAsync(unanswered, cancellationToken: Cancel);
        world.Acknowledged(library, reader, unanswered, retried);
        world.Note($"the retry was {(retried.Duplicate ? "already recorded" : "recorded now")}");

        // Kill while the terminal pushes a backlog, as soon as it is seen pushing; a run that finishes first is tried again.
        var landed = false;
        for (var attempt = 1; attempt <= 5 && !landed; attempt++)
        {
            await library.CutOffAsync();
            for (var i = 1; i <= 8; i++)
            {
                await world.DoAsync(library, reader, "library", i % 2 == 1 ? "checkout" : "return", ("item", $"P{attempt}-{(i + 1) / 2}"));
            }
            library.Proxy.Mode = FaultMode.Pass;
            landed = await KillWhilePushingAsync(library, random.Next(0, 30));
            world.Note($"push kill {attempt}: {(landed ? "landed mid-push" : "the push had finished")}");
            if (landed)
            {
                await world.RestartAsync(library);
            }
            await library.WaitUntilReconnectedAsync();
        }
        Assert.True(landed, $"no kill landed while the library pushed: {world.Context}");
        await world.WaitUntilSyncedAsync(library);
        await day.RoundAsync("afternoon");

        await world.VerifyAsync();
        Assert.Single(world.Ledger.Transactions(library.TerminalId), t => t.RequestId == unanswered.RequestId);
    }

    /// <summary>Polls the terminal until its sync is pushing, then SIGKILLs it after <paramref name="pauseMs"/>; false when the sync got through first.</summary>
    private static async Task<bool> KillWhilePushingAsync(EdgeTerminal terminal, int pauseMs)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var status = await terminal.StatusAsync();
            if (status.Sync.Running && status.Sync.Phase.StartsWith("push:", StringComparison.Ordinal))
            {
                await Task.Delay(pauseMs, Cancel);
                await terminal.KillAsync();
                return true;
            }
            if (status.Online && status.Sync.Backlog == 0)
            {
                return false;
            }
            await Task.Delay(2, Cancel);
        }
        throw new TimeoutException($"{terminal} neither pushed nor caught up within 30 s of getting its network back.");
    }
}
