using System.Globalization;
using System.Text.Json.Nodes;
using CardAp.Edge.Api;
using CardAp.Edge.Store;
using CardAp.Edge.Tests.Durability;
using CardAp.Edge.Tests.Integration;
using CardAp.Hub.Api;
using CardAp.Hub.Security;
using CardAp.Hub.Store;
using CardAp.Hub.Tests.Host;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace CardAp.Sync.Tests;

/// <summary>
/// Power cuts during sync, with real processes killed by SIGKILL at moments drawn from a seeded
/// <see cref="Random"/> (the seed is in every failure message):
/// <list type="bullet">
/// <item>the edge, while it takes its first snapshot and later while it pulls master data page
/// after page, restarted each time on the same data folder: after every kill its master set is
/// exactly the hub's as of its checkpoint, and in the end exactly the hub's current set;</item>
/// <item>the hub, while the edge pushes thousands of records batch after batch, restarted each
/// time on the same port and database (SQLite, and PostgreSQL where CARDAP_POSTGRES names a server):
/// in the end it holds every record exactly once.</item>
/// </list>
/// </summary>
public sealed class CrashTests
{
    private const int Seed = 20261128;
    private const string Municipality = "131016";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Edge_killed_mid_snapshot_and_mid_pull_ends_with_exactly_the_hubs_master_set()
    {
        const int snapshotKills = 2;
        const int pullKills = 5;
        const int rowsBeforeStart = 300;
        const int rowsPerPullRound = 1000;
        var random = new Random(Seed);
        using var town = new EdgeWorld();
        using var pki = new HubPki();
        await using var hub = await HubHost.StartAsync(pki);
        using var adminCertificate = pki.Ca.IssueAdminCertificate("it-1", CallerRole.CentralIt, [MunicipalityFixture.Chiyoda]);
        using var adminChannel = hub.Channel(adminCertificate);
        var admin = new Admin.AdminClient(adminChannel);
        await SeedHubAsync(admin, town);
        var directory = Directory.CreateTempSubdirectory("cardap-crash-edge-");
        try
        {
            var feed = await MasterFeed.ReadAsync(admin);
            await feed.WriteAsync(admin, random, "S", rowsBeforeStart);
            var settings = EdgeSettings(pki, hub.Address, directory.FullName, new Dictionary<string, string?>
            {
                // Tiny pages: a pull or a snapshot takes many of them, so a kill lands between or inside one.
                ["Edge:Sync:PageSize"] = "3",
            });
            var log = new List<string>();
            var model = new EdgeModel();

            // A new terminal's first sync is a staged snapshot: killed while staging, it must leave nothing behind.
            for (var kill = 0; kill < snapshotKills; kill++)
            {
                await using var edge = await EdgeProcess.StartAsync(directory.FullName, snapshot: null, settings: settings);
                var target = (long)(random.NextDouble() * 0.8 * feed.LiveCount);
                var landed = await KillDuringAsync(edge, "snapshot", target, random.Next(0, 25));
                log.Add($"snapshot kill {kill}: staged≥{target} landed={landed}");
                AssertEdgeFollowsFeed(directory.FullName, feed, model, Context(log));
                log[^1] += $" checkpoint={model.Checkpoint}";
            }
            await using (var edge = await EdgeProcess.StartAsync(directory.FullName, snapshot: null, settings: settings))
            {
                await SyncUntilSucceededAsync(edge.Client, Context(log));
                await KillAsync(edge);
            }
            AssertEdgeFollowsFeed(directory.FullName, feed, model, Context(log));
            Assert.True(feed.Head == model.Checkpoint, $"after its snapshot the edge is at {model.Checkpoint}, the hub's feed at {feed.Head}: {Context(log)}");
            log.Add($"snapshot taken: checkpoint={model.Checkpoint}");

            // Pull rounds: the hub changes (new rows, updates, deletes, rows out of scope), the edge
            // starts, syncs at once and is killed at a random point of its page-by-page pull.
            var landedPulls = 0;
            for (var kill = 0; kill < pullKills; kill++)
            {
                await feed.WriteAsync(admin, random, $"P{kill}", rowsPerPullRound);
                await using var edge = await EdgeProcess.StartAsync(directory.FullName, snapshot: null, settings: settings);
                var fraction = 0.1 + random.NextDouble() * 0.7;
                var landed = await KillDuringAsync(edge, "pull", fraction, random.Next(0, 25));
                landedPulls += landed ? 1 : 0;
                log.Add($"pull kill {kill}: at {fraction:0.00} landed={landed} head={feed.Head}");
                AssertEdgeFollowsFeed(directory.FullName, feed, model, Context(log));
                log[^1] += $" checkpoint={model.Checkpoint}";
            }
            // Without this the test could pass with every kill landing after the pull had finished.
            Assert.True(landedPulls >= pullKills / 2, $"only {landedPulls} of {pullKills} kills landed mid-pull: {Context(log)}");

            await using (var edge = await EdgeProcess.StartAsync(directory.FullName, snapshot: null, settings: settings))
            {
                await SyncUntilSucceededAsync(edge.Client, Context(log));
                var status = await edge.Client.GetStatusAsync(new StatusRequest(), cancellationToken: Cancel);
                Assert.True(feed.Head == status.Sync.MasterCheckpoint, $"the edge reports checkpoint {status.Sync.MasterCheckpoint}, the hub's feed ends at {feed.Head}: {Context(log)}");
                await KillAsync(edge);
            }
            AssertEdgeFollowsFeed(directory.FullName, feed, model, Context(log));
            Assert.True(feed.Head == model.Checkpoint, $"checkpoint {model.Checkpoint}, the hub's feed ends at {feed.Head}: {Context(log)}");
            Assert.Equal(feed.LiveCount, model.Rows.Count);

            // And the model agrees with the hub itself: the same keys at the same versions.
            var hubRows = (await admin.ListMasterAsync(new ListMasterRequest { Municipality = Municipality, Kind = MasterFeed.Kind }, cancellationToken: Cancel)).Rows;
            using var database = OpenEdgeDatabase(directory.FullName);
            var edgeRows = new MasterData(database).Rows(MasterFeed.Kind);
            Assert.Equal(
                hubRows.Select(r => (r.Key, r.ChangeSeq)).OrderBy(r => r.Key, StringComparer.Ordinal),
                edgeRows.Select(r => (r.Key, r.Version)).OrderBy(r => r.Key, StringComparer.Ordinal));
            Assert.True(new MasterData(database).Rows(MasterFeed.OutOfScopeKind).All(r => !r.Key.StartsWith(MasterFeed.OutOfScopePrefix, StringComparison.Ordinal)),
                $"rows out of the terminal's scope reached it: {Context(log)}");
            TestContext.Current.TestOutputHelper?.WriteLine(Context(log));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            directory.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData(HubEngine.Sqlite)]
    [InlineData(HubEngine.PostgreSql)]
    public async Task Hub_killed_mid_push_ends_holding_every_record_exactly_once(HubEngine engine)
    {
        const int hubKills = 4;
        const int recordsPerRound = 400;
        var random = new Random(Seed);
        using var town = new EdgeWorld();
        using var pki = new HubPki();
        await using var hubDatabase = await CrashHubDatabase.CreateAsync(engine, pki);
        var port = HubProcess.FreePort();
        var hub = await HubProcess.StartAsync(pki, port, hubDatabase.Settings);
        var directory = Directory.CreateTempSubdirectory("cardap-crash-hub-");
        EdgeHost? edge = null;
        var log = new List<string>();
        try
        {
            using var adminCertificate = pki.Ca.IssueAdminCertificate("it-1", CallerRole.CentralIt, [MunicipalityFixture.Chiyoda]);
            using var adminChannel = HubProcess.Channel(hub.Address, pki.Ca.Certificate, adminCertificate);
            var admin = new Admin.AdminClient(adminChannel);
            var reports = new CardAp.Hub.Api.Reports.ReportsClient(adminChannel);
            await SeedHubAsync(admin, town);

            var clock = new ManualClock(EdgeWorld.WorkingDay);
            edge = await EdgeHost.StartAsync(Path.Combine(directory.FullName, "edge"), clock,
                EdgeSettings(pki, hub.Address, directory.FullName, new Dictionary<string, string?>
                {
                    // Small batches: a push of a round takes dozens of them, so a kill lands between or inside one.
                    ["Edge:Sync:BatchSize"] = "10",
                    ["Edge:Sync:CallTimeout"] = "00:00:10",
                }));
            await SyncUntilSucceededAsync(edge.Client, Context(log));
            var records = edge.Get<LocalRecords>();
            var written = 0;

            for (var kill = 0; kill < hubKills; kill++)
            {
                written = WriteRecords(records, written, recordsPerRound);
                var stream = random.Next(2) == 0 ? "transactions" : "audit";
                var fraction = 0.05 + random.NextDouble() * 0.85;
                var pause = random.Next(0, 25);
                var sync = edge.Client.SyncNowAsync(new SyncNowRequest(), cancellationToken: Cancel).ResponseAsync;
                var landed = await WaitForProgressAsync(edge.Client, "push:" + stream, fraction, sync, Context(log));
                await Task.Delay(pause, Cancel);
                await hub.KillAsync();
                var outcome = await sync.WaitAsync(TimeSpan.FromSeconds(60), Cancel);
                log.Add($"hub kill {kill}: push:{stream} at {fraction:0.00}+{pause} ms landed={landed} sync={(outcome.Succeeded ? "ok" : outcome.Problem?.Reason)}");
                var integrity = hubDatabase.Integrity();
                Assert.True(integrity == "ok", $"hub database after a kill: {integrity}: {Context(log)}");
                await hub.DisposeAsync();
                hub = await HubProcess.StartAsync(pki, port, hubDatabase.Settings);
            }

            written = WriteRecords(records, written, recordsPerRound);
            await SyncUntilSucceededAsync(edge.Client, Context(log));

            // The usage report counts each stored transaction once: a doubled record would show here, a lost one too.
            // (The channel reconnects: the restarted hub is at the same address.)
            var usage = await reports.GetUsageAsync(new UsageRequest { Municipalities = { Municipality }, From = "2026-11-25", To = "2026-11-25" }, cancellationToken: Cancel);
            Assert.True(written == usage.Total.Done, $"the hub holds {usage.Total.Done} of {written} records: {Context(log)}");
            var status = await edge.Client.GetStatusAsync(new StatusRequest(), cancellationToken: Cancel);
            Assert.All(status.Backlog, b => Assert.True(b.Pending == 0, $"{b.Stream} still has {b.Pending} to send: {Context(log)}"));
            Assert.True(status.Sync.Backlog == 0, $"backlog {status.Sync.Backlog}: {Context(log)}");
            TestContext.Current.TestOutputHelper?.WriteLine(Context(log));
        }
        finally
        {
            if (edge is not null)
            {
                await edge.DisposeAsync();
            }
            await hub.DisposeAsync();
            SqliteConnection.ClearAllPools();
            directory.Delete(recursive: true);
        }
    }

    private static string Context(List<string> log) => $"seed {Seed}; {string.Join("; ", log)}";

    /// <summary>Central IT registers the municipality, its terminal and the master data a counter needs.</summary>
    private static async Task SeedHubAsync(Admin.AdminClient admin, EdgeWorld town)
    {
        await admin.AddMunicipalityAsync(new AddMunicipalityRequest { Municipality = Municipality, Name = "千代田区" }, cancellationToken: Cancel);
        await admin.PutMasterAsync(new PutMasterRequest
        {
            Municipality = Municipality,
            Kind = "terminal",
            Key = SyncWorld.Terminal,
            PayloadJson = new JsonObject
            {
                ["site"] = "honcho",
                ["services"] = new JsonArray("library", "points", "seal", "shelter", "checkup"),
                ["status"] = "active",
            }.ToJsonString(),
        }, cancellationToken: Cancel);
        foreach (var row in town.MasterData())
        {
            await admin.PutMasterAsync(new PutMasterRequest { Municipality = Municipality, Kind = row.Kind, Key = row.Key, PayloadJson = row.PayloadJson }, cancellationToken: Cancel);
        }
    }

    /// <summary>What SyncWorld gives its in-process edge, for a terminal certificate written into <paramref name="directory"/>.</summary>
    private static Dictionary<string, string?> EdgeSettings(HubPki pki, Uri hub, string directory, Dictionary<string, string?> overrides)
    {
        using var certificate = pki.Ca.IssueTerminalCertificate(SyncWorld.Terminal);
        var certificatePath = Path.Combine(directory, "terminal.pem");
        var keyPath = Path.Combine(directory, "terminal.key");
        CertificatePem.Write(certificate, certificatePath, keyPath);
        var settings = new Dictionary<string, string?>
        {
            ["Edge:Readers"] = "Virtual",
            ["Edge:HubAddress"] = $"https://127.0.0.1:{hub.Port}",
            ["Edge:HubCaCertificatePath"] = pki.CaCertificatePath,
            ["Edge:HubClientCertificatePath"] = certificatePath,
            ["Edge:HubClientKeyPath"] = keyPath,
            ["Edge:HubProbeInterval"] = "00:00:01",
            // Tests sync on demand (or at start); the interval only has to stay out of the way.
            ["Edge:Sync:Interval"] = "01:00:00",
            ["Edge:Sync:CallTimeout"] = "00:00:10",
            ["Edge:Sync:BackoffBase"] = "00:00:01",
            ["Edge:Sync:BackoffMax"] = "00:00:02",
            ["Store:TerminalId"] = SyncWorld.Terminal,
            ["Store:DailyBackup"] = "false",
            ["Serilog:MinimumLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }
        return settings;
    }

    /// <summary>
    /// Waits until the edge's startup sync is in <paramref name="phase"/> and past <paramref name="target"/>
    /// (a fraction of the phase's total, or for a snapshot, whose total is unknown, a row count), then
    /// SIGKILLs it after <paramref name="pauseMs"/>. Returns false when the run ended before the target
    /// (the process is killed all the same).
    /// </summary>
    private static async Task<bool> KillDuringAsync(EdgeProcess edge, string phase, double target, int pauseMs)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        var landed = true;
        while (true)
        {
            var sync = (await edge.Client.GetStatusAsync(new StatusRequest(), cancellationToken: Cancel)).Sync;
            if (sync.Running && sync.Phase == phase
                && (sync.ProgressTotal > 0 ? sync.ProgressDone >= target * sync.ProgressTotal : sync.ProgressDone >= target))
            {
                break;
            }
            if (!sync.Running && sync.LastAttempt is not null)
            {
                landed = false;
                break;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The edge's sync never reached {phase} at {target}: seed {Seed}, phase {sync.Phase}, {sync.ProgressDone}/{sync.ProgressTotal}.");
            }
            await Task.Delay(5, Cancel);
        }
        await Task.Delay(pauseMs, Cancel);
        await KillAsync(edge);
        return landed;
    }

    private static async Task KillAsync(EdgeProcess edge)
    {
        edge.Kill();
        Assert.True(await edge.WaitForExitAsync(TimeSpan.FromSeconds(30)), "the killed edge did not exit");
    }

    /// <summary>Like <see cref="KillDuringAsync"/> for an in-process edge whose run is <paramref name="sync"/>.</summary>
    private static async Task<bool> WaitForProgressAsync(Terminal.TerminalClient edge, string phase, double fraction, Task sync, string context)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!sync.IsCompleted)
        {
            var state = (await edge.GetStatusAsync(new StatusRequest(), cancellationToken: Cancel)).Sync;
            if (state.Running && state.Phase == phase && state.ProgressTotal > 0 && state.ProgressDone >= fraction * state.ProgressTotal)
            {
                return true;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The edge's sync never reached {phase} at {fraction:0.00}: {context}");
            }
            await Task.Delay(2, Cancel);
        }
        return false;
    }

