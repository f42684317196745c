using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using CardAp.Edge.Hub;
using CardAp.Edge.Options;
using CardAp.Edge.Store;
using CardAp.Edge.Sync;
using CardAp.Hub.Api;
using CardAp.Hub.Security;
using CardAp.Hub.Store;
using CardAp.Hub.Tests.Host;
using CardAp.Shared.Domain;
using CardAp.Sync.Contracts;
using CardAp.Sync.Edge;
using CardAp.Sync.Hub;
using CardAp.Sync.Tests;
using CardAp.Card.Application;
using CardAp.VirtualCard.Issuance;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using SyncClient = CardAp.Sync.Contracts.Sync.SyncClient;

namespace CardAp.Benchmarks;

/// <summary>
/// How much load: the terminal counts, run one after the other against the same hub, and the
/// transactions each round carries in all (split evenly over that level's terminals), so every
/// level does the same work and only the concurrency differs. The largest level runs more rounds:
/// whether the hub's memory stays flat shows only once it has warmed up to that load.
/// </summary>
internal sealed record LoadPlan(IReadOnlyList<int> Terminals, int TransactionsPerRound, int Rounds, int LargestLevelRounds)
{
    public static LoadPlan Default { get; } = new([10, 100, 1000], 30_000, 2, 6);

    public int MaxTerminals => Terminals.Max();

    /// <summary>The most transactions one terminal pushes over the whole run (terminal 1 takes part in every level).</summary>
    public int MaxPerTerminal => Terminals.Sum(t => PerTerminal(t) * RoundsOf(t));

    public int PerTerminal(int terminals) => Math.Max(1, TransactionsPerRound / terminals);

    public int RoundsOf(int terminals) => terminals == MaxTerminals ? Math.Max(Rounds, LargestLevelRounds) : Rounds;
}

/// <summary>
/// Many terminals pushing to one hub at once (DESIGN.md: "1,000 simulated terminals pushing to one
/// hub: no errors, memory flat"). The hub is cardap-hub.dll as shipped, in its own process, on a
/// fresh PostgreSQL database, so its memory is its own (VmRSS sampled, VmHWM at the end). Each
/// simulated terminal is enrolled as a real one is (its own terminal certificate, a terminal master
/// row with its site and services) and runs the edge's real <see cref="SyncEngine"/> over its own
/// channel (<see cref="HubChannel.ForSync"/>: mutual TLS, gzip); only its store is in memory (a
/// backlog recorded once through LocalRecords and read back through EdgeSyncStore, the same records
/// for every terminal), because the 1,000 SQLite files would be on 1,000 other machines, not on the
/// hub's 2 cores.
/// <para>
/// First every terminal makes contact at once (TLS handshake, Hello, a snapshot, a pull). Then per
/// level, per round, each of the level's terminals finds its share of the round's transactions
/// (and their audit entries) in its outbox and all sync at the same moment, as after an outage:
/// Hello, an empty pull, then both streams in batches. A run that fails is retried after a short
/// backoff, as the edge's sync loop does, and every failed call is counted.
/// </para>
/// </summary>
internal static partial class LoadBenchmark
{
    public const string SectionTitle = "## Load: terminals pushing to one hub";

    private const string Municipality = CatchUpData.Municipality;
    private const int MaxAttempts = 5;
    private const int TargetTerminals = 1000;

    /// <summary>Samples of the hub's VmRSS: often enough to catch a short peak between GCs.</summary>
    private static readonly TimeSpan SampleEvery = TimeSpan.FromMilliseconds(50);

