using System.Collections.Concurrent;
using CardAp.Edge.Api;
using CardAp.Edge.Store;
using CardAp.Edge.Tests.Integration;
using CardAp.VirtualCard.Vpcd;
using Grpc.Core;
using Microsoft.Extensions.Logging.Abstractions;

namespace CardAp.Edge.Tests.Durability;

/// <summary>
/// Power cuts and UPS shutdowns against a real edge process reading cards through pcscd: what the
/// API acknowledged is on disk afterwards, exactly once, in an intact, chained, gap-free store.
/// </summary>
[Collection(PcscdFixture.CollectionName)]
public sealed class DurabilityTests(PcscdFixture pcscd) : IAsyncLifetime
{
    private readonly EdgeWorld _world = new();
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("cardap-durability-");
    private readonly List<VpcdBridge> _bridges = [];
    private string _snapshot = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        pcscd.RequirePcscd();
        _snapshot = EdgeProcess.WriteSnapshot(_directory.FullName, _world.MasterData());
        _bridges.Add(await pcscd.InsertCardAsync(_world.Operator("staff-1", "counter-clerk"), 0, Cancel));
        _bridges.Add(await pcscd.InsertCardAsync(_world.Resident("C-0001"), 1, Cancel));
    }

    public async ValueTask DisposeAsync()
    {
        for (var slot = 0; slot < _bridges.Count; slot++)
        {
            await pcscd.RemoveCardAsync(_bridges[slot], slot, Cancel);
            await _bridges[slot].DisposeAsync();
        }
        _world.Dispose();
        _directory.Delete(recursive: true);
    }

    [Fact]
    public async Task Sigkill_mid_stream_loses_nothing_acknowledged_and_doubles_nothing()
    {
        var acknowledged = new ConcurrentDictionary<string, long>();
        var sent = new ConcurrentBag<string>();
        await using (var edge = await EdgeProcess.StartAsync(_directory.FullName, _snapshot))
        {
            var session = await SignInAsync(edge);
            using var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, 3).Select(w => Task.Run(() => StreamAsync(edge, session, $"w{w}", sent, acknowledged, stop.Token))).ToArray();
            while (acknowledged.Count < 60)
            {
                await Task.Delay(20, Cancel);
            }
            edge.Kill();
            await stop.CancelAsync();
            await Task.WhenAll(writers);
        }

        // After the restart the clients retry what was in flight: recorded once, whatever happened.
        await using (var edge = await EdgeProcess.StartAsync(_directory.FullName, _snapshot))
        {
            var session = await SignInAsync(edge);
            foreach (var id in sent.Except(acknowledged.Keys))
            {
                var reply = await edge.Client.ExecuteAsync(Accrue(session, id), cancellationToken: Cancel);
                acknowledged[id] = reply.Sequence;
            }
        }

        AssertStoreHolds(acknowledged);
    }

    [Fact]
    public async Task Sigterm_under_load_ends_within_the_deadline_with_nothing_acknowledged_lost()
    {
        var acknowledged = new ConcurrentDictionary<string, long>();
        var sent = new ConcurrentBag<string>();
        var deadline = TimeSpan.FromSeconds(5);
        await using (var edge = await EdgeProcess.StartAsync(_directory.FullName, _snapshot, deadline))
        {
            var session = await SignInAsync(edge);
            using var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, 3).Select(w => Task.Run(() => StreamAsync(edge, session, $"t{w}", sent, acknowledged, stop.Token))).ToArray();
            while (acknowledged.Count < 40)
            {
                await Task.Delay(20, Cancel);
            }
            var signalled = DateTime.UtcNow;
            edge.Terminate();
            Assert.True(await edge.WaitForExitAsync(deadline + TimeSpan.FromSeconds(3)), "the edge did not exit within its shutdown deadline");
            Assert.True(DateTime.UtcNow - signalled < deadline + TimeSpan.FromSeconds(3));
            await stop.CancelAsync();
            await Task.WhenAll(writers);
        }
        AssertStoreHolds(acknowledged);
        // A graceful stop checkpoints the WAL into the main file.
        var wal = new FileInfo(Path.Combine(_directory.FullName, "edge.db-wal"));
        Assert.True(!wal.Exists || wal.Length == 0, $"WAL left with {(wal.Exists ? wal.Length : 0)} bytes");
    }

    [Fact]
    public async Task Sigterm_with_a_front_end_watching_the_readers_ends_at_once_not_at_the_deadline()
    {
        // A counter app watches the readers all day; the UPS's shutdown must not wait the deadline out for it.
        var deadline = TimeSpan.FromSeconds(30);
        await using var edge = await EdgeProcess.StartAsync(_directory.FullName, _snapshot, deadline);
        using var watch = edge.Client.WatchReaders(new WatchReadersRequest(), cancellationToken: Cancel);
        Assert.True(await watch.ResponseStream.MoveNext(Cancel), "the watch gave no first event");
        var session = await SignInAsync(edge);
        await edge.Client.ExecuteAsync(Accrue(session, "before-shutdown"), cancellationToken: Cancel);

        var signalled = DateTime.UtcNow;
        edge.Terminate();
        Assert.True(await edge.WaitForExitAsync(deadline + TimeSpan.FromSeconds(5)), "the edge did not exit within its shutdown deadline");
        var took = DateTime.UtcNow - signalled;
        Assert.True(took < TimeSpan.FromSeconds(10), $"the edge took {took.TotalSeconds:0.0} s to stop with a reader watch open (deadline {deadline.TotalSeconds:0} s)");
        // The watch ended with the host rather than being cut when the process went.
        var ended = await Record.ExceptionAsync(async () =>
        {
            while (await watch.ResponseStream.MoveNext(Cancel))
            {
            }
        });
        Assert.True(ended is null, $"the watch did not end cleanly: {ended?.Message}");
        var wal = new FileInfo(Path.Combine(_directory.FullName, "edge.db-wal"));
        Assert.True(!wal.Exists || wal.Length == 0, $"WAL left with {(wal.Exists ? wal.Length : 0)} bytes");
    }

    private async Task<string> SignInAsync(EdgeProcess edge) =>
        (await edge.Client.SignInAsync(new SignInRequest { Reader = EdgeWorld.OperatorReader, Pin = "1111" }, cancellationToken: Cancel)).Session;

    private static OperationRequest Accrue(string session, string id)
    {
        var request = new OperationRequest { RequestId = id, Session = session, Service = "points", Operation = "accrue", Reader = EdgeWorld.ResidentReader };
        request.Fields["points"] = "1";
        request.Fields["reason"] = "durability";
        return request;
    }

    private static async Task StreamAsync(EdgeProcess edge, string session, string writer, ConcurrentBag<string> sent, ConcurrentDictionary<string, long> acknowledged, CancellationToken stop)
    {
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            var id = $"{writer}-{i}";
            sent.Add(id);
            try
            {
                // In-flight calls are not cancelled: they complete or die with the process, like a real counter app's.
                var reply = await edge.Client.ExecuteAsync(Accrue(session, id), deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: CancellationToken.None);
                acknowledged[id] = reply.Sequence;
            }
            catch (RpcException)
            {
                // The process is going away: this request may or may not be recorded; never acknowledged.
                return;
            }
        }
    }

    private void AssertStoreHolds(IReadOnlyDictionary<string, long> acknowledged)
    {
        var options = Microsoft.Extensions.Options.Options.Create(new EdgeStoreOptions
        {
            DatabasePath = Path.Combine(_directory.FullName, "edge.db"),
            TerminalId = "131016-T001",
        });
        using var database = new EdgeDatabase(options, NullLogger<EdgeDatabase>.Instance);
        Assert.Equal("ok", database.IntegrityCheck());
        var chain = new AuditChainVerifier(database).Verify(Cancel);
        Assert.True(chain.IsValid, chain.Message);

        var stored = new LocalRecords(database).TransactionsAfter(0, int.MaxValue);
        Assert.Equal(stored.Select(t => t.Id).Distinct().Count(), stored.Count);
        Assert.Equal(Enumerable.Range(1, stored.Count).Select(i => (long)i), stored.Select(t => t.Seq));
        var byId = stored.ToDictionary(t => t.Id);
        foreach (var (id, seq) in acknowledged)
        {
            Assert.True(byId.TryGetValue(id, out var record), $"acknowledged {id} (seq {seq}) is missing");
            Assert.Equal(seq, record.Seq);
        }
        Assert.True(acknowledged.Count >= 40);
    }
}
