using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using CardAp.Card.Application;
using CardAp.Edge.Api;
using CardAp.Edge.Hub;
using CardAp.Edge.Options;
using CardAp.Edge.Store;
using CardAp.Edge.Sync;
using CardAp.Edge.Tests.Durability;
using CardAp.Hub.Api;
using CardAp.Hub.Security;
using CardAp.Hub.Store;
using CardAp.Hub.Store.Sync;
using CardAp.Hub.Tests.Host;
using CardAp.Shared.Domain;
using CardAp.Shared.Services;
using CardAp.Sync.Contracts;
using CardAp.Sync.Edge;
using CardAp.Sync.Hub;
using CardAp.Testing;
using CardAp.VirtualCard.Issuance;
using Google.Protobuf;
using Grpc.Net.Client;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using SyncClient = CardAp.Sync.Contracts.Sync.SyncClient;

namespace CardAp.Benchmarks;

/// <summary>
/// Sync catch-up after a long outage (the issue's "100,000 records up, 100,000 master rows down on
/// first start"), against a real hub host (Kestrel, mutual TLS, gzip) on SQLite and on a fresh
/// PostgreSQL database, with the edge reaching it through a <see cref="FaultProxy"/> that only
/// forwards and counts bytes. Per engine, in one run:
/// <list type="bullet">
/// <item>Up: an edge database holding a backlog written beforehand through LocalRecords (not timed)
/// is synced by the real SyncEngine over the real EdgeSyncStore, timed; the same batches go
/// through the hub store alone (SyncIngest, no network) and the same rows are bulk-loaded straight
/// into the same database (the ceiling).</item>
/// <item>Down: master rows put into the hub (not timed), then cardap-edge itself started on an
/// empty store as its own process: its first sync's time as the engine records it and the
/// process's peak RSS (VmHWM); the same download in-process with a stopwatch on each store call;
/// and the rows inserted straight into an edge master_data table (the ceiling).</item>
/// </list>
/// </summary>
internal static class SyncCatchUpBenchmark
{
    public const string SectionTitle = "## Sync: catch-up after an outage";

    private const string Municipality = CatchUpData.Municipality;
    private const string UpTerminal = "131016-T001";
    private static readonly string[] WarmUpTerminals = ["131016-T002", "131016-T007"];
    private static readonly string[] DownTerminals = ["131016-T003", "131016-T008", "131016-T009"];
    private const string ProfileTerminal = "131016-T004";
    private const string LargePageTerminal = "131016-T005";
    private const string WorkstationGcTerminal = "131016-T006";
    private const string IngestTerminal = "131016-T902";
    private const string CopyTerminal = "131016-T900";
    private const string CopyUsageTerminal = "131016-T901";
    private const string CopyBatchTerminal = "131016-T903";
    private const string CopyMaxBatchTerminal = "131016-T904";
    private const string Site = "chuo-library";
    private const int WarmUpRecords = 10_000;
    private const int LargePageSize = SyncEngineOptions.MaxPageSize;
    private const string ShortIdStream = "transactions, 8-character request ids";
    private const string OptimalStream = "transactions, gzip Optimal";

    /// <summary>The 1-minute load average read just before each timed run: the machine is shared.</summary>
    private static readonly List<double> LoadSamples = [];