    public static async Task<IReadOnlyList<string>> RunAsync(string? postgres, LoadPlan? plan = null)
    {
        plan ??= LoadPlan.Default;
        if (string.IsNullOrWhiteSpace(postgres))
        {
            return [SectionTitle, "", "Not run: CARDAP_POSTGRES is not set (the load run needs a PostgreSQL server; `build.ps1 bench` starts one).", ""];
        }
        var started = DateTimeOffset.UtcNow;
        var loadBefore = SyncCatchUpBenchmark.LoadAverage();
        var wall = Stopwatch.StartNew();
        var folder = Directory.CreateTempSubdirectory("cardap-load-bench-").FullName;
        var name = "cardap_load_bench_" + Guid.NewGuid().ToString("N");
        await SyncCatchUpBenchmark.ExecutePostgresAsync(postgres, $"CREATE DATABASE {name}");
        try
        {
            var connection = new NpgsqlConnectionStringBuilder(postgres) { Database = name }.ToString();
            var version = await SyncCatchUpBenchmark.PostgresVersionAsync(postgres);
            var result = await RunAgainstAsync(plan, connection, folder);
            return Report(plan, result, started, loadBefore, SyncCatchUpBenchmark.LoadAverage(), version, wall.Elapsed);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await SyncCatchUpBenchmark.ExecutePostgresAsync(postgres, $"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Replaces this section in <paramref name="path"/>, or appends it (<see cref="ReportSection.Write"/>).</summary>
    public static void WriteSection(string path, IReadOnlyList<string> section) => ReportSection.Write(path, SectionTitle, section);

    private static async Task<LoadResult> RunAgainstAsync(LoadPlan plan, string connectionString, string folder)
    {
        Log($"Recording a backlog of {plan.MaxPerTerminal:N0} transactions through LocalRecords (shared by every simulated terminal, not timed)...");
        var (transactions, audit) = Backlog(Path.Combine(folder, "backlog", "edge.db"), plan.MaxPerTerminal);

        using var pki = new HubPki();
        var port = HubProcess.FreePort();
        Log("Starting cardap-hub on PostgreSQL in its own process");
        await using var hub = await HubProcess.StartAsync(pki, port, new Dictionary<string, string?>
        {
            ["Hub:Database:Engine"] = "PostgreSql",
            // No pool settings: the hub's own defaults are what is measured.
            ["Hub:Database:ConnectionString"] = connectionString,
        });
        var idleRssKb = RssKb(hub.Pid);

        var terminalIds = Enumerable.Range(1, plan.MaxTerminals).Select(i => $"{Municipality}-L{i:0000}").ToList();
        Log($"Enrolling {terminalIds.Count:N0} terminals (certificates, terminal master rows)");
        var enrolling = Stopwatch.StartNew();
        await EnrolAsync(pki, hub.Address, terminalIds, connectionString);
        Log($"  master rows in {enrolling.Elapsed.TotalSeconds:0.0} s");
        var meter = new LoadMeter();
        var terminals = new SimulatedTerminal[terminalIds.Count];
        Parallel.For(0, terminalIds.Count, i =>
        {
            var files = TerminalFiles.Write(pki, Path.Combine(folder, "terminals", terminalIds[i]), terminalIds[i]);
            terminals[i] = SimulatedTerminal.Create(terminalIds[i], files, hub.Address, meter, transactions, audit);
        });
        Log($"  certificates and channels at {enrolling.Elapsed.TotalSeconds:0.0} s");
        await using var sampler = HubSampler.Start(hub.Pid, connectionString);
        try
        {
            Log($"First contact: {terminals.Length:N0} terminals at once (TLS handshake, Hello, snapshot, pull)");
            var contact = await RoundAsync(meter, sampler, [.. terminals], perTerminal: 0, round: 0);
            Log($"  {contact.Elapsed.TotalSeconds:0.00} s, {contact.Errors.Count} errors");

            var rounds = new List<RoundResult>();
            foreach (var count in plan.Terminals)
            {
                var perTerminal = plan.PerTerminal(count);
                for (var round = 1; round <= plan.RoundsOf(count); round++)
                {
                    Log($"{count:N0} terminals, round {round}: {perTerminal:N0} transactions each");
                    var result = await RoundAsync(meter, sampler, terminals.Take(count).ToList(), perTerminal, round);
                    Log(I($"  {result.Elapsed.TotalSeconds:0.00} s, {(result.Transactions + result.Audit) / result.Elapsed.TotalSeconds:N0} records/s, push p95 {Percentile(result.PushMs, 0.95):0} ms, {result.Errors.Count} errors, hub RSS peak {result.RssPeakKb / 1024.0:0} MB"));
                    rounds.Add(result);
                }
            }
            var hwmKb = SyncCatchUpBenchmark.PeakRssKb(hub.Pid);
            Log("Counting what the hub holds");
            var check = await VerifyAsync(connectionString, terminals);
            return new LoadResult(terminals.Length, idleRssKb, contact, rounds, hwmKb, sampler.PeakRssKb, check, meter.Duplicates, meter.Quarantined,
                HubLogExceptions(Path.Combine(pki.Directory, "logs")));
        }
        finally
        {
            foreach (var terminal in terminals)
            {
                terminal.Dispose();
            }
        }
    }

    /// <summary>The level's terminals all sync at once, each retrying a failed run as the edge's loop would; timed from the start to the last one done.</summary>
    private static async Task<RoundResult> RoundAsync(LoadMeter meter, HubSampler sampler, List<SimulatedTerminal> terminals, int perTerminal, int round)
    {
        foreach (var terminal in terminals)
        {
            terminal.Store.Reveal(perTerminal);
        }
        GC.Collect();
        var load = SyncCatchUpBenchmark.LoadAverage().Split(' ')[0];
        var window = meter.Begin();
        sampler.Begin();
        var start = Stopwatch.GetTimestamp();
        var failedRuns = await Task.WhenAll(terminals.Select(t => t.SyncUntilDoneAsync()));
        var elapsed = Stopwatch.GetElapsedTime(start);
        var memory = sampler.End();
        meter.End();
        var left = terminals.Sum(t => t.Store.Backlog());
        if (left != 0)
        {
            window.Errors.Add(I($"{terminals.Count(t => t.Store.Backlog() != 0):N0} terminals still had {left:N0} records unacknowledged after {MaxAttempts} sync runs each"));
        }
        return new RoundResult(terminals.Count, round, perTerminal, elapsed, window.Pushed(SyncStreams.Transactions), window.Pushed(SyncStreams.Audit),
            window.PushLatencies(), window.Calls, window.Errors, failedRuns.Sum(), window.RecordsPerSecond(), memory.StartKb, memory.PeakKb, memory.EndKb,
            memory.ConnectionsPeak, load);
    }

    // ---- Setup ----

    /// <summary>The backlog one terminal recorded, read back as the edge's store hands it to the sync engine.</summary>
    private static (List<TransactionRecord> Transactions, List<AuditRecord> Audit) Backlog(string path, int count)
    {
        const string terminal = "131016-L0000";
        SyncCatchUpBenchmark.WriteBacklog(path, terminal, count);
        using var database = SyncCatchUpBenchmark.OpenEdge(path, terminal);
        var store = new EdgeSyncStore(new MasterData(database), new OutboxState(database), new LocalRecords(database), TimeProvider.System);
        var transactions = new List<TransactionRecord>();
        var audit = new List<AuditRecord>();
        while (store.ReadBatch(SyncStreams.Transactions, transactions.Count, SyncEngineOptions.MaxBatchSize) is { Transactions.Count: > 0 } batch)
        {
            transactions.AddRange(batch.Transactions);
        }
        while (store.ReadBatch(SyncStreams.Audit, audit.Count, SyncEngineOptions.MaxBatchSize) is { Audit.Count: > 0 } batch)
        {
            audit.AddRange(batch.Audit);
        }
        if (transactions.Count != count || audit.Count < count)
        {
            throw new InvalidOperationException($"The backlog holds {transactions.Count} transactions and {audit.Count} audit entries, not {count} of each.");
        }
        return (transactions, audit);
    }

    /// <summary>
    /// The municipality and its issuer key through the admin API as provisioning does; the terminal
    /// master rows straight through the hub's store in one transaction (the same rows; 1,000 admin
    /// calls would take most of the run's time limit before any load).
    /// </summary>
    private static async Task EnrolAsync(HubPki pki, Uri address, List<string> terminalIds, string connectionString)
    {
        using var adminCertificate = pki.Ca.IssueAdminCertificate("it-load", CallerRole.CentralIt, [MunicipalityCode.Parse(Municipality)]);
        using var channel = HubProcess.Channel(address, pki.Ca.Certificate, adminCertificate);
        var admin = new Admin.AdminClient(channel);
        await admin.AddMunicipalityAsync(new AddMunicipalityRequest { Municipality = Municipality, Name = "千代田区" });
        using (var issuingKey = IssuingKey.Create(new IssuerReference(MunicipalityCode.Parse(Municipality), 1)))
        {
            await PutAsync(admin, MasterKinds.IssuerKey, issuingKey.Reference.ToString(), new JsonObject
            {
                ["reference"] = issuingKey.Reference.ToString(),
                ["publicKey"] = Convert.ToBase64String(issuingKey.PublicKey.SubjectPublicKeyInfo),
            });
        }
        var store = new MasterStore(new HubDatabase(HubEngine.PostgreSql, connectionString));
        await store.ApplyAsync(MunicipalityCode.Parse(Municipality), [.. terminalIds.Select(t => MasterEdit.Upsert(MasterKinds.Terminal, t, CatchUpData.TerminalRow()))]);
        // Its pooled connection would count among the hub's in the samples.
        NpgsqlConnection.ClearAllPools();
    }

    private static Task<MasterWriteReply> PutAsync(Admin.AdminClient admin, string kind, string key, JsonObject payload) =>
        admin.PutMasterAsync(new PutMasterRequest { Municipality = Municipality, Kind = kind, Key = key, PayloadJson = payload.ToJsonString() }).ResponseAsync;

    /// <summary>
    /// The exceptions in the hub's own log (the first line of each, grouped): a failed call shows only
    /// "Exception was thrown by handler" to the terminal, the reason is here.
    /// </summary>
    private static List<string> HubLogExceptions(string logs)
    {
        if (!Directory.Exists(logs))
        {
            return [];
        }
        var found = new List<string>();
        foreach (var file in Directory.GetFiles(logs, "*.log"))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            while (reader.ReadLine() is { } line)
            {
                if (ExceptionLine().Match(line) is { Success: true } match)
                {
                    found.Add(match.Groups["type"].Value + ": " + match.Groups["message"].Value.Trim());
                }
            }
        }
        return [.. found.GroupBy(e => e, StringComparer.Ordinal).OrderByDescending(g => g.Count()).Select(g => I($"{g.Count():N0} x {g.Key}"))];
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^(?<type>[A-Za-z_][\w.]*Exception)(?: \(0x[0-9A-Fa-f]+\))?: (?<message>.*)$")]
    private static partial System.Text.RegularExpressions.Regex ExceptionLine();

    // ---- Verification ----

    /// <summary>
    /// Per terminal, what the hub holds against what the terminal put in its outbox: transactions,
    /// audit entries and usage records counted, the highest seq of each, the rollup's total, and the
    /// quarantine. Any difference is a lost or doubled record.
    /// </summary>
    private static async Task<Verification> VerifyAsync(string connectionString, SimulatedTerminal[] terminals)
    {
        var expected = terminals.ToDictionary(t => t.Id, t => (Transactions: t.Store.Revealed(SyncStreams.Transactions), Audit: t.Store.Revealed(SyncStreams.Audit)), StringComparer.Ordinal);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var heldTransactions = await PerTerminalAsync(connection, "SELECT terminal, count(*), coalesce(max(seq), 0) FROM edge_transactions GROUP BY terminal");
        var heldAudit = await PerTerminalAsync(connection, "SELECT terminal, count(*), coalesce(max(seq), 0) FROM edge_audit GROUP BY terminal");
        var heldUsage = await PerTerminalAsync(connection, "SELECT terminal, count(*), coalesce(max(seq), 0) FROM usage_records WHERE stream = 'transactions' GROUP BY terminal");
        var rollup = await ScalarAsync(connection, "SELECT coalesce(sum(records), 0) FROM usage_rollup");
        var usageAll = await ScalarAsync(connection, "SELECT count(*) FROM usage_records");
        var quarantine = await ScalarAsync(connection, "SELECT count(*) FROM sync_quarantine");
        var problems = new List<string>();
        foreach (var (terminal, want) in expected.Select(e => (e.Key, e.Value)))
        {
            Compare("transactions", heldTransactions, terminal, want.Transactions);
            Compare("audit entries", heldAudit, terminal, want.Audit);
            Compare("usage records", heldUsage, terminal, want.Transactions);
        }
        foreach (var stranger in heldTransactions.Keys.Concat(heldAudit.Keys).Where(t => !expected.ContainsKey(t)).Distinct())
        {
            problems.Add($"{stranger}: records of a terminal that never pushed");
        }
        var wantTransactions = expected.Values.Sum(v => v.Transactions);
        if (usageAll != wantTransactions)
        {
            problems.Add(I($"usage_records holds {usageAll:N0} rows, not {wantTransactions:N0}"));
        }
        if (rollup != wantTransactions)
        {
            problems.Add(I($"usage_rollup counts {rollup:N0} records, not {wantTransactions:N0}"));
        }
        if (quarantine != 0)
        {
            problems.Add(I($"{quarantine:N0} records in the quarantine"));
        }
        var groups = expected.Values.GroupBy(v => v.Transactions).OrderByDescending(g => g.Key).Select(g => (Terminals: g.Count(), Transactions: g.Key)).ToList();
        return new Verification(wantTransactions, expected.Values.Sum(v => v.Audit), heldTransactions.Values.Sum(v => v.Count), heldAudit.Values.Sum(v => v.Count),
            usageAll, rollup, quarantine, groups, problems);

        void Compare(string what, Dictionary<string, (long Count, long Max)> held, string terminal, long want)
        {
            var (count, max) = held.GetValueOrDefault(terminal);
            if (count != want || max != want)
            {
                problems.Add(I($"{terminal}: the hub holds {count:N0} {what} (highest seq {max:N0}), the terminal wrote {want:N0}"));
            }
        }
    }

    private static async Task<Dictionary<string, (long Count, long Max)>> PerTerminalAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
        while (await reader.ReadAsync())
        {
            rows[reader.GetString(0)] = (reader.GetInt64(1), reader.GetInt64(2));
        }
        return rows;
    }

    private static async Task<long> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    // ---- Report ----

    private static List<string> Report(LoadPlan plan, LoadResult r, DateTimeOffset started, string loadBefore, string loadAfter, string postgresVersion, TimeSpan wall)
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        var defaults = new EdgeSyncOptions();
        var lines = new List<string>
        {
            SectionTitle,
            "",
            "Written by `dotnet pwsh build.ps1 bench`, or alone by `dotnet run --project tests/CardAp.Benchmarks -c Release -- --load-only",
            "--output docs/benchmarks.md` (which rewrites only this section; `--load-terminals 10,100,1000`, `--load-records N`,",
            "`--load-rounds N` and `--load-largest-rounds N` change the plan).",
            "",
            I($"One hub, cardap-hub.dll as shipped ({HubGc()}) in its own process, on a fresh PostgreSQL database, with its own"),
            "default connection pool (its connection string sets no pool size or timeout); the simulated terminals run in the",
            "benchmark's process, so hub, PostgreSQL and terminals share this machine's 2 cores. Each terminal is enrolled as a",
            "real one (its own terminal certificate, a terminal master row with site and services) and runs the edge's own",
            I($"SyncEngine over its own channel (HubChannel.ForSync: mutual TLS, gzip, batches of {defaults.BatchSize}); only its store is in"),
            "memory: a backlog recorded once through LocalRecords and read back through EdgeSyncStore, the same records for",
            "every terminal (the hub keys them by terminal), since real terminals' SQLite files are on other machines. First",
            "every terminal makes contact at once (TLS handshake, Hello, a snapshot of the few master rows, a pull). Then, level",
            I($"by level and round by round ({plan.Rounds} rounds a level, {plan.RoundsOf(plan.MaxTerminals)} for the largest), every terminal of the level finds its share"),
            I($"of the round's {plan.TransactionsPerRound:N0} transactions (each with its audit entry) in its outbox and all of them sync at the same"),
            "moment, as after an outage: Hello, an empty pull, both streams in batches, the hub storing each batch in one",
            "transaction. A failed run is retried after a short backoff as the edge's loop does; every failed call counts as an",
            "error. \"records\" counts both streams; the slowest and fastest second are whole seconds from the round's first Push",
            "answer to its last (after the Hello and Pull calls). Push latency is each Push call as the terminal saw it, waiting",
            "in the hub included. Hub RSS is its VmRSS sampled every 50 ms (the round's start, peak and end); PostgreSQL",
            "connections are the client backends on the hub's database, sampled every 0.5 s. MB = 2^20 bytes.",
            "",
            I($"- Date: {started:yyyy-MM-dd HH:mm} UTC; the whole load run took {wall.TotalSeconds:0} s"),
            $"- Machine: {cpu ?? RuntimeInformation.ProcessArchitecture.ToString()}, {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}",
            $"- Runtime: {RuntimeInformation.FrameworkDescription}; PostgreSQL {postgresVersion}",
            $"- Load average (1, 5, 15 min) before: {loadBefore}; after: {loadAfter}",
            "- Target (DESIGN.md): 1,000 simulated terminals pushing to one hub: no errors, memory flat.",
            "",
            "| terminals | round | transactions per terminal | s | transactions/s | records/s | records/s, slowest to fastest whole second | push p50 ms | push p95 ms | push p99 ms | push max ms | calls | errors | hub RSS start / peak / end MB | PostgreSQL connections, peak | 1-min load average at the start |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        };
        var c = r.Contact;
        lines.Add(I($"| {c.Terminals:N0} | first contact | 0 | {S(c.Elapsed)} | | | | | | | | {c.Calls:N0} | {c.Errors.Count} | {Mb(c.RssStartKb)} / {Mb(c.RssPeakKb)} / {Mb(c.RssEndKb)} | {c.ConnectionsPeak} | {c.LoadAverage} |"));
        foreach (var x in r.Rounds)
        {
            var records = x.Transactions + x.Audit;
            var seconds = x.PerSecond.Count >= 2 ? I($"{x.PerSecond.Min():N0} to {x.PerSecond.Max():N0}") : "(too short)";
            lines.Add(I($"| {x.Terminals:N0} | {x.Round} | {x.PerTerminal:N0} | {S(x.Elapsed)} | {x.Transactions / x.Elapsed.TotalSeconds:N0} | {records / x.Elapsed.TotalSeconds:N0} | {seconds} | {Percentile(x.PushMs, 0.50):0} | {Percentile(x.PushMs, 0.95):0} | {Percentile(x.PushMs, 0.99):0} | {(x.PushMs.Count == 0 ? 0 : x.PushMs.Max()):0} | {x.Calls:N0} | {x.Errors.Count} | {Mb(x.RssStartKb)} / {Mb(x.RssPeakKb)} / {Mb(x.RssEndKb)} | {x.ConnectionsPeak} | {x.LoadAverage} |"));
        }
        lines.Add("");
        var allErrors = r.Rounds.SelectMany(x => x.Errors).Concat(c.Errors).ToList();
        var pushes = r.Rounds.Sum(x => x.PushMs.Count);
        var total = r.Rounds.Sum(x => x.Transactions + x.Audit);
        var pushedSeconds = r.Rounds.Aggregate(TimeSpan.Zero, (a, x) => a + x.Elapsed);
        lines.Add(I($"In all: {r.Rounds.Sum(x => x.Transactions):N0} transactions and {r.Rounds.Sum(x => x.Audit):N0} audit entries in {pushes:N0} pushes over {S(pushedSeconds)} s of load, {total / pushedSeconds.TotalSeconds:N0} records/s; {r.Rounds.Sum(x => x.FailedRuns)} sync runs failed and were retried."));
        var top = r.Rounds.Where(x => x.Terminals == r.Rounds.Max(y => y.Terminals)).ToList();
        lines.Add(I($"With {top[0].Terminals:N0} terminals a round is mostly calls rather than records: the hub answered {top.Sum(x => x.Calls) / top.Aggregate(TimeSpan.Zero, (a, x) => a + x.Elapsed).TotalSeconds:N0} calls a second (each terminal's Hello, Pull and one Push per stream; {c.Calls / c.Elapsed.TotalSeconds:N0} a second at first contact, TLS handshakes included)."));
        lines.Add("");
        if (allErrors.Count == 0)
        {
            lines.Add("Errors: none (no call failed: no RpcException of any status, no protocol error).");
        }
        else
        {
            lines.Add(I($"Errors: {allErrors.Count:N0} failed calls or runs:"));
            lines.Add("");
            foreach (var group in allErrors.GroupBy(e => e).OrderByDescending(g => g.Count()).Take(10))
            {
                lines.Add(I($"- {group.Count():N0} x {group.Key}"));
            }
        }
        lines.Add("");
        if (r.HubExceptions.Count > 0)
        {
            lines.Add("Exceptions in the hub's log (first line of each):");
            lines.Add("");
            foreach (var exception in r.HubExceptions.Take(10))
            {
                lines.Add($"- {exception}");
            }
            lines.Add("");
        }
        var v = r.Check;
        var written = string.Join(" + ", v.Groups.Select(g => I($"{g.Terminals:N0} x {g.Transactions:N0}")));
        lines.Add(v.Problems.Count == 0
            ? I($"Duplicates and losses: none. Counted in the hub's database at the end, each terminal's transactions, audit entries and usage records are exactly the ones it wrote, seq 1 to its last with none twice: terminals x transactions each {written} = {v.HeldTransactions:N0} transactions, {v.HeldAudit:N0} audit entries, {v.Usage:N0} usage records, usage_rollup summing to {v.Rollup:N0}, quarantine empty. The hub answered {r.Duplicates:N0} pushed records as already held and quarantined {r.Quarantined:N0}.")
            : I($"Duplicates and losses: the hub's database does NOT match what the terminals wrote ({v.Problems.Count} problems; {v.HeldTransactions:N0} transactions held of {v.WantTransactions:N0} written ({written}), {v.HeldAudit:N0} audit entries of {v.WantAudit:N0}, {v.Usage:N0} usage records, rollup {v.Rollup:N0}, quarantine {v.Quarantine:N0}):"));
        foreach (var problem in v.Problems.Take(10))
        {
            lines.Add($"- {problem}");
        }
        lines.Add("");
        lines.Add(I($"Hub memory: {Mb(r.IdleRssKb)} MB just after start; peak RSS over the whole run {Mb(r.HwmKb)} MB (VmHWM), {Mb(r.SampledPeakKb)} MB the highest sample."));
        lines.Add("");
        lines.Add("### Against the target");
        lines.Add("");
        var largest = r.Rounds.Where(x => x.Terminals == r.Rounds.Max(y => y.Terminals)).ToList();
        var largestErrors = largest.Sum(x => x.Errors.Count) + (largest[0].Terminals == c.Terminals ? c.Errors.Count : 0);
        var clean = largestErrors == 0 && v.Problems.Count == 0;
        var scale = largest[0].Terminals >= TargetTerminals ? "" : I($"; the target is for {TargetTerminals:N0}, this run's largest level was {largest[0].Terminals:N0}");
        lines.Add(I($"- {largest[0].Terminals:N0} simulated terminals pushing to one hub, no errors: {(clean ? "met" : "NOT met")} ({largestErrors} errors in {largest.Sum(x => x.Calls) + c.Calls:N0} calls, first contact included; {(v.Problems.Count == 0 ? "nothing lost or doubled" : "the hub's records do not match what was written")}{scale})"));
        if (largest.Count >= 2)
        {
            // Flat: doing the same work again costs no more memory once the hub has warmed up to it, so
            // the later half of the rounds against the earlier half (with 2 or 3 rounds, the first against
            // the rest). 10% leaves room for where a GC happens to fall.
            var split = largest.Count >= 4 ? largest.Count / 2 : 1;
            var earlier = largest.Take(split).Max(x => x.RssPeakKb);
            var later = largest.Skip(split).Max(x => x.RssPeakKb);
            var flat = later <= earlier * 1.10;
            var halves = split == 1 ? "the first round" : I($"rounds 1 to {split}");
            lines.Add(I($"- Memory flat under that load: {(flat ? "met" : "NOT met")} (the hub's peak RSS round by round, the same work each time: {string.Join(", ", largest.Select(x => $"{Mb(x.RssPeakKb)}"))} MB; rounds {split + 1} to {largest.Count} peak at {Mb(later)} MB, {(later >= earlier ? "+" : "")}{(later - earlier) / 1024.0:0} MB on {halves}; flat means within 10%. Over {largest.Count} rounds of {largest.Min(x => x.Elapsed).TotalSeconds:0} to {largest.Max(x => x.Elapsed).TotalSeconds:0} s a slower leak would not show; a longer soak would)"));
        }
        else
        {
            lines.Add("- Memory flat: not judged (one round only at the largest level; run with --load-largest-rounds 2 or more).");
        }
        lines.Add("");
        return lines;
    }

    /// <summary>The garbage collector cardap-hub runs with: its runtimeconfig.json as built, unless the environment it inherits says otherwise.</summary>
    private static string HubGc()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_gcServer") is { Length: > 0 } setting)
        {
            return setting == "0" ? "workstation GC, DOTNET_gcServer=0" : $"server GC, DOTNET_gcServer={setting}";
        }
        var config = Path.ChangeExtension(typeof(CardAp.Hub.Extensions.HubServiceExtensions).Assembly.Location, ".runtimeconfig.json");
        if (!File.Exists(config))
        {
            return "GC as configured";
        }
        var server = JsonNode.Parse(File.ReadAllText(config))?["runtimeOptions"]?["configProperties"]?["System.GC.Server"]?.GetValue<bool>() ?? false;
        return server ? "server GC" : "workstation GC";
    }

    private static string Mb(long kb) => (kb / 1024.0).ToString("0", CultureInfo.InvariantCulture);

    private static string S(TimeSpan time) => time.TotalSeconds.ToString(time.TotalSeconds < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture);

    private static string I(FormattableString text) => FormattableString.Invariant(text);

    private static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private static long RssKb(int pid) => StatusKb(pid, "VmRSS:");

    internal static long StatusKb(int pid, string field)
    {
        var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"/proc/{pid}/status has no {field} line.");
        return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }

    private static void Log(string message) => Console.Error.WriteLine(message);

    // ---- Parts ----

    private sealed record RoundResult(int Terminals, int Round, int PerTerminal, TimeSpan Elapsed, long Transactions, long Audit, IReadOnlyList<double> PushMs,
        long Calls, IReadOnlyList<string> Errors, int FailedRuns, IReadOnlyList<long> PerSecond, long RssStartKb, long RssPeakKb, long RssEndKb, int ConnectionsPeak, string LoadAverage);

    private sealed record Verification(long WantTransactions, long WantAudit, long HeldTransactions, long HeldAudit, long Usage, long Rollup, long Quarantine,
        IReadOnlyList<(int Terminals, long Transactions)> Groups, IReadOnlyList<string> Problems);

    private sealed record LoadResult(int TerminalCount, long IdleRssKb, RoundResult Contact, IReadOnlyList<RoundResult> Rounds, long HwmKb, long SampledPeakKb,
        Verification Check, long Duplicates, long Quarantined, IReadOnlyList<string> HubExceptions);

    /// <summary>One simulated terminal: its own channel (its certificate), the edge's sync engine, an in-memory store.</summary>
    private sealed class SimulatedTerminal : IDisposable
    {
        private readonly GrpcChannel _channel;
        private readonly SyncEngine _engine;
        private readonly LoadMeter _meter;
        private readonly TerminalCalls _calls;

        private SimulatedTerminal(string id, GrpcChannel channel, SyncEngine engine, ReplayStore store, LoadMeter meter, TerminalCalls calls)
        {
            Id = id;
            _channel = channel;
            _engine = engine;
            Store = store;
            _meter = meter;
            _calls = calls;
        }

        public string Id { get; }

        public ReplayStore Store { get; }

        public static SimulatedTerminal Create(string id, TerminalFiles files, Uri hub, LoadMeter meter, List<TransactionRecord> transactions, List<AuditRecord> audit)
        {
            var channel = HubChannel.ForSync(new EdgeOptions
            {
                Municipality = Municipality,
                HubAddress = hub.ToString(),
                HubCaCertificatePath = files.Ca,
                HubClientCertificatePath = files.Certificate,
                HubClientKeyPath = files.Key,
            });
            var store = new ReplayStore(transactions, audit);
            var calls = new TerminalCalls(meter);
            var defaults = new EdgeSyncOptions();
            // The engine as SyncBackgroundService builds it, its calls going through the meter.
            var engine = new SyncEngine(new SyncClient(channel.Intercept(calls)), store, new SyncEngineOptions
            {
                TerminalId = id,
                Municipality = Municipality,
                SoftwareVersion = "load-bench",
                BatchSize = defaults.BatchSize,
                PageSize = defaults.PageSize,
            }, TimeProvider.System, NullLogger<SyncEngine>.Instance);
            return new SimulatedTerminal(id, channel, engine, store, meter, calls);
        }

        /// <summary>Syncs until the outbox is empty; returns how many runs failed on the way.</summary>
        public async Task<int> SyncUntilDoneAsync()
        {
            var failed = 0;
            for (var attempt = 1; attempt <= MaxAttempts; attempt++)
            {
                var callFailures = _calls.Failures;
                var outcome = await _engine.SyncAsync();
                if (outcome.Succeeded && Store.Backlog() == 0)
                {
                    return failed;
                }
                failed++;
                if (_calls.Failures == callFailures)
                {
                    // A failure no call reported (a protocol or local error, or records left behind) is an error too.
                    _meter.AddError($"{Id}: sync run failed without a failed call: {outcome.Error?.Reason}: {outcome.Error?.MessageEn} (backlog {Store.Backlog()})");
                }
                // The edge's loop backs off with full jitter; a short one keeps the run short.
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(500, 2000)));
            }
            return failed;
        }

        public void Dispose()
        {
            _engine.Dispose();
            _channel.Dispose();
        }
    }

