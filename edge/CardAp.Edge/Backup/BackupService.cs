using CardAp.Card.Application;
using CardAp.Edge.Store;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CardAp.Edge.Backup;

/// <summary>
/// Online backups of the edge database while it keeps serving: SQLite's backup API copies one
/// consistent snapshot (everything committed before the copy started) into
/// <c>BackupDirectory/edge-yyyyMMdd-HHmmss.db</c>; the copy must pass <c>PRAGMA integrity_check</c>
/// before it gets its final name; then rotation keeps the newest <see cref="EdgeStoreOptions.BackupsKept"/>.
/// One backup at a time.
/// </summary>
public sealed class BackupService(EdgeDatabase database, IOptions<EdgeStoreOptions> options, TimeProvider clock, ILogger<BackupService> logger)
{
    private const string PartialSuffix = ".partial";
    private readonly Lock _gate = new();

    /// <summary>The backup directory.</summary>
    public string Directory { get; } = options.Value.ResolveBackupDirectory();

    /// <summary>The last successful backup of this process, or null.</summary>
    public BackupResult? LastResult { get; private set; }

    /// <summary>Test hook: runs on the copy before it is checked.</summary>
    internal Action<string>? AfterCopy { get; set; }

    /// <summary>
    /// Backs up now. The returned file holds every transaction committed before the call began
    /// copying and passed integrity_check. Throws <see cref="BackupException"/> when the copy or its
    /// check fails; a failed copy is deleted.
    /// </summary>
    public Task<BackupResult> BackupNowAsync(CancellationToken cancellationToken = default) =>
        Task.Run(() => BackupNow(cancellationToken), cancellationToken);

    /// <summary>The finished backups, newest first.</summary>
    public IReadOnlyList<BackupFile> List()
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            return [];
        }
        var files = new List<BackupFile>();
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, BackupNames.Pattern))
        {
            if (BackupNames.TryParse(Path.GetFileName(path), out var createdAt, out var counter))
            {
                files.Add(new BackupFile(path, createdAt, counter, new FileInfo(path).Length));
            }
        }
        return [.. files.OrderByDescending(f => f.CreatedAt).ThenByDescending(f => f.Counter)];
    }

    /// <summary>True when a finished backup was started at or after <paramref name="instant"/> (to the second).</summary>
    public bool HasBackupSince(DateTimeOffset instant)
    {
        var floor = instant.AddTicks(-(instant.Ticks % TimeSpan.TicksPerSecond));
        return List().Any(b => b.CreatedAt >= floor);
    }

    private BackupResult BackupNow(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var startedTimestamp = clock.GetTimestamp();
            var started = clock.GetUtcNow().ToOffset(CardDates.JapanOffset);
            string path;
            try
            {
                System.IO.Directory.CreateDirectory(Directory);
                RemoveStalePartials();
                path = UniquePath(started);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new BackupException($"Cannot prepare the backup directory {Directory}: {e.Message}", e);
            }

            var partial = path + PartialSuffix;
            try
            {
                Copy(partial);
                AfterCopy?.Invoke(partial);
                cancellationToken.ThrowIfCancellationRequested();
                var check = Check(partial);
                if (check != "ok")
                {
                    throw new BackupException($"The backup copy failed integrity_check and was deleted: {check}");
                }
                File.Move(partial, path);
            }
            catch (Exception e)
            {
                TryDelete(partial);
                logger.LogError(e, "Backup of {Database} to {Path} failed", database.DatabasePath, path);
                if (e is BackupException or OperationCanceledException)
                {
                    throw;
                }
                throw new BackupException($"The backup to {path} failed and nothing was kept: {e.Message}", e);
            }

            var removed = Rotate();
            var result = new BackupResult(path, new FileInfo(path).Length, started, clock.GetElapsedTime(startedTimestamp), removed);
            LastResult = result;
            logger.LogInformation("Backed up {Database} to {Path} ({Bytes} bytes, {Duration} ms); removed {Removed} old backups",
                database.DatabasePath, path, result.Bytes, (long)result.Duration.TotalMilliseconds, removed.Count);
            return result;
        }
    }

    private void Copy(string destinationPath)
    {
        using var source = database.OpenConnection();
        using var destination = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = destinationPath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString());
        destination.Open();
        // Copies all pages in one step under one read transaction: a consistent snapshot, and writers
        // are not blocked (WAL).
        source.BackupDatabase(destination);
        using var command = destination.CreateCommand();
        // A self-contained single file: no -wal beside the backup.
        command.CommandText = "PRAGMA journal_mode = DELETE";
        command.ExecuteNonQuery();
    }

    /// <summary>"ok", or what integrity_check (or opening the file) reported.</summary>
    internal static string Check(string path)
    {
        try
        {
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder
            {
                DataSource = path,
                Mode = SqliteOpenMode.ReadOnly,
                Pooling = false,
            }.ToString());
            connection.Open();
            return EdgeDatabase.IntegrityCheck(connection);
        }
        catch (SqliteException e)
        {
            return e.Message;
        }
    }

    private List<string> Rotate()
    {
        var kept = options.Value.BackupsKept;
        var removed = new List<string>();
        foreach (var old in List().Skip(kept))
        {
            try
            {
                File.Delete(old.Path);
                removed.Add(old.Path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                logger.LogWarning(e, "Could not remove old backup {Path}", old.Path);
            }
        }
        return removed;
    }

    private string UniquePath(DateTimeOffset started)
    {
        for (var counter = 1; ; counter++)
        {
            var path = Path.Combine(Directory, BackupNames.FileName(started, counter));
            if (!File.Exists(path) && !File.Exists(path + PartialSuffix))
            {
                return path;
            }
        }
    }

    private void RemoveStalePartials()
    {
        foreach (var stale in System.IO.Directory.EnumerateFiles(Directory, BackupNames.Pattern + PartialSuffix))
        {
            TryDelete(stale);
        }
    }

    private void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            File.Delete(path + "-journal");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning(e, "Could not remove {Path}", path);
        }
    }
}