    public static async Task<IReadOnlyList<string>> RunAsync(string? postgres, int records = 100_000, int masterRows = 100_000)
    {
        LoadSamples.Clear();
        var loadBefore = LoadAverage();
        var started = DateTimeOffset.UtcNow;
        var folder = Directory.CreateTempSubdirectory("cardap-sync-bench-").FullName;
        try
        {
            Log($"Writing the edge backlog: {records:N0} transactions with their audit entries through LocalRecords (not timed)...");
            var backlog = Path.Combine(folder, "backlog", "edge.db");
            var writing = Stopwatch.StartNew();
            WriteBacklog(backlog, UpTerminal, records);
            Log($"  written in {writing.Elapsed.TotalSeconds:0.0} s");
            var warmUp = WarmUpTerminals.Select(terminal => Path.Combine(folder, "warm-up-" + terminal, "edge.db")).ToList();
            for (var i = 0; i < warmUp.Count; i++)
            {
                WriteBacklog(warmUp[i], WarmUpTerminals[i], WarmUpRecords);
            }
            var wire = WireSizes(backlog, Path.Combine(folder, "backlog-read"));
            var idle = await IdleEdgeAsync(Path.Combine(folder, "idle"), null);
            var idleWorkstation = await IdleEdgeAsync(Path.Combine(folder, "idle-workstation-gc"), "0");
            var master = CatchUpData.MasterRows(masterRows, DateTimeOffset.UtcNow).ToList();

            var results = new List<EngineResult>();
            var sqlite = Path.Combine(folder, "hub-sqlite");
            Directory.CreateDirectory(sqlite);
            results.Add(await RunEngineAsync("SQLite", HubEngine.Sqlite, $"Data Source={Path.Combine(sqlite, "hub.db")}", sqlite, backlog, warmUp, wire, master));
            SqliteConnection.ClearAllPools();
            string? postgresNote = null;
            if (string.IsNullOrWhiteSpace(postgres))
            {
                postgresNote = "PostgreSQL: not run (CARDAP_POSTGRES is not set).";
            }
            else
            {
                var name = "cardap_sync_bench_" + Guid.NewGuid().ToString("N");
                await ExecutePostgresAsync(postgres, $"CREATE DATABASE {name}");
                try
                {
                    var connection = new NpgsqlConnectionStringBuilder(postgres) { Database = name }.ToString();
                    var pg = Path.Combine(folder, "hub-postgres");
                    Directory.CreateDirectory(pg);
                    results.Add(await RunEngineAsync($"PostgreSQL {await PostgresVersionAsync(postgres)}", HubEngine.PostgreSql, connection, pg, backlog, warmUp, wire, master));
                }
                finally
                {
                    NpgsqlConnection.ClearAllPools();
                    await ExecutePostgresAsync(postgres, $"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                }
            }
            return Report(records, masterRows, started, loadBefore, LoadAverage(), wire, idle, idleWorkstation, results, postgresNote);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Replaces this section in <paramref name="path"/>, or appends it (<see cref="ReportSection.Write"/>).</summary>
    public static void WriteSection(string path, IReadOnlyList<string> section) => ReportSection.Write(path, SectionTitle, section);

    private static async Task<EngineResult> RunEngineAsync(string engineName, HubEngine engine, string connectionString, string folder,
        string backlog, List<string> warmUpBacklogs, WireSize wire, List<CatchUpMasterRow> master)
    {
        Log($"{engineName}: starting the hub");
        using var pki = new HubPki();
        await using var hub = await HubHost.StartAsync(pki, new Dictionary<string, string?>
        {
            ["Hub:Database:Engine"] = engine.ToString(),
            ["Hub:Database:ConnectionString"] = connectionString,
            ["Serilog:MinimumLevel:Override:Microsoft.Hosting.Lifetime"] = "Warning",
        });
        await using var proxy = FaultProxy.Start(new IPEndPoint(IPAddress.Loopback, hub.Address.Port), seed: 1);
        using var adminCertificate = pki.Ca.IssueAdminCertificate("it-bench", CallerRole.CentralIt, [MunicipalityCode.Parse(Municipality)]);
        using var adminChannel = hub.Channel(adminCertificate);
        var admin = new Admin.AdminClient(adminChannel);
        await admin.AddMunicipalityAsync(new AddMunicipalityRequest { Municipality = Municipality, Name = "千代田区" });
        using (var issuingKey = IssuingKey.Create(new IssuerReference(MunicipalityCode.Parse(Municipality), 1)))
        {
            await PutAsync(admin, MasterKinds.IssuerKey, issuingKey.Reference.ToString(), new JsonObject
            {
                ["reference"] = issuingKey.Reference.ToString(),
                ["publicKey"] = Convert.ToBase64String(issuingKey.PublicKey.SubjectPublicKeyInfo),
            });
        }
        var terminals = new Dictionary<string, TerminalFiles>(StringComparer.Ordinal);
        foreach (var terminal in WarmUpTerminals.Concat(DownTerminals).Concat([UpTerminal, ProfileTerminal, LargePageTerminal, WorkstationGcTerminal]))
        {
            await PutAsync(admin, MasterKinds.Terminal, terminal, CatchUpData.TerminalRow());
            terminals[terminal] = TerminalFiles.Write(pki, Path.Combine(folder, "certs", terminal), terminal);
        }
        var database = new HubDatabase(engine, connectionString);

        // Up.
        // Warm up twice, with pauses: tiered compilation starts counting calls only once no new code has been
        // compiled for a moment, then recompiles hot methods in the background; one push leaves most of that
        // to happen during the measured run.
        for (var i = 0; i < WarmUpTerminals.Length; i++)
        {
            Log($"{engineName}: warm-up push of {WarmUpRecords:N0} transactions from {WarmUpTerminals[i]}");
            await PushAsync(CopyBacklog(warmUpBacklogs[i], Path.Combine(folder, "warm-up-" + WarmUpTerminals[i])), WarmUpTerminals[i], terminals[WarmUpTerminals[i]], proxy);
            await Task.Delay(TimeSpan.FromSeconds(i == WarmUpTerminals.Length - 1 ? 3 : 1));
        }
        Log($"{engineName}: catch-up push");
        var up = await PushAsync(CopyBacklog(backlog, Path.Combine(folder, "up")), UpTerminal, terminals[UpTerminal], proxy);
        Log($"  {up.Elapsed.TotalSeconds:0.00} s for {up.Transactions:N0} transactions + {up.Audit:N0} audit entries");
        var stored = await CountAsync(engine, connectionString, UpTerminal);
        if (stored.Transactions != up.Transactions || stored.Audit != up.Audit || stored.Usage != up.Transactions)
        {
            throw new InvalidOperationException(
                $"{engineName}: the hub holds {stored.Transactions} transactions, {stored.Audit} audit entries and {stored.Usage} usage records of {UpTerminal}, not what was pushed.");
        }

        Log($"{engineName}: the same batches into the hub store alone (SyncIngest, no network)");
        var ingest = new SyncIngest(database);
        var municipality = MunicipalityCode.Parse(Municipality);
        GC.Collect();
        SampleLoad();
        var ingestStart = Stopwatch.GetTimestamp();
        foreach (var batch in wire.Batches)
        {
            await ingest.PushAsync(municipality, IngestTerminal, batch);
        }
        var ingestTime = Stopwatch.GetElapsedTime(ingestStart);

        var protocol = ProtocolCpu(wire);

        Log($"{engineName}: bulk loads of the same rows (ceilings)");
        var (rows, audit) = CatchUpCeilings.HubRows(wire.Batches);
        GC.Collect();
        TimeSpan bulkAll, bulkUsage, bulkBatches, bulkMaxBatches;
        var batchSize = new EdgeSyncOptions().BatchSize;
        if (engine == HubEngine.PostgreSql)
        {
            bulkAll = CatchUpCeilings.CopyPostgres(connectionString, Municipality, CopyTerminal, Site, rows, audit, usageOnly: false);
            bulkUsage = CatchUpCeilings.CopyPostgres(connectionString, Municipality, CopyUsageTerminal, Site, rows, audit, usageOnly: true);
            bulkBatches = CatchUpCeilings.CopyPostgres(connectionString, Municipality, CopyBatchTerminal, Site, rows, audit, usageOnly: false, batchSize);
            bulkMaxBatches = CatchUpCeilings.CopyPostgres(connectionString, Municipality, CopyMaxBatchTerminal, Site, rows, audit, usageOnly: false, SyncEngineOptions.MaxBatchSize);
        }
        else
        {
            bulkAll = CatchUpCeilings.InsertSqlite(connectionString, Municipality, CopyTerminal, Site, rows, audit, usageOnly: false);
            bulkUsage = CatchUpCeilings.InsertSqlite(connectionString, Municipality, CopyUsageTerminal, Site, rows, audit, usageOnly: true);
            bulkBatches = CatchUpCeilings.InsertSqlite(connectionString, Municipality, CopyBatchTerminal, Site, rows, audit, usageOnly: false, batchSize);
            bulkMaxBatches = CatchUpCeilings.InsertSqlite(connectionString, Municipality, CopyMaxBatchTerminal, Site, rows, audit, usageOnly: false, SyncEngineOptions.MaxBatchSize);
        }

        // Down.
        Log($"{engineName}: putting {master.Count:N0} master rows into the hub (not timed)");
        var seeding = Stopwatch.StartNew();
        var store = new MasterStore(database);
        foreach (var chunk in master.Chunk(5_000))
        {
            await store.ApplyAsync(municipality, [.. chunk.Select(r => MasterEdit.Upsert(r.Kind, r.Key, r.Payload))]);
        }
        Log($"  put in {seeding.Elapsed.TotalSeconds:0.0} s");
        var expectedRows = master.Count + 1; // and the issuer key

        var downs = new List<DownRun>();
        foreach (var terminal in DownTerminals)
        {
            Log($"{engineName}: first start of cardap-edge on an empty store ({terminal})");
            var run = await FirstStartAsync(Path.Combine(folder, "down-" + terminal), terminal, terminals[terminal], proxy, pageSize: null, expectedRows);
            Log($"  {S(run.Run)} s, peak RSS {run.PeakRssKb / 1024.0:0} MB");
            downs.Add(run);
        }
        var down = DownSummary.Of(downs);
        Log($"{engineName}: first start with Edge:Sync:PageSize={LargePageSize}");
        var largePages = await FirstStartAsync(Path.Combine(folder, "down-large"), LargePageTerminal, terminals[LargePageTerminal], proxy, LargePageSize, expectedRows);
        Log($"  {S(largePages.Run)} s, peak RSS {largePages.PeakRssKb / 1024.0:0} MB");
        Log($"{engineName}: first start with workstation GC (DOTNET_gcServer=0)");
        var workstationGc = await FirstStartAsync(Path.Combine(folder, "down-workstation-gc"), WorkstationGcTerminal, terminals[WorkstationGcTerminal], proxy, null, expectedRows,
            new Dictionary<string, string?> { ["DOTNET_gcServer"] = "0" });
        Log($"  {S(workstationGc.Run)} s, peak RSS {workstationGc.PeakRssKb / 1024.0:0} MB");
        Log($"{engineName}: the same download in-process with a stopwatch on the store");
        var profile = await DownloadInProcessAsync(Path.Combine(folder, "down-profile"), ProfileTerminal, terminals[ProfileTerminal], proxy, expectedRows);
        Log($"  {profile.Elapsed.TotalSeconds:0.00} s");
        var hubRead = await HubSnapshotReadAsync(database, municipality);
        var keysetRead = await KeysetReadAsync(engine, connectionString, master.Count);
        var ceilingRows = master.Select((r, i) => (r.Kind, r.Key, r.Payload.ToJsonString(), (long)i + 1)).ToList();
        GC.Collect();
        var edgeCeiling = CatchUpCeilings.InsertEdgeMaster(Path.Combine(folder, "down-ceiling"), ProfileTerminal, ceilingRows);

        return new EngineResult(engineName, up, ingestTime, protocol.Codec, protocol.Plan, bulkAll, bulkUsage, bulkBatches, bulkMaxBatches, down, largePages, workstationGc, profile, hubRead, keysetRead, edgeCeiling, master.Count);
    }

    // ---- Up ----

    internal static void WriteBacklog(string path, string terminal, int count)
    {
        using var database = OpenEdge(path, terminal);
        var records = new LocalRecords(database);
        foreach (var (transaction, audit) in CatchUpData.Transactions(count, DateTimeOffset.UtcNow))
        {
            records.RecordTransaction(transaction, audit);
        }
        database.Checkpoint();
    }

    private static string CopyBacklog(string backlog, string directory)
    {
        SqliteConnection.ClearAllPools();
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "edge.db");
        File.Copy(backlog, path, overwrite: true);
        return path;
    }

    private static async Task<UpRun> PushAsync(string edgePath, string terminal, TerminalFiles files, FaultProxy proxy)
    {
        using var database = OpenEdge(edgePath, terminal);
        var store = new EdgeSyncStore(new MasterData(database), new OutboxState(database), new LocalRecords(database), TimeProvider.System);
        var timed = new TimedSyncStore(store, () => proxy.Counters);
        using var channel = Channel(files, proxy);
        using var engine = Engine(channel, timed, terminal);
        GC.Collect();
        SampleLoad();
        var before = proxy.Counters;
        var start = Stopwatch.GetTimestamp();
        var outcome = await engine.SyncAsync();
        var end = Stopwatch.GetTimestamp();
        var after = proxy.Counters;
        if (!outcome.Succeeded)
        {
            throw new InvalidOperationException($"The catch-up sync failed: {outcome.Error}");
        }
        if (store.Backlog() != 0)
        {
            throw new InvalidOperationException($"The catch-up sync left {store.Backlog()} records unacknowledged.");
        }
        return new UpRun(Stopwatch.GetElapsedTime(start, end), outcome.Pushed.GetValueOrDefault("transactions"), outcome.Pushed.GetValueOrDefault("audit"),
            start, end, before, after, timed.Marks, timed.SpentIn("ReadBatch"), timed.SpentIn("Acknowledge"),
            timed.Spent.Values.Aggregate(TimeSpan.Zero, (a, b) => a + b));
    }

    /// <summary>The Push messages of the backlog as the engine builds them (default batch size), and their sizes compressed as gRPC does.</summary>
    private static WireSize WireSizes(string backlog, string directory)
    {
        var path = CopyBacklog(backlog, directory);
        using var database = OpenEdge(path, UpTerminal);
        var store = new EdgeSyncStore(new MasterData(database), new OutboxState(database), new LocalRecords(database), TimeProvider.System);
        var batchSize = new EdgeSyncOptions().BatchSize;
        var batches = new List<PushRequest>();
        var sizes = new Dictionary<string, (long Records, long Raw, long Gzip)>(StringComparer.Ordinal);
        foreach (var stream in new[] { "transactions", "audit" })
        {
            long after = 0;
            while (true)
            {
                var batch = store.ReadBatch(stream, after, batchSize);
                var count = batch.Transactions.Count + batch.Audit.Count;
                if (count == 0)
                {
                    break;
                }
                batches.Add(batch);
                after += count;
                var (raw, compressed) = Gzip(batch);
                Add(stream, count, raw, compressed);
                if (stream == "transactions")
                {
                    var (_, optimal) = Gzip(batch, CompressionLevel.Optimal);
                    Add(OptimalStream, count, raw, optimal);
                    // What the UUID request ids cost: the same batch with 8-character ids.
                    var shortIds = batch.Clone();
                    foreach (var t in shortIds.Transactions)
                    {
                        t.Id = t.Seq.ToString("x8", CultureInfo.InvariantCulture);
                    }
                    var (shortRaw, shortGzip) = Gzip(shortIds);
                    Add(ShortIdStream, count, shortRaw, shortGzip);
                }
            }
        }
        return new WireSize(batches, sizes, batchSize);

        void Add(string stream, long count, long raw, long gzip)
        {
            var (records, rawBytes, gzipBytes) = sizes.GetValueOrDefault(stream);
            sizes[stream] = (records + count, rawBytes + raw, gzipBytes + gzip);
        }
    }

    private static (long Raw, long Gzip) Gzip(IMessage message, CompressionLevel level = CompressionLevel.Fastest)
    {
        var raw = message.ToByteArray();
        using var compressed = new MemoryStream();
        // grpc-dotnet's gzip provider compresses at CompressionLevel.Fastest unless told otherwise.
        using (var gzip = new GZipStream(compressed, level, leaveOpen: true))
        {
            gzip.Write(raw);
        }
        return (raw.Length, compressed.Length);
    }

    /// <summary>
    /// The protocol's CPU work on the batches alone, one thread, no network or database: the edge
    /// serialising and gzipping each Push, the hub gunzipping and parsing it, checking its shape and
    /// planning it (duplicates, the audit hash chain recomputed, each record's quarantine checks).
    /// </summary>
    private static (TimeSpan Codec, TimeSpan Plan) ProtocolCpu(WireSize wire)
    {
        var context = new RecordContext(DateTimeOffset.UtcNow, ServiceSchemas.BuiltIn.Select(s => s.Id).ToHashSet(StringComparer.Ordinal).Contains);
        var heads = new Dictionary<string, StreamHead>(StringComparer.Ordinal);
        var held = new Dictionary<long, byte[]>();
        var codec = TimeSpan.Zero;
        var plan = TimeSpan.Zero;
        for (var round = 0; round < 2; round++)
        {
            // The first round warms the code up; the second is measured.
            heads.Clear();
            codec = plan = TimeSpan.Zero;
            foreach (var batch in wire.Batches)
            {
                var start = Stopwatch.GetTimestamp();
                using var compressed = new MemoryStream();
                using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
                {
                    batch.WriteTo(gzip);
                }
                compressed.Position = 0;
                PushRequest parsed;
                using (var gunzip = new GZipStream(compressed, CompressionMode.Decompress))
                {
                    parsed = PushRequest.Parser.ParseFrom(gunzip);
                }
                var decoded = Stopwatch.GetTimestamp();
                var head = heads.GetValueOrDefault(parsed.Stream, StreamHead.Empty);
                if (PushBatch.CheckShape(parsed) is not null || PushPlanner.Plan(parsed, head, held, context) is not PushDecision.Accept accept)
                {
                    throw new InvalidOperationException("A backlog batch was not accepted by PushPlanner.");
                }
                heads[parsed.Stream] = new StreamHead(accept.Through, accept.LastHash);
                codec += Stopwatch.GetElapsedTime(start, decoded);
                plan += Stopwatch.GetElapsedTime(decoded);
            }
        }
        return (codec, plan);
    }

    // ---- Down ----

    private static async Task<DownRun> FirstStartAsync(string directory, string terminal, TerminalFiles files, FaultProxy proxy, int? pageSize, long expectedRows,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        Directory.CreateDirectory(directory);
        var settings = new Dictionary<string, string?>
        {
            ["Edge:Readers"] = "Virtual",
            ["Edge:HubAddress"] = $"https://127.0.0.1:{proxy.Port}",
            ["Edge:HubCaCertificatePath"] = files.Ca,
            ["Edge:HubClientCertificatePath"] = files.Certificate,
            ["Edge:HubClientKeyPath"] = files.Key,
            ["Edge:Sync:Interval"] = "01:00:00",
            ["Store:TerminalId"] = terminal,
            ["Store:DailyBackup"] = "false",
        };
        if (pageSize is { } size)
        {
            settings["Edge:Sync:PageSize"] = size.ToString(CultureInfo.InvariantCulture);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }
        GC.Collect();
        SampleLoad();
        var before = proxy.Counters;
        var launched = DateTimeOffset.UtcNow;
        DateTimeOffset? firstAttempt = null;
        long peakKb;
        await using (var edge = await EdgeProcess.StartAsync(directory, snapshot: null, settings: settings))
        {
            var deadline = DateTime.UtcNow.AddMinutes(5);
            while (true)
            {
                var state = (await edge.Client.GetStatusAsync(new StatusRequest())).Sync;
                if (Environment.GetEnvironmentVariable("CARDAP_BENCH_TRACE") is not null)
                {
                    var rss = File.ReadLines($"/proc/{edge.Pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
                    var anon = File.ReadLines($"/proc/{edge.Pid}/status").First(l => l.StartsWith("RssAnon:", StringComparison.Ordinal));
                    Log($"    {(DateTimeOffset.UtcNow - launched).TotalMilliseconds,6:0} ms {state.Phase,-16} {state.ProgressDone,7} {rss} {anon}");
                }
                // The first run's start; when it is already over at the first look, it cannot be timed from here.
                if (firstAttempt is null && state.LastAttempt is not null)
                {
                    firstAttempt = state.LastSuccess is null ? state.LastAttempt.ToDateTimeOffset() : DateTimeOffset.MinValue;
                }
                if (state.LastSuccess is not null && !state.Running)
                {
                    break;
                }
                if (state.LastError is { } error && !state.Running)
                {
                    throw new InvalidOperationException($"cardap-edge's first sync failed: {error.Reason}: {error.MessageEn}");
                }
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException("cardap-edge did not finish its first sync within 5 minutes.");
                }
                await Task.Delay(10);
            }
            peakKb = PeakRssKb(edge.Pid);
        }
        var after = proxy.Counters;
        SqliteConnection.ClearAllPools();
        var rows = CountEdgeMaster(Path.Combine(directory, "edge.db"));
        if (rows != expectedRows)
        {
            throw new InvalidOperationException($"cardap-edge holds {rows} master rows after its first sync, not {expectedRows}.");
        }
        // The first run's end is its "Synced with the hub: N snapshot rows" log line: the status shows the latest run
        // only, and a second, short run follows the first at once (the hub probe's first success wakes the sync loop).
        var finished = SnapshotSyncLogged(Path.Combine(directory, "logs"));
        TimeSpan? engineTime = firstAttempt is { } attempt && attempt != DateTimeOffset.MinValue ? finished - attempt : null;
        return new DownRun(engineTime, finished - launched, rows, peakKb, after.BytesTargetToClient - before.BytesTargetToClient, after.BytesClientToTarget - before.BytesClientToTarget);
    }

    /// <summary>When cardap-edge logged the end of the sync run that took a snapshot (its log's own timestamp, ms).</summary>
    private static DateTimeOffset SnapshotSyncLogged(string logs)
    {
        const string marker = "Synced with the hub: ";
        foreach (var file in Directory.GetFiles(logs, "*.log").Order(StringComparer.Ordinal))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            while (reader.ReadLine() is { } line)
            {
                var at = line.IndexOf(marker, StringComparison.Ordinal);
                if (at > 0 && long.TryParse(line[(at + marker.Length)..].Split(' ')[0], NumberStyles.None, CultureInfo.InvariantCulture, out var snapshotRows) && snapshotRows > 0)
                {
                    return DateTimeOffset.ParseExact(line[..30], "yyyy-MM-dd HH:mm:ss.fff zzz", CultureInfo.InvariantCulture);
                }
            }
        }
        throw new InvalidOperationException($"cardap-edge's log in {logs} has no \"{marker}<rows> snapshot rows\" line.");
    }

    private static async Task<ProfileRun> DownloadInProcessAsync(string directory, string terminal, TerminalFiles files, FaultProxy proxy, long expectedRows)
    {
        using var database = OpenEdge(Path.Combine(directory, "edge.db"), terminal);
        var master = new MasterData(database);
        var store = new EdgeSyncStore(master, new OutboxState(database), new LocalRecords(database), TimeProvider.System);
        var timed = new TimedSyncStore(store, () => proxy.Counters);
        using var channel = Channel(files, proxy);
        using var engine = Engine(channel, timed, terminal);
        GC.Collect();
        SampleLoad();
        var start = Stopwatch.GetTimestamp();
        var outcome = await engine.SyncAsync();
        var elapsed = Stopwatch.GetElapsedTime(start);
        if (!outcome.Succeeded || master.Count() != expectedRows)
        {
            throw new InvalidOperationException($"The in-process download failed or is incomplete: {outcome.Error}, {master.Count()} rows.");
        }
        return new ProfileRun(elapsed, timed.SpentIn("StageSnapshot"), timed.SpentIn("CommitSnapshot"), timed.SpentIn("ApplyPage"),
            timed.Spent.Values.Aggregate(TimeSpan.Zero, (a, b) => a + b));
    }

    /// <summary>The hub's own reading of the snapshot pages (SyncFeed, default page size), without gRPC.</summary>
    private static async Task<HubRead> HubSnapshotReadAsync(HubDatabase database, MunicipalityCode municipality)
    {
        var feed = new SyncFeed(database, new MasterStore(database));
        var services = CatchUpData.TerminalServices.ToHashSet(StringComparer.Ordinal);
        var pageSize = new EdgeSyncOptions().PageSize;
        var pages = new List<TimeSpan>();
        var (kind, key) = (string.Empty, string.Empty);
        while (true)
        {
            var start = Stopwatch.GetTimestamp();
            var chunk = await feed.SnapshotAsync(municipality, services, kind, key, pageSize);
            pages.Add(Stopwatch.GetElapsedTime(start));
            if (chunk.ResumeAfter is not { } resume)
            {
                break;
            }
            (kind, key) = resume;
        }
        if (Environment.GetEnvironmentVariable("CARDAP_BENCH_TRACE") is not null)
        {
            Log("    hub snapshot pages, ms: " + string.Join(' ', pages.Select(p => p.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture))));
        }
        return new HubRead(pages.Aggregate(TimeSpan.Zero, (a, b) => a + b), pages.Count,
            pages.Take(Math.Max(1, pages.Count / 10)).Average(p => p.TotalMilliseconds), pages.TakeLast(Math.Max(1, pages.Count / 10)).Average(p => p.TotalMilliseconds));
    }

    /// <summary>
    /// The same pages read kind by kind with a plain keyset, <c>kind = @kind AND row_key &gt; @key ORDER BY
    /// row_key</c>, which every engine runs as a range of the primary key; SyncFeed's <c>kind IN (...) AND
    /// (kind &gt; @kind OR (kind = @kind AND row_key &gt; @key))</c> is instead a filter over the rows from the
    /// municipality's (or the kind's) first, so each page reads more than the one before. Not the
    /// product's code: a measure of what that one change would give.
    /// </summary>
    private static async Task<HubRead> KeysetReadAsync(HubEngine engine, string connectionString, int masterRows)
    {
        var kinds = ScopeKinds.Candidates;
        var pageSize = new EdgeSyncOptions().PageSize;
        await using DbConnection connection = engine == HubEngine.PostgreSql ? new NpgsqlConnection(connectionString) : new SqliteConnection(connectionString);
        await connection.OpenAsync();
        var pages = new List<TimeSpan>();
        var (kindIndex, key) = (0, string.Empty);
        long rows = 0;
        while (kindIndex < kinds.Count)
        {
            var start = Stopwatch.GetTimestamp();
            var read = 0;
            while (read < pageSize && kindIndex < kinds.Count)
            {
                await using var command = connection.CreateCommand();
                command.CommandText =
                    "SELECT municipality, kind, row_key, payload, change_seq, deleted, updated_at FROM master_rows " +
                    "WHERE municipality = @municipality AND kind = @kind AND row_key > @key AND deleted = @deleted ORDER BY row_key LIMIT @limit";
                foreach (var (name, value) in new (string, object)[]
                         { ("@municipality", Municipality), ("@kind", kinds[kindIndex]), ("@key", key), ("@deleted", false), ("@limit", pageSize - read) })
                {
                    var parameter = command.CreateParameter();
                    parameter.ParameterName = name;
                    parameter.Value = value;
                    command.Parameters.Add(parameter);
                }
                var before = read;
                await using (var reader = await command.ExecuteReaderAsync())
                {
                    while (await reader.ReadAsync())
                    {
                        _ = reader.IsDBNull(3) ? null : reader.GetString(3);
                        _ = reader.GetFieldValue<DateTimeOffset>(6);
                        key = reader.GetString(2);
                        read++;
                    }
                }
                if (read - before < pageSize - before)
                {
                    (kindIndex, key) = (kindIndex + 1, string.Empty);
                }
            }
            pages.Add(Stopwatch.GetElapsedTime(start));
            rows += read;
        }
        if (rows < masterRows)
        {
            throw new InvalidOperationException($"The per-kind keyset read {rows} rows, fewer than the {masterRows} put in.");
        }
        return new HubRead(pages.Aggregate(TimeSpan.Zero, (a, b) => a + b), pages.Count,
            pages.Take(Math.Max(1, pages.Count / 10)).Average(p => p.TotalMilliseconds), pages.TakeLast(Math.Max(1, pages.Count / 10)).Average(p => p.TotalMilliseconds));
    }

    private static async Task<long> IdleEdgeAsync(string directory, string? gcServer)
    {
        Log("cardap-edge started without a hub (baseline RSS)");
        Directory.CreateDirectory(directory);
        var settings = new Dictionary<string, string?>
        {
            ["Edge:Readers"] = "Virtual",
            ["Store:TerminalId"] = "131016-T099",
            ["Store:DailyBackup"] = "false",
        };
        if (gcServer is not null)
        {
            settings["DOTNET_gcServer"] = gcServer;
        }
        await using var edge = await EdgeProcess.StartAsync(directory, snapshot: null, settings: settings);
        await edge.Client.GetStatusAsync(new StatusRequest());
        await Task.Delay(2000);
        return PeakRssKb(edge.Pid);
    }

    // ---- Helpers ----

    internal static EdgeDatabase OpenEdge(string path, string terminal) =>
        new(Microsoft.Extensions.Options.Options.Create(new EdgeStoreOptions { DatabasePath = path, TerminalId = terminal, DailyBackup = false }),
            NullLogger<EdgeDatabase>.Instance);

    /// <summary>The engine as SyncBackgroundService builds it, with the edge's default batch and page sizes.</summary>
    private static SyncEngine Engine(GrpcChannel channel, IEdgeSyncStore store, string terminal)
    {
        var defaults = new EdgeSyncOptions();
        return new SyncEngine(new SyncClient(channel), store, new SyncEngineOptions
        {
            TerminalId = terminal,
            Municipality = Municipality,
            SoftwareVersion = "bench",
            BatchSize = defaults.BatchSize,
            PageSize = defaults.PageSize,
        }, TimeProvider.System, NullLogger<SyncEngine>.Instance);
    }

    /// <summary>The channel the edge's SyncBackgroundService builds (HubHttpHandler: the terminal's certificate, trusting only the hub CA), through the proxy.</summary>
    private static GrpcChannel Channel(TerminalFiles files, FaultProxy proxy)
    {
        var options = new EdgeOptions
        {
            Municipality = Municipality,
            HubAddress = $"https://127.0.0.1:{proxy.Port}",
            HubCaCertificatePath = files.Ca,
            HubClientCertificatePath = files.Certificate,
            HubClientKeyPath = files.Key,
        };
        return HubChannel.ForSync(options);
    }

    private static Task<MasterWriteReply> PutAsync(Admin.AdminClient admin, string kind, string key, JsonObject payload) =>
        admin.PutMasterAsync(new PutMasterRequest { Municipality = Municipality, Kind = kind, Key = key, PayloadJson = payload.ToJsonString() }).ResponseAsync;

    private static async Task<(long Transactions, long Audit, long Usage)> CountAsync(HubEngine engine, string connectionString, string terminal)
    {
        await using DbConnection connection = engine == HubEngine.PostgreSql ? new NpgsqlConnection(connectionString) : new SqliteConnection(connectionString);
        await connection.OpenAsync();
        async Task<long> Count(string table)
        {
            await using var command = connection.CreateCommand();
#pragma warning disable CA2100 // The table names are constants of this class.
            command.CommandText = $"SELECT count(*) FROM {table} WHERE terminal = @terminal";
#pragma warning restore CA2100
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@terminal";
            parameter.Value = terminal;
            command.Parameters.Add(parameter);
            return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
        }
        return (await Count("edge_transactions"), await Count("edge_audit"), await Count("usage_records"));
    }

    private static long CountEdgeMaster(string path)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM master_data";
        return (long)command.ExecuteScalar()!;
    }