    /// <summary>
    /// A terminal's outbox in memory: the shared backlog, of which <see cref="Reveal"/> makes the next
    /// records "written", and the positions the hub acknowledged. The engine calls it from one run at a time.
    /// </summary>
    private sealed class ReplayStore(List<TransactionRecord> transactions, List<AuditRecord> audit) : IEdgeSyncStore
    {
        private readonly Dictionary<string, long> _acknowledged = new(StringComparer.Ordinal);
        private long _transactions;
        private long _audit;

        public long MasterCheckpoint { get; private set; }

        public string? MasterScope { get; private set; }

        public DateTimeOffset? LastSuccess { get; private set; }

        public void Reveal(int count)
        {
            _transactions = Math.Min(transactions.Count, _transactions + count);
            _audit = Math.Min(audit.Count, _audit + count);
        }

        public long Revealed(string stream) => LastSeq(stream);

        public int ApplyPage(long afterSeq, IReadOnlyList<CardAp.Sync.Contracts.MasterChange> changes, long throughSeq)
        {
            if (afterSeq != MasterCheckpoint)
            {
                return 0;
            }
            MasterCheckpoint = throughSeq;
            return changes.Count;
        }

        public string BeginSnapshot() => "load";

        public int StageSnapshot(string token, IReadOnlyList<CardAp.Sync.Contracts.MasterChange> rows) => rows.Count;

