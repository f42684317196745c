namespace CardAp.Edge.Backup;

/// <summary>
/// A verified backup: the file, its size, when it started (Japan time; it holds everything committed
/// before then), how long it took, and the old backups rotation removed.
/// </summary>
public sealed record BackupResult(string Path, long Bytes, DateTimeOffset StartedAt, TimeSpan Duration, IReadOnlyList<string> Removed);