    private static async Task<SyncNowReply> SyncUntilSucceededAsync(Terminal.TerminalClient edge, string context)
    {
        SyncNowReply? reply = null;
        for (var attempt = 0; attempt < 40; attempt++)
        {
            reply = await edge.SyncNowAsync(new SyncNowRequest(), cancellationToken: Cancel);
            if (reply.Succeeded)
            {
                return reply;
            }
            await Task.Delay(250, Cancel);
        }
        throw new Xunit.Sdk.XunitException($"No sync succeeded in 40 runs; the last said: {reply!.MessageEn} ({reply.Problem}): {context}");
    }

    private static int WriteRecords(LocalRecords records, int written, int count)
    {
        for (var i = 0; i < count; i++)
        {
            written++;
            var id = $"crash-{written}";
            var at = EdgeWorld.WorkingDay.AddMinutes(written % 400);
            records.RecordTransaction(
                new NewTransaction(id, at, "library", "checkout", "C-0001", "LC-0001", "staff-1", $"B-{written}", null, Training: false, Offline: true),
                new AuditEntry(at, "library.checkout", "ok", "staff-1", "C-0001", new JsonObject { ["requestId"] = id }));
        }
        return written;
    }

    private static EdgeDatabase OpenEdgeDatabase(string directory) =>
        new(Microsoft.Extensions.Options.Options.Create(new EdgeStoreOptions
        {
            DatabasePath = Path.Combine(directory, "edge.db"),
            TerminalId = SyncWorld.Terminal,
        }), NullLogger<EdgeDatabase>.Instance);

