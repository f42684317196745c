using CardAp.Edge.Store;

namespace CardAp.Edge.Tests.Store;

public sealed class ConcurrencyTests
{
    [Fact]
    public async Task Eight_concurrent_writers_get_gap_free_unique_sequences()
    {
        using var store = new TempStore();
        const int writers = 8;
        const int each = 250;

        var receipts = await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(() =>
        {
            var mine = new List<TransactionReceipt>();
            for (var i = 0; i < each; i++)
            {
                mine.Add(store.Records.RecordTransaction(TempStore.Transaction($"w{w}-{i}", member: $"M{w}"), TempStore.Audit()));
                if (i % 50 == 0)
                {
                    store.Records.RecordTelemetry(TempStore.T0, "tick", i);
                }
            }
            return mine;
        }, TestContext.Current.CancellationToken)));

        var all = receipts.SelectMany(r => r).ToList();
        Assert.Equal(Enumerable.Range(1, writers * each).Select(i => (long)i), all.Select(r => r.Seq).Order());
        Assert.Equal(Enumerable.Range(1, writers * each).Select(i => (long)i), all.Select(r => r.AuditSeq).Order());
        Assert.Equal(writers * each, store.Scalar("SELECT count(DISTINCT id) FROM transactions"));
        Assert.Equal(writers * each, store.Scalar("SELECT max(seq) FROM transactions"));
        Assert.Equal(writers * 5, store.Scalar("SELECT max(seq) FROM telemetry"));
        Assert.Equal(writers * each * 2 + writers * 5, store.Scalar("SELECT count(*) FROM outbox"));
        // Each writer's own records keep its order.
        for (var w = 0; w < writers; w++)
        {
            var seqs = store.Records.Transactions("points", member: $"M{w}").Select(t => t.Seq).ToList();
            Assert.Equal(seqs.Order(), seqs);
        }
        var chain = store.Verifier.Verify(TestContext.Current.CancellationToken);
        Assert.True(chain.IsValid, chain.Message);
        Assert.Equal(writers * each, chain.Count);
    }

    [Fact]
    public async Task Two_database_instances_on_one_file_still_write_gap_free()
    {
        // Like two processes: only SQLite's write lock (BEGIN IMMEDIATE) orders them.
        using var store = new TempStore();
        using var second = new EdgeDatabase(store.Options);
        var records = new[] { store.Records, new LocalRecords(second) };

        await Task.WhenAll(Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            for (var i = 0; i < 100; i++)
            {
                records[w % 2].RecordTransaction(TempStore.Transaction($"p{w}-{i}"), TempStore.Audit());
            }
        }, TestContext.Current.CancellationToken)));

        Assert.Equal(400, store.Scalar("SELECT count(*) FROM transactions"));
        Assert.Equal(400, store.Scalar("SELECT max(seq) FROM transactions"));
        Assert.Equal(400, store.Scalar("SELECT max(seq) FROM audit_log"));
        Assert.True(store.Verifier.Verify(TestContext.Current.CancellationToken).IsValid);
    }

    [Fact]
    public async Task Readers_run_beside_the_writer()
    {
        using var store = new TempStore();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

        var writer = Task.Run(() =>
        {
            for (var i = 0; i < 300; i++)
            {
                store.Records.RecordTransaction(TempStore.Transaction($"r{i}"), TempStore.Audit());
            }
        }, TestContext.Current.CancellationToken);
        var observed = new List<int>();
        while (!writer.IsCompleted)
        {
            observed.Add(store.Records.Count("points", "accrue"));
        }
        await writer;

        Assert.Equal(observed.Order(), observed);
        Assert.Equal(300, store.Records.Count("points", "accrue"));
    }
}