        public long CommitSnapshot(string token, long asOfSeq, string scope, string municipality, string? reason)
        {
            (MasterCheckpoint, MasterScope) = (asOfSeq, scope);
            return 0;
        }

        public long Backlog() => SyncStreams.All.Sum(s => LastSeq(s) - AcknowledgedThrough(s));

        public long LastSeq(string stream) => stream switch
        {
            SyncStreams.Transactions => _transactions,
            SyncStreams.Audit => _audit,
            _ => 0,
        };

        public long AcknowledgedThrough(string stream) => _acknowledged.GetValueOrDefault(stream);

        public PushRequest ReadBatch(string stream, long afterSeq, int maxRecords)
        {
            var request = new PushRequest { Stream = stream };
            var take = (int)Math.Max(0, Math.Min(maxRecords, LastSeq(stream) - afterSeq));
            // The record messages are shared by every terminal and only read (serialised) from here on.
            if (stream == SyncStreams.Transactions)
            {
                request.Transactions.AddRange(transactions.GetRange((int)afterSeq, take));
            }
            else if (stream == SyncStreams.Audit)
            {
                request.Audit.AddRange(audit.GetRange((int)afterSeq, take));
            }
            return request;
        }

        public void Acknowledge(string stream, long throughSeq) => _acknowledged[stream] = Math.Max(AcknowledgedThrough(stream), throughSeq);

