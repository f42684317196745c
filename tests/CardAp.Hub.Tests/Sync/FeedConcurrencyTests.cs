using System.Globalization;
using System.Text.Json.Nodes;
using CardAp.Hub.Store;
using CardAp.Hub.Tests.Host;
using CardAp.Hub.Tests.Store;
using CardAp.Shared.Domain;
using CardAp.Sync;
using CardAp.Sync.Contracts;
using SyncClient = CardAp.Sync.Contracts.Sync.SyncClient;

namespace CardAp.Hub.Tests.Sync;

/// <summary>
/// The issue's concurrency test, on a real PostgreSQL server behind a real hub: master-data writers
/// commit while one of them holds its transaction open (its sequence taken, its row not yet
/// visible), and a terminal pulls page after page all the while. Checkpointing at each page's
/// through_seq must never skip a change: at the end the terminal's set equals the store's.
/// </summary>
public sealed class FeedConcurrencyTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private static readonly MunicipalityCode Chiyoda = MunicipalityCode.Parse("131016");
    private const string Terminal = "131016-T001";

    [Fact]
    public async Task A_terminal_pulling_while_writers_commit_out_of_order_never_skips_a_change()
    {
        var cancel = TestContext.Current.CancellationToken;
        var database = await postgres.CreateDatabaseAsync();
        using var pki = new HubPki();
        await using var hub = await HubHost.StartAsync(pki, new Dictionary<string, string?>
        {
            ["Hub:Database:Engine"] = "PostgreSql",
            ["Hub:Database:ConnectionString"] = database.ConnectionStringForTests,
        });
        var master = new MasterStore(database);
        await new MunicipalityStore(database).AddAsync(Chiyoda, "千代田区", cancel);
        await master.UpsertAsync(Chiyoda, MasterKinds.Terminal, Terminal,
            new JsonObject { ["site"] = "honcho", ["services"] = new JsonArray("library"), ["status"] = "active" }, cancel);
        using var channel = hub.Channel(pki.Ca.IssueTerminalCertificate(Terminal));
        var sync = new SyncClient(channel);
        var scope = (await sync.HelloAsync(new HelloRequest { SoftwareVersion = "1.0", TerminalTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow) }, cancellationToken: cancel)).Scope;

        var writing = new CancellationTokenSource();
        var heldOpen = 0;
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(() => WriterAsync(new MasterStore(new HubDatabase(HubEngine.PostgreSql, database.ConnectionStringForTests)), w, cancel), cancel))
            .Append(Task.Run(async () => heldOpen = await HoldingWriterAsync(database, cancel), cancel))
            .ToList();
        var allWritten = Task.WhenAll(writers).ContinueWith(_ => writing.Cancel(), TaskScheduler.Default);

        var pulled = new Dictionary<(string Kind, string Key), MasterChange>();
        long checkpoint = 0;
        var pagesWhileWriting = 0;
        var finalPass = false;
        while (true)
        {
            var reply = await sync.PullAsync(new PullRequest { Scope = scope, AfterSeq = checkpoint, Limit = 4 }, cancellationToken: cancel);
            Assert.False(reply.Reinitialise);
            Assert.True(reply.ThroughSeq >= checkpoint, "the checkpoint never moves back");
            Assert.All(reply.Changes, c => Assert.InRange(c.Seq, checkpoint + 1, reply.ThroughSeq));
            Assert.Equal(reply.Changes.Select(c => c.Seq).Order(), reply.Changes.Select(c => c.Seq));
            foreach (var change in reply.Changes)
            {
                // Latest wins, as the edge applies it.
                if (!pulled.TryGetValue((change.Kind, change.Key), out var held) || held.Seq < change.Seq)
                {
                    pulled[(change.Kind, change.Key)] = change;
                }
            }
            checkpoint = reply.ThroughSeq;
            if (!writing.IsCancellationRequested)
            {
                pagesWhileWriting++;
                continue;
            }
            // Once more after the writers are done, then to the end of the feed.
            if (!reply.HasMore && finalPass)
            {
                break;
            }
            finalPass = !reply.HasMore || finalPass;
        }
        await allWritten;
        await Task.WhenAll(writers);

        Assert.True(heldOpen >= 5, "the holding writer committed its rows");
        Assert.True(pagesWhileWriting >= 20, $"the terminal pulled only {pagesWhileWriting} pages while the writers ran");
        Assert.Equal(await master.LastSequenceAsync(Chiyoda, cancel), checkpoint);

        var expected = new List<(string, string, string)>();
        foreach (var kind in new[] { MasterKinds.LoanSummary, MasterKinds.PointsBalance, MasterKinds.IssuerKey })
        {
            expected.AddRange((await master.ListAsync(Chiyoda, kind, cancel))
                .Where(r => SyncScope.Includes(new HashSet<string> { "library" }, r.Kind, r.Key, r.PayloadJson))
                .Select(r => (r.Kind, r.Key, r.PayloadJson!)));
        }
        Assert.True(expected.Count > 20, "the writers left a live set to compare");
        Assert.Equal(expected.Order(), pulled.Values.Where(c => !c.Deleted).Select(c => (c.Kind, c.Key, c.PayloadJson)).Order());
        Assert.DoesNotContain(pulled.Keys, k => k.Kind == MasterKinds.PointsBalance);
    }

    // Upserts and deletes of the library's rows, rows out of scope, and rows every terminal gets.
    private static async Task WriterAsync(MasterStore master, int writer, CancellationToken cancellationToken)
    {
        var random = new Random(writer);
        for (var i = 0; i < 40; i++)
        {
            var key = $"C-{random.Next(25):0000}";
            var edit = random.Next(10) switch
            {
                < 5 => MasterEdit.Upsert(MasterKinds.LoanSummary, key, new JsonObject { ["writer"] = writer, ["i"] = i }),
                < 7 => MasterEdit.Delete(MasterKinds.LoanSummary, key),
                < 9 => MasterEdit.Upsert(MasterKinds.PointsBalance, key, new JsonObject { ["writer"] = writer, ["i"] = i }),
                _ => MasterEdit.Upsert(MasterKinds.IssuerKey, $"k{writer}", new JsonObject { ["writer"] = writer, ["i"] = i }),
            };
            await master.ApplyAsync(Chiyoda, [edit], cancellationToken);
            await Task.Delay(random.Next(3), cancellationToken);
        }
    }

    // A writer as MasterStore writes, with the store's own SQL, that holds its transaction open after
    // taking its sequence: the others wait behind it, and the feed must not hand out anything after
    // its sequence before it commits.
    private static async Task<int> HoldingWriterAsync(HubDatabase database, CancellationToken cancellationToken)
    {
        var committed = 0;
        for (var i = 0; i < 6; i++)
        {
            await Task.Delay(40, cancellationToken);
            await using var connection = await database.OpenAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var seq = Convert.ToInt64(await HubDatabase.ScalarAsync(connection, transaction, database.Dialect.AdvanceSequence, cancellationToken,
                ("@municipality", Chiyoda.Value), ("@by", 1L)), CultureInfo.InvariantCulture);
            await HubDatabase.ExecuteAsync(connection, transaction, database.Dialect.UpsertMasterRow, cancellationToken,
                ("@municipality", Chiyoda.Value), ("@kind", MasterKinds.LoanSummary), ("@key", $"held-{i}"),
                ("@payload", new JsonObject { ["held"] = i, ["seq"] = seq }.ToJsonString()), ("@seq", seq), ("@deleted", false), ("@now", DateTimeOffset.UtcNow));
            await Task.Delay(150, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            committed++;
        }
        return committed;
    }
}
