namespace CardAp.Edge.Store;

/// <summary>
/// The edge store's settings (configuration section "Store"), validated at start-up by
/// <see cref="EdgeStoreOptionsValidator"/>.
/// </summary>
public sealed class EdgeStoreOptions
{
    public const string Section = "Store";

    /// <summary>The SQLite database file; created with its directory when missing. Relative paths are resolved against the current directory.</summary>
    public string DatabasePath { get; set; } = string.Empty;

    /// <summary>
    /// This terminal's id, e.g. "131016-T001". Sequences are per terminal, so the database remembers
    /// the id it was created for and refuses to open under another one.
    /// </summary>
    public string TerminalId { get; set; } = string.Empty;

    /// <summary>Where backups go; default "backups" next to the database. A relative path is resolved against the database's directory.</summary>
    public string? BackupDirectory { get; set; }

    /// <summary>How many backups rotation keeps (newest first).</summary>
    public int BackupsKept { get; set; } = 7;

    /// <summary>Whether the daily backup runs (on by default; tests and demos may turn it off). On-demand backups work either way.</summary>
    public bool DailyBackup { get; set; } = true;

    /// <summary>The daily backup runs at or after this Japan-local time (after service hours).</summary>
    public TimeOnly BackupTime { get; set; } = new(19, 30);

    /// <summary>How long a statement waits for a lock held by another connection before failing.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The full path of the database file.</summary>
    public string ResolveDatabasePath() => Path.GetFullPath(DatabasePath);

    /// <summary>The full path of the backup directory.</summary>
    public string ResolveBackupDirectory()
    {
        var databaseDirectory = Path.GetDirectoryName(ResolveDatabasePath()) ?? Directory.GetCurrentDirectory();
        return string.IsNullOrWhiteSpace(BackupDirectory)
            ? Path.Combine(databaseDirectory, "backups")
            : Path.GetFullPath(BackupDirectory, databaseDirectory);
    }
}