        public void RecordDecisions(IReadOnlyList<HubDecision> decisions)
        {
        }

        public HubDecision? Decision(long seq) => null;

        public IReadOnlyList<long> AwaitingDecision(long throughSeq, int limit) => [];

        public IReadOnlyDictionary<string, long>? RestoredThrough() => null;

        public void ClearRestorePending()
        {
        }

        public void RecordSuccess(DateTimeOffset at) => LastSuccess = at;
    }

    /// <summary>
    /// Every call the simulated terminals make, as they see it: Push latency and records, what the hub
    /// answered as already held, and every RpcException (method, status, reason), per round.
    /// </summary>
    private sealed class LoadMeter
    {
        private readonly object _lock = new();
        private Window? _window;
        private long _duplicates;
        private long _quarantined;

        public long Duplicates => Interlocked.Read(ref _duplicates);

        public long Quarantined => Interlocked.Read(ref _quarantined);

        public Window Begin()
        {
            lock (_lock)
            {
                return _window = new Window();
            }
        }

        public void End()
        {
            lock (_lock)
            {
                _window = null;
            }
        }

        public void AddError(string error)
        {
            lock (_lock)
            {
                _window?.Errors.Add(error);
            }
        }

        public void Answered(object request, object reply, long start, long end)
        {
            if (reply is PushReply push && request is PushRequest batch)
            {
                Interlocked.Add(ref _duplicates, push.Duplicates);
                Interlocked.Add(ref _quarantined, push.Quarantined.Count);
                lock (_lock)
                {
                    _window?.AddPush(batch.Stream, batch.Transactions.Count + batch.Audit.Count, Stopwatch.GetElapsedTime(start, end).TotalMilliseconds, end);
                }
            }
            else
            {
                lock (_lock)
                {
                    _window?.AddCall();
                }
            }
        }