    /// <summary>
    /// With the edge process dead: the store is intact, its checkpoint did not go back, and its rows
    /// of the model's kind are exactly what applying the feed from the last verified state through
    /// the new checkpoint gives (so no page is half-applied, none applied without its checkpoint, and
    /// no staged snapshot leaked into the live set). Moves <paramref name="edge"/> to the new state.
    /// </summary>
    private static void AssertEdgeFollowsFeed(string directory, MasterFeed feed, EdgeModel edge, string context)
    {
        try
        {
            using var database = OpenEdgeDatabase(directory);
            var integrity = database.IntegrityCheck();
            Assert.True(integrity == "ok", $"edge store after a kill: {integrity}: {context}");
            var master = new MasterData(database);
            var checkpoint = master.Checkpoint;
            // Pages applied before a kill stay applied: a restart resumes, it does not start over.
            Assert.True(checkpoint >= edge.Checkpoint, $"the checkpoint went back from {edge.Checkpoint} to {checkpoint}: {context}");
            var expected = feed.Advance(edge.Rows, edge.Checkpoint, checkpoint);
            var actual = master.Rows(MasterFeed.Kind).ToDictionary(r => r.Key, r => r.Version, StringComparer.Ordinal);
            var missing = expected.Where(e => !actual.TryGetValue(e.Key, out var v) || v != e.Value).ToList();
            var unexpected = actual.Where(a => !expected.TryGetValue(a.Key, out var v) || v != a.Value).ToList();
            if (missing.Count > 0 || unexpected.Count > 0)
            {
                Assert.Fail($"at checkpoint {checkpoint} (from {edge.Checkpoint}) the edge holds {actual.Count} {MasterFeed.Kind} rows, {expected.Count} expected; "
                    + $"missing {string.Join(", ", missing.Take(5))}; unexpected {string.Join(", ", unexpected.Take(5))}: {context}");
            }
            edge.Rows = expected;
            edge.Checkpoint = checkpoint;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
        }
    }

