using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SQLitePCL;

namespace CardAp.Edge.Store;

/// <summary>
/// The edge's SQLite database: opens or creates the file, sets WAL and synchronous=FULL, applies the
/// versioned migrations, and binds the file to this terminal. Writes go through one long-lived writer
/// connection, one at a time, each in a <c>BEGIN IMMEDIATE</c> transaction; reads use pooled
/// connections from <see cref="OpenConnection"/> (WAL lets them run beside the writer).
/// </summary>
public sealed class EdgeDatabase : IDisposable
{
    private const int MaxIdleReaders = 8;
    private readonly Lock _writeGate = new();
    private readonly Lock _queueGate = new();
    private readonly Queue<PendingWrite> _queue = new();
    private readonly SqliteConnection _writer;
    private readonly StoreSession _store;
    private readonly ConcurrentBag<StoreSession> _readers = [];
    private readonly string _readConnectionString;
    private readonly string _sessionConnectionString;
    private readonly string _pragmas;
    private readonly ILogger _logger;
    private long _masterVersion;
    private bool _disposed;

    public EdgeDatabase(IOptions<EdgeStoreOptions> options, ILogger<EdgeDatabase> logger)
        : this(options.Value, Migrations.All, logger)
    {
    }

    internal EdgeDatabase(EdgeStoreOptions options, IReadOnlyList<Migration>? migrations = null, ILogger? logger = null)
    {
        EdgeStoreOptionsValidator.ThrowIfInvalid(options);
        migrations ??= Migrations.All;
        CheckMigrations(migrations);
        _logger = logger ?? NullLogger.Instance;
        DatabasePath = options.ResolveDatabasePath();
        TerminalId = options.TerminalId;
        Directory.CreateDirectory(Path.GetDirectoryName(DatabasePath)!);

        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            // Microsoft.Data.Sqlite retries SQLITE_BUSY itself up to the command timeout; keep it in step with busy_timeout.
            DefaultTimeout = Math.Max(1, (int)Math.Ceiling(options.BusyTimeout.TotalSeconds)),
        };
        _readConnectionString = builder.ToString();
        builder.Pooling = false;
        _sessionConnectionString = builder.ToString();
        _pragmas = string.Create(CultureInfo.InvariantCulture,
            $"PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; PRAGMA busy_timeout = {(long)options.BusyTimeout.TotalMilliseconds};");

