using System.Globalization;
using System.Text.Json.Nodes;
using CardAp.Card.Application;
using CardAp.Edge.Store;
using Microsoft.Data.Sqlite;

namespace CardAp.Edge.Backup;

/// <summary>
/// Restores a backup over the edge database, with the edge stopped (ADR 0004):
/// checks the backup (integrity_check, an edge database, same terminal as the database it replaces),
/// refuses while any process has the database open, copies it beside the database and flushes it,
/// moves the current database and its -wal aside (kept as *.replaced-yyyyMMdd-HHmmss), removes the
/// stale -shm, and renames the copy into place. The restored database carries a "restore.pending"
/// mark in sync_state for the sync engine: records after the backup may already be at the hub.
/// </summary>
public static class BackupRestore
{
    public static RestoreResult Restore(string backupPath, string databasePath, TimeProvider? clock = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(backupPath);
        ArgumentException.ThrowIfNullOrEmpty(databasePath);
        clock ??= TimeProvider.System;
        backupPath = Path.GetFullPath(backupPath);
        databasePath = Path.GetFullPath(databasePath);
        if (!File.Exists(backupPath))
        {
            throw new BackupException($"The backup {backupPath} does not exist.");
        }

        var check = BackupService.Check(backupPath);
        if (check != "ok")
        {
            throw new BackupException($"The backup {backupPath} failed integrity_check; nothing was restored: {check}");
        }
        var (terminal, lastTransaction, lastAudit) = Describe(backupPath, "backup");
        if (File.Exists(databasePath))
        {
            var current = TerminalOf(databasePath);
            if (current is not null && current != terminal)
            {
                throw new BackupException($"The backup belongs to terminal {terminal}, but {databasePath} belongs to terminal {current}; nothing was restored.");
            }
            EnsureNotInUse(databasePath);
        }

        var now = clock.GetUtcNow().ToOffset(CardDates.JapanOffset);
        var directory = Path.GetDirectoryName(databasePath)!;
        Directory.CreateDirectory(directory);
        var staging = databasePath + ".restoring";
        try
        {
            CopyDurably(backupPath, staging);
            Mark(staging, backupPath, now);
        }
        catch
        {
            File.Delete(staging);
            throw;
        }

        string? previous = null;
        if (File.Exists(databasePath))
        {
            previous = $"{databasePath}.replaced-{now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}";
            File.Move(databasePath, previous);
            if (File.Exists(databasePath + "-wal"))
            {
                File.Move(databasePath + "-wal", previous + "-wal");
            }
        }
        File.Delete(databasePath + "-wal");
        File.Delete(databasePath + "-shm");
        File.Delete(databasePath + "-journal");
        File.Move(staging, databasePath);
        return new RestoreResult(databasePath, backupPath, previous, terminal, lastTransaction, lastAudit);
    }

    private static (string Terminal, long LastTransaction, long LastAudit) Describe(string path, string what)
    {
        try
        {
            using var connection = Open(path, SqliteOpenMode.ReadOnly);
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA application_id";
            if (Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture) != 0x43415045)
            {
                throw new BackupException($"The {what} {path} is not a CardAp edge database; nothing was restored.");
            }
            command.CommandText =
                "SELECT (SELECT value FROM sync_state WHERE key = 'terminal.id'), (SELECT coalesce(max(seq), 0) FROM transactions), (SELECT coalesce(max(seq), 0) FROM audit_log)";
            using var reader = command.ExecuteReader();
            reader.Read();
            return (reader.IsDBNull(0) ? string.Empty : reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2));
        }
        catch (SqliteException e)
        {
            throw new BackupException($"The {what} {path} cannot be read as an edge database; nothing was restored: {e.Message}", e);
        }
    }

    private static string? TerminalOf(string databasePath)
    {
        try
        {
            using var connection = Open(databasePath, SqliteOpenMode.ReadOnly);
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT value FROM sync_state WHERE key = 'terminal.id'";
            return command.ExecuteScalar() as string;
        }
        catch (SqliteException)
        {
            // A damaged database is what restores are for.
            return null;
        }
    }

    /// <summary>
    /// Refuses when another connection (this process or another) has the database open: leaving WAL
    /// mode needs the only connection. As a side effect the old database takes its WAL in and
    /// becomes a single self-contained file before it is moved aside.
    /// </summary>
    private static void EnsureNotInUse(string databasePath)
    {
        try
        {
            using var connection = Open(databasePath, SqliteOpenMode.ReadWrite, timeoutSeconds: 1);
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA busy_timeout = 0";
            command.ExecuteNonQuery();
            command.CommandText = "PRAGMA journal_mode = DELETE";
            command.ExecuteScalar();
        }
        catch (SqliteException e) when (e.SqliteErrorCode is 5 or 6)
        {
            throw new BackupException($"The database {databasePath} is in use: stop the edge (cardap-edge) before restoring; nothing was restored.", e);
        }
        catch (SqliteException)
        {
            // Damaged beyond opening: nobody can be using it meaningfully; the restore replaces it.
        }
    }

    private static void CopyDurably(string source, string destination)
    {
        using (var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read))
        using (var output = new FileStream(destination, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            input.CopyTo(output);
            output.Flush(flushToDisk: true);
        }
    }

    private static void Mark(string staging, string backupPath, DateTimeOffset now)
    {
        using var connection = Open(staging, SqliteOpenMode.ReadWrite);
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode = DELETE";
        command.ExecuteScalar();
        command.CommandText = "PRAGMA synchronous = FULL";
        command.ExecuteNonQuery();
        // Where each stream ended in the backup: numbers after these may already be at the hub
        // for records this database no longer holds, and sync must not reuse them silently.
        var lastSeq = new JsonObject();
        foreach (var stream in OutboxStreams.All)
        {
            command.CommandText = $"SELECT coalesce(max(seq), 0) FROM {OutboxStreams.Table(stream)}";
            lastSeq[stream] = Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
        }
        command.CommandText = "INSERT INTO sync_state (key, value) VALUES ('restore.pending', $value) ON CONFLICT (key) DO UPDATE SET value = excluded.value";
        command.Parameters.AddWithValue("$value", new JsonObject
        {
            ["backup"] = Path.GetFileName(backupPath),
            ["restoredAt"] = now.ToString("O", CultureInfo.InvariantCulture),
            ["lastSeq"] = lastSeq,
        }.ToJsonString(StoreJson.Options));
        command.ExecuteNonQuery();
    }

    private static SqliteConnection Open(string path, SqliteOpenMode mode, int timeoutSeconds = 30)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = mode, Pooling = false, DefaultTimeout = timeoutSeconds }.ToString());
        connection.Open();
        return connection;
    }
}