    internal static long PeakRssKb(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"/proc/{pid}/status has no VmHWM line.");
        return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }

    private static void SampleLoad()
    {
        if (File.Exists("/proc/loadavg"))
        {
            LoadSamples.Add(double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture));
        }
    }

    internal static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    internal static async Task ExecutePostgresAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    internal static async Task<string> PostgresVersionAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        return connection.PostgreSqlVersion.ToString();
    }

    private static void Log(string message) => Console.Error.WriteLine(message);

    // ---- Report ----

    private static List<string> Report(int records, int masterRows, DateTimeOffset started, string loadBefore, string loadAfter, WireSize wire, long idleRssKb, long idleWorkstationRssKb,
        IReadOnlyList<EngineResult> results, string? postgresNote)
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        var batchSize = wire.BatchSize;
        var pageSize = new EdgeSyncOptions().PageSize;
        var lines = new List<string>
        {
            SectionTitle,
            "",
            "Written by `dotnet pwsh build.ps1 bench`, or alone by `dotnet run --project tests/CardAp.Benchmarks -c Release -- --sync-only",
            "--output docs/benchmarks.md` (which rewrites only this section). A real hub host (Kestrel on loopback, mutual TLS,",
            "gzip both ways) on a SQLite file and on a fresh PostgreSQL database; the edge reaches it through a TCP proxy that",
            "only forwards and counts bytes (tests/CardAp.Testing FaultProxy, no faults). Hub, proxy and the up-direction edge",
            "engine share this one process and its 2 cores; the down-direction edge is cardap-edge in its own process.",
            "",
            I($"- Date: {started:yyyy-MM-dd HH:mm} UTC"),
            $"- Machine: {cpu ?? RuntimeInformation.ProcessArchitecture.ToString()}, {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}",
            $"- Runtime: {RuntimeInformation.FrameworkDescription}; edge defaults Edge:Sync:BatchSize {batchSize}, Edge:Sync:PageSize {pageSize}",
            $"- Load average (1, 5, 15 min) before: {loadBefore}; after: {loadAfter}; 1-min load just before the timed runs: {LoadRange()}",
            "- Targets (DESIGN.md): catch-up upload into the hub on PostgreSQL >= 50,000 records/s and within 4x of COPY; first",
            "  master download of 100,000 rows into an edge <= 1.5 s with peak RSS <= 130 MB; wire size of a typical transaction",
            "  record (gzip, batched) <= 60 bytes. For comparison, Dotmim.Sync here: 100,000 rows down in 5.6 s, 100,000 up in",
            "  28 s, ~130 MB RSS.",
        };
        if (postgresNote is not null)
        {
            lines.Add($"- {postgresNote}");
        }
        lines.Add("");
        lines.Add(I($"### Up: {records:N0} transactions after an outage"));
        lines.Add("");
        lines.Add(I($"One terminal (library, points, seal) holds {records:N0} offline transactions of two weeks, written beforehand"));
        lines.Add("through LocalRecords as the operation pipeline writes them (not timed): each with its chained audit entry, so the");
        lines.Add(I($"backlog is {records:N0} transaction records plus {(results.Count > 0 ? results[0].Up.Audit : records):N0} audit entries. The timed run is one SyncEngine.SyncAsync"));
        lines.Add("over the edge's EdgeSyncStore, as SyncBackgroundService runs it: Hello, a snapshot of the few master rows the hub");
        lines.Add(I($"holds at that point, an empty pull, then both streams in batches of {batchSize}; the hub stores each batch in one"));
        lines.Add("transaction (edge_transactions or edge_audit, usage_records, usage_rollup, sync_streams). A warm-up push of");
        lines.Add(I($"{WarmUpRecords:N0} transactions from each of two other terminals runs first, with pauses for tiered compilation"));
        lines.Add("to settle (the hub is a long-running server). \"transactions/s\" counts transaction records only;");
        lines.Add("\"records/s\" counts both streams. The bulk loads put the same rows into the same database in one transaction");
        lines.Add("(PostgreSQL: binary COPY; SQLite: prepared inserts), without the rollup: the ceiling to compare with.");
        lines.Add("");
        foreach (var r in results)
        {
            var up = r.Up;
            var all = up.Transactions + up.Audit;
            var (transactionsTime, auditTime) = up.StreamTimes();
            var bulk = r.Engine.StartsWith("PostgreSQL", StringComparison.Ordinal) ? "COPY" : "prepared inserts";
            lines.Add(I($"#### Up, hub on {r.Engine}"));
            lines.Add("");
            lines.Add("| what | s | transactions/s | records/s | x bulk load |");
            lines.Add("|---|---|---|---|---|");
            lines.Add(I($"| catch-up sync run, through gRPC | {S(up.Elapsed)} | {up.Transactions / up.Elapsed.TotalSeconds:N0} | {all / up.Elapsed.TotalSeconds:N0} | {up.Elapsed / r.BulkAll:0.0} |"));
            lines.Add(I($"| of which the transactions stream | {S(transactionsTime)} | {up.Transactions / transactionsTime.TotalSeconds:N0} | | |"));
            lines.Add(I($"| of which the audit stream | {S(auditTime)} | | {up.Audit / auditTime.TotalSeconds:N0} | |"));
            lines.Add(I($"| the same batches into the hub store alone (SyncIngest.PushAsync, no network) | {S(r.HubStoreOnly)} | {up.Transactions / r.HubStoreOnly.TotalSeconds:N0} | {all / r.HubStoreOnly.TotalSeconds:N0} | {r.HubStoreOnly / r.BulkAll:0.0} |"));
            lines.Add(I($"| the protocol's CPU alone: gzip and protobuf both ways / the hub's checks (PushPlanner) | {S(r.Codec)} / {S(r.Plan)} | | | |"));
            lines.Add(I($"| bulk load ({bulk}) into edge_transactions, edge_audit, usage_records, one transaction | {S(r.BulkAll)} | {up.Transactions / r.BulkAll.TotalSeconds:N0} | {all / r.BulkAll.TotalSeconds:N0} | 1.0 |"));
            lines.Add(I($"| the same bulk load in one transaction per {batchSize} records of a stream, as pushes come | {S(r.BulkBatches)} | {up.Transactions / r.BulkBatches.TotalSeconds:N0} | {all / r.BulkBatches.TotalSeconds:N0} | {r.BulkBatches / r.BulkAll:0.0} |"));
            lines.Add(I($"| the same, one transaction per {SyncEngineOptions.MaxBatchSize} records (the protocol's largest batch) | {S(r.BulkMaxBatches)} | {up.Transactions / r.BulkMaxBatches.TotalSeconds:N0} | {all / r.BulkMaxBatches.TotalSeconds:N0} | {r.BulkMaxBatches / r.BulkAll:0.0} |"));
            lines.Add(I($"| bulk load ({bulk}) into usage_records alone | {S(r.BulkUsage)} | {up.Transactions / r.BulkUsage.TotalSeconds:N0} | | {r.BulkUsage / r.BulkAll:0.0} |"));
            lines.Add("");
            var rest = up.Elapsed - up.EdgeStore - r.HubStoreOnly;
            var restText = rest > TimeSpan.Zero
                ? I($"the rest about {S(rest)} s (TLS, HTTP/2, the proxy, scheduling; of it gzip/protobuf take {S(r.Codec)} s and the hub's checks {S(r.Plan)} s measured alone)")
                : I($"nothing measurable left: the hub store alone took about as long as the whole run (gzip/protobuf {S(r.Codec)} s and the hub's checks {S(r.Plan)} s measured alone)");
            lines.Add(I($"Where the run's time goes: {S(up.Elapsed)} s = the edge's SQLite {S(up.EdgeStore)} s (reading batches {S(up.ReadBatch)} s, acknowledging {S(up.Acknowledge)} s) + the hub store about {S(r.HubStoreOnly)} s (measured alone) + {restText}."));
            lines.Add("");
        }
        lines.Add("#### Wire size");
        lines.Add("");
        lines.Add("Bytes the proxy forwarded during the catch-up run: everything on the wire above TCP (TLS records, HTTP/2 frames");
        lines.Add("and headers, gRPC framing, gzip'd protobuf), split where the engine started each stream's first batch; the");
        lines.Add("transactions row also carries the run's opening (TLS handshake, Hello, the small snapshot and pull). The last two");
        lines.Add(I($"columns are the Push messages alone: protobuf as built for batches of {batchSize}, and gzip'd (Fastest, as grpc-dotnet)."));
        lines.Add("");
        lines.Add("| hub database | stream | records | bytes edge->hub | bytes hub->edge | edge->hub bytes/record | gzip'd message bytes/record | protobuf bytes/record |");
        lines.Add("|---|---|---|---|---|---|---|---|");
        foreach (var r in results)
        {
            var up = r.Up;
            foreach (var (stream, count, toHub, toEdge) in up.StreamBytes())
            {
                var size = wire.Sizes.GetValueOrDefault(stream);
                lines.Add(I($"| {r.Engine} | {stream} | {count:N0} | {toHub:N0} | {toEdge:N0} | {(double)toHub / count:0.0} | {(double)size.Gzip / size.Records:0.0} | {(double)size.Raw / size.Records:0.0} |"));
            }
            var total = up.After.BytesClientToTarget - up.Before.BytesClientToTarget;
            lines.Add(I($"| {r.Engine} | both, per transaction | {up.Transactions:N0} | {total:N0} | {up.After.BytesTargetToClient - up.Before.BytesTargetToClient:N0} | {(double)total / up.Transactions:0.0} | | |"));
        }
        lines.Add("");
        lines.Add(I($"### Down: {masterRows:N0} master rows into a new edge"));
        lines.Add("");
        lines.Add(I($"The hub holds {masterRows:N0} master rows in the terminal's scope (35% library loan summaries, 35% points balances,"));
        lines.Add("20% suspended or revoked cards, 10% seal registrations) and the issuer key, put in beforehand (not timed). cardap-edge is");
        lines.Add("then started as its own process (cardap-edge.dll as shipped: ASP.NET Core host, server GC) on an empty store. Its first");
        lines.Add("sync run (Hello, the staged snapshot in pages, the swap, a pull and the push of its own audit entry) is timed from the");
        lines.Add("run's start as its status reports it (last_attempt) to the run's own \"Synced with the hub\" log line; a second, short");
        lines.Add("run follows at once (the hub probe's first success wakes the sync loop) and is not counted. \"start to synced\" is the");
        lines.Add("wall time from launching the process to the same line. Peak RSS is the process's VmHWM from start to just after both");
        lines.Add("runs. The in-process row runs the same engine and store with a stopwatch around each store call; the hub");
        lines.Add("read row is SyncFeed.SnapshotAsync's pages alone; the ceiling inserts the same rows into an edge database's master_data");
        lines.Add("in one transaction of prepared inserts (WAL, synchronous=FULL), as one table with nothing else. MB = 2^20 bytes.");
        lines.Add("");
        foreach (var r in results)
        {
            lines.Add(I($"#### Down, hub on {r.Engine}"));
            lines.Add("");
            lines.Add("| what | s | rows/s | start to synced s | peak RSS MB | bytes hub->edge per row |");
            lines.Add("|---|---|---|---|---|---|");
            var d = r.Down;
            lines.Add(I($"| cardap-edge first start, first sync (pages of {pageSize}; median of {d.Runs} starts, {S(d.RunMin)} to {S(d.RunMax)} s, {d.RssMinKb / 1024.0:0} to {d.RssMaxKb / 1024.0:0} MB) | {S(d.Median.Run)} | {PerSecond(d.Median.Rows, d.Median.Run)} | {S(d.Median.Wall)} | {d.RssMedianKb / 1024.0:0} | {(double)d.Median.BytesDown / d.Median.Rows:0.0} |"));
            foreach (var (what, run) in new[]
                     {
                         ($"the same with Edge:Sync:PageSize={LargePageSize}", r.LargePages),
                         ("the same with workstation GC (DOTNET_gcServer=0)", r.WorkstationGc),
                     })
            {
                lines.Add(I($"| {what} | {S(run.Run)} | {PerSecond(run.Rows, run.Run)} | {S(run.Wall)} | {run.PeakRssKb / 1024.0:0} | {(double)run.BytesDown / run.Rows:0.0} |"));
            }
            var p = r.Profile;
            lines.Add(I($"| in-process engine and store, pages of {pageSize} | {S(p.Elapsed)} | {r.MasterRows / p.Elapsed.TotalSeconds:N0} | | | |"));
            lines.Add(I($"| of which the edge's SQLite: staging pages / swap / pull pages | {S(p.Stage)} / {S(p.Commit)} / {S(p.Apply)} | | | | |"));
            lines.Add(I($"| the hub reading the snapshot pages alone (SyncFeed, {r.HubRead.Pages} pages: the first tenth {r.HubRead.FirstPagesMs:0.0} ms a page, the last tenth {r.HubRead.LastPagesMs:0.0} ms) | {S(r.HubRead.Elapsed)} | {r.MasterRows / r.HubRead.Elapsed.TotalSeconds:N0} | | | |"));
            lines.Add(I($"| the same pages read kind by kind, kind = @kind AND row_key > @key (a measure, not the product's code: the first tenth {r.KeysetRead.FirstPagesMs:0.0} ms a page, the last tenth {r.KeysetRead.LastPagesMs:0.0} ms) | {S(r.KeysetRead.Elapsed)} | {r.MasterRows / r.KeysetRead.Elapsed.TotalSeconds:N0} | | | |"));
            lines.Add(I($"| ceiling: the rows inserted into an edge's master_data, one transaction | {S(r.EdgeCeiling)} | {r.MasterRows / r.EdgeCeiling.TotalSeconds:N0} | | | |"));
            lines.Add("");
        }
        lines.Add(I($"cardap-edge started without a hub and left idle for 2 s peaks at {idleRssKb / 1024.0:0} MB ({idleWorkstationRssKb / 1024.0:0} MB with workstation GC): the rest of the peaks above is the download's."));
        lines.Add("");
        lines.Add("### Against the targets");
        lines.Add("");
        var postgres = results.FirstOrDefault(r => r.Engine.StartsWith("PostgreSQL", StringComparison.Ordinal));
        if (postgres is null)
        {
            lines.Add("- Catch-up upload into the hub on PostgreSQL: not measured (no PostgreSQL)");
        }
        else
        {
            var up = postgres.Up;
            var perSecond = up.Transactions / up.Elapsed.TotalSeconds;
            var both = (up.Transactions + up.Audit) / up.Elapsed.TotalSeconds;
            lines.Add(I($"- Catch-up upload into the hub on PostgreSQL >= 50,000 records/s: {(perSecond >= 50_000 ? "met" : "NOT met")} ({perSecond:N0} transactions/s; {both:N0}/s counting the audit entries too{(perSecond < 50_000 && both >= 50_000 ? ", which alone would meet it" : "")})"));
            var ratio = up.Elapsed / postgres.BulkAll;
            var ratioUsage = up.Elapsed / postgres.BulkUsage;
            lines.Add(I($"- Within 4x of COPY: {(ratio <= 4 ? "met" : "NOT met")} ({ratio:0.0}x the COPY of the same rows into the same tables, {S(postgres.BulkAll)} s; {ratioUsage:0.0}x a COPY into usage_records alone, {S(postgres.BulkUsage)} s)"));
        }
        foreach (var r in results)
        {
            var d = r.Down;
            var met = d.Median.Run is { } time ? (time.TotalSeconds <= 1.5 ? "met" : "NOT met") : "not timed";
            var rssMet = d.RssMedianKb <= 130 * 1024;
            lines.Add(I($"- First master download of {masterRows:N0} rows into an edge <= 1.5 s, hub on {r.Engine}: {met} (median {S(d.Median.Run)} s, {S(d.RunMin)} to {S(d.RunMax)} s; {S(r.LargePages.Run)} s with pages of {LargePageSize})"));
            lines.Add(I($"- Peak RSS <= 130 MB during it, hub on {r.Engine}: {(rssMet ? "met" : "NOT met")} (median {d.RssMedianKb / 1024.0:0.0} MB, {d.RssMinKb / 1024.0:0.0} to {d.RssMaxKb / 1024.0:0.0} MB; {r.LargePages.PeakRssKb / 1024.0:0} MB with pages of {LargePageSize}, {r.WorkstationGc.PeakRssKb / 1024.0:0} MB with workstation GC; {idleRssKb / 1024.0:0} MB idle without a hub)"));
        }
        if (results.Count > 0)
        {
            var worst = results.Max(r => r.Up.StreamBytes().Where(s => s.Stream == "transactions").Select(s => (double)s.ToHub / s.Records).First());
            var both = results.Max(r => (double)(r.Up.After.BytesClientToTarget - r.Up.Before.BytesClientToTarget) / r.Up.Transactions);
            var size = wire.Sizes.GetValueOrDefault("transactions");
            var shortIds = wire.Sizes.GetValueOrDefault(ShortIdStream);
            var optimal = wire.Sizes.GetValueOrDefault(OptimalStream);
            lines.Add(I($"- Wire size of a typical transaction record (gzip, batched) <= 60 bytes: {(worst <= 60 ? "met" : "NOT met")} ({worst:0.0} bytes on the wire per transaction record, TLS and HTTP/2 included; {(double)size.Gzip / size.Records:0.0} bytes of gzip'd message, {(double)optimal.Gzip / Math.Max(1, optimal.Records):0.0} at CompressionLevel.Optimal, {(double)shortIds.Gzip / Math.Max(1, shortIds.Records):0.0} with 8-character request ids instead of UUIDs; {both:0.0} bytes with its audit entry)"));
        }
        lines.Add("");
        return lines;
    }

    private static string LoadRange() => LoadSamples.Count == 0
        ? "unknown"
        : I($"{LoadSamples.Min():0.00} to {LoadSamples.Max():0.00}{(LoadSamples.Max() > 2.5 ? " (the benchmark itself accounts for up to about 2: the machine was busy with other work too, so figures are slower than on an idle machine)" : " (the benchmark itself accounts for up to about 2)")}");

    private static string S(TimeSpan? time) => time is { } t ? S(t) : "n/a";

    private static string PerSecond(long count, TimeSpan? time) => time is { } t ? (count / t.TotalSeconds).ToString("N0", CultureInfo.InvariantCulture) : "n/a";

    private static string S(TimeSpan time) => time.TotalSeconds.ToString(time.TotalSeconds < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture);

    private static string I(FormattableString text) => FormattableString.Invariant(text);

    // ---- Results ----

    private sealed record WireSize(IReadOnlyList<PushRequest> Batches, IReadOnlyDictionary<string, (long Records, long Raw, long Gzip)> Sizes, int BatchSize);

    private sealed record UpRun(TimeSpan Elapsed, long Transactions, long Audit, long StartTimestamp, long EndTimestamp,
        FaultProxyCounters Before, FaultProxyCounters After, IReadOnlyList<TimedSyncStore.Mark> Marks, TimeSpan ReadBatch, TimeSpan Acknowledge, TimeSpan EdgeStore)
    {
        private TimedSyncStore.Mark MarkOf(string stream) => Marks.First(m => m.Stream == stream);

        /// <summary>From the run's start to the audit stream's first batch, and from there to the end.</summary>
        public (TimeSpan Transactions, TimeSpan Audit) StreamTimes() =>
            (Stopwatch.GetElapsedTime(StartTimestamp, MarkOf("audit").Timestamp), Stopwatch.GetElapsedTime(MarkOf("audit").Timestamp, EndTimestamp));

        public IEnumerable<(string Stream, long Records, long ToHub, long ToEdge)> StreamBytes()
        {
            var audit = MarkOf("audit").Counters;
            yield return ("transactions", Transactions, audit.BytesClientToTarget - Before.BytesClientToTarget, audit.BytesTargetToClient - Before.BytesTargetToClient);
            yield return ("audit", Audit, After.BytesClientToTarget - audit.BytesClientToTarget, After.BytesTargetToClient - audit.BytesTargetToClient);
        }
    }

    /// <summary>The hub's snapshot pages read alone: in all, and the mean of the first and of the last tenth of the pages.</summary>
    private sealed record HubRead(TimeSpan Elapsed, int Pages, double FirstPagesMs, double LastPagesMs);

    /// <summary>Repeated first starts: the median time and the median peak RSS, with their ranges.</summary>
    private sealed record DownSummary(DownRun Median, TimeSpan? RunMin, TimeSpan? RunMax, long RssMedianKb, long RssMinKb, long RssMaxKb, int Runs)
    {
        public static DownSummary Of(IReadOnlyList<DownRun> runs)
        {
            var timed = runs.Where(r => r.Run is not null).OrderBy(r => r.Run).ToList();
            var rss = runs.Select(r => r.PeakRssKb).Order().ToList();
            return new DownSummary(timed.Count > 0 ? timed[timed.Count / 2] : runs[0], timed.FirstOrDefault()?.Run, timed.LastOrDefault()?.Run,
                rss[rss.Count / 2], rss[0], rss[^1], runs.Count);
        }
    }

    private sealed record DownRun(TimeSpan? Run, TimeSpan Wall, long Rows, long PeakRssKb, long BytesDown, long BytesUp);

    private sealed record ProfileRun(TimeSpan Elapsed, TimeSpan Stage, TimeSpan Commit, TimeSpan Apply, TimeSpan EdgeStore);

    private sealed record EngineResult(string Engine, UpRun Up, TimeSpan HubStoreOnly, TimeSpan Codec, TimeSpan Plan, TimeSpan BulkAll, TimeSpan BulkUsage, TimeSpan BulkBatches, TimeSpan BulkMaxBatches,
        DownSummary Down, DownRun LargePages, DownRun WorkstationGc, ProfileRun Profile, HubRead HubRead, HubRead KeysetRead, TimeSpan EdgeCeiling, int MasterRows);
}