    /// <summary>The edge's master rows of <see cref="MasterFeed.Kind"/> and its checkpoint, as last verified.</summary>
    private sealed class EdgeModel
    {
        public SortedDictionary<string, long> Rows { get; set; } = new(StringComparer.Ordinal);

        public long Checkpoint { get; set; }
    }

    /// <summary>The killed hub's database: SQLite in the PKI folder, or a PostgreSQL database of its own (dropped at the end).</summary>
    private sealed class CrashHubDatabase : IAsyncDisposable
    {
        private readonly PostgresTestDatabase? _postgres;
        private readonly string? _sqlitePath;

        private CrashHubDatabase(Dictionary<string, string?> settings, PostgresTestDatabase? postgres, string? sqlitePath)
        {
            (Settings, _postgres, _sqlitePath) = (settings, postgres, sqlitePath);
        }

        public Dictionary<string, string?> Settings { get; }

        public static async Task<CrashHubDatabase> CreateAsync(HubEngine engine, HubPki pki)
        {
            if (engine == HubEngine.Sqlite)
            {
                var path = Path.Combine(pki.Directory, "hub.db");
                return new CrashHubDatabase([], null, path);
            }
            var postgres = await PostgresTestDatabase.CreateAsync("cardap_crash_", Cancel);
            return new CrashHubDatabase(new Dictionary<string, string?>
            {
                ["Hub:Database:Engine"] = nameof(HubEngine.PostgreSql),
                ["Hub:Database:ConnectionString"] = postgres.ConnectionString,
            }, postgres, null);
        }