        public void Failed(string method, RpcException e)
        {
            lock (_lock)
            {
                if (_window is { } window)
                {
                    window.AddCall();
                    window.Errors.Add(I($"{method}: {e.StatusCode} {SyncErrors.ReasonOf(e)} {e.Status.Detail}").Replace("  ", " ", StringComparison.Ordinal).Trim());
                }
            }
        }
    }

    /// <summary>One terminal's calls into the meter; counts the RpcExceptions it saw, so a failed run without one is counted too.</summary>
    private sealed class TerminalCalls(LoadMeter meter) : Interceptor
    {
        private int _failures;

        public int Failures => Volatile.Read(ref _failures);

        public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(TRequest request, ClientInterceptorContext<TRequest, TResponse> context,
            AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
        {
            var start = Stopwatch.GetTimestamp();
            var call = continuation(request, context);
            return new AsyncUnaryCall<TResponse>(ObserveAsync(call.ResponseAsync, request, context.Method.Name, start),
                call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call.Dispose);
        }

        private async Task<TResponse> ObserveAsync<TRequest, TResponse>(Task<TResponse> response, TRequest request, string method, long start)
        {
            try
            {
                var reply = await response;
                meter.Answered(request!, reply!, start, Stopwatch.GetTimestamp());
                return reply;
            }
            catch (RpcException e)
            {
                Interlocked.Increment(ref _failures);
                meter.Failed(method, e);
                throw;
            }
        }
    }

