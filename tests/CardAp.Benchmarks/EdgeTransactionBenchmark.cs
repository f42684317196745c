using System.Diagnostics;
using System.Text.Json.Nodes;
using CardAp.Edge.Store;
using Microsoft.Extensions.Logging.Abstractions;

namespace CardAp.Benchmarks;

/// <summary>
/// One counter transaction acknowledged durably at the edge (SQLite WAL, synchronous=FULL, the
/// record, its outbox entry and its chained audit entry in one transaction), without card I/O.
/// Target (DESIGN.md): p99 &lt;= 5 ms, &gt;= 2,000/s.
/// </summary>
internal static class EdgeTransactionBenchmark
{
    public static IReadOnlyList<string> Run()
    {
        var directory = Directory.CreateTempSubdirectory("cardap-bench-");
        try
        {
            var options = Microsoft.Extensions.Options.Options.Create(new EdgeStoreOptions
            {
                DatabasePath = Path.Combine(directory.FullName, "edge.db"),
                TerminalId = "131016-B001",
            });
            using var database = new EdgeDatabase(options, NullLogger<EdgeDatabase>.Instance);
            var records = new LocalRecords(database);
            var next = 0;
            void Record()
            {
                var n = Interlocked.Increment(ref next);
                var now = DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(9));
                records.RecordTransaction(
                    new NewTransaction($"bench-{n}", now, "points", "accrue", "C-0001", "PC-0001", "staff-1", null, 1, false, new JsonObject { ["reason"] = "bench" }),
                    new AuditEntry(now, "points.accrue", AuditEntry.Ok, "staff-1", "C-0001", new JsonObject { ["requestId"] = $"bench-{n}" }));
            }

            var sequential = Measurement.Of("counter transaction, one writer (no card I/O)", 200, 3000, () =>
            {
                Record();
                return 0;
            });
            const int concurrentTotal = 8000;
            var watch = Stopwatch.StartNew();
            Parallel.For(0, concurrentTotal, new ParallelOptions { MaxDegreeOfParallelism = 4 }, _ => Record());
            watch.Stop();
            var perSecond = concurrentTotal / watch.Elapsed.TotalSeconds;
            var met = sequential.P99Ms <= 5 && perSecond >= 2000;
            return
            [
                sequential.ToRow(),
                "",
                FormattableString.Invariant($"- Throughput with 4 concurrent writers: {perSecond:0} acknowledged transactions/s ({concurrentTotal} in {watch.Elapsed.TotalSeconds:0.00} s)"),
                FormattableString.Invariant($"- Target p99 <= 5 ms and >= 2,000/s: {(met ? "met" : "NOT met")} (p99 {sequential.P99Ms:0.00} ms, {perSecond:0}/s)"),
            ];
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            directory.Delete(recursive: true);
        }
    }
}