        /// <summary>"ok" when the database survived the kill intact (SQLite's own check; PostgreSQL recovers by its WAL, checked by opening it).</summary>
        public string Integrity()
        {
            if (_sqlitePath is not null)
            {
                using var connection = new SqliteConnection($"Data Source={_sqlitePath};Pooling=False");
                connection.Open();
                using var command = connection.CreateCommand();
                command.CommandText = "PRAGMA integrity_check";
                return Convert.ToString(command.ExecuteScalar(), CultureInfo.InvariantCulture) ?? "(null)";
            }
            using var postgres = new NpgsqlConnection(_postgres!.ConnectionString);
            postgres.Open();
            using var count = new NpgsqlCommand("SELECT count(*) FROM sync_streams", postgres);
            return count.ExecuteScalar() is long ? "ok" : "sync_streams unreadable";
        }

        public async ValueTask DisposeAsync()
        {
            if (_postgres is not null)
            {
                await _postgres.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// The test's own record of every change it made to one in-scope kind at the hub, by the change
    /// sequence the hub gave it, so the set as of any checkpoint can be computed.
    /// </summary>
    private sealed class MasterFeed
    {
        public const string Kind = "cardStatus";
        public const string OutOfScopeKind = "site";
        public const string OutOfScopePrefix = "crash-site-";

        private readonly Dictionary<string, (long Seq, bool Deleted)> _latest = new(StringComparer.Ordinal);
        private readonly SortedSet<string> _live = new(StringComparer.Ordinal);

        /// <summary>The last change sequence the hub gave for this municipality (any kind).</summary>
        public long Head { get; private set; }

        public int LiveCount => _live.Count;

        public static async Task<MasterFeed> ReadAsync(Admin.AdminClient admin)
        {
            var feed = new MasterFeed();
            var rows = (await admin.ListMasterAsync(new ListMasterRequest { Municipality = Municipality, Kind = Kind }, cancellationToken: Cancel)).Rows;
            foreach (var row in rows)
            {
                feed.Add(row.ChangeSeq, row.Key, deleted: false);
            }
            return feed;
        }

        /// <summary>
        /// Writes <paramref name="count"/> changes: mostly new rows, some updates and deletes of live
        /// rows, and some rows the terminal's scope leaves out (which still move the feed's head).
        /// </summary>
        public async Task WriteAsync(Admin.AdminClient admin, Random random, string round, int count)
        {
            for (var i = 0; i < count; i++)
            {
                var roll = random.Next(100);
                MasterWriteReply reply;
                if (roll < 10 && _live.Count > 0)
                {
                    var key = _live.ElementAt(random.Next(_live.Count));
                    reply = await admin.PutMasterAsync(Put(key, $"active since {round}-{i}"), cancellationToken: Cancel);
                    Add(reply.ChangeSeq, key, deleted: false);
                }
                else if (roll < 15 && _live.Count > 0)
                {
                    var key = _live.ElementAt(random.Next(_live.Count));
                    reply = await admin.DeleteMasterAsync(new DeleteMasterRequest { Municipality = Municipality, Kind = Kind, Key = key }, cancellationToken: Cancel);
                    Add(reply.ChangeSeq, key, deleted: true);
                }
                else if (roll < 25)
                {
                    reply = await admin.PutMasterAsync(new PutMasterRequest
                    {
                        Municipality = Municipality,
                        Kind = OutOfScopeKind,
                        Key = $"{OutOfScopePrefix}{round}-{i}",
                        PayloadJson = new JsonObject { ["name"] = $"分室{round}-{i}" }.ToJsonString(),
                    }, cancellationToken: Cancel);
                    Head = Math.Max(Head, reply.ChangeSeq);
                }
                else
                {
                    var key = $"{Municipality}/C-{round}{i:0000}";
                    reply = await admin.PutMasterAsync(Put(key, "suspended"), cancellationToken: Cancel);
                    Add(reply.ChangeSeq, key, deleted: false);
                }
                Assert.True(reply.Changed, $"the hub took change {i} of round {round} as no change: seed {Seed}");
            }
        }

        private static PutMasterRequest Put(string key, string status) => new()
        {
            Municipality = Municipality,
            Kind = Kind,
            Key = key,
            PayloadJson = new JsonObject { ["status"] = status, ["municipality"] = Municipality, ["cardNumber"] = key[(key.IndexOf('/', StringComparison.Ordinal) + 1)..] }.ToJsonString(),
        };

        private void Add(long seq, string key, bool deleted)
        {
            _latest[key] = (seq, deleted);
            Head = Math.Max(Head, seq);
            if (deleted)
            {
                _live.Remove(key);
            }
            else
            {
                _live.Add(key);
            }
        }

        /// <summary>
        /// What an edge that held <paramref name="rows"/> at checkpoint <paramref name="from"/> holds
        /// once it has applied the feed through <paramref name="to"/>. The feed carries each row's
        /// latest change only (a row changed again later is not in it at its older version), so
        /// between checkpoints the set is this, not the hub's set as of <paramref name="to"/>.
        /// </summary>
        public SortedDictionary<string, long> Advance(SortedDictionary<string, long> rows, long from, long to)
        {
            var next = new SortedDictionary<string, long>(rows, StringComparer.Ordinal);
            foreach (var (key, (seq, deleted)) in _latest.Where(l => l.Value.Seq > from && l.Value.Seq <= to))
            {
                if (deleted)
                {
                    next.Remove(key);
                }
                else
                {
                    next[key] = seq;
                }
            }
            return next;
        }
    }
}