    /// <summary>What the meter saw during one round.</summary>
    private sealed class Window
    {
        private readonly List<double> _pushMs = [];
        private readonly Dictionary<string, long> _pushed = new(StringComparer.Ordinal);
        private readonly List<(long At, int Records)> _completions = [];

        public List<string> Errors { get; } = [];

        public long Calls { get; private set; }

        public void AddCall() => Calls++;

        public void AddPush(string stream, int records, double ms, long at)
        {
            Calls++;
            _pushMs.Add(ms);
            _pushed[stream] = _pushed.GetValueOrDefault(stream) + records;
            _completions.Add((at, records));
        }

        public long Pushed(string stream) => _pushed.GetValueOrDefault(stream);

        public IReadOnlyList<double> PushLatencies() => [.. _pushMs.Order()];

        /// <summary>
        /// Records acknowledged in each whole second from the first push's answer to the last one's
        /// (the part of the last second that is not whole left out): the rate while pushes flow, after
        /// the round's Hello and Pull calls.
        /// </summary>
        public long[] RecordsPerSecond()
        {
            if (_completions.Count == 0)
            {
                return [];
            }
            var first = _completions.Min(c => c.At);
            var seconds = new long[(int)Stopwatch.GetElapsedTime(first, _completions.Max(c => c.At)).TotalSeconds];
            foreach (var (at, records) in _completions)
            {
                var second = (int)Stopwatch.GetElapsedTime(first, at).TotalSeconds;
                if (second < seconds.Length)
                {
                    seconds[second] += records;
                }
            }
            return seconds;
        }
    }

