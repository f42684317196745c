using System.Collections.Concurrent;
using CardAp.Hub.Api;
using CardAp.Hub.Security;
using CardAp.Hub.Tests.Store;
using CardAp.Shared.Domain;

namespace CardAp.Hub.Tests.Host;

/// <summary>
/// Two hub processes (two hosts, each with its own connection pool) behind a load balancer on one
/// PostgreSQL database: concurrent admin writes through both get unique, gap-free change sequences
/// in commit order, and no write is lost.
/// </summary>
public sealed class TwoHubsTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private static readonly MunicipalityCode Chiyoda = MunicipalityCode.Parse("131016");

    [Fact]
    public async Task Concurrent_admin_writes_through_two_hubs_lose_nothing_and_never_share_a_sequence()
    {
        var cancel = TestContext.Current.CancellationToken;
        var database = await postgres.CreateDatabaseAsync();
        using var pki = new HubPki();
        var settings = new Dictionary<string, string?>
        {
            ["Hub:Database:Engine"] = "PostgreSql",
            ["Hub:Database:ConnectionString"] = database.ConnectionStringForTests,
        };
        await using var hubA = await HubHost.StartAsync(pki, settings);
        await using var hubB = await HubHost.StartAsync(pki, settings);
        var certificate = pki.Ca.IssueAdminCertificate("it-1", CallerRole.CentralIt, [Chiyoda]);
        using var channelA = hubA.Channel(certificate);
        using var channelB = hubB.Channel(certificate);
        var clients = new[] { new Admin.AdminClient(channelA), new Admin.AdminClient(channelB) };
        await clients[0].AddMunicipalityAsync(new AddMunicipalityRequest { Municipality = "131016", Name = "千代田区" }, cancellationToken: cancel);

        var writes = new ConcurrentBag<(string Key, int Value, long Seq)>();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(writer => Task.Run(async () =>
        {
            var client = clients[writer % 2];
            for (var i = 0; i < 20; i++)
            {
                // Half the writes go to a row of the writer's own, half fight over one shared row.
                var key = i % 2 == 0 ? $"own-{writer}-{i}" : "shared";
                var value = writer * 1000 + i;
                var reply = await client.PutMasterAsync(new PutMasterRequest
                {
                    Municipality = "131016",
                    Kind = "pointsBalance",
                    Key = key,
                    PayloadJson = $$"""{"balance":{{value}}}""",
                }, cancellationToken: cancel);
                writes.Add((key, value, reply.ChangeSeq));
            }
        }, cancel)));

        var sequences = writes.Select(w => w.Seq).OrderBy(s => s).ToList();
        Assert.Equal(Enumerable.Range(1, 160).Select(i => (long)i), sequences);

        var rows = await clients[1].ListMasterAsync(new ListMasterRequest { Municipality = "131016", Kind = "pointsBalance" }, cancellationToken: cancel);
        Assert.Equal(81, rows.Rows.Count); // 80 own rows and the shared one
        foreach (var (key, value, _) in writes.Where(w => w.Key != "shared"))
        {
            Assert.Contains(rows.Rows, r => r.Key == key && r.PayloadJson.Contains($"{value}", StringComparison.Ordinal));
        }
        // The shared row holds the write that committed last, which is the one with the highest sequence.
        var last = writes.Where(w => w.Key == "shared").MaxBy(w => w.Seq);
        var shared = rows.Rows.Single(r => r.Key == "shared");
        Assert.Equal(last.Seq, shared.ChangeSeq);
        Assert.Contains($"{last.Value}", shared.PayloadJson, StringComparison.Ordinal);
    }
}
