using System.Diagnostics;
using System.Globalization;
using CardAp.Hub.Reports;
using CardAp.Hub.Store;
using CardAp.Hub.Store.Records;
using CardAp.Shared.Domain;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace CardAp.Benchmarks;

/// <summary>
/// The monthly usage report of one municipality holding 1,000,000 records of that month (and a
/// second municipality's month beside it), on SQLite and on PostgreSQL. Loading is timed but is not
/// the measure: SQLite is loaded through UsageRecords.AddAsync in batches of 100,000 (records and
/// their rollup counts), PostgreSQL with COPY and then a recount of the rollup.
/// </summary>
internal static class HubReportBenchmark
{
    private const int RecordCount = 1_000_000;
    private const int Runs = 5;
    private static readonly MunicipalityCode Municipality = MunicipalityCode.Parse("131016");
    private static readonly MunicipalityCode Neighbour = MunicipalityCode.Parse("011002");
    private static readonly DateOnly First = new(2026, 10, 1);
    private static readonly DateOnly Last = new(2026, 10, 31);

    public static async Task<IReadOnlyList<string>> RunAsync(string? postgres)
    {
        var rows = new List<string>();
        var folder = Directory.CreateTempSubdirectory("cardap-hub-bench-").FullName;
        try
        {
            var sqlite = new HubDatabase(HubEngine.Sqlite, $"Data Source={Path.Combine(folder, "hub.db")}");
            rows.Add((await MeasureAsync("SQLite", sqlite, LoadSqliteAsync)).Row);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
        if (string.IsNullOrWhiteSpace(postgres))
        {
            rows.Add("| PostgreSQL | not run: CARDAP_POSTGRES is not set | | | | |");
            return rows;
        }
        var name = "cardap_hub_bench_" + Guid.NewGuid().ToString("N");
        await ExecuteAsync(postgres, $"CREATE DATABASE {name}");
        try
        {
            var connection = new NpgsqlConnectionStringBuilder(postgres) { Database = name }.ToString();
            var (row, p50) = await MeasureAsync($"PostgreSQL {await ServerVersionAsync(postgres)}", new HubDatabase(HubEngine.PostgreSql, connection),
                (records, database) => LoadPostgresAsync(connection, database, records));
            rows.Add(row);
            rows.Add("");
            rows.Add(string.Create(CultureInfo.InvariantCulture, $"- Target <= 1 s on PostgreSQL: {(p50 <= 1000 ? "met" : "NOT met")} (p50 {p50:0} ms)"));
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await ExecuteAsync(postgres, $"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        }
        return rows;
    }

    private static async Task<(string Row, double P50)> MeasureAsync(string engine, HubDatabase database, Func<IEnumerable<UsageRecord>, HubDatabase, Task> load)
    {
        await database.MigrateAsync();
        var municipalities = new MunicipalityStore(database);
        await municipalities.AddAsync(Municipality, "千代田区");
        await municipalities.AddAsync(Neighbour, "札幌市");
        var loading = Stopwatch.StartNew();
        await load(Generate(Municipality, RecordCount, seed: 1).Concat(Generate(Neighbour, RecordCount / 4, seed: 2)), database);
        loading.Stop();
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{engine}: loaded in {loading.Elapsed.TotalSeconds:0.0} s"));

        var reports = new UsageReports(new UsageRecords(database), TimeProvider.System);
        var check = await reports.BuildAsync([Municipality], First, Last);
        var times = new double[Runs];
        for (var i = 0; i < Runs; i++)
        {
            var start = Stopwatch.GetTimestamp();
            var report = await reports.BuildAsync([Municipality], First, Last);
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (report.Total != check.Total)
            {
                throw new InvalidOperationException("The report changed between runs.");
            }
        }
        Array.Sort(times);
        var counted = check.Total.Done + check.Total.Refused;
        return (string.Create(CultureInfo.InvariantCulture,
            $"| {engine} | {counted:N0} counted of {RecordCount:N0} | {times[Runs / 2]:0} | {times[0]:0} | {times[^1]:0} | {loading.Elapsed.TotalSeconds:0.0} |"),
            times[Runs / 2]);
    }

    /// <summary>A month of one municipality: 40 terminals at 12 sites, 7 services, opening hours, some refused, offline and training.</summary>
    private static IEnumerable<UsageRecord> Generate(MunicipalityCode municipality, int count, int seed)
    {
        string[] services = ["library", "shelter", "points", "seal", "checkup", "facility", "kiosk"];
        string[] reasons = ["CardSuspended", "OutsideHours", "NotRegistered", "PinWrong", "OnlineOnly", "RoleNotPermitted"];
        var random = new Random(seed);
        var seqs = new long[40];
        var japan = TimeSpan.FromHours(9);
        for (var i = 0; i < count; i++)
        {
            var terminal = random.Next(seqs.Length);
            var refused = random.Next(10) == 0;
            var local = First.ToDateTime(new TimeOnly(8, 0)).AddDays(random.Next(31)).AddMinutes(random.Next(12 * 60));
            yield return new UsageRecord(
                municipality, $"{municipality.Value}-T{terminal:000}", "transactions", ++seqs[terminal], $"site-{terminal % 12:00}",
                new DateTimeOffset(local, japan), services[random.Next(services.Length)], "use",
                refused ? UsageOutcome.Refused : UsageOutcome.Done, refused ? reasons[random.Next(reasons.Length)] : null,
                Offline: random.Next(7) == 0, Training: random.Next(33) == 0);
        }
    }

    private static async Task LoadSqliteAsync(IEnumerable<UsageRecord> records, HubDatabase database)
    {
        foreach (var batch in records.Chunk(100_000))
        {
            await new UsageRecords(database).AddAsync(batch);
        }
    }

    private static async Task LoadPostgresAsync(string connectionString, HubDatabase database, IEnumerable<UsageRecord> records)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using (var copy = await connection.BeginBinaryImportAsync(
            "COPY usage_records (municipality, terminal, stream, seq, site, occurred_at, local_date, local_hour, service, operation, outcome, reason, offline, training, received_at) FROM STDIN (FORMAT BINARY)"))
        {
            var now = DateTimeOffset.UtcNow;
            foreach (var r in records)
            {
                var local = r.OccurredAt.ToOffset(TimeSpan.FromHours(9));
                await copy.StartRowAsync();
                await copy.WriteAsync(r.Municipality.Value);
                await copy.WriteAsync(r.Terminal);
                await copy.WriteAsync(r.Stream);
                await copy.WriteAsync(r.Seq);
                await copy.WriteAsync(r.Site);
                await copy.WriteAsync(r.OccurredAt.ToUniversalTime());
                await copy.WriteAsync(UsageRecords.DayText(DateOnly.FromDateTime(local.DateTime)));
                await copy.WriteAsync((short)local.Hour);
                await copy.WriteAsync(r.Service);
                await copy.WriteAsync(r.Operation);
                await copy.WriteAsync(r.Outcome == UsageOutcome.Done ? "ok" : "refused");
                if (r.Reason is null)
                {
                    await copy.WriteNullAsync();
                }
                else
                {
                    await copy.WriteAsync(r.Reason);
                }
                await copy.WriteAsync(r.Offline);
                await copy.WriteAsync(r.Training);
                await copy.WriteAsync(now);
            }
            await copy.CompleteAsync();
        }
        // COPY bypasses the counts AddAsync keeps; recount them as after any bulk load.
        await new UsageRecords(database).RebuildRollupAsync(Municipality, First, Last);
        await new UsageRecords(database).RebuildRollupAsync(Neighbour, First, Last);
        await using var analyze = new NpgsqlCommand("ANALYZE", connection);
        await analyze.ExecuteNonQueryAsync();
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<string> ServerVersionAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        return connection.PostgreSqlVersion.ToString();
    }
}