        _writer = new SqliteConnection(_sessionConnectionString);
        try
        {
            _writer.Open();
            Configure(_writer);
            _store = new StoreSession(_writer);
            SchemaVersion = Migrate(migrations);
            BindTerminal();
            if (SchemaVersion >= Migrations.StagingVersion)
            {
                DiscardStagedSnapshot();
            }
            _masterVersion = ReadLong(StateKeys.MasterVersion);
        }
        catch (SqliteException e)
        {
            _writer.Dispose();
            throw new StoreException($"Cannot open the edge database {DatabasePath}: {e.Message}", e);
        }
        catch
        {
            _writer.Dispose();
            throw;
        }
        _logger.LogInformation("Edge database {Path} open for terminal {Terminal}, schema version {Version}", DatabasePath, TerminalId, SchemaVersion);
    }

    /// <summary>The full path of the database file.</summary>
    public string DatabasePath { get; }

    /// <summary>The terminal this database belongs to.</summary>
    public string TerminalId { get; }

    /// <summary>The schema version after migrations (the highest applied migration).</summary>
    public int SchemaVersion { get; }

    /// <summary>The newest schema version this code knows.</summary>
    public static int LatestSchemaVersion => Migrations.All[^1].Version;

    /// <summary>Changes whenever master data changes (an import or an applied change batch).</summary>
    internal long MasterVersion => Interlocked.Read(ref _masterVersion);

    /// <summary>
    /// A new open connection for reads (pooled; foreign_keys=ON, synchronous=FULL, busy_timeout set).
    /// Dispose it when done. Writes belong to the store's classes, which serialise them.
    /// </summary>
    public SqliteConnection OpenConnection()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var connection = new SqliteConnection(_readConnectionString);
        try
        {
            connection.Open();
            Execute(connection, _pragmas);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Copies every WAL frame into the database file and truncates the WAL
    /// (<c>PRAGMA wal_checkpoint(TRUNCATE)</c>); run at shutdown and before file-level copies.
    /// </summary>
    public CheckpointResult Checkpoint()
    {
        lock (_writeGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var reader = _store.Reader("PRAGMA wal_checkpoint(TRUNCATE)");
            reader.Read();
            var result = new CheckpointResult(reader.GetInt64(0) == 0, reader.GetInt64(1), reader.GetInt64(2));
            _logger.LogDebug("WAL checkpoint: {Result}", result);
            return result;
        }
    }

    /// <summary>Runs <c>PRAGMA integrity_check</c>: "ok", or the problems SQLite found, one per line.</summary>
    public string IntegrityCheck()
    {
        using var connection = OpenConnection();
        return IntegrityCheck(connection);
    }

    internal static string IntegrityCheck(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check";
        var problems = new List<string>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            problems.Add(reader.GetString(0));
        }
        return string.Join('\n', problems);
    }

    /// <summary>
    /// Runs <paramref name="work"/> on the writer connection and commits it (synchronous=FULL:
    /// durable when this returns). Group commit: writers that arrive while a commit is being
    /// flushed queue up, and the next writer to get the connection runs all of them in one
    /// <c>BEGIN IMMEDIATE</c> transaction, each inside its own SAVEPOINT, so one fsync serves
    /// many acknowledgements and a failing work item rolls back only itself. Other processes
    /// wait on SQLite's write lock (busy_timeout).
    /// </summary>
    internal T Write<T>(Func<StoreSession, T> work)
    {
        var pending = new PendingWrite(store => work(store));
        lock (_queueGate)
        {
            _queue.Enqueue(pending);
        }
        lock (_writeGate)
        {
            if (!pending.Done)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                CommitQueued();
            }
        }
        if (pending.Error is { } error)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
        }
        return (T)pending.Result!;
    }

    // Called with _writeGate held: drains everything queued so far into one transaction.
    private void CommitQueued()
    {
        List<PendingWrite> batch;
        lock (_queueGate)
        {
            batch = [.. _queue];
            _queue.Clear();
        }
        try
        {
            _store.Execute("BEGIN IMMEDIATE");
            foreach (var item in batch)
            {
                _store.Execute("SAVEPOINT item");
                try
                {
                    item.Result = item.Work(_store);
                    _store.Execute("RELEASE item");
                }
                catch (Exception e) when (raw.sqlite3_get_autocommit(_writer.Handle) == 0)
                {
                    // Undo this item only; the others in the batch stand.
                    _store.Execute("ROLLBACK TO item");
                    _store.Execute("RELEASE item");
                    item.Error = e;
                }
            }
            _store.Execute("COMMIT");
        }
        catch (Exception e)
        {
            // The transaction as a whole failed (disk full, I/O error): nobody in the batch is acknowledged.
            if (raw.sqlite3_get_autocommit(_writer.Handle) == 0)
            {
                _store.Execute("ROLLBACK");
            }
            foreach (var item in batch)
            {
                item.Error ??= e;
                item.Result = null;
            }
        }
        finally
        {
            foreach (var item in batch)
            {
                item.Done = true;
            }
        }
    }

    private sealed class PendingWrite(Func<StoreSession, object?> work)
    {
        public Func<StoreSession, object?> Work { get; } = work;
        public object? Result { get; set; }
        public Exception? Error { get; set; }
        public bool Done { get; set; }
    }

    /// <summary>
    /// Runs <paramref name="work"/> on a pooled read-only session (prepared statements kept per
    /// connection). Each statement sees the latest committed data; use a transaction inside
    /// <paramref name="work"/> when several statements must agree.
    /// </summary>
    internal T Read<T>(Func<StoreSession, T> work)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_readers.TryTake(out var session))
        {
            var connection = new SqliteConnection(_sessionConnectionString);
            try
            {
                connection.Open();
                Execute(connection, _pragmas + " PRAGMA query_only = ON;");
            }
            catch
            {
                connection.Dispose();
                throw;
            }
            session = new StoreSession(connection);
        }
        var healthy = false;
        try
        {
            var result = work(session);
            healthy = true;
            return result;
        }
        finally
        {
            if (healthy && !_disposed && _readers.Count < MaxIdleReaders)
            {
                _readers.Add(session);
            }
            else
            {
                session.Dispose();
            }
        }
    }

    /// <summary>Publishes the master data version committed by a write.</summary>
    internal void MasterVersionCommitted(long version) => Interlocked.Exchange(ref _masterVersion, version);

    public void Dispose()
    {
        lock (_writeGate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            while (_readers.TryTake(out var reader))
            {
                reader.Dispose();
            }
            using (var pooled = new SqliteConnection(_readConnectionString))
            {
                SqliteConnection.ClearPool(pooled);
            }
            try
            {
                // The last connection to close checkpoints and removes the WAL.
                _store.Execute("PRAGMA wal_checkpoint(TRUNCATE)");
            }
            catch (SqliteException e)
            {
                _logger.LogWarning(e, "Final WAL checkpoint of {Path} failed; SQLite replays the WAL at next open", DatabasePath);
            }
            _store.Dispose();
        }
    }

    private void Configure(SqliteConnection connection)
    {
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "PRAGMA application_id";
            var applicationId = Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
            if (applicationId != 0 && applicationId != Migrations.ApplicationId)
            {
                throw new StoreException($"{DatabasePath} is an SQLite database of another application (application_id {applicationId}), not a CardAp edge database. Check Store:DatabasePath.");
            }
            if (applicationId == 0)
            {
                command.CommandText = "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name <> 'schema_migrations'";
                if (Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture) > 0)
                {
                    throw new StoreException($"{DatabasePath} holds tables but is not a CardAp edge database. Check Store:DatabasePath.");
                }
            }
            command.CommandText = "PRAGMA journal_mode = WAL";
            var mode = (string?)command.ExecuteScalar();
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new StoreException($"{DatabasePath}: SQLite refused WAL mode (journal mode is '{mode}'). Put the database on a local file system.");
            }
        }
        Execute(connection, _pragmas + " PRAGMA journal_size_limit = 67108864;");
    }

    private int Migrate(IReadOnlyList<Migration> migrations)
    {
        Execute(_writer, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
        var latest = migrations[^1].Version;
        var current = CurrentVersion();
        if (current > latest)
        {
            throw new StoreException(
                $"The edge database {DatabasePath} has schema version {current}, but this cardap-edge knows versions up to {latest}: " +
                "it was written by a newer release. Install that release (or newer), or restore a backup made by this one. The database was not changed.");
        }
        foreach (var migration in migrations)
        {
            if (migration.Version <= current)
            {
                continue;
            }
            Write(store =>
            {
                // Another process may have applied it since we looked.
                if (Convert.ToInt32(store.Scalar("SELECT coalesce(max(version), 0) FROM schema_migrations"), CultureInfo.InvariantCulture) >= migration.Version)
                {
                    return 0;
                }
                store.ExecuteScript(migration.Sql);
                store.Execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($version, $name, $at)",
                    ("$version", migration.Version), ("$name", migration.Name), ("$at", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture)));
                return 0;
            });
            _logger.LogInformation("Applied schema migration {Version} ({Name}) to {Path}", migration.Version, migration.Name, DatabasePath);
        }
        return CurrentVersion();
    }

    private int CurrentVersion()
    {
        using var command = _writer.CreateCommand();
        command.CommandText = "SELECT coalesce(max(version), 0) FROM schema_migrations";
        return Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private void BindTerminal() => Write(store =>
    {
        var bound = store.State(StateKeys.TerminalId);
        if (bound is null)
        {
            store.SetState(StateKeys.TerminalId, TerminalId);
        }
        else if (!string.Equals(bound, TerminalId, StringComparison.Ordinal))
        {
            throw new StoreException(
                $"The edge database {DatabasePath} belongs to terminal {bound}, not {TerminalId}. Sequences are per terminal, so a database " +
                "cannot move between terminals: check Store:TerminalId and Store:DatabasePath.");
        }
        return 0;
    });

    // A hub snapshot still staged at start was interrupted (crash, kill): its pages are of no use
    // without the rest, and the set it was to replace was never touched.
    private void DiscardStagedSnapshot()
    {
        var discarded = Write(store =>
        {
            store.Execute("DELETE FROM sync_state WHERE key = $key", ("$key", StateKeys.MasterStaging));
            return store.Execute("DELETE FROM master_staging");
        });
        if (discarded > 0)
        {
            _logger.LogWarning("Discarded {Rows} rows of a master snapshot interrupted before it was complete; the next sync takes it again", discarded);
        }
    }

    private long ReadLong(string key)
    {
        using var command = _writer.CreateCommand();
        command.CommandText = "SELECT value FROM sync_state WHERE key = $key";
        command.Parameters.AddWithValue("$key", key);
        return command.ExecuteScalar() is string text ? long.Parse(text, CultureInfo.InvariantCulture) : 0;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        StoreSession.RunScript(command);
    }

    private static void CheckMigrations(IReadOnlyList<Migration> migrations)
    {
        for (var i = 0; i < migrations.Count; i++)
        {
            if (migrations[i].Version != i + 1)
            {
                throw new InvalidOperationException($"Migrations must be numbered 1, 2, 3... in order; position {i} holds version {migrations[i].Version}.");
            }
        }
        if (migrations.Count == 0)
        {
            throw new InvalidOperationException("There must be at least one migration.");
        }
    }
}