    /// <summary>Samples the hub process's VmRSS and its PostgreSQL backends in the background, per round.</summary>
    private sealed class HubSampler : IAsyncDisposable
    {
        private readonly int _pid;
        private readonly NpgsqlConnection _connection;
        private readonly CancellationTokenSource _stop = new();
        private readonly object _lock = new();
        private readonly List<long> _rss = [];
        private int _connectionsPeak;
        private Task? _loop;

        private HubSampler(int pid, NpgsqlConnection connection)
        {
            _pid = pid;
            _connection = connection;
        }

        public long PeakRssKb { get; private set; }

        public static HubSampler Start(int pid, string connectionString)
        {
            // Its own connection, outside any pool, so the sampling never takes one the hub might want.
            var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ToString());
            connection.Open();
            var sampler = new HubSampler(pid, connection);
            sampler._loop = Task.Run(sampler.LoopAsync);
            return sampler;
        }

        public void Begin()
        {
            lock (_lock)
            {
                _rss.Clear();
                _connectionsPeak = 0;
                _rss.Add(RssKb(_pid));
            }
        }

        public (long StartKb, long PeakKb, long EndKb, int ConnectionsPeak) End()
        {
            lock (_lock)
            {
                _rss.Add(RssKb(_pid));
                return (_rss[0], _rss.Max(), _rss[^1], _connectionsPeak);
            }
        }

        private async Task LoopAsync()
        {
            var database = _connection.Database;
            var tick = 0;
            while (!_stop.IsCancellationRequested)
            {
                var rss = RssKb(_pid);
                int? connections = null;
                // Every 10th tick: a query costs the database more than reading /proc.
                if (tick++ % 10 == 0)
                {
                    await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE datname = @db AND backend_type = 'client backend' AND pid <> pg_backend_pid()", _connection);
                    command.Parameters.AddWithValue("db", database);
                    connections = Convert.ToInt32(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
                }
                lock (_lock)
                {
                    _rss.Add(rss);
                    PeakRssKb = Math.Max(PeakRssKb, rss);
                    if (connections is { } count)
                    {
                        _connectionsPeak = Math.Max(_connectionsPeak, count);
                    }
                }
                try
                {
                    await Task.Delay(SampleEvery, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            if (_loop is not null)
            {
                await _loop;
            }
            await _connection.DisposeAsync();
            _stop.Dispose();
        }
    }
}
